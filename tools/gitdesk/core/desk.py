"""What a technician's desk shows: the work queue, and one ticket's facts.

Pure functions over a :class:`~gitdesk.core.repository.Repository` already
loaded (its tickets, their SLA at one moment in ``Repository.sla``, their
priced work in ``Repository.works``): which requests are open, what each one
waits for next and how much working time is left for it; a ticket's state,
current priority and timeline; the statement lines of each of its work
reports. Commands only format these facts.

A request's state is read from its log (the latest of ``resolved``,
``cancelled``, ``reopened``, ``waiting`` and ``resumed`` up to the moment),
so a cancelled request leaves the queue whether or not its SLA already knows
cancellations.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Optional, Sequence

from gitdesk.core import charges
from gitdesk.core.model import Intervention, Ticket
from gitdesk.core.scalars import month_of
from gitdesk.core.sla import Target, TicketSla, happened, work_calendar

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository

ZERO = dt.timedelta(0)
#: The states of a request, as the queue shows them.
OPEN, WAITING, RESOLVED, CANCELLED = "open", "waiting", "resolved", "cancelled"
#: What each event makes of the request's state (the others leave it as it is).
_STATE_AFTER = {"resolved": RESOLVED, "cancelled": CANCELLED, "reopened": OPEN, "waiting": WAITING, "resumed": OPEN}

class Standing(NamedTuple):
    """Where a request stands at a moment, from its log: its state, the priority in force, its assignee."""

    state: str
    priority: str
    assignee: Optional[str]


def standing(ticket: Ticket, now: dt.datetime) -> Standing:
    """The request at ``now``: one pass over its events up to then (:func:`gitdesk.core.sla.happened`).

    The state is ``open``, ``waiting``, ``resolved`` or ``cancelled``:
    ``waiting`` and ``resumed`` do not change a resolved or cancelled request
    (only ``reopened`` opens it again). The priority is that of the latest
    ``priority`` event, else the ticket's own; the assignee the team member of
    the latest ``assigned`` event (None: nobody).
    """
    state, priority, assignee = OPEN, ticket.priority, None
    for event in happened(ticket.log, now):
        kind = event.event
        if kind == "priority" and event.to:
            priority = event.to
        elif kind == "assigned":
            assignee = event.to
        after = _STATE_AFTER.get(kind)
        if after is not None and not (after in (WAITING, OPEN) and state in (RESOLVED, CANCELLED) and kind != "reopened"):
            state = after
    return Standing(state, priority, assignee)


def state_of(ticket: Ticket, now: dt.datetime) -> str:
    """The request's state at ``now`` (see :func:`standing`)."""
    return standing(ticket, now).state


def is_open(state: str) -> bool:
    """Whether a request in ``state`` is still to be worked on (waiting ones too)."""
    return state in (OPEN, WAITING)


def priority_of(ticket: Ticket, now: dt.datetime) -> str:
    """The priority in force at ``now`` (see :func:`standing`)."""
    return standing(ticket, now).priority


def assignee_of(ticket: Ticket, now: dt.datetime) -> Optional[str]:
    """The request's assignee at ``now`` (see :func:`standing`)."""
    return standing(ticket, now).assignee


# ---------------------------------------------------------------- the queue


class Entry(NamedTuple):
    """One request of the work queue, with what it waits for next."""

    id: str
    ticket: Ticket
    state: str
    priority: str  # in force at the moment of the queue
    assignee: Optional[str]
    sla: Optional[TicketSla]
    next: Optional[Target]  # the unmet target due first (None: nothing due, or not open)
    left: Optional[dt.timedelta]  # working time from now to its due time; negative: late by that much

    @property
    def late(self) -> bool:
        return self.left is not None and self.left < ZERO


def next_target(result: Optional[TicketSla]) -> Optional[Target]:
    """The unmet target with the earliest due time (a paused one, without a due time, is not next)."""
    if result is None:
        return None
    waiting = [t for t in result.targets if t.met_at is None and t.due is not None and t.status in ("running", "breached")]
    return min(waiting, key=lambda t: (t.due, t.kind)) if waiting else None


