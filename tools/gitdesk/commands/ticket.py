"""``gitdesk ticket``: record requests, events and work reports without hand-typing ids or times."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import click

from .. import editing, scalars
from ..errors import format_text
from ..files import read_data_file
from ..loader import scan
from ..yamlout import append_to_list, write_atomic
from . import load_repository, open_cache, repo_option, repo_root

EVENTS = ["acknowledged", "confirmed", "rescheduled", "waiting", "resumed", "resolved", "reopened"]
commit_option = click.option("--commit", is_flag=True, help="Commit the change (git), with a message that says what it is.")


def _moment(value: Optional[str], tz, option: str) -> Optional[dt.datetime]:
    if value is None:
        return None
    try:
        return scalars.parse_timestamp(value, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


def _duration(value: Optional[str], option: str) -> Optional[dt.timedelta]:
    if value is None:
        return None
    try:
        return scalars.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{option}'") from None


def _text(value: str) -> str:
    """A text option, or standard input when it is '-'."""
    return sys.stdin.read() if value == "-" else value


def _context(repo: Optional[str]):
    root = repo_root(repo)
    repository = load_repository(scan(root), open_cache(root, False), None, keep_tickets=True)
    if repository.provider is None:
        raise click.ClickException("the provider file is missing or invalid: run 'gitdesk validate'")
    return root, repository


def _now(tz) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)


def _save(repository, path: Path, text: str, commit: bool, message: str) -> None:
    """Check the new text like 'gitdesk validate' would, then write it whole, then commit."""
    _, problems = editing.check_text(repository, path, text)
    if problems:
        click.echo(format_text(problems, lambda p: text), err=True)
        click.echo(f"gitdesk: {path.relative_to(repository.root)} left as it was", err=True)
        sys.exit(1)
    write_atomic(path, text)
    rel = path.relative_to(repository.root).as_posix()
    click.echo(rel)
    if commit:
        from .statement import _commit

        click.echo(f"committed {_commit(repository.root, [path], message)}", err=True)


def _ticket_file(repository, ident: str) -> Path:
    path = editing.find(repository.root, ident)
    if path is None:
        raise click.BadParameter(f"no ticket {ident!r} under tickets/", param_hint="'ID'")
    return path


@click.group("ticket")
def command():
    """Create tickets and record their events and work reports.

    Every change keeps the file's text and comments, is checked with the
    rules of 'gitdesk validate' before it is written (a bad one leaves the
    file untouched) and, with --commit, becomes a git commit.
    """


@command.command("new")
@repo_option
@click.option("--customer", required=True, metavar="ID", help="The customer's id.")
@click.option("--priority", required=True, help="A priority of the customer's plan (e.g. urgent, normal).")
@click.option("--title", required=True, help="What is wrong, in a line.")
@click.option("--via", type=click.Choice(["phone", "email", "portal", "monitoring", "visit"]), default=None, help="How the request came in.")
@click.option("--reported", metavar="TIMESTAMP", default=None, help="When it was reported (default: now).")
@click.option("--reported-by", metavar="NAME", default=None, help="Who reported it.")
@click.option("--users-blocked", type=click.IntRange(min=0), default=None, help="How many people cannot work.")
@click.option("--incident", metavar="ID", default=None, help="An id shared by the tickets of one fault.")
@click.option("--description", default=None, help="The request in full ('-' reads it from standard input).")
@commit_option
def new_command(repo, customer, priority, title, via, reported, reported_by, users_blocked, incident, description, commit):
    """Create a ticket; prints the path of its file."""
    root, repository = _context(repo)
    tz = repository.tz
    if customer not in repository.customers:
        raise click.BadParameter(f"no customer {customer!r}", param_hint="'--customer'")
    moment = _moment(reported, tz, "--reported") or _now(tz)
    ident = editing.new_id(root, customer, moment, tz)
    path = editing.ticket_path(root, ident, moment, tz)
    text = editing.new_ticket_text(customer=customer, title=title, reported=moment, tz=tz, priority=priority, via=via,
                                   reported_by=reported_by, users_blocked=users_blocked, incident=incident,
                                   description=_text(description) if description else None)
    _save(repository, path, text, commit, f"Ticket {ident}: {title}")


@command.command("event")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("event", type=click.Choice(EVENTS))
@click.option("--at", metavar="TIMESTAMP", default=None, help="When (default: now).")
@click.option("--by", metavar="TECHNICIAN", default=None, help="Who (a team member's id).")
@click.option("--planned", metavar="TIMESTAMP", default=None, help="confirmed, rescheduled: when the intervention will be.")
@click.option("--mode", type=click.Choice(["onsite", "remote", "phone"]), default=None, help="confirmed, rescheduled: how.")
@click.option("--expected", metavar="DURATION", default=None, help="confirmed, rescheduled: how long it should take (e.g. 1h30m).")
@click.option("--side", type=click.Choice(["customer", "provider"]), default=None, help="rescheduled: who moved the appointment.")
@click.option("--note", default=None, help="A note (e.g. what the ticket is waiting for).")
@commit_option
def event_command(repo, ident, event, at, by, planned, mode, expected, side, note, commit):
    """Record an event of ticket ID: acknowledged, confirmed, rescheduled, waiting, resumed, resolved, reopened."""
    _, repository = _context(repo)
    tz = repository.tz
    path = _ticket_file(repository, ident)
    item = editing.event_item(at=_moment(at, tz, "--at") or _now(tz), tz=tz, event=event, by=by,
                              planned=_moment(planned, tz, "--planned"), mode=mode,
                              expected=_duration(expected, "--expected"), side=side, note=note)
    try:
        text = append_to_list(read_data_file(repository.root, path.relative_to(repository.root).as_posix()).decode("utf-8"), "log", item)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    _save(repository, path, text, commit, f"Ticket {ident}: {event}" + (f" ({note})" if note else ""))


@command.command("work")
@repo_option
@click.argument("ident", metavar="ID")
@click.option("--technician", required=True, metavar="ID", help="Who did the work (a team member's id).")
@click.option("--mode", required=True, type=click.Choice(["onsite", "remote", "phone"]), help="On site, remote session or phone call.")
@click.option("--start", required=True, metavar="TIMESTAMP", help="Arrival on site, session or call start.")
@click.option("--end", required=True, metavar="TIMESTAMP", help="When the work ended.")
@click.option("--outcome", required=True, type=click.Choice(["resolved", "unresolved", "continues"]), help="What came of it.")
@click.option("--report", required=True, help="The work report ('-' reads it from standard input).")
@click.option("--warranty", is_flag=True, help="The work is covered by warranty (nothing is charged).")
@click.option("--part", "parts", multiple=True, metavar="NAME;QTY;PRICE[;CODE[;APPROVED]]",
              help="A part used (repeatable); APPROVED is when the customer approved it.")
@commit_option
def work_command(repo, ident, technician, mode, start, end, outcome, report, warranty, parts, commit):
    """Record an intervention (a work report) on ticket ID."""
    _, repository = _context(repo)
    tz = repository.tz
    path = _ticket_file(repository, ident)
    try:
        parsed = [editing.parse_part(p, tz) for p in parts]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--part'") from None
    item = editing.work_item(technician=technician, mode=mode, start=_moment(start, tz, "--start"),
                             end=_moment(end, tz, "--end"), tz=tz, outcome=outcome, report=_text(report),
                             warranty=warranty, parts=parsed)
    try:
        text = append_to_list(read_data_file(repository.root, path.relative_to(repository.root).as_posix()).decode("utf-8"), "interventions", item)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    _save(repository, path, text, commit, f"Ticket {ident}: {mode} work by {technician}, {outcome}")
