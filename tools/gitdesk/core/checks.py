"""Rules that span files: references, contracts, the timeline of a ticket, technicians' time.

Each rule is a pure function of the loaded :class:`~gitdesk.core.repository.Repository`
returning problems; :func:`check` runs them all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from operator import itemgetter
from typing import Iterator, Optional

from gitdesk.core import errors
from gitdesk.core.errors import Problem
from gitdesk.core.repository import PROVIDER, Repository
from gitdesk.core.model import Ticket
from gitdesk.core.scalars import format_duration
from gitdesk.core.terms import terms_on


def context_checks(repo: Repository) -> list[Problem]:
    """Rules about the provider, plans, customers and issued statements."""
    from gitdesk.core import issued
    from gitdesk.core import sla

    return [*references(repo), *contract_overlaps(repo), *issued.rules(repo), *sla.target_problems(repo)]


def _path(record, fallback: str) -> str:
    path = record.path  # what record.source names, without making the source
    return path if path is not None else fallback


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} {name!r}{errors.suggest(name, known)}"


def references(repo: Repository) -> Iterator[Problem]:
    """Plans, calendars and the default plan name things that exist."""
    provider = repo.provider
    if provider is not None and provider.default_plan not in repo.plans:
        yield errors.at(PROVIDER, ("default_plan",), _unknown("plan", provider.default_plan, repo.plans), "unknown-plan")
    for plan in repo.plans.values():
        if provider is not None and plan.calendar not in provider.calendars:
            yield errors.at(_path(plan, ""), ("calendar",), _unknown("calendar", plan.calendar, provider.calendars), "unknown-calendar")
    for customer in repo.customers.values():
        for i, contract in enumerate(customer.contracts):
            if contract.plan not in repo.plans:
                yield errors.at(_path(customer, ""), ("contracts", i, "plan"), _unknown("plan", contract.plan, repo.plans), "unknown-plan")
        if provider is not None:
            for i, member in enumerate(customer.team):
                if member not in repo.team_ids:
                    yield errors.at(_path(customer, ""), ("team", i), _unknown("team member", member, repo.team_ids),
                                    "unknown-team-member")
    if provider is not None:
        seen: dict[str, int] = {}
        for i, member in enumerate(provider.team):
            if member.id in seen:
                yield errors.at(PROVIDER, ("team", i, "id"), f"duplicate team member id {member.id!r}", "duplicate-id")
            seen.setdefault(member.id, i)


def contract_overlaps(repo: Repository) -> Iterator[Problem]:
    """A customer's contracts must not overlap: on any day one set of terms applies."""
    for customer in repo.customers.values():
        ordered = sorted(enumerate(customer.contracts), key=lambda ic: ic[1].start)
        for (i, a), (j, b) in zip(ordered, ordered[1:]):
            if a.end is None or b.start <= a.end:
                line = a.line
                until = f"until {a.end}" if a.end else "with no end"
                yield errors.at(
                    _path(customer, ""), ("contracts", j, "from"),
                    f"contract from {b.start} overlaps the contract at line {line} ({a.start} {until})",
                    "contract-overlap",
                )


