"""``gitdesk ticket``: record requests, events and work reports without hand-typing ids or times."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from pathlib import Path
from typing import Optional

import click

from gitdesk.core import checks
from gitdesk.write import editing
from gitdesk.core import scalars
from gitdesk.write import writer
from gitdesk.core.errors import format_text
from gitdesk.load.files import MAX_BYTES, MAX_SHOWN, DataFileError, read_data_file
from gitdesk.load import workset
from gitdesk.write.yamlout import append_to_list
from gitdesk.commands import open_cache, repo_option, repo_root

EVENTS = ["acknowledged", "confirmed", "rescheduled", "waiting", "resumed", "resolved", "reopened", "priority", "assigned",
          "cancelled"]
commit_option = click.option("--commit", is_flag=True, help="Commit the file (git), with a message that says what it is; "
                             "when git refuses, the file is left as it was.")


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


def _load(root: Path):
    """The repository as it is now (read while the write lock is held)."""
    return usable(workset.for_writing(root, open_cache(root, False)))


def usable(repository):
    """The repository, when its contracts can be read (a ticket command reads what it needs, not every
    file: ``gitdesk validate`` and ``gitdesk check`` report every problem)."""
    if repository.provider is None:
        raise click.ClickException("the provider file is missing or invalid: run 'gitdesk validate'")
    return repository


def _now(tz) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)


def _save(tx: writer.Transaction, repository, path: Path, text: str, commit: bool, message: str, new: bool = False) -> None:
    """Check the new text like 'gitdesk validate' would, then write it whole, then commit."""
    rel = path.relative_to(repository.root).as_posix()
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise writer.NotWritten(f"{rel} would be larger than {MAX_SHOWN}, which gitdesk does not read: left as it was")
    ticket, problems = editing.check_text(repository, path, text)
    if ticket is None:
        click.echo(format_text(problems, lambda p: text), err=True)
        click.echo(f"gitdesk: {rel} left as it was", err=True)
        sys.exit(1)
    if problems and not new:  # say only what this change brought: the file's own warnings were said when written
        known = _warned(repository, rel, _read(repository.root, path))
        problems = [p for p in problems if (p.code, p.message) not in known]
    if new:
        tx.create(path, text)
    else:
        tx.write(path, text)
    sha = tx.commit(message) if commit else None
    click.echo(rel)
    if sha:
        click.echo(f"committed {sha}", err=True)
    if problems:  # warnings only: possible data, probably mistyped; written, and said
        click.echo(format_text(problems, lambda p: text), err=True)
        click.echo(f"gitdesk: {rel} written with {len(problems)} warning{'s' if len(problems) != 1 else ''}: "
                   f"check {'them' if len(problems) != 1 else 'it'}, and correct with 'gitdesk ticket edit'", err=True)


def _warned(repository, rel: str, text: str) -> set[tuple[str, str]]:
    """The warnings (code and message) the file's text has now."""
    tz_name = repository.provider.timezone if repository.provider is not None else ""
    ticket = editing.read_ticket(rel, text, tz_name)
    return {(p.code, p.message) for p in checks.ticket_warnings(repository, ticket)} if ticket is not None else set()


def _did_you_mean(close) -> str:
    """``; did you mean 'a' or 'b'?`` for the closest ids (nothing when there are none)."""
    return "; did you mean " + " or ".join(map(repr, close)) + "?" if close else ""


def _ticket_file(root: Path, ident: str) -> Path:
    path = editing.find(root, ident)
    if path is None:
        raise click.BadParameter(f"no ticket {ident!r} under tickets/", param_hint="'ID'")
    if path.is_symlink() or not path.is_file():
        raise click.ClickException(f"{path.relative_to(root).as_posix()} is not a regular file: edit it by hand")
    return path


