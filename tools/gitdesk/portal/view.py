"""What each site of the portal shows, as facts: one view of the public site and one of each customer.

A view holds records and figures, never a text in a language: the pages
(:mod:`gitdesk.portal.pages`) only format it. The figures come from the same
functions as the command line: :func:`gitdesk.core.charges.statements` for the
statements, :func:`gitdesk.core.sla.summarize` for the service levels,
:attr:`gitdesk.core.terms.Terms.rates` for the rates.

A view holds everything its site's pages show, including what depends on the
moment of the build (running targets, this month, the contract in force), so
that :func:`digest` of it changes exactly when a page would: records count by
the digest of their file, figures by value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any, Mapping, NamedTuple, Optional, Sequence

from gitdesk.core import charges
from gitdesk.core import issued
from gitdesk.core import sla
from gitdesk.core.charges import Line, Statement
from gitdesk.core.model import Calendar, Contract, Customer, Intervention, Plan, Rates, Ticket, TopRecord
from gitdesk.core.repository import Repository
from gitdesk.core.scalars import month_of
from gitdesk.core.terms import Terms, terms_on

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ---------------------------------------------------------------- the views
#
# Every NamedTuple of this module is a view (and one of another module that says
# VIEW = True, as the staff site's do): digest() walks its fields. A field
# named in a class's SKIP holds only what other parts of the same view already
# count for (a part of a ticket's file; the customer's tickets and results,
# grouped or picked), so that the walk stays short.


class CalendarView(NamedTuple):
    """Working hours: per day with any (mon..sun), its windows in minutes from midnight."""

    days: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    holidays: Optional[str]
    closed: tuple[dt.date, ...]


class TermsView(NamedTuple):
    """A plan's terms as a contract (or, with none, the on-demand terms) makes them."""

    plan: Plan
    contract: Optional[Contract]
    rates: Rates
    calendar: Optional[CalendarView]


class PlanView(NamedTuple):
    id: str
    plan: Plan
    calendar: Optional[CalendarView]


class PublicView(NamedTuple):
    """The public site: the plans (by id) and the office hours."""

    plans: tuple[PlanView, ...]
    office: Optional[CalendarView]


class ReportView(NamedTuple):
    """A work report and what it was charged: its lines on its month's statement."""

    index: int
    number: int  # as the customer reads it, from 1
    work: Intervention
    lines: tuple[Line, ...]
    SKIP = ("work",)  # a part of the ticket's file

    @property
    def gross(self) -> Decimal:
        """What it would have cost: its charges without the discounts."""
        return sum((line.amount for line in self.lines if line.amount > 0), Decimal(0))

    @property
    def net(self) -> Decimal:
        """What it was charged."""
        return sum((line.amount for line in self.lines), Decimal(0))


class TimelineEntry(NamedTuple):
    when: dt.datetime
    kind: str  # event | raised (a change to a higher priority, whose targets count from it) | work
    item: Any  # the log event, or the work's ReportView


class TicketView(NamedTuple):
    """One request: the record, its service levels, its reports (in the order they started)."""

    ticket: Ticket
    result: sla.TicketSla
    plan_name: str
    reports: tuple[ReportView, ...]

    @property
    def timeline(self) -> tuple[TimelineEntry, ...]:
        """Its log events and work reports in time order (made when a page shows it: only the ticket's file decides it)."""
        raised = {(e.at, e.to) for e in self.result.escalations}
        entries = [TimelineEntry(e.at, "raised" if e.event == "priority" and (e.at, e.to) in raised else "event", e)
                   for e in self.ticket.log]
        entries += [TimelineEntry(r.work.start, "work", r) for r in self.reports]
        entries.sort(key=lambda entry: entry.when)
        return tuple(entries)


class MonthView(NamedTuple):
    """The requests reported in a month, as (ticket, result) pairs, and their service levels."""

    month: str
    rows: tuple[tuple[Ticket, sla.TicketSla], ...]
    count: int
    open: int
    summary: sla.Summary
    SKIP = ("rows",)  # the customer's tickets and results (CustomerView.tickets), by the month they were reported


