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
from typing import TYPE_CHECKING, NamedTuple, Optional, Sequence

from .calendar import WorkCalendar
from .model import Intervention, LateDiscount, Plan, Priority, Ticket
from .terms import terms_on

if TYPE_CHECKING:
    from .loader import Repository

ZERO = dt.timedelta(0)
HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)

#: Which events or interventions meet a target first.
MET_BY_EVENT = {"acknowledge": ("acknowledged", "confirmed"), "confirm": ("confirmed",)}


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
        return int(self.late.total_seconds() // 60)


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
        return int(self.late.total_seconds() // 60)


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
    return cal.add(cursor, remaining)


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
    """The plan's working-time calendar (cached on the repository)."""
    cache = repo.work_calendars
    found = cache.get(plan.calendar)
    if found is None:
        cal = repo.provider.calendars[plan.calendar]  # type: ignore[union-attr]
        found = cache[plan.calendar] = WorkCalendar.of(cal, repo.tz)
    return found


def _can_meet_onsite(work: Intervention, plan: Plan) -> bool:
    return work.mode == "onsite" or (work.mode == "remote" and plan.remote_counts_as_onsite)


def as_recorded(ticket: Ticket) -> dt.datetime:
    """The latest moment a ticket records: evaluated there, everything written has happened."""
    moments = [ticket.reported, *(e.at for e in ticket.log), *(w.end for w in ticket.interventions)]
    return max(moments)


class Evaluation(NamedTuple):
    """The loader's per-ticket task that evaluates every ticket at one moment.

    A named task rather than a closure, so the loader can tell that a result
    evaluated at or after everything a ticket records also serves its charges
    (:func:`gitdesk.charges.charges_as_recorded`) instead of evaluating twice.
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


def _evaluate(repo: "Repository", ticket: Ticket, now: dt.datetime, whole: bool) -> TicketSla:
    tz = repo.tz
    customer = repo.customers.get(ticket.customer)
    terms = terms_on(repo, customer, ticket.reported.astimezone(tz).date())
    plan = terms.plan
    events = sorted((e for e in ticket.log if e.at <= now), key=lambda e: e.at)
    indexed = sorted(((i, w) for i, w in enumerate(ticket.interventions) if w.start <= now), key=lambda iw: iw[1].start)
    works = [w for _, w in indexed]
    reschedules = sum(1 for e in events if e.event == "rescheduled" and e.side == "provider")

    # Pauses: waiting…resumed for every target; resolved…reopened for `resolve` only.
    waits: list[tuple] = []
    solved: list[tuple] = []
    for e in events:
        if e.event == "waiting" and (not waits or waits[-1][1] is not None):
            waits.append((e.at, None))
        elif e.event in ("resumed", "resolved") and waits and waits[-1][1] is None:
            waits[-1] = (waits[-1][0], e.at)
        if e.event == "resolved" and (not solved or solved[-1][1] is not None):
            solved.append((e.at, None))
        elif e.event == "reopened" and solved and solved[-1][1] is None:
            solved[-1] = (solved[-1][0], e.at)
    resolved_at = solved[-1][0] if solved and solved[-1][1] is None else None

    downtime = (resolved_at or now) - ticket.reported
    base = dict(
        id=ticket.id, customer=ticket.customer, priority=ticket.priority, plan=terms.plan_id,
        reported=ticket.reported, provider_reschedules=reschedules, resolved_at=resolved_at,
        downtime=max(downtime, ZERO), users_blocked=ticket.users_blocked,
    )
    if plan is None or ticket.priority not in plan.priorities or repo.provider is None or plan.calendar not in repo.provider.calendars:
        return TicketSla(targets=(), arrivals=(), **base)  # type: ignore[arg-type]
    cal = work_calendar(repo, plan)
    priority = plan.priorities[ticket.priority]
    top = plan.priorities[plan.top_priority]
    start = ticket.reported

    first_onsite = next((w for w in works if _can_meet_onsite(w, plan)), None)
    targets: list[Target] = []
    for kind, duration in priority.targets.items():
        if not whole and kind != "onsite":
            continue
        if kind in MET_BY_EVENT:
            candidates = [e.at for e in events if e.event in MET_BY_EVENT[kind]]
            if works:
                candidates.append(works[0].start)
            met_at = min(candidates) if candidates else None
        elif kind == "onsite":
            met_at = first_onsite.start if first_onsite else None
        else:  # resolve
            met_at = resolved_at
        pauses = waits
        if kind == "resolve":  # the clock stops while the ticket was resolved, until reopened
            pauses = sorted(waits + [p for p in solved if p[1] is not None], key=lambda p: p[0])
        targets.append(_target(cal, kind, duration, start, met_at, pauses, now))

    # Repeat visits: after an unresolved intervention, the next one is due under the top priority.
    repeat_kind, repeat_duration = _repeat_target(top)
    repeat_due: dict[int, Optional[dt.datetime]] = {}
    for i, work in enumerate(works):
        if work.outcome != "unresolved" or work.end > now or repeat_duration is None:
            continue
        nxt = works[i + 1].start if i + 1 < len(works) else None
        target = _target(cal, "repeat", repeat_duration, work.end, nxt, waits, now)
        targets.append(target)
        if i + 1 < len(works):
            repeat_due[i + 1] = target.due

    arrivals = []
    onsite_target = next((t for t in targets if t.kind == "onsite"), None)
    for i, (index, work) in enumerate(indexed):
        if i in repeat_due:
            arrivals.append(_arrival(cal, index, "repeat", repeat_due[i], work, top.late, True))
        elif work is first_onsite and onsite_target is not None:
            arrivals.append(_arrival(cal, index, "onsite", onsite_target.due, work, priority.late, False))
        else:
            planned = [e.planned for e in events if e.event in ("confirmed", "rescheduled") and e.at < work.start]
            arrivals.append(_arrival(cal, index, "appointment" if planned else "none", planned[-1] if planned else None, work, priority.late, False))
    arrivals.sort(key=lambda a: a.index)

    if not whole:
        return TicketSla(targets=tuple(targets), arrivals=tuple(arrivals), **base)  # type: ignore[arg-type]
    arrival_at = first_onsite.start if first_onsite else (works[0].start if works else None)
    return TicketSla(
        targets=tuple(targets),
        arrivals=tuple(arrivals),
        first_arrival=arrival_at,
        to_arrival=cal.between(start, arrival_at) if arrival_at else None,
        to_resolution=cal.between(start, resolved_at) if resolved_at else None,
        paused=paused_time(cal, start, resolved_at or now, waits),
        **base,  # type: ignore[arg-type]
    )


def _repeat_target(top: Priority) -> tuple[str, Optional[dt.timedelta]]:
    """The top priority's ``onsite`` target, or its first target."""
    if top.targets.onsite is not None:
        return "onsite", top.targets.onsite
    items = top.targets.items()
    return (items[0] if items else ("onsite", None))


def _target(cal, kind, duration, start, met_at, pauses, now) -> Target:
    relevant = [p for p in pauses if met_at is None or p[0] < met_at]
    due = due_time(cal, start, duration, relevant)
    status, late = _status(due, met_at, now, cal)
    paused = paused_time(cal, start, met_at or now, relevant)
    return Target(kind, duration, start, due, met_at, status, late, paused)


def _arrival(cal, index: int, basis: str, deadline, work: Intervention, rule, repeat: bool) -> Arrival:
    late = cal.between(deadline, work.start) if deadline is not None and work.start > deadline else ZERO
    percent, hours = Decimal(0), 0
    if late > ZERO and rule == "waive":
        percent = Decimal(100)
    elif late > ZERO and isinstance(rule, LateDiscount):
        minutes = int(late.total_seconds() // 60)
        hours = -(-minutes // 60) if rule.per_started_hour else minutes // 60
        percent = min(Decimal(100), rule.percent * hours)
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
    return int(value.total_seconds() // 60) if value is not None else None


def ticket_json(result: TicketSla, tz) -> dict:
    """A ticket's SLA as the data format's JSON shows it (with a few more keys)."""
    return {
        "id": result.id,
        "customer": result.customer,
        "priority": result.priority,
        "plan": result.plan,
        "reported": _iso(result.reported, tz),
        "targets": [
            {
                "kind": t.kind,
                "due": _iso(t.due, tz),
                "met_at": _iso(t.met_at, tz),
                "status": t.status,
                "late_minutes": t.late_minutes,
                "paused_minutes": _minutes(t.paused),
            }
            for t in result.targets
        ],
        "provider_reschedules": result.provider_reschedules,
        "breached": result.breached,
        "resolved_at": _iso(result.resolved_at, tz),
        "downtime_minutes": _minutes(result.downtime),
        "users_blocked": result.users_blocked,
        "user_hours_lost": str(result.user_hours) if result.user_hours is not None else None,
        "arrivals": [
            {
                "intervention": a.index,
                "basis": a.basis,
                "deadline": _iso(a.deadline, tz),
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