def resolve(root: Path, text: str) -> tuple[str, Path]:
    """The ticket that ID names on the command line, and its file: the whole id, or the one id that
    ends or starts with it (``q7km``). Several: a usage error listing them; none: the closest ids."""
    wanted = text  # as written: never a pattern, never changed into another id
    if not editing.valid_id(wanted):
        close = editing.closest(editing.ticket_ids(root), text.strip().lower()[:editing.MAX_ID])
        raise click.BadParameter(f"invalid ticket id {text!r}: a ticket id is lower-case letters, digits and '-'"
                                 f"{_did_you_mean(close)}", param_hint="'ID'")
    if editing.find(root, wanted) is not None:  # the whole id: no need to list every ticket
        return wanted, _ticket_file(root, wanted)
    found = editing.match_id(editing.ticket_ids(root), wanted)
    if found.candidates:
        shown = "\n  ".join(found.candidates[:20]) + ("\n  ..." if len(found.candidates) > 20 else "")
        raise click.BadParameter(f"{text!r} names {len(found.candidates)} tickets; give more of the id:\n  {shown}",
                                 param_hint="'ID'")
    if found.ident is None:
        raise click.BadParameter(f"no ticket {text!r} under tickets/{_did_you_mean(found.suggestions)}", param_hint="'ID'")
    return found.ident, _ticket_file(root, found.ident)


def _read(root: Path, path: Path) -> str:
    """A ticket's text, read only as a regular file of the repository (see :mod:`gitdesk.load.files`)."""
    rel = path.relative_to(root).as_posix()
    try:
        return read_data_file(root, rel).decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{rel} is not UTF-8 text: run 'gitdesk validate'") from None
    except DataFileError as exc:
        raise click.ClickException(f"cannot read {rel}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {rel}: {exc.strerror}") from None


#: The subcommands in modules of their own (they use the helpers above), by name: imported when they run.
SUBCOMMANDS = {"list": "queue", "show": "show", "cancel": "lifecycle", "priority": "lifecycle", "assign": "lifecycle",
               "part": "parts", "approve": "parts", "edit": "edit"}