class OpenRequest(NamedTuple):
    ticket: Ticket
    result: sla.TicketSla
    running: tuple[sla.Target, ...]  # its targets not met yet
    next: Optional[sla.Target]  # the earliest of them (one with a due time first): the promise it waits for


class ChartSeries(NamedTuple):
    """The share of targets met in each of the last twelve months (None: nothing decided), and its counts."""

    months: tuple[str, ...]
    compliance: tuple[Optional[Decimal], ...]
    met: tuple[int, ...] = ()
    decided: tuple[int, ...] = ()  # met or missed: what each share is of


class Consequence(NamedTuple):
    """What a miss did to the charges, as the lines of the intervention it concerns say.

    ``kind``: ``waived`` (call-out and labour not charged), ``discount`` (``percent`` off them),
    ``warranty`` or ``repeat_visit`` (not charged for that reason anyway), ``pending`` (the
    technician has not arrived yet: the plan's late rule will apply), ``none`` (the plan gives
    no reduction for it).
    """

    kind: str
    amount: Optional[Decimal] = None  # what the reduction took off, positive (None: nothing it could take off)
    percent: Optional[Decimal] = None
    callout: bool = False  # the reduction covers a call-out fee too (an on-site visit)


class Miss(NamedTuple):
    """A promise of the month not kept: a target missed, or an arrival later than its appointment."""

    ticket: Ticket
    kind: str  # a target kind (acknowledge, confirm, onsite, resolve, repeat), or "appointment"
    late: dt.timedelta  # working time
    met: bool  # kept late (False: still not kept)
    consequence: Consequence


class Promises(NamedTuple):
    """Did the provider keep its promises this month: the counts and every miss."""

    summary: sla.Summary
    decided: int  # targets met or missed: what the share of met targets is of
    misses: tuple[Miss, ...]


class PackageRow(NamedTuple):
    """A prepaid package still valid on the day of the build, and what to warn about."""

    bought: dt.date
    hours: Decimal
    hours_left: Decimal
    expires: Optional[dt.date]
    low: bool  # less than 20 % of its hours left (but some)
    used_up: bool
    expiring: bool  # expires within a month


class Owed(NamedTuple):
    """What the customer owes: this month so far (its statement and breakdown) and the last statement before it."""

    current: Statement
    breakdown: tuple[charges.Subtotal, ...]
    last: Optional[Statement]


class Dashboard(NamedTuple):
    contract: Optional[Contract]  # in force at the moment of the build
    plan: Optional[Plan]
    this_month: str
    month_summary: sla.Summary
    year_summary: sla.Summary  # the chart's months
    hours_left: Decimal  # prepaid, this month
    last_statement: Optional[Statement]
    open_requests: tuple[OpenRequest, ...]
    chart: ChartSeries
    promises: Optional[Promises] = None
    owed: Optional[Owed] = None
    packages: Optional[tuple[PackageRow, ...]] = None  # None: the customer has no packages
    # open_requests: the customer's tickets whose results (CustomerView.tickets) are open; owed: this month's
    # statement (in CustomerView.statements once it has a line; without one it shows nothing but this_month)
    # and the last one (there too)
    SKIP = ("open_requests", "owed")


class LineGroup(NamedTuple):
    """A statement's lines of one request, or of one kind not tied to a request, and what they add up to."""

    kind: str  # request | fee | packages | phone | adjustments
    ticket: Optional[Ticket]  # the request (kind "request"; None for the others, or a request no longer on file)
    ticket_id: Optional[str]
    reported: Optional[dt.date]  # the day the request was reported, in the provider's zone
    lines: tuple[Line, ...]
    subtotal: Decimal


class PackageNote(NamedTuple):
    """A prepaid package at the end of a statement's month: one note, the one that holds at that moment."""

    state: charges.PackageState
    used: Decimal  # hours drawn within the month
    note: str  # expired (with hours unused) | used_up | low (under 20% left) | left


