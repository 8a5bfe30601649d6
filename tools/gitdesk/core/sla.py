"""Did the provider keep its promises? SLA targets computed from a ticket's event log.

Pure functions: :func:`evaluate` takes the repository's context (provider,
plans, customers), one ticket and the moment of evaluation, and returns a
:class:`TicketSla`: every target of the ticket's priority (and a ``repeat``
target after each unresolved intervention) with its due time, the moment it
was met, its status and how late it was in working time; the lateness of every
intervention against its arrival deadline, which the charges use; downtime.

The evaluation first folds the ticket's events into its :class:`Timeline`
(pauses, resolutions, appointments, first acknowledgement and confirmation);
small functions then give the targets, the repeat visits, the arrivals and
the summary times from it and from the interventions.

Rules (the data format's "Clock rules"):

- a target's clock starts when the ticket is reported, at the next working
  minute of the plan's calendar, and counts only working time;
- ``waiting`` … ``resumed`` pauses every target not yet met;
- ``resolved`` … ``reopened`` pauses the ``resolve`` clock, which then runs on
  from the reopening and is met by the last ``resolved``;
- nothing after ``now`` has happened yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Iterator, NamedTuple, Optional, Sequence

from gitdesk.core.calendar import BeyondHorizon, WorkCalendar
from gitdesk.core.errors import Problem, at
from gitdesk.core.model import Intervention, LateDiscount, LogEvent, Plan, Ticket
from gitdesk.core.scalars import format_duration
from gitdesk.core.terms import terms_on

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository

ZERO = dt.timedelta(0)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)

#: Makes a named tuple from a tuple of all its fields, without the call into the Python ``__new__`` that
#: calling the class makes: each ticket's evaluation makes several (timeline, targets, arrivals, result).
_record = tuple.__new__


class Target(NamedTuple):
    """One promise: ``kind`` due at ``due``, met at ``met_at`` (None: not yet)."""

    kind: str
    duration: dt.timedelta
    start: dt.datetime
    due: Optional[dt.datetime]
    met_at: Optional[dt.datetime]
    status: str  # met | breached | running
    late: dt.timedelta = ZERO
    paused: dt.timedelta = ZERO

    @property
    def late_minutes(self) -> int:
        return self.late // MINUTE


class Arrival(NamedTuple):
    """An intervention measured against its arrival deadline; the charges use it."""

    index: int
    basis: str  # onsite | repeat | appointment | none
    deadline: Optional[dt.datetime]
    late: dt.timedelta
    rule: Optional[str]  # "waive", "started" or "full" (hours of a discount), None when not late
    percent: Decimal  # reduction of call-out and labour, 0 to 100
    hours: int  # the hours of lateness the discount counted
    repeat: bool  # a repeat visit after an unresolved intervention

    @property
    def waived(self) -> bool:
        return self.rule == "waive"

    @property
    def late_minutes(self) -> int:
        return self.late // MINUTE


class TicketSla(NamedTuple):
    id: str
    customer: str
    priority: str
    plan: str
    reported: dt.datetime
    targets: tuple[Target, ...]
    arrivals: tuple[Arrival, ...]
    provider_reschedules: int
    resolved_at: Optional[dt.datetime]
    downtime: dt.timedelta
    users_blocked: Optional[int]
    first_arrival: Optional[dt.datetime] = None
    to_arrival: Optional[dt.timedelta] = None  # working time, report to first arrival
    to_resolution: Optional[dt.timedelta] = None  # working time, report to resolution
    paused: dt.timedelta = ZERO

    @property
    def breached(self) -> bool:
        return any(t.status == "breached" for t in self.targets)

    @property
    def unmet(self) -> tuple["Target", ...]:
        """The targets still to be met: what an open request waits for."""
        return tuple(t for t in self.targets if t.met_at is None)

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def user_hours(self) -> Optional[Decimal]:
        """Working hours lost by the blocked users (users × downtime in hours, to 0.01)."""
        if self.users_blocked is None:
            return None
        hours = Decimal(int(self.downtime.total_seconds())) / Decimal(3600)
        return (hours * self.users_blocked).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- clocks


def due_time(cal: WorkCalendar, start: dt.datetime, duration: dt.timedelta, pauses: Sequence[tuple]) -> Optional[dt.datetime]:
    """When ``duration`` of working time has run from ``start``, the clock stopped in ``pauses``.

    ``pauses`` are ``(from, to)`` sorted by ``from``; ``to`` None is a pause
    still open: then the due time is not known yet (None) unless it falls
    before the pause.
    """
    remaining = duration
    cursor = start
    for p_from, p_to in pauses:
        if p_to is not None and p_to <= cursor:
            continue
        if p_from > cursor:
            available = cal.between(cursor, p_from)
            if available >= remaining:
                return cal.add(cursor, remaining)
            remaining -= available
        if p_to is None:
            return None
        cursor = max(cursor, p_to)
    try:
        return cal.add(cursor, remaining)
    except BeyondHorizon:  # the calendar closed for a century: no due time (validate reports the target)
        return None


def paused_time(cal: WorkCalendar, start: dt.datetime, end: dt.datetime, pauses: Sequence[tuple]) -> dt.timedelta:
    """Working time within ``start``–``end`` during which the clock was stopped."""
    total = ZERO
    for p_from, p_to in pauses:
        lo = max(p_from, start)
        hi = min(p_to or end, end)
        if hi > lo:
            total += cal.between(lo, hi)
    return total


def _status(due: Optional[dt.datetime], met_at: Optional[dt.datetime], now: dt.datetime, cal: WorkCalendar) -> tuple[str, dt.timedelta]:
    if due is None:
        return ("met", ZERO) if met_at is not None else ("running", ZERO)
    if met_at is not None:
        return ("met", ZERO) if met_at <= due else ("breached", cal.between(due, met_at))
    if now > due:
        return "breached", cal.between(due, now)
    return "running", ZERO


# ---------------------------------------------------------------- evaluation


def work_calendar(repo: "Repository", plan: Plan) -> WorkCalendar:
    """The plan's working-time calendar."""
    return repo.rules.calendars[plan.calendar]


