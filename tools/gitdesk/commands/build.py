"""``gitdesk build``: the portal, one public site and one private site per customer."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import click

from gitdesk.portal import output
from gitdesk.portal import build as portal
from gitdesk.portal import staff as staff_site
from gitdesk.portal import webserver
from gitdesk.load.loader import EVERY_TICKET, Evaluate, Request, scan
from gitdesk.commands import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root, report_problems
from gitdesk.commands.options import parse_now, provider_zone


def _shard(ctx, param, value):
    if value is None:
        return None
    m = re.fullmatch(r"([0-9]+)/([0-9]+)", value)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise click.BadParameter("write it as K/N with 1 <= K <= N, e.g. 2/4")
    return int(m.group(1)), int(m.group(2))


def _config(root: Path):
    """The portal's mkdocs configuration, and its problems, listed on stderr."""
    config, problems = portal.base_config(root)
    if problems:
        from gitdesk.core.errors import format_text
        from gitdesk.portal.mkdocs_config import source_text

        click.echo(format_text(problems, lambda path: source_text(root)), err=True)
        click.echo(f"gitdesk: {len(problems)} error{'s' if len(problems) != 1 else ''} in mkdocs.yml; "
                   "the README says what it may hold", err=True)
    return config, problems


def _shared_sites(no_public: bool, no_staff: bool, shard, customers) -> tuple[bool, bool]:
    """Whether this build makes the public and the staff site: sites of no one customer, built by shard 1
    (and not when only some customers' sites are asked for)."""
    first = (shard is None or shard[0] == 1) and not customers
    return not no_public and first, not no_staff and first


@click.command("build")
@repo_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the sites (default: site/ in the data repository).")
@click.option("--customer", "customers", multiple=True, metavar="ID", help="Only this customer's site (repeatable).")
@click.option("--shard", callback=_shard, metavar="K/N", default=None,
              help="Build the K-th of N equal shares of the customers (for a CI matrix); the public and staff sites are "
              "built by shard 1.")
@click.option("--now", metavar="TIMESTAMP", default=None, help="The moment the dashboards show (default: now).")
@click.option("--no-public", is_flag=True, help="Do not build the public site.")
@click.option("--no-staff", is_flag=True, help="Do not build the staff site (OUT/staff/, every customer's figures "
              "for the provider's staff; the web server opens it to staff logins only).")
@cache_option
@jobs_option
def command(repo, out, customers, shard, now, no_public, no_staff, no_cache, jobs):
    """Render the portal with mkdocs-material.

    OUT/public/ holds the provider's home, the service terms of every plan,
    the team and the contacts. OUT/customers/<id>/ is a complete site for
    each customer with nothing of any other: a dashboard, the requests by
    month, a page per request with its work reports and service targets, the
    monthly statements (with CSV and JSON downloads) and its terms.
    OUT/staff/ is the provider's staff site: every customer this month,
    what is due today and at risk, open requests per technician, statements
    to issue, packages running out, customers without logins, and each
    request's git history. It is always built (--no-staff skips it): the
    web-server configurations open it to the staff logins of
    contracts/provider.yaml only, and keep it closed while there are none.

    A site whose sources did not change since the last build into OUT is
    not built again. OUT is the build's own: a folder that holds files git
    tracks, or a symbolic link where the build writes, is refused before
    anything is written.
    """
    started = time.perf_counter()
    root = repo_root(repo)
    given = out or root / "site"
    out = given.resolve()
    found = scan(root)
    moment = parse_now(now, provider_zone(found))
    repository = load_repository(found, open_cache(root, no_cache), jobs, Request(evaluate=Evaluate(moment), price=EVERY_TICKET))
    config, problems = _config(root)
    report_problems(repository)
    if problems:
        sys.exit(1)
    unknown = [c for c in customers if c not in repository.customers]
    if unknown:
        raise click.BadParameter(f"no customer {', '.join(map(repr, unknown))} in {root}", param_hint="'--customer'")
    try:  # the output folder is the build's own: nothing committed, no links (see gitdesk.portal.output)
        folders, files = portal.output_paths(["public", staff_site.NAME, *sorted(repository.customers)])
        web_folders, web_files = webserver.output_paths(repository)
        output.check(root, given, out, folders + web_folders, files + web_files)
    except output.Refused as exc:
        click.echo(f"gitdesk: {exc}; nothing was written", err=True)
        sys.exit(1)
    public, staff = _shared_sites(no_public, no_staff, shard, customers)
    total = (1 if public else 0) + (1 if staff else 0) + len(portal.shard_of(list(customers) or sorted(repository.customers), shard))
    show = sys.stderr.isatty() and total > 3
    bar = click.progressbar(length=total, label="Building sites", file=sys.stderr) if show else None
    try:
        report = portal.build(
            repository, out, now=moment, sla_results=repository.sla,
            customers=list(customers) or None, shard=shard, jobs=jobs, public=public, staff=staff, config=config, sources=found.digests(),
            progress=(lambda name: bar.update(1)) if bar else None,
        )
    except portal.SiteProblem as exc:
        from gitdesk.core.errors import format_text
        from gitdesk.load.files import read_data_text

        click.echo(format_text(exc.problems, lambda path: read_data_text(root, path)), err=True)  # lines of site_src/ quoted
        sys.exit(1)
    finally:
        if bar:
            bar.render_finish()
    try:
        webserver.write_files(repository, out)
    except output.Refused as exc:
        click.echo(f"gitdesk: {exc}", err=True)
        sys.exit(1)
    elapsed = time.perf_counter() - started
    click.echo(f"built {len(report.built)} site{'s' if len(report.built) != 1 else ''}, "
               f"{len(report.unchanged)} unchanged, into {out} in {elapsed:.1f} s")
