"""``gitdesk sla``: SLA compliance per ticket and per customer, at a given moment."""

from __future__ import annotations

import datetime as dt
import functools
import re
from operator import itemgetter

import click

from gitdesk.core import sla
from gitdesk.text.i18n import Locale
from gitdesk.write.writer import one_line
from gitdesk.commands import cache_option, jobs_option, load_repository, open_cache, repo_option, repo_root, report_problems
from gitdesk.commands.options import customer_option, echo_pieces, json_lines, month_option, parse_now, provider_of, to_json
from gitdesk.load.loader import Evaluate, Request, scan


def _row(r: sla.TicketSla, tz, locale: Locale, as_json: bool = False) -> tuple:
    """A ticket's sort key, its part of the output and its tally: its JSON text (``as_json``) or
    its part of the text form (:func:`ticket_text`). Made where the ticket is evaluated (see
    :class:`gitdesk.load.request.Evaluate`): texts and small tuples cross back from a worker cheaply."""
    part = to_json(sla.ticket_json(r, tz)) if as_json else ticket_text(r, locale)
    return (r.reported.timestamp(), r.id), part, sla.tally(r)


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
    onsite, resolve, and a repeat target after an unresolved visit; a change
    to a higher priority adds that priority's targets), its due time in
    working time, when it was met, and whether it is met, breached, still
    running at --now, or cancelled (the ticket was cancelled before it was
    due). Tickets are chosen by the month they were reported in (--month)
    and by customer (--customer).

    Each customer's summary counts the targets met of those decided (met or
    breached) with that percentage; running targets are counted apart, as
    they are not decided yet.
    """
    root = repo_root(repo)
    if now is not None and not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}", now):
        raise click.BadParameter("write it as 2026-11-30 18:00 or 2026-11-30T18:00:00+01:00", param_hint="'--now'")
    found = scan(root, defer_tickets=True)
    provider = provider_of(found)
    moment = parse_now(now, provider.tz if provider is not None else dt.timezone.utc)
    locale = Locale.of(provider)
    tz = provider.tz if provider is not None else dt.timezone.utc
    row = functools.partial(_row, tz=tz, locale=locale, as_json=fmt == "json")
    request = Request(tickets=False, evaluate=Evaluate(moment, customer, month, shape=row))
    repository = load_repository(found, open_cache(root, no_cache), jobs, request)
    report_problems(repository)
    if customer is not None and customer not in repository.customers:
        raise click.BadParameter(f"no customer {customer!r} in {root}", param_hint="'--customer'")
    tz = repository.tz
    rows = sorted(repository.sla.values(), key=itemgetter(0))
    if fmt == "json":
        echo_pieces(json_lines(
            {"now": moment.astimezone(tz).isoformat()},
            "tickets", [text for _, text, _ in rows],
            {"summary": sla.summary_json(sla.summarize_tallies([t for _, _, t in rows]))},
        ))
        return
    click.echo(render_text(repository, [(text, tally) for _, text, tally in rows], moment, month, locale))


def ticket_text(r: sla.TicketSla, L: Locale) -> tuple:
    """A ticket's part of the text form, in the provider's language: its customer,
    its rows of the customer's table, and its lines under the table (each breach
    explained; the provider's reschedules, escalations and the cancellation).
    A plain tuple of texts: cheap to send."""
    when, dur = L.moment, L.duration  # every value shown below is there (none is None)
    rows = []
    priority = r.priority if r.priority_now in (None, r.priority) else f"{r.priority}→{r.priority_now}"
    if not r.targets:
        rows.append((r.id, priority, "-", "", "", L("no_targets"), ""))
    for t in r.targets:
        rows.append((r.id, priority, L(f"target_{t.kind}"), when(t.due) if t.due else L("paused"),
                     when(t.met_at) if t.met_at else "", L(f"{t.status}_status"), dur(t.late) if t.late else ""))
    breaches = []
    for t in r.targets:
        if t.status != "breached":  # a breached target has its due time and its lateness
            continue
        met = L("met_on", when=when(t.met_at)) if t.met_at else L("not_met")
        paused = L("sla_paused", paused=dur(t.paused)) if t.paused else ""
        breaches.append("  ! " + L("sla_breach", id=r.id, kind=L(f"target_{t.kind}"), due=when(t.due), met=met,
                                   late=dur(t.late)) + paused)
    notes = []
    if r.provider_reschedules:
        key = "sla_moved" if r.provider_reschedules == 1 else "sla_moved_n"
        notes.append("  ! " + L(key, id=r.id, n=r.provider_reschedules))
    for e in r.escalations:
        notes.append("  · " + L("sla_raised", id=r.id, before=e.before, to=e.to, when=when(e.at)))
    if r.cancelled is not None:
        reason = one_line(L.word(r.cancelled.reason), limit=None) if r.cancelled.reason else "-"
        notes.append("  · " + L("sla_cancelled", id=r.id, when=when(r.cancelled.at), reason=reason))
    return r.customer, tuple(rows), tuple(breaches), tuple(notes)


def render_text(repository, tickets: list[tuple], now, month, locale: Locale) -> str:
    """A table per customer, its compliance, and every breach explained in one line,
    in the provider's language (the customer reads it).

    ``tickets``: each ticket's :func:`ticket_text` and :func:`gitdesk.core.sla.tally`, in the order shown.
    """
    L = locale

    def dur(value):
        return L.duration(value) if value is not None else "-"

    def summary_line(s):
        pct = f" ({L.percent(s.compliance)})" if s.compliance is not None else ""
        cancelled = L("sla_summary_cancelled", n=s.cancelled) if s.cancelled else ""
        return L("sla_summary", met=s.met, decided=s.decided, pct=pct, breached=s.breached, running=s.running,
                 moved=s.provider_reschedules) + cancelled

    lines = [L("sla_head", when=L.moment(now)) + (L("sla_month", month=L.month(month)) if month else "")]
    by_customer: dict[str, list] = {}
    for text, tally in tickets:
        by_customer.setdefault(text[0], []).append((text, tally))
    if not tickets:
        lines.append(L("no_tickets"))
    for cid in sorted(by_customer):
        rows = by_customer[cid]
        customer = repository.customers.get(cid)
        lines += ["", f"{one_line(customer.name, limit=None) if customer else cid} ({cid})", ""]  # a name on one line
        table = [(L("ticket"), L("priority"), L("target"), L("due"), L("met"), L("status"), L("late"))]
        for text, _ in rows:
            table += text[1]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for n, row in enumerate(table):
            lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        s = sla.summarize_tallies([tally for _, tally in rows])
        lines.append("")
        lines.append("  " + summary_line(s))
        lines.append("  " + L("sla_means", arrival=dur(s.mean_to_arrival), resolution=dur(s.mean_to_resolution)))
        for text, _ in rows:
            lines += text[2]
        for text, _ in rows:
            lines += text[3]
    if len(by_customer) > 1:
        lines += ["", L("sla_all", summary=summary_line(sla.summarize_tallies([tally for _, tally in tickets])))]
    return "\n".join(lines)