class StatementView(NamedTuple):
    """A statement as its page shows it: where it stands, its summary, its lines by request, its packages."""

    statement: Statement
    state: str  # issued | to_issue (the month is over) | in_progress (the month of the build)
    summary: tuple[charges.Subtotal, ...]
    groups: tuple[LineGroup, ...]  # in the order of their first line's day
    packages: tuple[PackageNote, ...]
    # all made from the statement (CustomerView.statements), the customer's tickets and the state
    SKIP = ("statement", "summary", "groups", "packages")

    @property
    def month(self) -> str:
        return self.statement.month


class CustomerView(NamedTuple):
    """Everything a customer's site shows."""

    id: str
    customer: Customer
    months: tuple[MonthView, ...]  # newest first
    tickets: tuple[TicketView, ...]  # as reported
    statements: tuple[Statement, ...]  # every month with something on it, oldest first
    terms: tuple[TermsView, ...]
    dashboard: Dashboard
    statement_pages: tuple[StatementView, ...] = ()  # the same statements, as their pages show them
    plans: tuple[tuple[str, Plan], ...] = ()  # (id, plan) of every plan its tickets name: the words of their priorities


# ---------------------------------------------------------------- making them


def calendar_view(cal: Optional[Calendar]) -> Optional[CalendarView]:
    if cal is None:
        return None
    week = cal.week
    days = tuple((DAYS[i], tuple(week[i])) for i in range(7) if week[i])
    return CalendarView(days, cal.holidays, tuple(sorted(cal.closed)))