#: A target may ask for at most this many years of its calendar's working weeks: its due time is
#: then always found (:data:`gitdesk.core.calendar.HORIZON_YEARS` leaves room for holidays and closures).
MAX_TARGET_YEARS = 5


def target_problems(repo: "Repository") -> Iterator[Problem]:
    """Targets longer than :data:`MAX_TARGET_YEARS` of working time in their plan's calendar, at their line."""
    provider = repo.provider
    if provider is None:
        return
    for plan in repo.plans.values():
        calendar = provider.calendars.get(plan.calendar)
        if calendar is None:
            continue  # reported as an unknown calendar
        week = sum(end - start for day in calendar.week for start, end in day)
        limit = dt.timedelta(minutes=week * 52 * MAX_TARGET_YEARS)
        for name, priority in plan.priorities.items():
            for kind, duration in priority.targets.items():
                if duration > limit:
                    yield at(plan.path or "", ("priorities", name, "targets", kind),
                             f"this target needs more than {MAX_TARGET_YEARS} years of working time in calendar "
                             f"{plan.calendar!r} ({format_duration(dt.timedelta(minutes=week))} a week): "
                             f"write at most {format_duration(limit)}", "target-too-long")


def as_recorded(ticket: Ticket) -> dt.datetime:
    """The latest moment a ticket records: evaluated there, everything written has happened."""
    moments = [ticket.reported, *(e.at for e in ticket.log), *(w.end for w in ticket.interventions)]
    return max(moments)


def evaluate(repo: "Repository", ticket: Ticket, now: dt.datetime) -> TicketSla:
    """Every target and arrival of ``ticket`` as they stand at ``now``.

    The results are named tuples: they travel back from worker processes for
    every ticket, and tuples are the cheapest thing to send.
    """
    return _evaluate(repo, ticket, now, True)


def arrivals_of(repo: "Repository", ticket: Ticket, now: dt.datetime) -> tuple[Arrival, ...]:
    """The lateness of each intervention at ``now``: all that the charges need.

    The same evaluation as :func:`evaluate` without the targets that no
    arrival depends on (acknowledge, confirm, resolve) and without the
    summary times: statements price every intervention of a customer's
    earlier months, and this is most of their cost.
    """
    return _evaluate(repo, ticket, now, False).arrivals