def ticket_checks(repo: Repository, ticket: Ticket) -> list[Problem]:
    """Every rule about one ticket that needs the context (customers, plans, team) or its own timeline."""
    team = repo.team_ids if repo.provider is not None else None
    tz = repo.tz
    path = _path(ticket, "")
    problems: list[Problem] = []
    customer = repo.customers.get(ticket.customer)
    if customer is None:
        problems.append(errors.at(path, ("customer",), _unknown("customer", ticket.customer, repo.customers), "unknown-customer"))
    reported_day = ticket.reported.astimezone(tz).date()
    terms = terms_on(repo, customer, reported_day)
    if terms.plan is not None and ticket.priority not in terms.plan.priorities:
        problems.append(errors.at(
            path, ("priority",),
            f"priority {ticket.priority!r} is not in plan {terms.plan_id!r}, in force on {reported_day} "
            f"(its priorities: {', '.join(terms.plan.priorities)})",
            "unknown-priority",
        ))
    problems.extend(_timeline(ticket, path, team, tz))
    problems.extend(_lifecycle(repo, customer, ticket, path))
    for i, work in enumerate(ticket.interventions):
        if team is not None and work.technician not in team:
            problems.append(errors.at(path, ("interventions", i, "technician"), _unknown("technician", work.technician, team), "unknown-technician"))
        day = work.start.astimezone(tz).date()
        if not work.parts or not terms_on(repo, customer, day).ask_before_parts:
            continue
        for j, part in enumerate(work.parts):
            if part.approved is None:
                problems.append(errors.at(
                    path, ("interventions", i, "parts", j),
                    f"part {part.name!r} has no approved time: the contract asks for the customer's approval before any part",
                    "part-not-approved",
                ))
            elif part.approved > work.end:
                problems.append(errors.at(
                    path, ("interventions", i, "parts", j, "approved"),
                    f"part {part.name!r} was approved after the intervention ended: the contract asks for approval before",
                    "part-not-approved",
                ))
    return problems


def _timeline(ticket: Ticket, path: str, team, tz) -> Iterator[Problem]:
    """Events name team members, come after the report and pair up (waiting/resumed, resolved or cancelled/reopened);
    only ``reopened`` follows a cancellation, and no intervention starts while the ticket is cancelled."""
    waiting = resolved = False
    cancelled = None  # when the ticket was cancelled, until it is reopened
    order = sorted(range(len(ticket.log)), key=[e.at for e in ticket.log].__getitem__)
    for i in order:
        event = ticket.log[i]
        where = ("log", i)
        if event.by is not None and team is not None and event.by not in team:
            yield errors.at(path, where + ("by",), _unknown("team member", event.by, team), "unknown-technician")
        if event.at < ticket.reported:
            yield errors.at(path, where + ("at",), f"{event.event} at {local(event.at, tz)}, before the ticket was reported", "timeline")
        if cancelled is not None and event.event != "reopened":
            yield errors.at(path, where + ("event",), f"{event.event} at {local(event.at, tz)}, after the ticket was "
                            f"cancelled at {local(cancelled, tz)}: only reopened may follow a cancellation", "timeline")
        elif event.event == "waiting":
            if waiting:
                yield errors.at(path, where + ("event",), "waiting while already waiting: a resumed event is missing", "timeline")
            waiting = True
        elif event.event == "resumed":
            if not waiting:
                yield errors.at(path, where + ("event",), "resumed without a waiting event before it", "timeline")
            waiting = False
        elif event.event == "resolved":
            resolved, waiting = True, False
        elif event.event == "cancelled":
            cancelled, waiting = event.at, False
        elif event.event == "reopened":
            if not resolved and cancelled is None:
                yield errors.at(path, where + ("event",), "reopened, but the ticket was not resolved or cancelled before", "timeline")
            resolved, cancelled = False, None
    yield from _interventions_in_time(ticket, path, tz)


def _interventions_in_time(ticket: Ticket, path: str, tz) -> Iterator[Problem]:
    """No intervention starts before the ticket was reported, nor while it is cancelled."""
    closed = _cancellations(ticket)
    for i, work in enumerate(ticket.interventions):
        if work.start < ticket.reported:
            yield errors.at(
                path, ("interventions", i, "start"),
                f"the intervention starts at {local(work.start, tz)}, before the ticket was reported",
                "timeline",
            )
        for since, until in closed:
            if since < work.start and (until is None or work.start < until):
                yield errors.at(
                    path, ("interventions", i, "start"),
                    f"the intervention starts at {local(work.start, tz)}, after the ticket was cancelled at "
                    f"{local(since, tz)}" + ("" if until is None else f" and before it was reopened at {local(until, tz)}"),
                    "timeline",
                )