class _Group(click.Group):
    """The ticket commands; those of :data:`SUBCOMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx: click.Context, name: str):
        if name in SUBCOMMANDS:
            module = importlib.import_module(f"{__name__}.{SUBCOMMANDS[name]}")
            return getattr(module, f"{name}_command")
        return super().get_command(ctx, name)


@click.group("ticket", cls=_Group)
def command():
    """The work queue, one request at a glance, and every change to a ticket.

    Wherever a ticket's ID is asked for, the end of it (q7km) or its start is
    enough when it names one ticket. Every change keeps the file's text and
    comments, is checked with the rules of 'gitdesk validate' before it is
    written (a bad one leaves the file untouched) and, with --commit, becomes
    a git commit. One command writes at a time: another one waits for it, so
    no change is lost. A technician's day with these commands: docs/tickets.md.
    """


@command.command("new")
@repo_option
@click.option("--customer", required=True, type=writer.ID, metavar="ID", help="The customer's id.")
@click.option("--priority", required=True, type=writer.ID, metavar="ID", help="A priority of the customer's plan (e.g. urgent, normal).")
@click.option("--title", required=True, type=writer.TEXT, help="What is wrong, in a line.")
@click.option("--via", type=click.Choice(["phone", "email", "portal", "monitoring", "visit"]), default=None, help="How the request came in.")
@click.option("--reported", metavar="TIMESTAMP", default=None, help="When it was reported (default: now).")
@click.option("--reported-by", metavar="NAME", type=writer.TEXT, default=None, help="Who reported it.")
@click.option("--users-blocked", type=click.IntRange(min=0), default=None, help="How many people cannot work.")
@click.option("--incident", metavar="ID", type=writer.ID, default=None, help="An id shared by the tickets of one fault.")
@click.option("--description", type=writer.TEXT_OR_STDIN, default=None,
              help="The request in full ('-' reads it from standard input).")
@commit_option
def new_command(repo, customer, priority, title, via, reported, reported_by, users_blocked, incident, description, commit):
    """Create a ticket; prints the path of its file."""
    root = repo_root(repo)
    with writer.transaction(root, commit=commit) as tx:
        repository = _load(root)
        tz = repository.tz
        if customer not in repository.customers:
            raise click.BadParameter(f"no customer {customer!r}", param_hint="'--customer'")
        moment = _moment(reported, tz, "--reported") or _now(tz)
        ident = editing.new_id(root, customer, moment, tz)
        path = editing.ticket_path(root, ident, moment, tz)
        text = editing.new_ticket_text(customer=customer, title=title, reported=moment, tz=tz, priority=priority, via=via,
                                       reported_by=reported_by, users_blocked=users_blocked, incident=incident,
                                       description=description)
        _save(tx, repository, path, text, commit, f"Ticket {ident}: {writer.one_line(title)}", new=True)


@command.command("event")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("event", type=click.Choice(EVENTS))
@click.option("--at", metavar="TIMESTAMP", default=None, help="When (default: now).")
@click.option("--by", metavar="ID", type=writer.ID, default=None, envvar="GITDESK_TECHNICIAN", show_envvar=True,
              help="Who (a team member's id; default: $GITDESK_TECHNICIAN when set).")
@click.option("--planned", metavar="TIMESTAMP", default=None, help="confirmed, rescheduled: when the intervention will be.")
@click.option("--mode", type=click.Choice(["onsite", "remote", "phone"]), default=None, help="confirmed, rescheduled: how.")
@click.option("--expected", metavar="DURATION", default=None, help="confirmed, rescheduled: how long it should take (e.g. 1h30m).")
@click.option("--side", type=click.Choice(["customer", "provider"]), default=None, help="rescheduled: who moved the appointment.")
@click.option("--to", metavar="ID", type=writer.ID, default=None, help="priority: the new priority; assigned: the team member.")
@click.option("--reason", type=writer.TEXT, default=None, help="cancelled: duplicate, withdrawn, or a text.")
@click.option("--note", type=writer.TEXT, default=None, help="A note (e.g. what the ticket is waiting for).")
@commit_option
def event_command(repo, ident, event, at, by, planned, mode, expected, side, to, reason, note, commit):
    """Record an event of ticket ID: acknowledged, confirmed, rescheduled, waiting, resumed, resolved, reopened,
    priority, assigned, cancelled.

    ID is the ticket's id, or the end or start of it that names one ticket
    (e.g. q7km). 'gitdesk ticket priority', 'assign' and 'cancel' record the
    last three more simply.
    """
    def item(tz):
        return editing.event_item(at=_moment(at, tz, "--at") or _now(tz), tz=tz, event=event, by=by,
                                  planned=_moment(planned, tz, "--planned"), mode=mode,
                                  expected=_duration(expected, "--expected"), side=side, to=to, reason=reason, note=note)

    _append(repo, ident, commit, "log", item, lambda full: f"Ticket {full}: {event}" + (f" ({writer.one_line(note)})" if note else ""))


def _append(repo, ident: str, commit: bool, key: str, make_item, message) -> None:
    """Add ``make_item(tz)`` to the list ``key`` of ticket ID: under the writers' lock, the file read
    again there, checked, written whole and, with ``commit``, committed with ``message(id)``."""
    root = repo_root(repo)
    with writer.transaction(root, commit=commit) as tx:
        ident, path = resolve(root, ident)
        repository = _load(root)
        entry = make_item(repository.tz)
        try:
            text = editing.in_own_line_breaks(_read(root, path), lambda t: append_to_list(t, key, entry))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        _save(tx, repository, path, text, commit, message(ident))


@command.command("work")
@repo_option
@click.argument("ident", metavar="ID")
@click.option("--technician", required=True, metavar="ID", type=writer.ID, help="Who did the work (a team member's id).")
@click.option("--mode", required=True, type=click.Choice(["onsite", "remote", "phone"]), help="On site, remote session or phone call.")
@click.option("--start", required=True, metavar="TIMESTAMP", help="Arrival on site, session or call start.")
@click.option("--end", required=True, metavar="TIMESTAMP", help="When the work ended.")
@click.option("--outcome", required=True, type=click.Choice(["resolved", "unresolved", "continues"]), help="What came of it.")
@click.option("--report", required=True, type=writer.TEXT_OR_STDIN, help="The work report ('-' reads it from standard input).")
@click.option("--warranty", is_flag=True, help="The work is covered by warranty (nothing is charged).")
@click.option("--part", "parts", multiple=True, type=writer.TEXT, metavar="NAME;QTY;PRICE[;CODE[;APPROVED]]",
              help="A part used (repeatable); APPROVED is when the customer approved it.")
@commit_option
def work_command(repo, ident, technician, mode, start, end, outcome, report, warranty, parts, commit):
    """Record an intervention (a work report) on ticket ID (its id, or the end or start of it that names one ticket)."""
    def item(tz):
        try:
            parsed = [editing.parse_part(p, tz) for p in parts]
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--part'") from None
        return editing.work_item(technician=technician, mode=mode, start=_moment(start, tz, "--start"),
                                 end=_moment(end, tz, "--end"), tz=tz, outcome=outcome, report=report,
                                 warranty=warranty, parts=parsed)

    _append(repo, ident, commit, "interventions", item, lambda full: f"Ticket {full}: {mode} work by {technician}, {outcome}")