#: Sort keys in C, as a sort calls its key for every item: events by time, pairs by their first item.
_at = attrgetter("at")
_first = itemgetter(0)


def _started(indexed: tuple) -> dt.datetime:
    return indexed[1].start


# ---------------------------------------------------------------- the timeline


class Timeline(NamedTuple):
    """What a ticket's log says at the moment of evaluation: the fold of its events (:func:`timeline`)."""

    waits: list  # (from, to) of each waiting … resumed (or resolved); to None: still waiting
    reopened: list  # (resolved, reopened): the resolve clock stood still until the ticket was reopened
    plannings: list  # (at, planned) of every confirmed and rescheduled event, in time order
    acknowledged: Optional[dt.datetime]  # the first acknowledged or confirmed event
    confirmed: Optional[dt.datetime]  # the first confirmed event
    reschedules: int  # appointments the provider moved
    resolved_at: Optional[dt.datetime]  # the last resolution, unless the ticket was reopened since


#: Events that make or move an appointment.
_APPOINTMENTS = ("confirmed", "rescheduled")


def timeline(log: Sequence[LogEvent], now: dt.datetime) -> Timeline:
    """The ticket's timeline at ``now``: one pass over its events in time order, ties in the file's order.

    Pauses open and close like brackets: ``waiting`` while already waiting,
    ``resumed`` while not waiting, ``resolved`` while resolved and ``reopened``
    while not resolved change nothing. A ``resolved`` event also ends a wait;
    a confirmation also acknowledges.
    """
    waits: list = []
    reopened: list = []
    plannings: list = []
    waiting = resolved = None  # when the open wait, the standing resolution began
    acknowledged = confirmed = None  # the first of each
    reschedules = 0
    for e in _happened(log, now):
        kind, when = e.event, e.at
        if kind == "acknowledged":
            if acknowledged is None:
                acknowledged = when
        elif kind in _APPOINTMENTS:
            plannings.append((when, e.planned))
            reschedules += e.side == "provider"  # moved by the provider (only a rescheduled event has a side)
            if kind == "confirmed" and confirmed is None:
                confirmed = when
        elif kind == "waiting":
            if waiting is None:
                waiting = when
                waits.append((when, None))
        elif kind == "reopened":
            if resolved is not None:
                reopened.append((resolved, when))
                resolved = None
        else:  # resumed or resolved: the end of a wait
            if waiting is not None:
                waits[-1] = (waiting, when)
                waiting = None
            if kind == "resolved" and resolved is None:
                resolved = when
    acknowledged = _earliest(acknowledged, confirmed)
    return _record(Timeline, (waits, reopened, plannings, acknowledged, confirmed, reschedules, resolved))


def _happened(log: Sequence[LogEvent], now: dt.datetime) -> Sequence[LogEvent]:
    """The events of ``log`` up to ``now`` in time order (the sort is stable: ties keep the file's order)."""
    events = sorted(log, key=_at) if len(log) > 1 else log
    if events and events[-1].at > now:
        events = [e for e in events if e.at <= now]
    return events


