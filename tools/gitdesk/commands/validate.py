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
@click.option("--strict", is_flag=True, help="Warnings (what is possible but probably mistyped) are errors: they fail the run.")
@cache_option
@jobs_option
def command(repo, fmt, strict, no_cache, jobs):
    """Check every file of the data repository and report every problem.

    Schema errors (unknown or missing fields, wrong types, bad durations,
    amounts or timestamps) and rules across files (unknown customers, plans,
    technicians or priorities, overlapping contracts or interventions, parts
    without approval, ids that disagree with file names), and the portal's
    mkdocs.yml (only what a portal may hold). Exits 1 when anything is wrong.

    Warnings point at what is possible but probably mistyped (an intervention
    longer than 12 hours or past midnight, work on a day the calendar is
    closed, an appointment's expected duration exceeded threefold): they do
    not change the exit code, unless --strict.
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
    if strict:
        problems = errors.strict(problems)

    def read_text(path):
        return read_data_text(root, path)  # only a data file's lines are ever quoted

    if fmt == "json":
        click.echo(errors.format_json(problems))
    elif fmt == "github":
        if problems:
            click.echo(errors.format_github(problems))
    elif problems:
        click.echo(errors.format_text(problems, read_text))
    failing = [p for p in problems if p.severity == "error"]
    if fmt == "text":
        click.echo(_summary(failing, len(problems) - len(failing), counts), err=True)
    sys.exit(1 if failing else 0)


def _summary(failing, warnings: int, counts) -> str:
    """``gitdesk: 2 errors in 1 file`` or ``gitdesk: 3 plans, 8 customers, 169 tickets: no errors``, and the warnings."""
    if failing:
        said = f"{errors.counted(len(failing), 'error')} in {errors.counted(len({p.path for p in failing}), 'file')}"
    else:
        plans, customers, tickets = counts
        said = f"{plans} plans, {customers} customers, {tickets} tickets: no errors"
    return f"gitdesk: {said}" + (f", {errors.counted(warnings, 'warning')}" if warnings else "")
