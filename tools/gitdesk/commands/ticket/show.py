"""``gitdesk ticket show``: one request in the terminal: facts, timeline, work reports with their charges, targets."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import click

from gitdesk.commands import open_cache, repo_option, repo_root
from gitdesk.commands.options import parse_now, to_json
from gitdesk.commands.ticket import _read, resolve, usable
from gitdesk.commands.ticket.queue import left_text
from gitdesk.core import desk, sla
from gitdesk.core.scalars import format_duration
from gitdesk.load import workset
from gitdesk.text.i18n import Locale
from gitdesk.text.lines import describe, part_text
from gitdesk.core.charges import Part as PartFacts
from gitdesk.write import editing
from gitdesk.write.writer import one_line

#: The fields of a log event shown after its kind, in the data format's order.
EVENT_FIELDS = ("to", "planned", "mode", "expected", "side", "reason", "note")


@click.command("show")
@repo_option
@click.argument("ident", metavar="ID")
@click.option("--now", metavar="TIMESTAMP", default=None, help="The moment the targets are judged at (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: for reading; json: one object.")
def show_command(repo, ident, now, fmt):
    """One request: its facts, its timeline, its work reports with their charges, its targets.

    ID is the ticket's id, or the end or start of it that names one ticket.
    The charges are the lines of the month's statement for each work report
    (prepaid hours drawn included), worded as the customer reads them; a
    phone call's minutes are billed with the month's calls.
    """
    root = repo_root(repo)
    full, path = resolve(root, ident)
    cache = open_cache(root, False)
    tz = workset.zone(root, cache)
    moment = parse_now(now, tz).replace(microsecond=0)
    rel = path.relative_to(root).as_posix()
    record = editing.read_ticket(rel, _read(root, path), getattr(tz, "key", "UTC"))
    if record is None:
        raise click.ClickException(f"{rel} has errors: run 'gitdesk validate' (or fix it with 'gitdesk ticket edit {full}')")
    repository = workset.one(root, cache, record.customer, moment, full)
    usable(repository)
    ticket = repository.tickets[full]
    facts = Facts(repository, full, ticket, moment)
    click.echo(to_json(facts.json()) if fmt == "json" else facts.text())


class Facts:
    """What ``show`` prints of one ticket, from the facts of :mod:`gitdesk.core.desk` and the SLA."""

    def __init__(self, repository, ident: str, ticket, now: dt.datetime):
        self.repo, self.id, self.ticket, self.now = repository, ident, ticket, now
        self.tz = repository.tz
        self.item = desk.entry(repository, ident, ticket, now)
        self.reports = desk.reports(repository, ticket)
        self.locale = Locale.of(repository.provider)

    def wall(self, moment: Optional[dt.datetime]) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment is not None else "-"

    def iso(self, moment: Optional[dt.datetime]) -> Optional[str]:
        return moment.astimezone(self.tz).isoformat() if moment is not None else None

    # ------------------------------------------------------------ text

    def text(self) -> str:
        return "\n".join(self._head() + self._timeline() + self._reports() + self._targets())

    def _head(self) -> list[str]:
        t, item = self.ticket, self.item
        customer = self.repo.customers.get(t.customer)
        name = f"{one_line(customer.name, None)} ({t.customer})" if customer is not None else t.customer
        priority = item.priority if item.priority == t.priority else f"{item.priority} (reported as {t.priority})"
        rows = [("customer", name), ("state", item.state), ("priority", priority), ("assignee", item.assignee or "-"),
                ("reported", self.wall(t.reported) + (f" by {one_line(t.reported_by)}" if t.reported_by else "")
                 + (f" via {t.via}" if t.via else ""))]
        if t.users_blocked is not None:
            rows.append(("users blocked", str(t.users_blocked)))
        if t.incident:
            rows.append(("incident", t.incident))
        if item.next is not None:
            rows.append(("next", f"{item.next.kind} due {self.wall(item.next.due)} ({left_text(item.left)})"))
        lines = [f"{self.id}: {one_line(t.title, None)}", ""] + [f"  {k + ':':<15}{v}" for k, v in rows]
        if t.description:
            lines += ["", *("  " + one_line(line, None) for line in t.description.rstrip("\n").split("\n"))]
        return lines

    def _timeline(self) -> list[str]:
        lines = ["", "Timeline"]
        if not self.ticket.log:
            lines.append("  (no events)")
        for event in sorted(self.ticket.log, key=lambda e: e.at):
            lines.append(f"  {self.wall(event.at)}  {event.event:<12} {event.by or '-':<10} {self._event_details(event)}".rstrip())
        return lines

    def _event_details(self, event) -> str:
        out = []
        for name in EVENT_FIELDS:
            value = getattr(event, name)
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                value = self.wall(value)
            elif isinstance(value, dt.timedelta):
                value = format_duration(value)
            out.append(f"{name}: {one_line(str(value), None)}")
        return "; ".join(out)

    def _reports(self) -> list[str]:
        lines = ["", "Work reports"]
        if not self.reports:
            lines.append("  (none)")
        money = self.locale.money
        for r in self.reports:
            w = r.work
            lines.append(f"  {r.number}. {self.wall(w.start)}-{self.wall(w.end)[11:]}  {w.mode} by {w.technician}, "
                         f"{w.outcome}" + (", warranty" if w.warranty else ""))
            lines += ["     " + one_line(line, None) for line in w.report.rstrip("\n").split("\n")]
            for m, p in enumerate(w.parts, 1):
                approved = f", approved {self.wall(p.approved)}" if p.approved is not None else ", not approved"
                lines.append(f"     part {r.number}.{m}: {one_line(part_text(PartFacts(p.name, p.code)), None)}, {p.qty} x {p.price}{approved}")
            lines += self._charges(r, money)
        return lines

    def _charges(self, r: desk.Report, money) -> list[str]:
        if not r.charged:
            return ["     charges: none (no terms on that day)"]
        rows = [(one_line(describe(line, self.locale.language), None), money(line.amount)) for line in r.lines]
        if r.phone_minutes:
            rows.append((f"phone call, {r.phone_minutes} min: billed with the calls of {r.month}", ""))
        width = max((len(d) for d, _ in rows), default=0)
        out = [f"     charges ({r.month} statement):"]
        out += [f"       {d:<{width}}  {a:>12}".rstrip() for d, a in rows]
        if r.lines:
            out.append(f"       {'total':<{width}}  {money(desk.total(r.lines)):>12}")
        return out

    def _targets(self) -> list[str]:
        lines = ["", f"Targets at {self.wall(self.now)}"]
        result = self.item.sla
        if result is None or not result.targets:
            return lines + ["  (none)"]
        for t in result.targets:
            met = f"met {self.wall(t.met_at)}" if t.met_at is not None else "not met"
            late = f", late {format_duration(t.late)}" if t.late else ""
            lines.append(f"  {t.kind:<12} due {self.wall(t.due) if t.due else 'paused':<16}  {t.status:<9} {met}{late}")
        return lines

    # ------------------------------------------------------------ json

    def json(self) -> dict:
        t, item = self.ticket, self.item
        result = self.item.sla
        return {
            "id": self.id, "customer": t.customer, "title": t.title, "state": item.state, "priority": item.priority,
            "reported_priority": t.priority, "assignee": item.assignee, "reported": self.iso(t.reported),
            "reported_by": t.reported_by, "via": t.via, "users_blocked": t.users_blocked, "incident": t.incident,
            "description": t.description,
            "next_target": item.next.kind if item.next is not None else None,
            "due": self.iso(item.next.due) if item.next is not None else None,
            "left_minutes": item.left // dt.timedelta(minutes=1) if item.left is not None else None,
            "timeline": [self._event_json(e) for e in sorted(t.log, key=lambda e: e.at)],
            "reports": [self._report_json(r) for r in self.reports],
            "targets": sla.ticket_json(result, self.tz)["targets"] if result is not None else [],
        }

    def _event_json(self, event) -> dict:
        out = {"at": self.iso(event.at), "event": event.event, "by": event.by}
        for name in EVENT_FIELDS:
            value = getattr(event, name)
            if isinstance(value, dt.datetime):
                value = self.iso(value)
            elif isinstance(value, dt.timedelta):
                value = value // dt.timedelta(minutes=1)
            out[name if name != "expected" else "expected_minutes"] = value
        return out

    def _report_json(self, r: desk.Report) -> dict:
        w = r.work
        return {
            "number": r.number, "technician": w.technician, "mode": w.mode, "start": self.iso(w.start), "end": self.iso(w.end),
            "outcome": w.outcome, "warranty": w.warranty, "report": w.report,
            "parts": [{"code": p.code, "name": p.name, "qty": str(p.qty), "price": str(p.price),
                       "approved": self.iso(p.approved)} for p in w.parts],
            "month": r.month, "phone_minutes": r.phone_minutes,
            "lines": [{"kind": line.kind, "reason": line.reason, "description": describe(line, self.locale.language),
                       "quantity": str(line.quantity), "unit_price": str(line.unit_price), "amount": str(line.amount)}
                      for line in r.lines],
            "total": str(desk.total(r.lines)),
        }