def _earliest(a: Optional[dt.datetime], b: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """The earlier of two moments, either of which may not have happened (None); ``a`` on a tie."""
    if a is None:
        return b
    if b is None or a <= b:
        return a
    return b


# ---------------------------------------------------------------- evaluation


def _evaluate(repo: "Repository", ticket: Ticket, now: dt.datetime, whole: bool) -> TicketSla:
    """The ticket's SLA at ``now``; without ``whole``, only what the arrivals need."""
    reported = ticket.reported
    prepared = repo.rules
    terms = terms_on(repo, repo.customers.get(ticket.customer), reported.astimezone(prepared.tz).date())
    line = timeline(ticket.log, now)
    resolved_at = line.resolved_at
    head = (ticket.id, ticket.customer, ticket.priority, terms.plan_id, reported)
    downtime = (resolved_at or now) - reported
    if downtime < ZERO:
        downtime = ZERO
    tail = (line.reschedules, resolved_at, downtime, ticket.users_blocked)
    rules = prepared.clocks(terms.plan_id, ticket.priority)
    if rules is None:
        return _record(TicketSla, (*head, (), (), *tail, *_NO_TIMES))
    cal = rules.calendar
    indexed = _visits(ticket.interventions, now)
    works = [w for _, w in indexed]
    first_onsite = _first_onsite(works, rules.remote_counts)
    first_start = works[0].start if works else None
    onsite_at = first_onsite.start if first_onsite is not None else None
    targets, onsite = _targets(cal, rules.targets, line, reported, onsite_at, first_start, now, whole)
    repeat_due: dict = {}
    if rules.repeat is not None and works:
        repeats, repeat_due = _repeats(cal, rules.repeat, works, line.waits, now)
        targets += repeats
    arrivals = _arrivals(cal, rules, indexed, repeat_due, first_onsite, onsite, line.plannings)
    times = _times(cal, reported, onsite_at or first_start, line, now) if whole else _NO_TIMES
    return _record(TicketSla, (*head, tuple(targets), arrivals, *tail, *times))


def _visits(done: Sequence[Intervention], now: dt.datetime) -> list:
    """``(index in the file, intervention)`` of each intervention started by ``now``, in order of start."""
    if len(done) == 1:  # the common case, without sorting
        return [(0, done[0])] if done[0].start <= now else []
    return sorted(((i, w) for i, w in enumerate(done) if w.start <= now), key=_started)


def _first_onsite(works: Sequence[Intervention], remote_counts: bool) -> Optional[Intervention]:
    """The first intervention that meets the ``onsite`` target: on site, or remote where the plan counts it."""
    for work in works:
        if work.mode == "onsite" or (remote_counts and work.mode == "remote"):
            return work
    return None


def _targets(cal, kinds, line: Timeline, reported, onsite_at, first_start, now, whole) -> tuple[list, Optional[Target]]:
    """The targets of the ticket's priority (only ``onsite`` without ``whole``), and the ``onsite`` one.

    ``acknowledge`` and ``confirm`` are met by their first event or by the first
    intervention, whichever came first; ``resolve`` by the standing resolution.
    """
    targets = []
    onsite = None
    for kind, duration in kinds:
        if kind == "onsite":
            met_at = onsite_at
        elif not whole:
            continue
        elif kind == "resolve":
            met_at = line.resolved_at
        else:  # acknowledge, confirm: the first such event, or the first intervention when earlier
            met_at = line.acknowledged if kind == "acknowledge" else line.confirmed
            if first_start is not None and (met_at is None or first_start < met_at):
                met_at = first_start
        pauses = line.waits
        if kind == "resolve" and line.reopened:  # the clock stops while the ticket was resolved, until reopened
            pauses = sorted(line.waits + line.reopened, key=_first)
        target = _target(cal, kind, duration, reported, met_at, pauses, now)
        if kind == "onsite":
            onsite = target
        targets.append(target)
    return targets, onsite


def _repeats(cal, duration, works: Sequence[Intervention], waits, now) -> tuple[list, dict]:
    """A ``repeat`` target after each unresolved intervention ended by ``now``: the next one is due within
    ``duration`` (the top priority's). Also the due time of each repeat visit, by its place in ``works``."""
    targets = []
    due = {}
    for i, work in enumerate(works):
        if work.outcome != "unresolved" or work.end > now:
            continue
        later = i + 1 < len(works)
        target = _target(cal, "repeat", duration, work.end, works[i + 1].start if later else None, waits, now)
        targets.append(target)
        if later:
            due[i + 1] = target.due
    return targets, due


def _arrivals(cal, rules, indexed: list, repeat_due: dict, first_onsite, onsite: Optional[Target], plannings) -> tuple:
    """Each intervention against its deadline, in the file's order: a repeat visit against its repeat target
    (the top priority's late rule), the first on-site one against the ``onsite`` target, any other against
    the appointment in force when it started (none: never late)."""
    arrivals = []
    for i, (index, work) in enumerate(indexed):
        if i in repeat_due:
            arrivals.append(_arrival(cal, index, "repeat", repeat_due[i], work, rules.top_late, True))
        elif work is first_onsite and onsite is not None:
            arrivals.append(_arrival(cal, index, "onsite", onsite.due, work, rules.late, False))
        else:  # the last appointment made before the intervention started
            basis, planned = "none", None
            for made, when in plannings:
                if made < work.start:
                    basis, planned = "appointment", when
            arrivals.append(_arrival(cal, index, basis, planned, work, rules.late, False))
    if len(arrivals) > 1:
        arrivals.sort(key=_first)
    return tuple(arrivals)


def _times(cal, reported, arrival_at, line: Timeline, now) -> tuple:
    """The summary times: the first arrival, working time to it and to the resolution, working time paused."""
    resolved_at = line.resolved_at
    return (
        arrival_at,
        cal.between(reported, arrival_at) if arrival_at is not None else None,
        cal.between(reported, resolved_at) if resolved_at is not None else None,
        paused_time(cal, reported, resolved_at or now, line.waits) if line.waits else ZERO,
    )


#: A TicketSla's summary times when they are not computed.
_NO_TIMES = (None, None, None, ZERO)


def _target(cal, kind, duration, start, met_at, pauses, now) -> Target:
    if not pauses:  # the common case, without the walk over pauses
        try:
            due = cal.add(start, duration)
        except BeyondHorizon:  # the calendar closed for a century: no due time (validate reports the target)
            due = None
        status, late = _status(due, met_at, now, cal)
        return _record(Target, (kind, duration, start, due, met_at, status, late, ZERO))
    relevant = [p for p in pauses if met_at is None or p[0] < met_at]
    due = due_time(cal, start, duration, relevant)
    status, late = _status(due, met_at, now, cal)
    paused = paused_time(cal, start, met_at or now, relevant)
    return _record(Target, (kind, duration, start, due, met_at, status, late, paused))


_NONE, _ALL = Decimal(0), Decimal(100)  # percents of a reduction


def _arrival(cal, index: int, basis: str, deadline, work: Intervention, rule, repeat: bool) -> Arrival:
    """The intervention ``work`` against ``deadline``, and the reduction that ``rule`` gives when it was late."""
    start = work.start
    late = cal.between(deadline, start) if deadline is not None and start > deadline else ZERO
    if late <= ZERO or rule is None:
        return _record(Arrival, (index, basis, deadline, late, None, _NONE, 0, repeat))
    if rule == "waive":
        return _record(Arrival, (index, basis, deadline, late, "waive", _ALL, 0, repeat))
    minutes = int(late.total_seconds() // 60)  # the rule is a LateDiscount: a percent per started or full hour
    counted = "started" if rule.per_started_hour else "full"
    hours = -(-minutes // 60) if rule.per_started_hour else minutes // 60
    return _record(Arrival, (index, basis, deadline, late, counted, min(_ALL, rule.percent * hours), hours, repeat))


# ---------------------------------------------------------------- summaries


@dataclass(frozen=True)
class Summary:
    """Compliance of a set of tickets."""

    tickets: int = 0
    targets: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0
    provider_reschedules: int = 0
    mean_to_arrival: Optional[dt.timedelta] = None
    mean_to_resolution: Optional[dt.timedelta] = None
    breaches: tuple = field(default=(), repr=False)

    @property
    def compliance(self) -> Optional[Decimal]:
        """Met targets as a percentage of the decided ones (met or breached), to 0.1."""
        decided = self.met + self.breached
        if not decided:
            return None
        return (Decimal(self.met * 100) / decided).quantize(Decimal("0.1"))


class Tally(NamedTuple):
    """What one ticket adds to a summary: small, so it travels cheaply between processes.

    Times are whole seconds (every moment is), so that :func:`tally` can hand
    over a plain tuple of integers: pickled and unpickled in C, where named
    tuples and timedeltas each need a call into Python.
    """

    met: int
    breached: int
    running: int
    reschedules: int
    to_arrival: Optional[int]  # seconds of working time
    to_resolution: Optional[int]


def tally(result: TicketSla) -> tuple:
    """The ticket's :class:`Tally`, as a plain tuple in the same order."""
    statuses = [t.status for t in result.targets]
    arrival, resolution = result.to_arrival, result.to_resolution
    return (statuses.count("met"), statuses.count("breached"), statuses.count("running"), result.provider_reschedules,
            None if arrival is None else arrival // SECOND, None if resolution is None else resolution // SECOND)


def summarize_tallies(tallies: Sequence[tuple], breaches: tuple = ()) -> Summary:
    """The summary of tickets given by their tallies (:func:`tally`)."""
    met = breached = running = moved = 0
    arrivals, resolutions = [], []
    for t in tallies:  # one pass: the tallies lie all over the heap, each visit is a trip to memory
        met += t[0]
        breached += t[1]
        running += t[2]
        moved += t[3]
        if t[4] is not None:
            arrivals.append(t[4])
        if t[5] is not None:
            resolutions.append(t[5])
    return Summary(
        tickets=len(tallies),
        targets=met + breached + running,
        met=met,
        breached=breached,
        running=running,
        provider_reschedules=moved,
        mean_to_arrival=_mean(arrivals),
        mean_to_resolution=_mean(resolutions),
        breaches=breaches,
    )


def summarize(results: Sequence[TicketSla]) -> Summary:
    breaches = tuple((r, t) for r in results for t in r.targets if t.status == "breached")
    return summarize_tallies([tally(r) for r in results], breaches)


def _mean(seconds: Sequence[int]) -> Optional[dt.timedelta]:
    """The mean of durations in seconds, to the minute (the sum exact, in integers)."""
    if not seconds:
        return None
    return dt.timedelta(minutes=round(sum(seconds) / len(seconds) / 60))


# ---------------------------------------------------------------- plain data


_ISO: dict[tuple, str] = {}


def _iso(moment: Optional[dt.datetime], tz) -> Optional[str]:
    """The moment as ISO 8601 text in ``tz``; remembered, as due times and the
    ends of working days repeat across thousands of tickets."""
    if moment is None:
        return None
    if moment.tzinfo is not dt.timezone.utc:  # only UTC moments (all of the model's) are keys: two wall
        return moment.astimezone(tz).isoformat()  # times a fold apart compare equal in their own zone
    key = (moment, tz)
    text = _ISO.get(key)
    if text is None:
        if len(_ISO) > 100_000:
            _ISO.clear()
        text = _ISO[key] = moment.astimezone(tz).isoformat()
    return text


def _minutes(value: Optional[dt.timedelta]) -> Optional[int]:
    return value // MINUTE if value is not None else None


def ticket_json(result: TicketSla, tz) -> dict:
    """A ticket's SLA as the data format's JSON shows it (with a few more keys)."""
    iso = _iso
    hours = result.user_hours
    targets = result.targets
    return {
        "id": result.id,
        "customer": result.customer,
        "priority": result.priority,
        "plan": result.plan,
        "reported": iso(result.reported, tz),
        "targets": [
            {
                "kind": t.kind,
                "due": iso(t.due, tz),
                "met_at": iso(t.met_at, tz),
                "status": t.status,
                "late_minutes": t.late_minutes,
                "paused_minutes": t.paused // MINUTE,
            }
            for t in targets
        ],
        "provider_reschedules": result.provider_reschedules,
        "breached": any(t.status == "breached" for t in targets),
        "resolved_at": iso(result.resolved_at, tz),
        "downtime_minutes": result.downtime // MINUTE,
        "users_blocked": result.users_blocked,
        "user_hours_lost": None if hours is None else str(hours),
        "arrivals": [
            {
                "intervention": a.index,
                "basis": a.basis,
                "deadline": iso(a.deadline, tz),
                "late_minutes": a.late_minutes,
                "reduction_percent": str(a.percent),
                "repeat_visit": a.repeat,
            }
            for a in result.arrivals
        ],
    }


def summary_json(summary: Summary) -> dict:
    return {
        "tickets": summary.tickets,
        "targets": summary.targets,
        "met": summary.met,
        "breached": summary.breached,
        "running": summary.running,
        "provider_reschedules": summary.provider_reschedules,
        "compliance_percent": str(summary.compliance) if summary.compliance is not None else None,
        "mean_minutes_to_arrival": _minutes(summary.mean_to_arrival),
        "mean_minutes_to_resolution": _minutes(summary.mean_to_resolution),
    }
