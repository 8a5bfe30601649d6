"""``gitdesk validate``: every problem of every file, in one run."""

from __future__ import annotations

import sys

import click

from gitdesk.core import errors
from gitdesk.portal import mkdocs_config
from gitdesk.portal import overrides
from gitdesk.load.files import read_data_text
from gitdesk.load.loader import Request, scan
from gitdesk.commands import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root


@click.command("validate")
@repo_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: path:line:column: message, with the line quoted; json: a list of objects; github: workflow annotations.",
)
@cache_option
@jobs_option
def command(repo, fmt, no_cache, jobs):
    """Check every file of the data repository and report every problem.

    Schema errors (unknown or missing fields, wrong types, bad durations,
    amounts or timestamps) and rules across files (unknown customers, plans,
    technicians or priorities, overlapping contracts or interventions, parts
    without approval, ids that disagree with file names), and the portal's
    mkdocs.yml (only what a portal may hold). Exits 1 when anything is wrong.
    """
    root = repo_root(repo)
    found = scan(root)
    cache = open_cache(root, no_cache)
    key = f"validate:{found.digest}"
    stored = cache.get_run(key) if cache is not None else None
    if stored is not None:
        problems, counts = stored
    else:
        repository = load_repository(found, cache, jobs, Request(tickets=False))
        problems = list(repository.problems)
        counts = (len(repository.plans), len(repository.customers), repository.ticket_count)
        if cache is not None:
            cache.put_run(key, (problems, counts))
    problems += mkdocs_config.read(root)[1]  # the portal's configuration: what build would refuse
    problems += overrides.site_sources(root).problems  # and what it takes from site_src/

    def read_text(path):
        return read_data_text(root, path)  # only a data file's lines are ever quoted

    if fmt == "json":
        click.echo(errors.format_json(problems))
    elif fmt == "github":
        if problems:
            click.echo(errors.format_github(problems))
    elif problems:
        click.echo(errors.format_text(problems, read_text))
    n_errors = sum(1 for p in problems if p.severity == "error")
    files = len({p.path for p in problems})
    if fmt == "text":
        if n_errors:
            click.echo(f"gitdesk: {n_errors} error{'s' if n_errors != 1 else ''} in {files} file{'s' if files != 1 else ''}", err=True)
        else:
            plans, customers, tickets = counts
            click.echo(f"gitdesk: {plans} plans, {customers} customers, {tickets} tickets: no errors", err=True)
    sys.exit(1 if n_errors else 0)