def _cancellations(ticket: Ticket) -> list[tuple]:
    """``(cancelled, reopened)`` of each cancellation of the ticket; reopened None: still cancelled."""
    spans: list[tuple] = []
    since = None
    for event in sorted(ticket.log, key=lambda e: e.at):
        if event.event == "cancelled" and since is None:
            since = event.at
        elif event.event == "reopened" and since is not None:
            spans.append((since, event.at))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans


def _lifecycle(repo: Repository, customer, ticket: Ticket, path: str) -> Iterator[Problem]:
    """A ``priority`` event names a priority of the plan in force that day; ``assigned`` a team member."""
    team = repo.team_ids if repo.provider is not None else None
    tz = repo.tz
    for i, event in enumerate(ticket.log):
        if event.event == "assigned" and team is not None and event.to not in team:
            yield errors.at(path, ("log", i, "to"), _unknown("team member", event.to, team), "unknown-technician")
        elif event.event == "priority":
            day = event.at.astimezone(tz).date()
            terms = terms_on(repo, customer, day)
            if terms.plan is not None and event.to not in terms.plan.priorities:
                yield errors.at(
                    path, ("log", i, "to"),
                    f"priority {event.to!r} is not in plan {terms.plan_id!r}, in force on {day} "
                    f"(its priorities: {', '.join(terms.plan.priorities)})",
                    "unknown-priority",
                )


def spans_of(ticket: Ticket, path: str) -> list[tuple]:
    """Each intervention as ``(technician, start, end, path, index, line)``, times as POSIX
    seconds: gathered from every ticket (across processes) for :func:`technician_overlaps`."""
    return [(w.technician, w.start.timestamp(), w.end.timestamp(), path, i, w.line) for i, w in enumerate(ticket.interventions)]


def technician_overlaps(spans, tz) -> Iterator[Problem]:
    """A technician is in one place at a time: interventions must not overlap.

    ``spans`` are :func:`spans_of` every ticket.
    """
    by_tech: dict[str, list] = defaultdict(list)
    for span in spans:
        by_tech[span[0]].append(span)
    for tech, items in by_tech.items():
        items.sort(key=itemgetter(1, 2))  # start, then end
        latest = None  # the span that ends last so far
        for span in items:
            if latest is not None and span[1] < latest[2]:
                yield _overlap(tech, span, latest, tz)
                yield _overlap(tech, latest, span, tz)
            if latest is None or span[2] > latest[2]:
                latest = span


def _overlap(tech: str, here, other, tz) -> Problem:
    return errors.at(
        here[3], ("interventions", here[4], "start"),
        f"{tech}'s intervention {local(here[1], tz)}-{local(here[2], tz, '%H:%M')} overlaps the one at "
        f"{other[3]}:{other[5]} ({local(other[1], tz)}-{local(other[2], tz, '%H:%M')})",
        "overlap",
    )