class Views:
    """Makes the views of one repository at one moment (shared by every site, made before workers fork)."""

    def __init__(self, repo: Repository, now: dt.datetime, results: Mapping[str, sla.TicketSla]):
        self.repo = repo
        self.now = now
        self.results = results
        self.tickets_by_customer: dict[str, list[Ticket]] = {}
        self.reported: dict[str, str] = {}  # ticket id -> the month it was reported in
        tz = repo.tz
        for ticket in repo.tickets.values():
            self.tickets_by_customer.setdefault(ticket.customer, []).append(ticket)
            self.reported[ticket.id] = month_of(ticket.reported.astimezone(tz))
        self.now_month = month_of(now.astimezone(tz))
        self.months = _months(min([*self.reported.values(), self.now_month]), self.now_month)

    # ------------------------------------------------------------ public

    def public(self) -> PublicView:
        provider = self.repo.provider
        plans = tuple(PlanView(pid, plan, calendar_view(provider.calendars.get(plan.calendar)))
                      for pid, plan in sorted(self.repo.plans.items()))
        return PublicView(plans, calendar_view(next(iter(provider.calendars.values()), None)))

    # ------------------------------------------------------------ a customer

    def customer(self, cid: str) -> CustomerView:
        repo = self.repo
        customer = repo.customers[cid]
        tickets = sorted(self.tickets_by_customer.get(cid, []), key=lambda t: (t.reported, t.id))
        by_month = self._by_month(tickets)
        summaries = {month: sla.summarize([r for _, r in rows]) for month, rows in by_month.items()}
        every = charges.statements(repo, cid, self.months, repo.works.get(cid, ()))
        shown = tuple(s for s in every if s.lines or s.issued)
        lines = _WorkLines(shown, repo.works.get(cid, ()), repo.tz)
        by_id = {t.id: t for t in tickets}
        return CustomerView(
            id=cid,
            customer=customer,
            months=tuple(_month_view(month, by_month[month], summaries[month]) for month in sorted(by_month, reverse=True)),
            tickets=tuple(self._ticket(t, lines) for t in tickets),
            statements=shown,
            terms=self._terms(customer),
            dashboard=self._dashboard(customer, tickets, by_month, summaries, every, shown, lines),
            statement_pages=statement_views(every, self.now_month, by_id, repo.tz),
            plans=tuple((pid, self.repo.plans[pid]) for pid in sorted({self.results[t.id].plan for t in tickets})
                        if pid in self.repo.plans),
        )

    def _by_month(self, tickets: Sequence[Ticket]) -> dict[str, list[tuple[Ticket, sla.TicketSla]]]:
        months: dict[str, list[tuple[Ticket, sla.TicketSla]]] = {}
        for t in tickets:
            months.setdefault(self.reported[t.id], []).append((t, self.results[t.id]))
        return months

    def _ticket(self, ticket: Ticket, lines: "_WorkLines") -> TicketView:
        result = self.results[ticket.id]
        reports = tuple(ReportView(index, index + 1, work, lines.of(ticket.id, index, work))
                        for index, work in sorted(enumerate(ticket.interventions), key=_started))
        plan = self.repo.plans.get(result.plan)
        return TicketView(ticket, result, plan.name if plan is not None else result.plan, reports)

    def _terms(self, customer: Customer) -> tuple[TermsView, ...]:
        """The terms of its own contracts, and the on-demand terms where it has none in force."""
        items, seen = [], set()
        for contract in customer.contracts:
            plan = self.repo.plans.get(contract.plan)
            if plan is not None:
                items.append(self._terms_view(Terms(contract.plan, plan, contract)))
                seen.add(contract.plan)
        current = self._current_terms(customer)
        if current.contract is None and current.plan is not None and current.plan_id not in seen:
            items.append(self._terms_view(current))
        return tuple(items)

    def _terms_view(self, terms: Terms) -> TermsView:
        cal = self.repo.provider.calendars.get(terms.plan.calendar)
        return TermsView(terms.plan, terms.contract, terms.rates, calendar_view(cal))

    def _current_terms(self, customer: Customer) -> Terms:
        return terms_on(self.repo, customer, self.now.astimezone(self.repo.tz).date())

    def _dashboard(self, customer: Customer, tickets: Sequence[Ticket], by_month: Mapping[str, list],
                   summaries: Mapping[str, sla.Summary], every: Sequence[Statement], statements: Sequence[Statement],
                   lines: "_WorkLines") -> Dashboard:
        current = self._current_terms(customer)
        recent = self.months[-12:]
        nothing = sla.summarize(())
        chart = _chart(recent, [summaries.get(m, nothing) for m in recent])
        open_requests = tuple(_open_request(t, r) for t in tickets for r in (self.results[t.id],) if r.open)
        month_summary = summaries.get(self.now_month, nothing)
        this_month = every[-1]  # the statements run up to the month of the build
        return Dashboard(
            contract=current.contract, plan=current.plan, this_month=self.now_month,
            month_summary=month_summary,
            year_summary=sla.summarize([r for month in recent for _, r in by_month.get(month, ())]),
            hours_left=this_month.package_hours_left, last_statement=statements[-1] if statements else None,
            open_requests=open_requests, chart=chart,
            promises=Promises(month_summary, month_summary.decided,
                              self._misses(by_month.get(self.now_month, ()), lines)),
            owed=Owed(this_month, charges.breakdown(this_month.lines),
                      next((s for s in reversed(statements) if s.month < self.now_month), None)),
            packages=_packages(this_month, self.now.astimezone(self.repo.tz).date()) if customer.packages else None,
        )

    def _misses(self, rows: Sequence[tuple[Ticket, sla.TicketSla]], lines: "_WorkLines") -> tuple[Miss, ...]:
        """The month's misses, request by request as reported: its targets missed, then its arrivals late for an appointment."""
        out: list[Miss] = []
        for ticket, result in rows:
            works = dict(enumerate(ticket.interventions))
            for target in result.targets:
                if target.status == "breached":
                    arrival = _arrival_of(result, target)
                    out.append(Miss(ticket, target.kind, target.late, target.met_at is not None,
                                    self._consequence(ticket, result, arrival, target, works, lines)))
            for arrival in result.arrivals:
                if arrival.basis == "appointment" and arrival.late > ZERO_TIME:
                    out.append(Miss(ticket, "appointment", arrival.late, True,
                                    self._consequence(ticket, result, arrival, None, works, lines)))
        return tuple(out)

    def _consequence(self, ticket: Ticket, result: sla.TicketSla, arrival: Optional[sla.Arrival],
                     target: Optional[sla.Target], works: Mapping[int, Intervention], lines: "_WorkLines") -> Consequence:
        """What the miss did to the charges: from the lines of the intervention that arrived late, if any."""
        if arrival is not None:
            return consequence(lines.of(ticket.id, arrival.index, works[arrival.index]), arrival)
        if target is not None and target.kind in ARRIVAL_KINDS and target.met_at is None and self._late_rule(result):
            return Consequence("pending")
        return Consequence("none")

    def _late_rule(self, result: sla.TicketSla) -> bool:
        """Whether the priority the request has now comes with a late-arrival rule in its plan."""
        plan = self.repo.plans.get(result.plan)
        priority = plan.priorities.get(result.priority_now or result.priority) if plan is not None else None
        return priority is not None and priority.late is not None


