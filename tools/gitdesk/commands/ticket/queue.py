"""``gitdesk ticket list``: the work queue, what each request waits for and how long is left."""

from __future__ import annotations

import datetime as dt
import os
from typing import Optional

import click

from gitdesk.commands import open_cache, repo_option, repo_root
from gitdesk.commands.options import echo_pieces, json_array, parse_now, to_json
from gitdesk.commands.ticket import _duration, usable
from gitdesk.core import desk
from gitdesk.core.scalars import format_duration
from gitdesk.load import workset
from gitdesk.write.writer import one_line

#: The variable that names "me" for --mine (and the default of --by).
ME = "GITDESK_TECHNICIAN"
COLUMNS = ("ID", "STATE", "CUSTOMER", "PRIORITY", "ASSIGNEE", "NEXT", "DUE", "LEFT", "TITLE")


@click.command("list")
@repo_option
@click.option("--all", "everything", is_flag=True, help="Every request, also resolved and cancelled ones.")
@click.option("--customer", metavar="ID", default=None, help="Only this customer's requests.")
@click.option("--technician", metavar="ID", default=None, help="Only the requests assigned to this team member.")
@click.option("--mine", is_flag=True, help=f"Only the requests assigned to me: the team member ${ME} names.")
@click.option("--at-risk", is_flag=True, help="Only the requests with a target due within --within of working time, or late.")
@click.option("--within", metavar="DURATION", default=None, help="With --at-risk (implied): how soon, in working time "
              "(default 2h).")
@click.option("--now", metavar="TIMESTAMP", default=None, help="The moment of the queue, e.g. '2026-11-10 09:00' (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a table; json: a list of objects, one per request.")
def list_command(repo, everything, customer, technician, mine, at_risk, within, now, fmt):
    """The work queue: open requests (neither resolved nor cancelled), the one due first on top.

    Each row shows the request's state, customer, priority (as changed by
    'ticket priority'), assignee (the latest 'ticket assign'), its next
    promise (the unmet target due first: its kind and due time, in the
    provider's time) and the working time left until then ('late 1h30m' when
    it is past). Requests with nothing due come last.
    """
    root = repo_root(repo)
    if technician is not None and mine:
        raise click.UsageError("give --technician or --mine, not both")
    span = _duration(within, "--within") if within is not None else dt.timedelta(hours=2)
    at_risk = at_risk or within is not None
    cache = open_cache(root, False)
    moment = parse_now(now, workset.zone(root, cache)).replace(microsecond=0)
    repository = workset.queue(root, cache, moment, customer, everything=everything)
    usable(repository)
    if customer is not None and customer not in repository.customers:
        raise click.BadParameter(f"no customer {customer!r}", param_hint="'--customer'")
    who = _member(repository, _me() if mine else technician, "--mine" if mine else "--technician")
    items = desk.queue(repository, moment, everything=everything, customer=customer, technician=who,
                       within=span if at_risk else None)
    tz = repository.tz
    if fmt == "json":
        echo_pieces(json_array([to_json(item_json(item, tz)) for item in items]))
        return
    click.echo(render(items, moment, tz, everything))


def _me() -> str:
    me = os.environ.get(ME, "").strip()
    if not me:
        raise click.UsageError(f"--mine needs ${ME}: set it to your team member id (e.g. export {ME}=gbianchi)")
    return me


def _member(repository, who: Optional[str], option: str) -> Optional[str]:
    if who is not None and who not in repository.team_ids:
        team = ", ".join(sorted(repository.team_ids)) or "nobody"
        source = f"${ME} is {who!r}" if option == "--mine" else f"{who!r}"
        raise click.BadParameter(f"{source}, which is not a team member (the team: {team})", param_hint=f"'{option}'")
    return who


def _wall(moment: Optional[dt.datetime], tz) -> Optional[str]:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else None


def left_text(left: Optional[dt.timedelta]) -> str:
    """Working time left, or how late: ``1h30m``, ``late 2h``."""
    if left is None:
        return "-"
    return f"late {format_duration(-left)}" if left < dt.timedelta(0) else format_duration(left)


def item_json(item: desk.Entry, tz) -> dict:
    """A request of the queue as plain data: every key always present (null when it has no value)."""
    t, target = item.ticket, item.next
    return {
        "id": item.id,
        "customer": t.customer,
        "title": t.title,
        "state": item.state,
        "priority": item.priority,
        "assignee": item.assignee,
        "reported": t.reported.astimezone(tz).isoformat(),
        "next_target": target.kind if target is not None else None,
        "due": target.due.astimezone(tz).isoformat() if target is not None and target.due is not None else None,
        "left_minutes": (item.left // dt.timedelta(minutes=1)) if item.left is not None else None,
        "late": item.late,
    }


def render(items: list, now: dt.datetime, tz, everything: bool) -> str:
    what = ("" if everything else "open ") + ("request" if len(items) == 1 else "requests")
    head = f"{len(items)} {what} at {_wall(now, tz)} ({tz})"
    if not items:
        return head
    rows = [COLUMNS] + [(i.id, i.state, i.ticket.customer, i.priority, i.assignee or "-",
                         i.next.kind if i.next is not None else "-", _wall(i.next.due, tz) if i.next is not None else "-",
                         left_text(i.left), one_line(i.ticket.title, 60)) for i in items]
    widths = [max(len(row[c]) for row in rows) for c in range(len(COLUMNS))]
    lines = [head, ""]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())
    return "\n".join(lines)