def local(moment, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment (or POSIX seconds) as the provider's wall time, for messages."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return moment.astimezone(tz).strftime(fmt)


# ---------------------------------------------------------------- warnings: possible, but probably mistyped

#: An intervention longer than this is probably a mistyped end.
LONG_INTERVENTION = dt.timedelta(hours=12)
#: An intervention longer than this many times the duration its appointment expected is probably a mistyped end.
EXPECTED_FACTOR = 3
#: How many days of one intervention are looked at for a closed day (a longer one is already said to be long).
_DAYS_LOOKED_AT = 31
#: The codes of the warnings.
WARNING_CODES = frozenset(("long-intervention", "overnight-intervention", "closed-day", "over-expected"))
#: Day names for messages (not the locale's: messages are in English).
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def ticket_warnings(repo: Repository, ticket: Ticket) -> list[Problem]:
    """What a ticket may hold but probably holds by mistake: an intervention longer than 12 hours or past
    midnight, work on a day the calendar is closed, an appointment's ``expected`` duration exceeded threefold.

    Apart from :func:`ticket_checks`: these never refuse a ticket (``--strict`` makes them errors when asked).
    """
    if not ticket.interventions:
        return []
    tz = repo.tz
    path = _path(ticket, "")
    customer = repo.customers.get(ticket.customer)
    appointments = _appointments(ticket)
    found: list[Problem] = []
    for i, work in enumerate(ticket.interventions):
        start, end = work.start.astimezone(tz), work.end.astimezone(tz)
        found.extend(_duration_warnings(path, i, work.end - work.start, start, end))
        closed = _closed_day(repo, customer, start.date(), _last_day(end))
        if closed is not None:
            found.append(_warning(path, ("interventions", i, "start"), closed, "closed-day"))
        over = _over_expected(appointments, work, tz) if appointments else None
        if over is not None:
            found.append(_warning(path, ("interventions", i, "end"), over, "over-expected"))
    return found


def _warning(path: str, where: tuple, message: str, code: str) -> Problem:
    return errors.at(path, where, message, code, severity="warning")


def _duration_warnings(path: str, i: int, lasts: dt.timedelta, start: dt.datetime, end: dt.datetime) -> Iterator[Problem]:
    """Longer than 12 hours (``lasts``: the time elapsed); or, not that long, past midnight (a long one says
    enough about its end). ``start`` and ``end`` are the provider's wall time."""
    if lasts > LONG_INTERVENTION:
        yield _warning(path, ("interventions", i, "end"), f"the intervention lasts {format_duration(lasts)} "
                       f"(more than {LONG_INTERVENTION // dt.timedelta(hours=1)} hours): check its end", "long-intervention")
    elif _last_day(end) != start.date():
        yield _warning(path, ("interventions", i, "end"), f"the intervention runs past midnight "
                       f"({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}): check its start and end",
                       "overnight-intervention")


def _last_day(end: dt.datetime) -> dt.date:
    """The last day an intervention ending at ``end`` (wall time) works on: one that ends at midnight ends the day before."""
    return end.date() - dt.timedelta(days=1) if end.time() == dt.time(0) else end.date()


def _closed_day(repo: Repository, customer, day: dt.date, last: dt.date) -> Optional[str]:
    """The first day from ``day`` to ``last`` on which the calendar of the plan then in force is closed, in words."""
    last = min(last, day + dt.timedelta(days=_DAYS_LOOKED_AT))
    while day <= last:
        terms = terms_on(repo, customer, day)
        calendar = repo.rules.calendar(terms.plan.calendar) if terms.plan is not None else None
        if calendar is not None and not calendar.is_working_day(day):
            return (f"work on {_WEEKDAYS[day.weekday()]} {day}, when calendar {terms.plan.calendar!r} (plan "
                    f"{terms.plan_id!r}) is closed ({_why_closed(calendar, day)}): check the intervention's dates")
        day += dt.timedelta(days=1)
    return None


def _why_closed(calendar, day: dt.date) -> str:
    if day in calendar.closed:
        return "a closure"
    if calendar.is_closed(day):
        return "a public holiday"
    return f"no working hours on {_WEEKDAYS[day.weekday()]}s"


def _appointments(ticket: Ticket) -> list:
    """The ``confirmed`` and ``rescheduled`` events, in time order: each may say how long the work is expected to take."""
    return sorted((e for e in ticket.log if e.event in ("confirmed", "rescheduled")), key=lambda e: e.at)


def _over_expected(appointments: list, work, tz) -> Optional[str]:
    """The intervention against the ``expected`` duration of its appointment: the latest ``confirmed`` or
    ``rescheduled`` event before it starts (a rescheduling that gives none keeps the one before)."""
    expected = since = None
    for event in appointments:
        if event.at > work.start:
            break
        if event.event == "confirmed" or event.expected is not None:
            expected, since = event.expected, event.at
    lasts = work.end - work.start
    if not expected or lasts <= expected * EXPECTED_FACTOR:
        return None
    return (f"the intervention lasts {format_duration(lasts)}, more than {EXPECTED_FACTOR} times the "
            f"{format_duration(expected)} expected by the appointment of {local(since, tz)}: check its end "
            "(or the expected duration)")
