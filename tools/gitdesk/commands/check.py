"""``gitdesk check``: the CI gate. Validation, the issued-statement lock, and the state of the SLA."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sys
from typing import Optional

import click

from gitdesk.core import errors
from gitdesk.load.yamlsrc import locate_all
from gitdesk.load import gitcli
from gitdesk.portal import mkdocs_config
from gitdesk.portal import overrides
from gitdesk.core import sla
from gitdesk.core.errors import Problem
from gitdesk.load.files import read_data_text
from gitdesk.load.loader import Evaluate, Request, scan
from gitdesk.core.scalars import format_duration, parse_duration
from gitdesk.commands import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root
from gitdesk.commands.options import parse_now, provider_zone


def changed_tickets(root, base: str) -> set[str]:
    """Ticket ids whose files differ between ``base`` and the working tree (committed or not).

    ``base`` is checked to name a commit first, and git is given that commit's
    id: a value such as ``--output=FILE`` is refused, never passed on as an option.
    """
    if base.startswith("-"):
        raise click.BadParameter(f"{base!r} is not a git revision (it starts with '-')", param_hint="'--base'")
    if gitcli.git_dir(root) is None:
        raise click.BadParameter(f"{root} is not a git repository", param_hint="'--base'")
    try:
        commit = gitcli.commit_of(root, base)
    except ValueError:
        raise click.BadParameter(f"git cannot compare with {base!r}: no such commit here "
                                 "(a shallow clone? fetch the full history)", param_hint="'--base'") from None
    try:
        names = gitcli.run(root, "diff", "--name-only", "--no-renames", "-z", commit, "--", "tickets").stdout
        names += gitcli.run(root, "ls-files", "-z", "--others", "--exclude-standard", "--", "tickets").stdout
    except gitcli.GitError as exc:
        raise click.ClickException(f"git cannot compare with {base!r}: {exc.message}") from None
    paths = [os.fsdecode(n) for n in names.split(b"\0") if n]
    return {n.rsplit("/", 1)[-1][: -len(".yaml")] for n in paths if n.endswith(".yaml")}


def sla_findings(repository, results, changed: Optional[set[str]], now: dt.datetime, within: dt.timedelta, fail_on_breach: bool) -> list[Problem]:
    """Breaches and provider reschedules of the changed tickets; targets of open tickets due soon."""
    breach_level = "error" if fail_on_breach else "warning"
    found: list[Problem] = []
    for tid, result in sorted(results.items()):
        ticket = repository.tickets.get(tid)
        if ticket is None or result is None:
            continue
        touched = changed is None or tid in changed
        found += _ticket_findings(repository, ticket, result, touched, now, within, breach_level)
    return found


def _ticket_findings(repository, ticket, result, touched: bool, now: dt.datetime, within: dt.timedelta,
                     breach_level: str) -> list[Problem]:
    """One ticket's findings: breaches (if it changed), targets at risk (if it is open), provider reschedules."""
    path = ticket.path or ""
    found: list[Problem] = []
    for target in result.targets:
        if target.status == "breached" and touched:
            found.append(_level(_breach(path, target, repository.tz), breach_level))
        elif target.status == "running" and target.due is not None and result.open:
            left = sla.work_calendar(repository, repository.plans[result.plan]).between(now, target.due)
            if left <= within:
                found.append(_level(_at_risk(path, target, left, repository.tz), "warning"))
    if result.provider_reschedules and touched:
        found.append(_level(_reschedules(path, ticket, result.provider_reschedules), breach_level))
    return found


def _due(target, tz) -> str:
    return target.due.astimezone(tz).strftime("%Y-%m-%d %H:%M") if target.due else "-"


def _breach(path: str, target, tz) -> Problem:
    met = f"met {target.met_at.astimezone(tz):%Y-%m-%d %H:%M}" if target.met_at else "not met yet"
    return errors.at(path, ("reported",), f"SLA breach: {target.kind} target ({format_duration(target.duration)}) "
                     f"due {_due(target, tz)}, {met}, late by {format_duration(target.late)} of working time",
                     "sla-breach")


