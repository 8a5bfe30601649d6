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

Lifecycle rules (the data format's "Lifecycle events"):

- a resolution meets every other target still unmet; one met in time runs
  again after a reopening, from the reopening (the span is a pause for it);
  one met late stays breached;
- a cancellation ends the ticket: an unmet target past due is breached (late
  up to the cancellation), any other is ``cancelled``, and runs again after a
  reopening as after a resolution;
- a change to a higher priority adds, for each of its target kinds not met
  yet, a target counted from the change; of two targets of one kind, the one
  due earlier stands. An intervention's late rule is that of the highest
  priority the ticket had before it started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from bisect import bisect_left
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Iterator, NamedTuple, Optional, Sequence

from gitdesk.core.calendar import BeyondHorizon, WorkCalendar
from gitdesk.core.errors import Problem, at
from gitdesk.core.model import Intervention, LogEvent, Plan, Ticket
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
    status: str  # met | breached | running | cancelled
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


class Cancellation(NamedTuple):
    """The cancellation that ended a ticket: when, and why (``duplicate``, ``withdrawn`` or a text)."""

    at: dt.datetime
    reason: Optional[str]


class Escalation(NamedTuple):
    """A change of the ticket's priority to a higher one: from then on, the new priority's targets run too."""

    at: dt.datetime
    before: str
    to: str


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
    downtime: Optional[dt.timedelta]  # only where users were blocked (None: the ticket does not say): see _downtime
    users_blocked: Optional[int]
    first_arrival: Optional[dt.datetime] = None
    to_arrival: Optional[dt.timedelta] = None  # working time, report to first arrival
    to_resolution: Optional[dt.timedelta] = None  # working time, report to resolution
    paused: dt.timedelta = ZERO
    cancelled: Optional[Cancellation] = None  # the cancellation that stands (None: not cancelled)
    priority_now: Optional[str] = None  # the priority in force at the moment of evaluation
    escalations: tuple[Escalation, ...] = ()
    downtime_basis: Optional[str] = None  # "working" (the plan's working time) or "calendar" (a 24/7 calendar)

    @property
    def breached(self) -> bool:
        return any(t.status == "breached" for t in self.targets)

    @property
    def standing(self) -> Optional[str]:
        """The ticket's targets in one word: ``breached`` if one was missed, else ``running`` if one still runs,
        else ``met`` if one was met, else ``cancelled`` (None: no target)."""
        found = {t.status for t in self.targets}
        return next((s for s in ("breached", "running", "met", "cancelled") if s in found), None)

    @property
    def unmet(self) -> tuple["Target", ...]:
        """The targets still to be met: what an open request waits for."""
        return tuple(t for t in self.targets if t.met_at is None)

    @property
    def open(self) -> bool:
        """Neither resolved nor cancelled."""
        return self.resolved_at is None and self.cancelled is None

    @property
    def user_hours(self) -> Optional[Decimal]:
        """Working hours lost by the blocked users (users × downtime in hours, to 0.01)."""
        if self.users_blocked is None or self.downtime is None:
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

    waits: list  # (from, to) of each waiting … resumed (or resolved, cancelled); to None: still waiting
    closes: list  # (at, how, reopened) of each resolution or cancellation (how) that ended the ticket; reopened None: it stands
    plannings: list  # (at, planned) of every confirmed and rescheduled event, in time order
    acks: list  # the moment of every acknowledged or confirmed event, in time order
    confirms: list  # the moment of every confirmed event, in time order
    reschedules: int  # appointments the provider moved
    changes: list  # (at, to) of every priority event, in time order
    reason: Optional[str]  # the reason of the last cancellation

    @property
    def reopened(self) -> list:
        """(ended, reopened) of each resolution or cancellation the ticket was reopened from."""
        return [(at, again) for at, _, again in self.closes if again is not None]

    @property
    def acknowledged(self) -> Optional[dt.datetime]:
        """The first acknowledged or confirmed event."""
        return self.acks[0] if self.acks else None

    @property
    def confirmed(self) -> Optional[dt.datetime]:
        """The first confirmed event."""
        return self.confirms[0] if self.confirms else None

    @property
    def resolved_at(self) -> Optional[dt.datetime]:
        """The resolution that stands: the ticket is resolved and not reopened since."""
        return self._standing("resolved")

    @property
    def cancelled(self) -> Optional[Cancellation]:
        """The cancellation that stands: the ticket is cancelled and not reopened since."""
        at = self._standing("cancelled")
        return Cancellation(at, self.reason) if at is not None else None

    def _standing(self, how: str) -> Optional[dt.datetime]:
        if self.closes:
            at, ended, again = self.closes[-1]
            if again is None and ended == how:
                return at
        return None

    def closed_at(self, moment: dt.datetime) -> bool:
        """Whether the ticket stood resolved or cancelled at ``moment``."""
        return any(at <= moment and (again is None or again > moment) for at, _, again in self.closes)


class _Fold:
    """The state of the fold of a ticket's events: the timeline's lists, the open wait."""

    __slots__ = ("waits", "closes", "plannings", "acks", "confirms", "reschedules", "changes", "reason", "waiting")

    def __init__(self):
        self.waits: list = []
        self.closes: list = []
        self.plannings: list = []
        self.acks: list = []
        self.confirms: list = []
        self.changes: list = []
        self.reschedules = 0
        self.reason: Optional[str] = None
        self.waiting: Optional[dt.datetime] = None  # when the open wait began


def _on_acknowledged(f: _Fold, e: LogEvent) -> None:
    f.acks.append(e.at)


def _on_confirmed(f: _Fold, e: LogEvent) -> None:
    """A confirmation acknowledges, confirms and makes an appointment."""
    f.acks.append(e.at)
    f.confirms.append(e.at)
    _on_rescheduled(f, e)


def _on_rescheduled(f: _Fold, e: LogEvent) -> None:
    f.plannings.append((e.at, e.planned))
    f.reschedules += e.side == "provider"  # moved by the provider (only a rescheduled event has a side)


def _on_waiting(f: _Fold, e: LogEvent) -> None:
    if f.waiting is None:
        f.waiting = e.at
        f.waits.append((e.at, None))


def _on_resumed(f: _Fold, e: LogEvent) -> None:
    if f.waiting is not None:
        f.waits[-1] = (f.waiting, e.at)
        f.waiting = None


def _on_resolved(f: _Fold, e: LogEvent) -> None:
    _close(f, e, "resolved")


def _on_cancelled(f: _Fold, e: LogEvent) -> None:
    _close(f, e, "cancelled")


def _close(f: _Fold, e: LogEvent, how: str) -> None:
    """A resolution or a cancellation: the end of a wait, and of the ticket unless it has ended already."""
    _on_resumed(f, e)
    if not f.closes or f.closes[-1][2] is not None:
        f.closes.append((e.at, how, None))
        if how == "cancelled":
            f.reason = e.reason


def _on_reopened(f: _Fold, e: LogEvent) -> None:
    if f.closes and f.closes[-1][2] is None:
        at, how, _ = f.closes[-1]
        f.closes[-1] = (at, how, e.at)


def _on_priority(f: _Fold, e: LogEvent) -> None:
    f.changes.append((e.at, e.to))


def _on_assigned(f: _Fold, e: LogEvent) -> None:
    """The assignee (:func:`gitdesk.core.desk.assignee_of`) changes no clock."""


_ON = {
    "acknowledged": _on_acknowledged, "confirmed": _on_confirmed, "rescheduled": _on_rescheduled,
    "waiting": _on_waiting, "resumed": _on_resumed, "resolved": _on_resolved, "reopened": _on_reopened,
    "cancelled": _on_cancelled, "priority": _on_priority, "assigned": _on_assigned,
}


def timeline(log: Sequence[LogEvent], now: dt.datetime) -> Timeline:
    """The ticket's timeline at ``now``: one pass over its events in time order, ties in the file's order.

    Pauses open and close like brackets: ``waiting`` while already waiting,
    ``resumed`` while not waiting, ``resolved`` or ``cancelled`` while the
    ticket has ended and ``reopened`` while it has not change nothing. A
    resolution or a cancellation also ends a wait; a confirmation also
    acknowledges.
    """
    f = _Fold()
    for e in happened(log, now):
        _ON[e.event](f, e)
    return _record(Timeline, (f.waits, f.closes, f.plannings, f.acks, f.confirms, f.reschedules, f.changes, f.reason))


def happened(log: Sequence[LogEvent], now: dt.datetime) -> Sequence[LogEvent]:
    """The events of ``log`` up to ``now`` in time order (the sort is stable: ties keep the file's order)."""
    events = sorted(log, key=_at) if len(log) > 1 else log
    if events and events[-1].at > now:
        events = [e for e in events if e.at <= now]
    return events


# ---------------------------------------------------------------- evaluation


class _Priorities(NamedTuple):
    """What the ticket's priority events do: the priority now, the escalations and the late rules."""

    now: str
    escalations: tuple  # Escalation of each change to a higher priority
    raised: dict  # kind -> [(at, duration)]: the targets each escalation adds
    lates: list  # (from, late rule): the rule of the highest priority had so far, from each new highest one


def _priorities(prepared, terms, rules, first: str, changes: list) -> _Priorities:
    """The ticket's priority changes, ranked in its plan (the first priority listed is the highest).

    A change to a priority the ticket's plan does not have changes nothing.
    """
    rank = {name: i for i, name in enumerate(terms.plan.priorities)}
    current, top = first, rank[first]
    escalations: list = []
    raised: dict = {}
    lates = [(None, rules.late)]
    for when, to in changes:
        new = rank.get(to)
        clocks = prepared.clocks(terms.plan_id, to)
        if new is None or clocks is None:
            continue
        if new < rank[current]:
            escalations.append(_record(Escalation, (when, current, to)))
            for kind, duration in clocks.targets:
                raised.setdefault(kind, []).append((when, duration))
        if new < top:
            top = new
            lates.append((when, clocks.late))
        current = to
    return _record(_Priorities, (current, tuple(escalations), raised, lates))


def _evaluate(repo: "Repository", ticket: Ticket, now: dt.datetime, whole: bool) -> TicketSla:
    """The ticket's SLA at ``now``; without ``whole``, only what the arrivals need."""
    reported = ticket.reported
    prepared = repo.rules
    terms = terms_on(repo, repo.customers.get(ticket.customer), reported.astimezone(prepared.tz).date())
    line = timeline(ticket.log, now)
    resolved_at, cancelled = line.resolved_at, line.cancelled
    head = (ticket.id, ticket.customer, ticket.priority, terms.plan_id, reported)
    end = resolved_at or (cancelled.at if cancelled is not None else now)
    rules = prepared.clocks(terms.plan_id, ticket.priority)
    down = _downtime(rules.calendar if rules is not None else prepared.calendar(terms.plan.calendar) if terms.plan else None,
                     ticket.users_blocked, reported, end)
    tail = (line.reschedules, resolved_at, down[0], ticket.users_blocked)
    if rules is None:
        return _record(TicketSla, (*head, (), (), *tail, *_NO_TIMES, cancelled, ticket.priority, (), down[1]))
    cal = rules.calendar
    changes = _priorities(prepared, terms, rules, ticket.priority, line.changes) if line.changes else None
    indexed = _visits(ticket.interventions, now)
    works = [w for _, w in indexed]
    meets = _Meets(line, works, rules.remote_counts)
    targets = _targets(cal, rules.targets, changes, meets, line, reported, now, whole)
    onsite = next((t for t in targets if t.kind == "onsite"), None)
    repeat_due: dict = {}
    if rules.repeat is not None and works:
        repeats, repeat_due = _repeats(cal, rules.repeat, works, line, now)
        targets += repeats
    lates = changes.lates if changes is not None else [(None, rules.late)]
    arrivals = _arrivals(cal, rules, indexed, repeat_due, onsite, lates, line.plannings)
    arrival_at = meets.onsite[0] if meets.onsite else (meets.starts[0] if works else None)
    times = _times(cal, reported, arrival_at, line, end, now) if whole else _NO_TIMES
    lifecycle = (cancelled, changes.now, changes.escalations) if changes is not None else (cancelled, ticket.priority, ())
    return _record(TicketSla, (*head, tuple(targets), arrivals, *tail, *times, *lifecycle, down[1]))


def _downtime(cal: Optional[WorkCalendar], users_blocked: Optional[int], reported: dt.datetime,
              end: dt.datetime) -> tuple[Optional[dt.timedelta], Optional[str]]:
    """How long the blocked users could not work, and in which time: ``(downtime, basis)``.

    Only a ticket that says how many users were blocked has a downtime (else
    ``(None, None)``). It runs from the report to the resolution, the
    cancellation or ``end`` (the moment of evaluation while the request is
    open), counted in the working time of the plan's calendar ("working"):
    nobody is kept from working at night or on a Sunday. A calendar open
    around the clock every day counts calendar time ("calendar").
    """
    if users_blocked is None or cal is None:
        return None, None
    if cal.always_open:
        return max(end - reported, ZERO), "calendar"
    return cal.between(reported, end), "working"


def _visits(done: Sequence[Intervention], now: dt.datetime) -> list:
    """``(index in the file, intervention)`` of each intervention started by ``now``, in order of start."""
    if len(done) == 1:  # the common case, without sorting
        return [(0, done[0])] if done[0].start <= now else []
    return sorted(((i, w) for i, w in enumerate(done) if w.start <= now), key=_started)


class _Meets:
    """What meets a target of each kind by itself (a resolution aside): sorted lists of moments.

    ``acknowledge``: an acknowledged or confirmed event, or an intervention's
    start; ``confirm``: a confirmed event, or an intervention's start;
    ``onsite``: the start of an on-site intervention (or a remote one, where
    the plan counts it); ``resolve``: only a resolution.
    """

    __slots__ = ("starts", "onsite", "of")

    def __init__(self, line: Timeline, works: Sequence[Intervention], remote_counts: bool):
        self.starts = [w.start for w in works]
        self.onsite = [w.start for w in works if w.mode == "onsite" or (remote_counts and w.mode == "remote")]
        self.of = {"acknowledge": (line.acks, self.starts), "confirm": (line.confirms, self.starts),
                   "onsite": (self.onsite,), "resolve": ()}


def _first_after(lists: Sequence[list], since: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """The earliest moment at or after ``since`` (None: any) in sorted lists of moments."""
    first = None
    for moments in lists:
        i = bisect_left(moments, since) if since is not None else 0
        if i < len(moments) and (first is None or moments[i] < first):
            first = moments[i]
    return first


#: The kinds of a priority's targets, in the data format's order.
KINDS = ("acknowledge", "confirm", "onsite", "resolve")


def _targets(cal, kinds, changes: Optional[_Priorities], meets: _Meets, line: Timeline, reported, now, whole) -> list:
    """The targets of the ticket's priority and of the higher ones it was raised to, one per kind, in the
    format's order (only ``onsite`` without ``whole``)."""
    if changes is None or not changes.raised:  # the common case: the reported priority's targets
        return [_promise(cal, kind, duration, reported, None, meets.of[kind], line, now)[0]
                for kind, duration in kinds if whole or kind == "onsite"]
    first = dict(kinds)
    targets = []
    for kind in KINDS:
        if not whole and kind != "onsite":
            continue
        current = None
        if kind in first:
            current = _promise(cal, kind, first[kind], reported, None, meets.of[kind], line, now)
        for when, duration in changes.raised.get(kind, ()):
            current = _raised(cal, kind, current, when, duration, meets.of[kind], line, now)
        if current is not None:
            targets.append(current[0])
    return targets


def _raised(cal, kind, current: Optional[tuple], when, duration, meets, line: Timeline, now) -> Optional[tuple]:
    """The target of ``kind`` after an escalation at ``when`` offers one of ``duration``: the one due earlier.

    Nothing changes when the ticket had met the kind by then (or stood
    resolved or cancelled); a new target counts from the change.
    """
    if line.closed_at(when):
        return current
    if current is None:
        met = _first_after(meets, None)
        return None if met is not None and met <= when else _promise(cal, kind, duration, when, when, meets, line, now)
    target, pauses = current
    if target.met_at is not None and target.met_at <= when:
        return current
    used = cal.between(target.start, when) - paused_time(cal, target.start, when, pauses)
    if target.duration - used <= duration:  # due no later than a new one would be
        return current
    return _promise(cal, kind, duration, when, when, meets, line, now)


def _promise(cal, kind, duration, start, since, meets, line: Timeline, now) -> tuple[Target, list]:
    """The target of ``kind`` counted from ``start`` as it stands at ``now``, and the pauses of its clock.

    It is met by the first of ``meets`` (at or after ``since``; None: any),
    unless a resolution or a cancellation comes first: see :func:`_answer`.
    """
    if not line.closes:  # the common case: no resolution or cancellation yet
        return _target(cal, kind, duration, start, _first_after(meets, since), line.waits, now), line.waits
    pauses = list(line.waits)
    for closed, how, reopened in line.closes:
        if closed < start:
            continue
        met = _first_after(meets, since)
        if met is not None and met <= closed:
            break
        ended = _answer(cal, kind, duration, start, closed, how, reopened, _merged(pauses), now)
        if ended is not None:
            return ended
        pauses.append((closed, reopened))
        since = reopened
    pauses = _merged(pauses)
    return _target(cal, kind, duration, start, _first_after(meets, since), pauses, now), pauses


def _answer(cal, kind, duration, start, closed, how, reopened, pauses, now) -> Optional[tuple[Target, list]]:
    """What a resolution or cancellation at ``closed`` does to an unmet target: its final state, or None
    when the target runs again from the reopening (the span then is a pause for it).

    A resolution meets the target (late: breached); the ``resolve`` target runs
    on after any reopening. A cancellation past due breaches it (late up to the
    cancellation); before its due time, the target is cancelled.
    """
    if how == "resolved":
        if reopened is None:
            return _target(cal, kind, duration, start, closed, pauses, now), pauses
        if kind == "resolve":
            return None
    relevant = [p for p in pauses if p[0] < closed]
    due = due_time(cal, start, duration, relevant)
    if due is not None and closed > due:
        if how == "resolved":
            return _target(cal, kind, duration, start, closed, pauses, now), pauses
        late = _record(Target, (kind, duration, start, due, None, "breached", cal.between(due, closed),
                                paused_time(cal, start, closed, relevant)))
        return late, pauses
    if reopened is not None:
        return None
    cancelled = _record(Target, (kind, duration, start, due, None, "cancelled", ZERO, paused_time(cal, start, closed, relevant)))
    return cancelled, pauses


def _merged(pauses: list) -> list:
    """Pauses sorted by their start, overlapping ones made one (an open one, to None, takes in all after it)."""
    out: list = []
    for p_from, p_to in sorted(pauses, key=_first):
        if out and (out[-1][1] is None or p_from <= out[-1][1]):
            last_from, last_to = out[-1]
            out[-1] = (last_from, None if last_to is None or p_to is None else max(last_to, p_to))
        else:
            out.append((p_from, p_to))
    return out


def _repeats(cal, duration, works: Sequence[Intervention], line: Timeline, now) -> tuple[list, dict]:
    """A ``repeat`` target after each unresolved intervention ended by ``now``: the next one is due within
    ``duration`` (the top priority's). Also the due time of each repeat visit, by its place in ``works``."""
    targets = []
    due = {}
    for i, work in enumerate(works):
        if work.outcome != "unresolved" or work.end > now:
            continue
        later = i + 1 < len(works)
        meets = ([works[i + 1].start],) if later else ()
        target = _promise(cal, "repeat", duration, work.end, None, meets, line, now)[0]
        targets.append(target)
        if later:
            due[i + 1] = target.due
    return targets, due


def _arrivals(cal, rules, indexed: list, repeat_due: dict, onsite: Optional[Target], lates: list, plannings) -> tuple:
    """Each intervention against its deadline, in the file's order: a repeat visit against its repeat target
    (the top priority's late rule), the one that met the ``onsite`` target against it, any other against
    the appointment it keeps (none: never late). The late rule: the highest priority's before the start."""
    arrivals = []
    onsite_at = onsite.met_at if onsite is not None else None
    for i, (index, work) in enumerate(indexed):
        if i in repeat_due:
            arrivals.append(_arrival(cal, index, "repeat", repeat_due[i], work, rules.top_late, True))
            continue
        late = _late_rule(lates, work.start)
        if onsite_at is not None and work.start == onsite_at and _can_be_onsite(work, rules.remote_counts):
            arrivals.append(_arrival(cal, index, "onsite", onsite.due, work, late, False))
            onsite_at = None
            continue
        planned = _appointment(plannings, work.start, indexed[i - 1][1].start if i else None)
        arrivals.append(_arrival(cal, index, "appointment" if planned else "none", planned, work, late, False))
    if len(arrivals) > 1:
        arrivals.sort(key=_first)
    return tuple(arrivals)


def _can_be_onsite(work: Intervention, remote_counts: bool) -> bool:
    return work.mode == "onsite" or (remote_counts and work.mode == "remote")


def _late_rule(lates: list, start: dt.datetime):
    """The late rule of the highest priority the ticket had before ``start``."""
    rule = lates[0][1]
    for since, later in lates[1:]:
        if since < start:
            rule = later
    return rule


def _appointment(plannings: list, start: dt.datetime, previous: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """The planned time of the latest appointment made before ``start``, unless the intervention before
    this one (started at ``previous``) started after it was made: an appointment is kept by one visit."""
    made = planned = None
    for moment, when in plannings:
        if moment < start:
            made, planned = moment, when
    if made is None or (previous is not None and previous > made):
        return None
    return planned


def _times(cal, reported, arrival_at, line: Timeline, end, now) -> tuple:
    """The summary times: the first arrival, working time to it and to the resolution, working time paused
    (up to the resolution, the cancellation or ``now``)."""
    resolved_at = line.resolved_at
    return (
        arrival_at,
        cal.between(reported, arrival_at) if arrival_at is not None else None,
        cal.between(reported, resolved_at) if resolved_at is not None else None,
        paused_time(cal, reported, end, line.waits) if line.waits else ZERO,
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
    cancelled: int = 0  # targets of cancelled tickets, neither met nor breached: not among ``targets``
    provider_reschedules: int = 0
    mean_to_arrival: Optional[dt.timedelta] = None
    mean_to_resolution: Optional[dt.timedelta] = None
    breaches: tuple = field(default=(), repr=False)

    @property
    def decided(self) -> int:
        """Targets met or breached: what compliance is a share of (running ones are not decided yet)."""
        return self.met + self.breached

    @property
    def compliance(self) -> Optional[Decimal]:
        """Met targets as a percentage of the decided ones (met or breached), to 0.1."""
        decided = self.decided
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
    cancelled: int


def tally(result: TicketSla) -> tuple:
    """The ticket's :class:`Tally`, as a plain tuple in the same order."""
    statuses = [t.status for t in result.targets]
    arrival, resolution = result.to_arrival, result.to_resolution
    return (statuses.count("met"), statuses.count("breached"), statuses.count("running"), result.provider_reschedules,
            None if arrival is None else arrival // SECOND, None if resolution is None else resolution // SECOND,
            statuses.count("cancelled"))


def summarize_tallies(tallies: Sequence[tuple], breaches: tuple = ()) -> Summary:
    """The summary of tickets given by their tallies (:func:`tally`)."""
    met = breached = running = moved = cancelled = 0
    arrivals, resolutions = [], []
    for t in tallies:  # one pass: the tallies lie all over the heap, each visit is a trip to memory
        met += t[0]
        breached += t[1]
        running += t[2]
        moved += t[3]
        cancelled += t[6]
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
        cancelled=cancelled,
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
    cancelled = result.cancelled
    return {
        "id": result.id,
        "customer": result.customer,
        "priority": result.priority,
        "priority_now": result.priority_now,
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
        "cancelled": None if cancelled is None else {"at": iso(cancelled.at, tz), "reason": cancelled.reason},
        "escalations": [{"at": iso(e.at, tz), "from": e.before, "to": e.to} for e in result.escalations],
        "downtime_minutes": _minutes(result.downtime),
        "downtime_basis": result.downtime_basis,
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
        "cancelled": summary.cancelled,
        "provider_reschedules": summary.provider_reschedules,
        "compliance_percent": str(summary.compliance) if summary.compliance is not None else None,
        "decided": summary.decided,  # met + breached: what compliance_percent is of
        "mean_minutes_to_arrival": _minutes(summary.mean_to_arrival),
        "mean_minutes_to_resolution": _minutes(summary.mean_to_resolution),
    }
