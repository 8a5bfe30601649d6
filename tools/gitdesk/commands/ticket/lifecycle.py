"""``gitdesk ticket cancel``, ``priority`` and ``assign``: the lifecycle events of a request."""

from __future__ import annotations

import click

from gitdesk.commands import repo_option
from gitdesk.commands.ticket import _append, _moment, _now, commit_option
from gitdesk.write import editing, writer

#: Who records the event: --by, else the technician the shell names.
by_option = click.option("--by", metavar="ID", type=writer.ID, default=None, envvar="GITDESK_TECHNICIAN", show_envvar=True,
                         help="Who records it (a team member's id; default: $GITDESK_TECHNICIAN when set).")
at_option = click.option("--at", metavar="TIMESTAMP", default=None, help="When (default: now).")


def _said(ctx, param, value):
    """A reason must say something: an empty one is a usage error, before anything is read."""
    if value is not None and not value.strip():
        raise click.BadParameter("give a reason (e.g. duplicate, withdrawn, or a few words)")
    return value


def _event(repo, ident, commit, event: str, message, at, **fields) -> None:
    def item(tz):
        return editing.event_item(at=_moment(at, tz, "--at") or _now(tz), tz=tz, event=event, **fields)

    _append(repo, ident, commit, "log", item, message)


@click.command("cancel")
@repo_option
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, type=writer.TEXT, callback=_said, help="Why: duplicate, withdrawn, or a text.")
@click.option("--note", type=writer.TEXT, default=None, help="More words (e.g. the ticket it duplicates).")
@by_option
@at_option
@commit_option
def cancel_command(repo, ident, reason, note, by, at, commit):
    """Cancel request ID (a 'cancelled' event): it leaves the work queue.

    Targets not yet due stop counting (neither met nor breached); those
    already past due stay breached. Work recorded before is charged as
    usual. 'gitdesk ticket event ID reopened' opens it again.
    """
    _event(repo, ident, commit, "cancelled", lambda full: f"Ticket {full}: cancelled ({writer.one_line(reason)})", at,
           by=by, reason=reason, note=note)


@click.command("priority")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("new", metavar="NEW", type=writer.ID)
@click.option("--reason", required=True, type=writer.TEXT, callback=_said,
              help="Why the priority changes (written as the event's note).")
@by_option
@at_option
@commit_option
def priority_command(repo, ident, new, reason, by, at, commit):
    """Change the priority of request ID to NEW (a 'priority' event).

    NEW is a priority of the customer's plan in force at that moment. A
    higher priority adds its targets, counted from the change; no change
    weakens a promise already made: the ticket's first priority stays in
    its file, and its targets keep running.
    """
    _event(repo, ident, commit, "priority", lambda full: f"Ticket {full}: priority {new} ({writer.one_line(reason)})", at,
           by=by, to=new, note=reason)


@click.command("assign")
@repo_option
@click.argument("ident", metavar="ID")
@click.argument("technician", metavar="TECH", type=writer.ID)
@by_option
@at_option
@commit_option
def assign_command(repo, ident, technician, by, at, commit):
    """Put team member TECH in charge of request ID (an 'assigned' event).

    The latest assignment is the ticket's assignee, which 'gitdesk ticket
    list --technician' and '--mine' filter on. It changes no target and no
    charge.
    """
    _event(repo, ident, commit, "assigned", lambda full: f"Ticket {full}: assigned to {technician}", at, by=by, to=technician)