#: The targets an arrival meets: a late one is a late arrival, which the plan's late rule may reduce.
ARRIVAL_KINDS = ("onsite", "repeat")
ZERO_TIME = dt.timedelta(0)


def _chart(months: Sequence[str], summaries: Sequence[sla.Summary]) -> ChartSeries:
    return ChartSeries(tuple(months), tuple(s.compliance for s in summaries), tuple(s.met for s in summaries),
                       tuple(s.decided for s in summaries))


def _open_request(ticket: Ticket, result: sla.TicketSla) -> OpenRequest:
    running = result.unmet
    dated = sorted((t for t in running if t.due is not None), key=lambda t: t.due)
    return OpenRequest(ticket, result, running, dated[0] if dated else (running[0] if running else None))


def _arrival_of(result: sla.TicketSla, target: sla.Target) -> Optional[sla.Arrival]:
    """The arrival measured against a missed on-site or repeat target (None for another kind, or none yet)."""
    if target.kind not in ARRIVAL_KINDS:
        return None
    return next((a for a in result.arrivals if a.basis == target.kind and a.deadline == target.due), None)


def consequence(lines: Sequence[Line], arrival: sla.Arrival) -> Consequence:
    """What a late arrival did to its intervention's charges: its reduction line (late, or the warranty or free
    repeat visit that made it free anyway); without one, what the arrival's rule gave to a visit that cost nothing."""
    callout = any(line.kind == "callout" for line in lines)
    for line in lines:
        if line.kind != "discount" or line.reason == "prepaid":
            continue
        facts = line.facts
        if isinstance(facts, charges.LateWaived):
            return Consequence("waived", -line.amount, None, callout)
        if isinstance(facts, charges.LateDiscount):
            return Consequence("discount", -line.amount, facts.percent, callout)
        if line.reason in ("warranty", "repeat_visit"):
            return Consequence(line.reason, -line.amount, None, callout)
    if arrival.rule == "waive":
        return Consequence("waived", None, None, callout)
    if arrival.percent > 0:
        return Consequence("discount", None, arrival.percent, callout)
    return Consequence("none")


def _packages(statement: Statement, today: dt.date) -> tuple[PackageRow, ...]:
    """The packages still valid today as this month's statement leaves them, oldest first."""
    soon = _month_later(today)
    rows = []
    for state in statement.packages:
        package = state.package
        if package.expires is not None and package.expires < today:
            continue
        left = state.hours_left
        rows.append(PackageRow(package.bought, Decimal(package.hours), left, package.expires,
                               0 < left <= Decimal(package.hours) * charges.LOW_PACKAGE, left <= 0,
                               package.expires is not None and package.expires < soon))
    return tuple(rows)