def _at_risk(path: str, target, left: dt.timedelta, tz) -> Problem:
    return errors.at(path, ("reported",), f"at risk: {target.kind} target due {_due(target, tz)}, "
                     f"{format_duration(left)} of working time left", "sla-at-risk")


def _reschedules(path: str, ticket, times: int) -> Problem:
    """The provider's postponements, at the ticket's first one."""
    index = next((i for i, e in enumerate(ticket.log) if e.event == "rescheduled" and e.side == "provider"), 0)
    return errors.at(path, ("log", index), f"the provider postponed the appointment {times} "
                     f"time{'s' if times > 1 else ''}: a breach of the terms", "provider-reschedule")


def _level(problem: Problem, severity: str) -> Problem:
    from dataclasses import replace

    return replace(problem, severity=severity)


def format_codeclimate(problems) -> str:
    """GitLab's code quality report (the Code Climate format)."""
    out = []
    for p in problems:
        fingerprint = hashlib.sha1(f"{p.path}:{p.line}:{p.code}:{p.message}".encode()).hexdigest()
        out.append({"description": p.message, "check_name": p.code, "fingerprint": fingerprint,
                    "severity": "major" if p.severity == "error" else "minor",
                    "location": {"path": p.path, "lines": {"begin": p.line}}})
    return json.dumps(out, indent=1, ensure_ascii=False)


@click.command("check")
@repo_option
@click.option("--base", metavar="REF", default=None, help="Report breaches and reschedules only of tickets changed since this commit (a git revision).")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json", "codeclimate"]), default="text", show_default=True,
              help="github: workflow annotations; codeclimate: GitLab's code quality report.")
@click.option("--fail-on", "fail_on", type=click.Choice(["error", "breach"]), default="error", show_default=True,
              help="breach: SLA breaches and provider reschedules fail the run too (they warn by default).")
@click.option("--within", metavar="DURATION", default="4h", show_default=True, help="A running target due within this much working time is at risk.")
@click.option("--now", metavar="TIMESTAMP", default=None, help="The moment of evaluation (default: now).")
@click.option("--strict", is_flag=True, help="The data's warnings (what is possible but probably mistyped, as 'validate' "
              "reports it) are errors: they fail the run. The SLA's are errors with --fail-on breach.")
@cache_option
@jobs_option
def command(repo, base, fmt, fail_on, within, now, strict, no_cache, jobs):
    """Check a push: everything 'validate' checks, the issued statements, and the SLA.

    Errors in the data (and an edit that changes an issued statement) fail
    the run. The data's warnings (what is possible but probably mistyped)
    warn, unless --strict. SLA breaches and appointments postponed by the
    provider among the tickets changed since --base, and running targets due
    within --within, are warnings, unless --fail-on breach.
    """
    root = repo_root(repo)
    try:
        window = parse_duration(within)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--within'") from None
    changed = changed_tickets(root, base) if base else None
    found = scan(root, defer_tickets=True)
    moment = parse_now(now, provider_zone(found))
    repository = load_repository(found, open_cache(root, no_cache), jobs, Request(evaluate=Evaluate(moment)))
    problems = list(repository.problems) + mkdocs_config.read(root)[1] + overrides.site_sources(root).problems  # what build would refuse
    if strict:
        problems = errors.strict(problems)
    read_text = functools.partial(read_data_text, root)
    if not repository.errors:
        findings = sla_findings(repository, repository.sla, changed, moment, window, fail_on == "breach")
        problems += locate_all(findings, read_text)
    if fmt == "json":
        click.echo(errors.format_json(problems))
    elif fmt == "codeclimate":
        click.echo(format_codeclimate(problems))
    elif fmt == "github":
        if problems:
            click.echo(errors.format_github(problems))
    elif problems:
        click.echo(errors.format_text(problems, read_text))
    failing = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(failing)
    scope = f"{len(changed)} changed ticket{'s' if len(changed) != 1 else ''}" if changed is not None else "all tickets"
    click.echo(f"gitdesk check: {errors.counted(len(failing), 'error')}, {errors.counted(warnings, 'warning')} "
               f"({scope}; {repository.ticket_count} tickets)", err=True)
    sys.exit(1 if failing else 0)
