"""Did the provider keep its promises? SLA targets computed from a ticket's event log.

Pure functions: :func:`evaluate` takes the repository's context (provider,
plans, customers), one ticket and the moment of evaluation, and returns a
:class:`TicketSla`: every target of the ticket's priority (and a ``repeat``
target after each unresolved intervention) with its due time, the moment it
was met, its status and how late it was in working time; the lateness of every
intervention against its arrival deadline, which the charges use; downtime.

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
from typing import TYPE_CHECKING, Iterator, NamedTuple, Optional, Sequence

from gitdesk.core.calendar import BeyondHorizon, WorkCalendar
from gitdesk.core.errors import Problem, at
from gitdesk.core.model import Intervention, LateDiscount, Plan, Ticket
from gitdesk.core.scalars import format_duration
from gitdesk.core.terms import terms_on

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository

ZERO = dt.timedelta(0)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)

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


class Evaluation(NamedTuple):
    """The loader's per-ticket task that evaluates every ticket at one moment.

    A named task rather than a closure, so the loader can tell that a result
    evaluated at or after everything a ticket records also serves its charges
    (:func:`gitdesk.core.charges.charges_as_recorded`) instead of evaluating twice.
    """

    now: dt.datetime

    def __call__(self, repo: "Repository", ticket: Ticket) -> "TicketSla":
        return evaluate(repo, ticket, self.now)


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


def _at(event) -> dt.datetime:
    return event.at


def _started(indexed: tuple) -> dt.datetime:
    return indexed[1].start


def _evaluate(repo: "Repository", ticket: Ticket, now: dt.datetime, whole: bool) -> TicketSla:
    # Written for speed: this runs for every ticket of every command. One pass over
    # the events gathers what the targets need; the plan's rules are prepared once.
    reported = ticket.reported
    terms = terms_on(repo, repo.customers.get(ticket.customer), reported.astimezone(repo.tz).date())
    log = ticket.log
    events = sorted(log, key=_at) if len(log) > 1 else list(log)  # stable: ties keep the file's order
    if events and events[-1].at > now:
        events = [e for e in events if e.at <= now]
    done = ticket.interventions
    if len(done) == 1:
        indexed = [(0, done[0])] if done[0].start <= now else []
    else:
        indexed = sorted(((i, w) for i, w in enumerate(done) if w.start <= now), key=_started)

    # Pauses: waiting…resumed for every target; resolved…reopened for `resolve` only.
    waits: list[tuple] = []
    solved: list[tuple] = []
    plannings: list[tuple] = []  # (at, planned) of confirmed and rescheduled events
    reschedules = 0
    acknowledged = confirmed = None  # the first event that meets each target
    for e in events:
        kind = e.event
        if kind == "confirmed" or kind == "rescheduled":
            plannings.append((e.at, e.planned))
            if kind == "confirmed":
                if confirmed is None:
                    confirmed = e.at
                if acknowledged is None:
                    acknowledged = e.at
            elif e.side == "provider":
                reschedules += 1
        elif kind == "acknowledged":
            if acknowledged is None:
                acknowledged = e.at
        elif kind == "waiting":
            if not waits or waits[-1][1] is not None:
                waits.append((e.at, None))
        elif kind == "resumed" or kind == "resolved":
            if waits and waits[-1][1] is None:
                waits[-1] = (waits[-1][0], e.at)
            if kind == "resolved" and (not solved or solved[-1][1] is not None):
                solved.append((e.at, None))
        elif kind == "reopened" and solved and solved[-1][1] is None:
            solved[-1] = (solved[-1][0], e.at)
    resolved_at = solved[-1][0] if solved and solved[-1][1] is None else None
    reopened = [p for p in solved if p[1] is not None]
    downtime = (resolved_at or now) - reported
    if downtime < ZERO:
        downtime = ZERO
    head = (ticket.id, ticket.customer, ticket.priority, terms.plan_id, reported)
    tail = (reschedules, resolved_at, downtime, ticket.users_blocked)

    rules = repo.rules.clocks(terms.plan_id, ticket.priority)
    if rules is None:
        return TicketSla._make((*head, (), (), *tail, *_NO_TIMES))
    cal = rules.calendar
    works = [w for _, w in indexed]
    first_onsite = None
    for w in works:
        if w.mode == "onsite" or (w.mode == "remote" and rules.remote_counts):
            first_onsite = w
            break
    first_start = works[0].start if works else None
    targets: list[Target] = []
    onsite_target = None
    for kind, duration in rules.targets:
        if kind == "onsite":
            met_at = first_onsite.start if first_onsite is not None else None
        elif not whole:
            continue
        elif kind == "resolve":
            met_at = resolved_at
        else:  # acknowledge, confirm: the first such event, or the first intervention
            met_at = acknowledged if kind == "acknowledge" else confirmed
            if first_start is not None and (met_at is None or first_start < met_at):
                met_at = first_start
        pauses = waits
        if kind == "resolve" and reopened:  # the clock stops while the ticket was resolved, until reopened
            pauses = sorted(waits + reopened, key=_first)
        target = _target(cal, kind, duration, reported, met_at, pauses, now)
        if kind == "onsite":
            onsite_target = target
        targets.append(target)

    # Repeat visits: after an unresolved intervention, the next one is due under the top priority.
    repeat_due: dict[int, Optional[dt.datetime]] = {}
    repeat_duration = rules.repeat
    if repeat_duration is not None:
        for i, work in enumerate(works):
            if work.outcome != "unresolved" or work.end > now:
                continue
            nxt = works[i + 1].start if i + 1 < len(works) else None
            target = _target(cal, "repeat", repeat_duration, work.end, nxt, waits, now)
            targets.append(target)
            if i + 1 < len(works):
                repeat_due[i + 1] = target.due

    arrivals = []
    for i, (index, work) in enumerate(indexed):
        if i in repeat_due:
            arrivals.append(_arrival(cal, index, "repeat", repeat_due[i], work, rules.top_late, True))
        elif work is first_onsite and onsite_target is not None:
            arrivals.append(_arrival(cal, index, "onsite", onsite_target.due, work, rules.late, False))
        else:
            basis, planned = "none", None
            for at, when in plannings:  # the last appointment made before the arrival
                if at < work.start:
                    basis, planned = "appointment", when
            arrivals.append(_arrival(cal, index, basis, planned, work, rules.late, False))
    if len(arrivals) > 1:
        arrivals.sort(key=_first)

    if not whole:
        return TicketSla._make((*head, tuple(targets), tuple(arrivals), *tail, *_NO_TIMES))
    arrival_at = first_onsite.start if first_onsite is not None else first_start
    return TicketSla._make((
        *head, tuple(targets), tuple(arrivals), *tail,
        arrival_at,
        cal.between(reported, arrival_at) if arrival_at else None,
        cal.between(reported, resolved_at) if resolved_at else None,
        paused_time(cal, reported, resolved_at or now, waits) if waits else ZERO,
    ))


def _first(pair: tuple):
    return pair[0]


#: A TicketSla's summary times when they are not computed.
_NO_TIMES = (None, None, None, ZERO)


def _target(cal, kind, duration, start, met_at, pauses, now) -> Target:
    if not pauses:  # the common case, without the walk over pauses
        try:
            due = cal.add(start, duration)
        except BeyondHorizon:  # the calendar closed for a century: no due time (validate reports the target)
            due = None
        status, late = _status(due, met_at, now, cal)
        return Target(kind, duration, start, due, met_at, status, late, ZERO)
    relevant = [p for p in pauses if met_at is None or p[0] < met_at]
    due = due_time(cal, start, duration, relevant)
    status, late = _status(due, met_at, now, cal)
    paused = paused_time(cal, start, met_at or now, relevant)
    return Target(kind, duration, start, due, met_at, status, late, paused)


_NONE, _ALL = Decimal(0), Decimal(100)  # percents of a reduction


def _arrival(cal, index: int, basis: str, deadline, work: Intervention, rule, repeat: bool) -> Arrival:
    late = cal.between(deadline, work.start) if deadline is not None and work.start > deadline else ZERO
    percent, hours = _NONE, 0
    if late > ZERO and rule == "waive":
        percent = _ALL
    elif late > ZERO and isinstance(rule, LateDiscount):
        minutes = int(late.total_seconds() // 60)
        hours = -(-minutes // 60) if rule.per_started_hour else minutes // 60
        percent = min(_ALL, rule.percent * hours)
    kind = None
    if late > ZERO and rule is not None:
        kind = "waive" if rule == "waive" else ("started" if rule.per_started_hour else "full")
    return Arrival(index, basis, deadline, late, kind, percent, hours, repeat)


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
    tuples and timedeltas each cost a call into Python (3 µs a ticket).
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
    for t in tallies:  # one pass: 100,000 tallies lie all over the heap, each visit is a cache miss
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