def _month_later(day: dt.date) -> dt.date:
    """The same day a month later (the month's last day where it has no such day)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last = charges.month_bounds(f"{year:04d}-{month:02d}")[1]
    return dt.date(year, month, min(day.day, last.day))


class _WorkLines:
    """The lines of each work report: those of its month's statement, or (a month not shown) its own charges."""

    def __init__(self, statements: Sequence[Statement], works: Sequence[charges.WorkCharges], tz):
        self.shown = {s.month for s in statements}
        self.on_statements: dict[tuple[str, Optional[str], int], list[Line]] = {}
        for s in statements:
            for line in s.lines:
                if line.intervention is not None:
                    self.on_statements.setdefault((s.month, line.ticket, line.intervention), []).append(line)
        self.charged: dict[tuple[str, int], list[Line]] = {}
        self.month: dict[tuple[str, int], str] = {}
        for work in works:
            self.charged.setdefault((work.ticket, work.index), []).extend(work.lines)
            self.month[work.ticket, work.index] = work.month
        self.tz = tz

    def of(self, ticket: str, index: int, work: Intervention) -> tuple[Line, ...]:
        month = self.month.get((ticket, index)) or month_of(work.start.astimezone(self.tz))
        if month in self.shown:
            return tuple(self.on_statements.get((month, ticket, index), ()))
        return tuple(self.charged.get((ticket, index), ()))


# ---------------------------------------------------------------- statements as their pages show them


def month_state(statement: Statement, now_month: str) -> str:
    """Where a statement stands at the moment of the build: issued, to be issued (its month is over), or in progress."""
    if statement.issued:
        return "issued"
    return "to_issue" if statement.month < now_month else "in_progress"


def statement_views(every: Sequence[Statement], now_month: str, tickets: Mapping[str, Ticket], tz) -> tuple[StatementView, ...]:
    """The pages of the statements shown (those with lines or issued), from a customer's statements of every month in order."""
    out, before = [], None
    for s in every:
        if s.lines or s.issued:
            out.append(StatementView(s, month_state(s, now_month), charges.breakdown(s.lines), line_groups(s.lines, tickets, tz),
                                     package_notes(s, before)))
        before = s
    return tuple(out)


#: The group of a line not tied to a request, by its kind (prepaid hours without a request are phone minutes).
_GROUP_OF_KIND = {"fee": "fee", "package": "packages", "phone": "phone", "discount": "phone", "adjustment": "adjustments"}


#: Where the groups without a request stand: the fee and the packages bought before the requests, the rest after.
_GROUP_PLACE = {"fee": 0, "packages": 1, "request": 2, "phone": 3, "adjustments": 4}


def line_groups(lines: Sequence[Line], tickets: Mapping[str, Ticket], tz) -> tuple[LineGroup, ...]:
    """A statement's lines by request (in the order the requests were reported), and apart those without one, by kind."""
    keys: dict[tuple[str, Optional[str]], list[Line]] = {}
    for line in lines:
        key = ("request", line.ticket) if line.ticket else (_GROUP_OF_KIND.get(line.kind, "adjustments"), None)
        keys.setdefault(key, []).append(line)
    out = []
    for (kind, tid), group in keys.items():
        ticket = tickets.get(tid) if tid else None
        reported = ticket.reported.astimezone(tz).date() if ticket is not None else None
        out.append(LineGroup(kind, ticket, tid, reported, tuple(group), sum((line.amount for line in group), Decimal("0.00"))))
    out.sort(key=_group_order)
    return tuple(out)


def _group_order(group: LineGroup) -> tuple:
    return (_GROUP_PLACE[group.kind], group.reported or group.lines[0].day or dt.date.min, group.ticket_id or "")


def package_notes(s: Statement, before: Optional[Statement]) -> tuple[PackageNote, ...]:
    """Each package as it stands at the end of the month, with the one note that holds then.

    A package that expired before the month and was not drawn from in it is
    left out (the statements of earlier months told it).
    """
    first, _ = charges.month_bounds(s.month)
    earlier = {p.index: p.drawn_minutes for p in before.packages} if before is not None else {}
    notes = []
    for p in s.packages:
        used = p.drawn_minutes - earlier.get(p.index, Decimal(0))
        if p.expired and p.package.expires is not None and p.package.expires < first and not used:
            continue
        notes.append(PackageNote(p, (used / 60).quantize(Decimal("0.01")), _package_note(p)))
    return tuple(notes)