def working_left(repo: "Repository", result: TicketSla, due: dt.datetime, now: dt.datetime) -> Optional[dt.timedelta]:
    """Working time of the ticket's plan from ``now`` to ``due``; negative when ``due`` is past."""
    plan = repo.plans.get(result.plan)
    if plan is None or plan.calendar not in repo.rules.calendars:
        return None
    cal = work_calendar(repo, plan)
    return cal.between(now, due) if due >= now else -cal.between(due, now)


def entry(repo: "Repository", ident: str, ticket: Ticket, now: dt.datetime) -> Entry:
    """The queue's facts of ticket ``ident`` at ``now`` (its SLA taken from ``repo.sla``)."""
    state, priority, assignee = standing(ticket, now)
    result = repo.sla.get(ident)
    target = next_target(result) if is_open(state) else None
    left = working_left(repo, result, target.due, now) if target is not None else None  # type: ignore[arg-type]
    return Entry(ident, ticket, state, priority, assignee, result, target, left)


def _order(item: Entry) -> tuple:
    """Due first; then requests without a due time; ties by report time and id."""
    due = item.next.due if item.next is not None else None
    return (due is None, due.timestamp() if due is not None else 0.0, item.ticket.reported, item.id)


def queue(repo: "Repository", now: dt.datetime, *, everything: bool = False, customer: Optional[str] = None,
          technician: Optional[str] = None, within: Optional[dt.timedelta] = None) -> list[Entry]:
    """The work queue at ``now``: open requests (``everything``: every request), sorted by the next due time.

    ``customer`` and ``technician`` (the assignee) narrow it; ``within`` keeps
    only the requests at risk: an unmet target due within that much working
    time, or already late.
    """
    items = []
    for ident in repo.sla:  # the tickets the load evaluated at ``now``: all of them, or those open then
        ticket = repo.tickets[ident]
        if (customer is not None and ticket.customer != customer) or ticket.reported > now:
            continue  # another customer's, or not reported yet at the moment of the queue
        item = entry(repo, ident, ticket, now)
        if not everything and not is_open(item.state):
            continue
        if technician is not None and item.assignee != technician:
            continue
        if within is not None and (item.left is None or item.left > within):
            continue
        items.append(item)
    items.sort(key=_order)
    return items


# ---------------------------------------------------------------- one ticket's work and charges


class Report(NamedTuple):
    """A work report of a ticket with its statement lines."""

    number: int  # from 1, in the file's order (as ``ticket part --intervention`` counts)
    work: Intervention
    month: str  # the statement that carries it, YYYY-MM
    lines: tuple  # the statement's lines for this intervention (charges.Line)
    phone_minutes: int  # a phone call's billed minutes, charged with the month's calls
    charged: bool  # priced: the customer has terms on that day


def reports(repo: "Repository", ticket: Ticket) -> list[Report]:
    """Each intervention of ``ticket``, in the order it was done, with its lines on its month's statement.

    The lines are the statement's (:func:`gitdesk.core.charges.statements` over
    the customer's priced work in ``repo.works``), so prepaid hours drawn for
    the intervention are among them; a phone call's minutes are billed with
    the month's calls and appear as ``phone_minutes``.
    """
    works = repo.works.get(ticket.customer, ())
    mine = {w.index: w for w in works if w.ticket == ticket.id}
    months = sorted({w.month for w in mine.values()})
    by_key: dict[tuple, list] = {}
    for statement in charges.statements(repo, ticket.customer, months, works):
        for line in statement.lines:
            if line.ticket == ticket.id and line.intervention is not None:
                by_key.setdefault((statement.month, line.intervention), []).append(line)
    out = []
    for index, work in sorted(enumerate(ticket.interventions), key=lambda iw: (iw[1].start, iw[0])):
        priced = mine.get(index)
        month = priced.month if priced is not None else month_of(work.start.astimezone(repo.tz))
        out.append(Report(index + 1, work, month, tuple(by_key.get((month, index), ())),
                          priced.phone_minutes if priced is not None else 0, priced is not None))
    return out


def total(lines: Sequence) -> Decimal:
    """The sum of lines' amounts (each already rounded to the cent)."""
    return sum((line.amount for line in lines), Decimal(0))
