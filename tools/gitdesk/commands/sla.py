"""``gitdesk sla``: SLA compliance per ticket and per customer, at a given moment."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Optional

import click

from .. import scalars, sla
from ..scalars import format_duration
from . import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root, report_problems
from ..loader import scan

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_option(required: bool = False):
    def check(ctx, param, value):
        if value is not None and not MONTH.match(value):
            raise click.BadParameter("write the month as YYYY-MM, e.g. 2026-11")
        return value

    return click.option("--month", metavar="YYYY-MM", required=required, callback=check, help="Only this calendar month.")


def customer_option(help_text: str = "Only this customer (its id).") -> callable:
    return click.option("--customer", metavar="ID", default=None, help=help_text)


def parse_now(value: Optional[str], tz) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.timezone.utc)
    try:
        return scalars.parse_timestamp(value, tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--now'") from None


def _evaluate(context, ticket, now, customer, month, as_json=False):
    """Per-ticket task for the loader: the SLA of the tickets asked for, None for the others.

    With ``as_json`` the ticket's JSON text comes along, written where the
    ticket was evaluated (in a worker process for large repositories).
    """
    if customer is not None and ticket.customer != customer:
        return None
    if month is not None and ticket.reported.astimezone(context.tz).strftime("%Y-%m") != month:
        return None
    result = sla.evaluate(context, ticket, now)
    if as_json:  # what the JSON needs, small enough to travel back fast: its text and its tally
        return (result.reported.timestamp(), result.id), json.dumps(sla.ticket_json(result, context.tz), ensure_ascii=False), sla.tally(result)
    return (result.reported.timestamp(), result.id), result, None


@click.command("sla")
@repo_option
@month_option()
@customer_option()
@click.option("--now", metavar="TIMESTAMP", default=None, help="The moment of evaluation, e.g. '2026-11-30 18:00' (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="text: a table per customer; json: the data format's shape.")
@cache_option
@jobs_option
def command(repo, month, customer, now, fmt, no_cache, jobs):
    """Check every ticket against the service terms of its plan.

    For each ticket: every target of its priority (acknowledge, confirm,
    onsite, resolve, and a repeat target after an unresolved visit), its due
    time in working time, when it was met, and whether it is met, breached or
    still running at --now. Tickets are chosen by the month they were
    reported in (--month) and by customer (--customer).
    """
    root = repo_root(repo)
    if now is not None and not re.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", now):
        raise click.BadParameter("write it as 2026-11-30 18:00 or 2026-11-30T18:00:00+01:00", param_hint="'--now'")
    found = scan(root)
    tz = _provider_zone(found)
    moment = parse_now(now, tz)
    task = functools.partial(_evaluate, now=moment, customer=customer, month=month, as_json=fmt == "json")
    repository = load_repository(found, open_cache(root, no_cache), jobs, keep_tickets=False, task=task)
    report_problems(repository)
    if customer is not None and customer not in repository.customers:
        raise click.BadParameter(f"no customer {customer!r} in {root}", param_hint="'--customer'")
    rows = sorted((p for p in repository.results.values() if p is not None), key=lambda p: p[0])
    tz = repository.tz
    if fmt == "json":
        click.echo(json_lines(
            {"now": moment.astimezone(tz).isoformat()},
            "tickets", [text for _, text, _ in rows],
            {"summary": sla.summary_json(sla.summarize_tallies([t for _, _, t in rows]))},
        ))
        return
    results = [r for _, r, _ in rows]
    click.echo(render_text(repository, results, moment, month))


def json_lines(head: dict, name: str, items: list[str], tail: dict) -> str:
    """One JSON object with the list ``name`` (items already JSON text) one item per line.

    Readable and greppable, and written by the C encoder (an indented dump of
    100,000 tickets would take longer than computing them).
    """
    dump = functools.partial(json.dumps, ensure_ascii=False)
    parts = [f"{dump(k)}: {dump(v)}" for k, v in head.items()]
    parts.append(f"{dump(name)}: [\n" + ",\n".join(items) + "\n]")
    parts += [f"{dump(k)}: {dump(v)}" for k, v in tail.items()]
    return "{" + ",\n".join(parts) + "}"


def _provider_zone(found):
    """The provider's zone before the whole load, to read --now the way data is read."""
    from ..loader import PROVIDER, read_record

    for f in found.files:
        if f.kind == "provider":
            record, _ = read_record("provider", PROVIDER, f.raw, "")
            if record is not None:
                return record.tz
    return dt.timezone.utc


def _when(moment: Optional[dt.datetime], tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def _dur(value: Optional[dt.timedelta]) -> str:
    return format_duration(value) if value is not None else "-"


def render_text(repository, results, now, month) -> str:
    """A table per customer, its compliance, and every breach explained in one line."""
    tz = repository.tz
    lines = [f"SLA at {_when(now, tz)}" + (f", tickets reported in {month}" if month else "")]
    by_customer: dict[str, list] = {}
    for r in results:
        by_customer.setdefault(r.customer, []).append(r)
    if not results:
        lines.append("No tickets.")
    for cid in sorted(by_customer):
        rows = by_customer[cid]
        customer = repository.customers.get(cid)
        lines += ["", f"{customer.name if customer else cid} ({cid})", ""]
        table = [("ticket", "priority", "target", "due", "met", "status", "late")]
        for r in rows:
            if not r.targets:
                table.append((r.id, r.priority, "-", "", "", "no targets", ""))
            for t in r.targets:
                table.append((r.id, r.priority, t.kind, _when(t.due, tz) if t.due else "paused", _when(t.met_at, tz),
                               t.status, _dur(t.late) if t.late else ""))
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for n, row in enumerate(table):
            lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        s = sla.summarize(rows)
        pct = f" ({s.compliance}%)" if s.compliance is not None else ""
        lines.append("")
        lines.append(f"  Targets met {s.met} of {s.targets}{pct}; breached {s.breached}; running {s.running}; "
                     f"provider reschedules {s.provider_reschedules}")
        lines.append(f"  Mean time to arrival {_dur(s.mean_to_arrival)}, to resolution {_dur(s.mean_to_resolution)} (working time)")
        for r, t in s.breaches:
            met = f"met {_when(t.met_at, tz)}" if t.met_at else "not met yet"
            lines.append(f"  ! {r.id} {t.kind}: due {_when(t.due, tz)}, {met}, late by {_dur(t.late)} of working time"
                         f" (paused {_dur(t.paused)})")
        reschedules = [r for r in rows if r.provider_reschedules]
        for r in reschedules:
            lines.append(f"  ! {r.id}: the provider postponed the appointment {r.provider_reschedules} time{'s' if r.provider_reschedules > 1 else ''}")
    if len(by_customer) > 1:
        s = sla.summarize(results)
        pct = f" ({s.compliance}%)" if s.compliance is not None else ""
        lines += ["", f"All customers: targets met {s.met} of {s.targets}{pct}; breached {s.breached}; running {s.running}; "
                      f"provider reschedules {s.provider_reschedules}"]
    return "\n".join(lines)