def _package_note(p: charges.PackageState) -> str:
    if p.left_minutes <= 0:
        return "used_up"
    if p.expired:
        return "expired"
    low = Decimal(p.package.hours) * 60 * charges.LOW_PACKAGE  # as the core's notices count it
    return "low" if p.left_minutes <= low else "left"


def _started(indexed: tuple[int, Intervention]) -> dt.datetime:
    return indexed[1].start


def _months(first: str, last: str) -> tuple[str, ...]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = issued.next_month(month)
    return tuple(out)


def _month_view(month: str, rows: Sequence[tuple[Ticket, sla.TicketSla]], summary: sla.Summary) -> MonthView:
    return MonthView(month, tuple(rows), len(rows), sum(1 for _, r in rows if r.open), summary)


# ---------------------------------------------------------------- what a view shows, as a digest


def digest(h: "hashlib._Hash", view: tuple, sources: Mapping[str, str]) -> None:
    """Feed ``h`` with what ``view`` shows: a record as its file's digest in ``sources``, a figure by value.

    A record whose file is not in ``sources`` counts by value. Equal views give
    equal digests in any process (nothing here depends on object identity or
    on the order of a set).
    """
    walk = _Digest(sources)
    walk.feed(view)
    h.update("".join(walk.out).encode())


#: Per view class: the positions of the fields its digest walks.
_WALKED: dict[type, tuple[int, ...]] = {}
#: How each class counts in a digest (see _Digest).
_SCALAR, _FIGURE, _RECORD, _VIEW, _SEQUENCE = range(1, 6)  # not 0: `kinds.get(...) or` falls back
_KINDS: dict[type, int] = {cls: _SCALAR for cls in (str, int, bool, type(None), Decimal, dt.date, dt.datetime, dt.timedelta)}
_KINDS.update({tuple: _SEQUENCE, list: _SEQUENCE})
_BY_VALUE = (_SCALAR, _FIGURE)


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        if hasattr(cls, "_fields") and (cls.__module__ == __name__ or getattr(cls, "VIEW", False)):  # VIEW: another site's view
            skip = getattr(cls, "SKIP", ())
            _WALKED[cls] = tuple(i for i, name in enumerate(cls._fields) if name not in skip)
            kind = _VIEW
        else:
            kind = _RECORD if issubclass(cls, TopRecord) else _FIGURE
        _KINDS[cls] = kind
    return kind


class _Digest:
    """One walk of a view.

    A view counts as its class and its fields (those not in its SKIP); a record
    as its file's digest; any other value by its repr, which is its value (the
    scalar fields of a view together, to keep the walk short). A sequence whose
    first item is a figure counts as a whole by value (the views' sequences
    hold one kind of item; a record after a figure would count by value: still
    right, only slower).
    """

    def __init__(self, sources: Mapping[str, str]):
        self.sources = sources
        self.out: list[str] = []

    def feed(self, value) -> None:
        """Write out a view (its class and the fields it counts) or a sequence of views, records or sequences."""
        cls = type(value)
        if _kind(cls) == _VIEW:
            self.out.append(cls.__name__)
            value = [value[i] for i in _WALKED[cls]]
        scalars = []
        for item in value:
            kind = _KINDS.get(type(item)) or _kind(type(item))
            if kind == _SCALAR:
                scalars.append(item)
            elif kind == _RECORD:
                self._record(item)
            elif kind == _FIGURE or (kind == _SEQUENCE and (not item or _kind(type(item[0])) in _BY_VALUE)):
                self.out.append(repr(item) + "\x1f")
            else:
                self.feed(item)
        self.out.append(repr(scalars) + "\x1d")

    def _record(self, record: TopRecord) -> None:
        digest = self.sources.get(record.path)
        self.out.append(f"<{record.path}:{digest}>" if digest is not None else repr(record) + "\x1f")
