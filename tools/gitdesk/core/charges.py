"""From work reports to money: the lines of each customer's monthly statement.

Two pure steps, so that the expensive one runs per ticket (in worker
processes for large repositories) and the cheap one per customer:

1. :func:`ticket_charges`: for every intervention of a ticket, its lines
   before prepaid hours: labour (rounded up to the increment, at least the
   minimum), call-out, parts, and the reductions of warranty, free repeat
   visits and late arrival (from :mod:`gitdesk.core.sla`); plus what prepaid
   packages may still cover and the phone minutes of the call.
2. :func:`statements`: a customer's months: those lines, prepaid hours drawn
   from a :class:`Ledger` of packages (oldest valid package first, carried
   forward month after month), phone minutes beyond the included ones, the
   contract fee, packages bought, corrections; taxable amount, VAT, total.

A line holds facts, not sentences: its kind, its reason and what its text
says (:class:`Labour`, :class:`LateDiscount`, :class:`Prepaid`...); the
words a customer reads are written where lines are shown
(:mod:`gitdesk.text.lines`). Package warnings are :class:`Notice` records
likewise.

Money is Decimal, every line rounded half-up to the cent; time is counted in
exact minutes (Decimal where a percentage leaves a fraction).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional, Sequence

from gitdesk.core.model import Intervention, Package, Ticket
from gitdesk.core.scalars import month_of, round_cents
from gitdesk.core.terms import Terms, terms_on

if TYPE_CHECKING:
    from gitdesk.core.model import Customer
    from gitdesk.core.repository import Repository
    from gitdesk.core.sla import Arrival, TicketSla

ZERO = Decimal(0)
SIXTY = Decimal(60)
HUNDRED = Decimal(100)
#: Below this share of its hours, a package is reported as running low.
LOW_PACKAGE = Decimal("0.2")


# ---------------------------------------------------------------- what a line says


class Labour(NamedTuple):
    """On-site or remote work: its billed minutes (rounded up, at least the minimum)."""

    mode: str  # onsite | remote
    minutes: int


class Callout(NamedTuple):
    """The call-out fee of an on-site intervention."""


class Part(NamedTuple):
    """A part fitted: its name and, when it has one, its code."""

    name: str
    code: Optional[str]


class Warranty(NamedTuple):
    """Work under warranty: labour, call-out and parts not charged."""


class RepeatVisit(NamedTuple):
    """A repeat visit after an unresolved intervention, free of call-out and labour."""


class LateWaived(NamedTuple):
    """A late arrival whose call-out and labour are not charged: how late (working time)."""

    late: dt.timedelta


class LateDiscount(NamedTuple):
    """A late arrival's discount: ``percent`` for ``hours`` started or full hours of delay."""

    rule: str  # started | full
    hours: int
    percent: Decimal


class Prepaid(NamedTuple):
    """Hours drawn from the package bought on ``bought``, for work or (``phone``) phone minutes."""

    hours: Decimal
    bought: dt.date
    phone: bool


class PhoneCalls(NamedTuple):
    """A month's phone calls under one plan: how many, their minutes, the minutes included."""

    calls: int
    minutes: int
    included: int


class Fee(NamedTuple):
    """A plan's monthly fee for ``month`` (YYYY-MM)."""

    plan: str  # the plan's name
    month: str


class PackageBought(NamedTuple):
    """A package of prepaid hours bought, valid until ``expires`` (or for ever)."""

    hours: Decimal
    expires: Optional[dt.date]


class Correction(NamedTuple):
    """A correction of issued statement ``number`` (of ``month``, when that statement is known), and why."""

    number: str
    month: Optional[str]
    reason: str


class Line(NamedTuple):
    """One line of a statement (or of a work report): what it is and the facts its text says."""

    kind: str  # labour | callout | part | phone | fee | package | discount | adjustment
    facts: tuple  # one of the records above
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    ticket: Optional[str] = None
    day: Optional[dt.date] = None
    reason: Optional[str] = None  # for discounts: warranty | repeat_visit | late | prepaid
    intervention: Optional[int] = None


class Notice(NamedTuple):
    """A note on a prepaid package in a month: running low, used up, or expired with hours unused."""

    kind: str  # low | used_up | expired
    bought: dt.date
    hours_left: Decimal
    expires: Optional[dt.date] = None


class WorkCharges(NamedTuple):
    """An intervention's charges before prepaid hours and the month's phone minutes."""

    customer: str
    ticket: str
    index: int
    start: dt.datetime
    day: dt.date
    month: str  # YYYY-MM in the provider's zone
    mode: str
    lines: tuple[Line, ...]
    prepaid_minutes: Decimal  # labour minutes still charged, which packages may cover
    rate: Decimal  # the hourly rate of those minutes
    phone_minutes: int  # a call's minutes, rounded up to the phone increment
    phone_included: int  # the plan's included minutes per month
    phone_rate: Decimal
    plan: str
    warranty: bool
    waived: bool  # labour and call-out not charged (repeat visit or late waiver)

    @property
    def charged(self) -> Decimal:
        return _total(self.lines)


# ---------------------------------------------------------------- step 1: per intervention


def round_up(minutes: int, increment: dt.timedelta) -> int:
    step = int(increment.total_seconds() // 60)
    if step <= 1:
        return minutes
    return -(-minutes // step) * step


def billable_minutes(work: Intervention, rates, phone_increment: dt.timedelta) -> int:
    """Labour minutes: phone calls rounded up per call; other work to the increment, at least the minimum."""
    minutes = -(-int(work.duration.total_seconds()) // 60)
    if work.mode == "phone":
        return round_up(minutes, phone_increment)
    billed = round_up(minutes, rates.increment)
    return max(billed, int(rates.minimum.total_seconds() // 60))


def ticket_charges(repo: "Repository", ticket: Ticket, late: Sequence["Arrival"]) -> list[WorkCharges]:
    """The charges of every intervention of ``ticket``, in the order they were done,
    given the lateness of its arrivals (:func:`gitdesk.core.sla.arrivals_of`)."""
    tz = repo.tz
    customer = repo.customers.get(ticket.customer)
    arrivals = {a.index: a for a in late}
    out = []
    for index, work in sorted(enumerate(ticket.interventions), key=lambda iw: iw[1].start):
        day = work.start.astimezone(tz).date()
        terms = terms_on(repo, customer, day)
        if terms.plan is None:
            continue
        out.append(_work_charges(ticket, index, work, day, terms, arrivals.get(index)))
    return out


def charges_as_recorded(repo: "Repository", ticket: Ticket, known: Optional[tuple[dt.datetime, "TicketSla"]] = None) -> tuple[WorkCharges, ...]:
    """A ticket's charges counting everything it records (its SLA evaluated at its latest moment).

    ``known`` is an evaluation ``(moment, result)`` already made; when the
    moment is at or after everything the ticket records, nothing more happens
    between the two and its arrivals are the same, so it is used as it is.
    """
    from gitdesk.core.sla import arrivals_of, as_recorded

    latest = as_recorded(ticket)
    if known is not None and known[0] >= latest:
        late = known[1].arrivals
    else:
        late = arrivals_of(repo, ticket, latest)
    return tuple(ticket_charges(repo, ticket, late))


class _Reduction(NamedTuple):
    """What a waiver or discount does to an intervention: its line, and the labour minutes still charged."""

    line: Optional[Line]
    still: Decimal
    waived: bool


def _work_charges(ticket: Ticket, index: int, work: Intervention, day: dt.date, terms: Terms,
                  arrival: Optional["Arrival"]) -> WorkCharges:
    plan, rates = terms.plan, terms.rates
    assert plan is not None and rates is not None
    minutes = billable_minutes(work, rates, plan.phone.increment)
    rate = {"onsite": rates.onsite_hour, "remote": rates.remote_hour, "phone": rates.phone_hour}[work.mode]
    common = dict(ticket=ticket.id, day=day, intervention=index)
    lines = _work_lines(work, minutes, rate, rates.callout, common)
    reduction = _reduction(work, arrival, plan.repeat_visit, minutes, lines, common)
    if reduction.line is not None:
        lines.append(reduction.line)
    phone_minutes = minutes if work.mode == "phone" and not work.warranty else 0
    return WorkCharges(
        ticket.customer, ticket.id, index, work.start, day, month_of(day), work.mode, tuple(lines), reduction.still,
        rate, phone_minutes, plan.phone.included_minutes, rates.phone_hour, terms.plan_id, work.warranty,
        reduction.waived,
    )


def _work_lines(work: Intervention, minutes: int, rate: Decimal, callout: Decimal, common: dict) -> list[Line]:
    """An intervention's labour (but for a phone call: billed with the month's calls), call-out and parts."""
    lines = []
    if work.mode != "phone":
        lines.append(Line("labour", Labour(work.mode, minutes), _hours(minutes), rate,
                          round_cents(rate * minutes / SIXTY), **common))
    if work.mode == "onsite":
        lines.append(Line("callout", Callout(), Decimal(1), callout, callout, **common))
    for part in work.parts:
        lines.append(Line("part", Part(part.name, part.code), part.qty, part.price, round_cents(part.qty * part.price),
                          **common))
    return lines


def _reduction(work: Intervention, arrival: Optional["Arrival"], repeat_visit: str, minutes: int,
               lines: Sequence[Line], common: dict) -> _Reduction:
    """The one reduction an intervention may have: warranty, a free repeat visit, or a late arrival's."""
    if work.warranty:
        return _waiver("warranty", Warranty(), _total(lines), common, waived=False)
    labour_callout = _total(line for line in lines if line.kind != "part")
    if arrival is not None and arrival.repeat and repeat_visit == "free":
        return _waiver("repeat_visit", RepeatVisit(), labour_callout, common)
    still = Decimal(minutes) if work.mode != "phone" else ZERO  # labour minutes still charged
    if arrival is not None and arrival.percent > 0:
        return _late(arrival, labour_callout, still, common)
    return _Reduction(None, still, False)


def _late(arrival: "Arrival", labour_callout: Decimal, still: Decimal, common: dict) -> _Reduction:
    """A late arrival: call-out and labour waived, or a percentage off them (and off the prepaid minutes)."""
    if arrival.rule == "waive":
        return _waiver("late", LateWaived(arrival.late), labour_callout, common)
    rule = "started" if arrival.rule == "started" else "full"
    reduction = round_cents(labour_callout * arrival.percent / HUNDRED)
    line = _discount("late", LateDiscount(rule, arrival.hours, arrival.percent), reduction, common) if reduction else None
    return _Reduction(line, still * (HUNDRED - arrival.percent) / HUNDRED, False)


def _waiver(reason: str, facts: tuple, amount: Decimal, common: dict, waived: bool = True) -> _Reduction:
    """Charges not made: a discount of their amount (no line when nothing was charged), no labour minutes left to draw."""
    return _Reduction(_discount(reason, facts, amount, common) if amount else None, ZERO, waived)


def _total(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def _discount(reason: str, facts: tuple, amount: Decimal, common: dict) -> Line:
    return Line("discount", facts, Decimal(1), -amount, -amount, reason=reason, **common)


def _hours(minutes) -> Decimal:
    return (Decimal(minutes) / SIXTY).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- step 2: per customer and month


class PackageState(NamedTuple):
    """A prepaid package as it stands after a month."""

    package: Package
    index: int
    drawn_minutes: Decimal
    left_minutes: Decimal
    expired: bool

    @property
    def hours_left(self) -> Decimal:
        return _hours(self.left_minutes)

    @property
    def hours_drawn(self) -> Decimal:
        return _hours(self.drawn_minutes)


class Statement(NamedTuple):
    """A customer's month: its lines (sorted as the customer reads them), figures, packages and notices."""

    customer: str
    month: str
    lines: tuple[Line, ...]
    taxable: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: Decimal
    packages: tuple[PackageState, ...]
    notices: tuple[Notice, ...]
    plan: Optional[str]
    issued: Optional[tuple[str, dt.date]] = None  # (number, date) once issued; a draft until then

    @property
    def package_hours_left(self) -> Decimal:
        return sum((p.hours_left for p in self.packages if not p.expired), Decimal("0.00"))


#: The headings of a statement's summary, in the order it shows them (see :func:`breakdown`).
HEADINGS = ("fee", "packages", "labour", "callout", "parts", "phone", "prepaid", "discounts", "adjustments")
_HEADING_OF_KIND = {"fee": "fee", "package": "packages", "labour": "labour", "callout": "callout", "part": "parts",
                    "phone": "phone", "adjustment": "adjustments"}


class Subtotal(NamedTuple):
    """The lines of a statement under one heading of its summary, and what they add up to."""

    heading: str  # one of HEADINGS
    amount: Decimal
    lines: int


def heading(line: Line) -> str:
    """The summary heading a line counts under: prepaid hours drawn apart from the other discounts."""
    if line.kind == "discount":
        return "prepaid" if line.reason == "prepaid" else "discounts"
    return _HEADING_OF_KIND.get(line.kind, "adjustments")


def breakdown(lines: Iterable[Line]) -> tuple[Subtotal, ...]:
    """The lines' amounts by heading, in :data:`HEADINGS` order, only headings with lines (they add up to the taxable)."""
    amounts: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for line in lines:
        key = heading(line)
        amounts[key] = amounts.get(key, Decimal("0.00")) + line.amount
        counts[key] = counts.get(key, 0) + 1
    return tuple(Subtotal(h, amounts[h], counts[h]) for h in HEADINGS if h in counts)


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = int(month[:4]), int(month[5:7])
    return dt.date(year, mon, 1), dt.date(year, mon, _calendar.monthrange(year, mon)[1])


class Ledger:
    """A customer's prepaid packages as they stand, carried forward month after month.

    Hours are drawn from the oldest package valid on the day of the work
    (ties: the one listed first); a draw that leaves a package below
    :data:`LOW_PACKAGE` of its hours, or empty, gives a :class:`Notice`.
    """

    def __init__(self, packages: Sequence[Package]):
        #: ``(index in the customer's list, package)``, oldest first.
        self.order = sorted(enumerate(packages), key=lambda ip: (ip[1].bought, ip[0]))
        self.left = {i: Decimal(p.hours) * SIXTY for i, p in self.order}
        self.drawn = {i: ZERO for i, _ in self.order}

    def draw(self, minutes: Decimal, day: dt.date, notices: list[Notice]) -> list[tuple[Package, Decimal]]:
        """Take ``minutes`` worked on ``day``: the packages they come from and how many from each
        (fewer in all when the valid packages run out); notices appended to ``notices``."""
        taken = []
        for i, package in self.order:
            if minutes <= 0:
                break
            before = self.left[i]
            if before <= 0 or not package.valid_on(day):
                continue
            part = min(minutes, before)
            self.left[i] = after = before - part
            self.drawn[i] += part
            minutes -= part
            taken.append((package, part))
            notice = _draw_notice(package, before, after)
            if notice is not None:
                notices.append(notice)
        return taken

    def states(self, last: dt.date) -> tuple[PackageState, ...]:
        """The packages bought by ``last`` (a month's last day) as they stand; expired before that day or not."""
        return tuple(PackageState(p, i, self.drawn[i], self.left[i], p.expires is not None and p.expires < last)
                     for i, p in self.order if p.bought <= last)


def _draw_notice(package: Package, before: Decimal, after: Decimal) -> Optional[Notice]:
    """What a draw from ``before`` to ``after`` minutes says about a package: running low, used up, or nothing."""
    total = Decimal(package.hours) * SIXTY
    if total and before > total * LOW_PACKAGE >= after and after > 0:
        return Notice("low", package.bought, _hours(after))
    if before > 0 and after == 0:
        return Notice("used_up", package.bought, _hours(after))
    return None


def statement(repo: "Repository", customer_id: str, month: str, works: Sequence[WorkCharges]) -> Statement:
    """The statement of ``customer_id`` for ``month`` (YYYY-MM).

    ``works`` are the customer's :class:`WorkCharges` of every month up to
    ``month`` (earlier months are replayed for the prepaid balance only).
    """
    return statements(repo, customer_id, [month], works)[0]


def statements(repo: "Repository", customer_id: str, months: Sequence[str], works: Sequence[WorkCharges]) -> list[Statement]:
    """The statements of ``customer_id`` for each of ``months``, each as :func:`statement` gives it.

    ``works`` are the customer's :class:`WorkCharges` of every month up to the
    last one. One pass: the work of every month, in the order it was done,
    draws on one :class:`Ledger`; the months asked for become statements.
    """
    if not months:
        return []
    customer = repo.customers.get(customer_id)
    ledger = Ledger(customer.packages if customer is not None else ())
    wanted = set(months)
    by_month = _by_month(works, max(wanted))
    found: dict[str, Statement] = {}
    for month in sorted(wanted.union(by_month)):
        notices: list[Notice] = []
        lines = _month_work(ledger, by_month.get(month, ()), notices, month in wanted)
        if month in wanted:
            found[month] = _statement(repo, customer_id, customer, month, ledger, lines, notices)
    return [found[month] for month in months]


def _by_month(works: Iterable[WorkCharges], last: str) -> dict[str, list[WorkCharges]]:
    """The work of every month up to ``last``, in the order it was done."""
    by_month: dict[str, list[WorkCharges]] = {}
    for w in sorted(works, key=lambda w: (w.start, w.ticket, w.index)):
        if w.month <= last:
            by_month.setdefault(w.month, []).append(w)
    return by_month


def _month_work(ledger: Ledger, works: Sequence[WorkCharges], notices: list[Notice], shown: bool = True) -> list[Line]:
    """A month's work: its lines, the prepaid hours drawn for each intervention, then its phone calls.

    A month not ``shown`` is replayed for what it draws from the packages: of its lines only
    the few of its phone calls are made (they say how many minutes are drawn).
    """
    lines: list[Line] = []
    for w in works:
        if shown:
            lines.extend(w.lines)
        if w.prepaid_minutes > 0:
            taken = ledger.draw(w.prepaid_minutes, w.day, notices)
            if shown:
                lines.extend(_prepaid(taken, w.rate, w.day, False, w.ticket, w.index))
    for calls in _phone_groups(works):
        lines.extend(_phone(calls, ledger, notices))
    return lines


def _prepaid(taken: Iterable[tuple[Package, Decimal]], rate: Decimal, day: dt.date, phone: bool,
             ticket: Optional[str] = None, index: Optional[int] = None) -> list[Line]:
    """The discount lines of prepaid hours drawn, one per package drawn from."""
    return [Line("discount", Prepaid(_hours(minutes), package.bought, phone), _hours(minutes), -rate,
                 -round_cents(rate * minutes / SIXTY), ticket, day, "prepaid", index)
            for package, minutes in taken]


def _phone_groups(works: Iterable[WorkCharges]) -> list[list[WorkCharges]]:
    """A month's charged phone calls, by plan (in the order each plan's first call was made)."""
    groups: dict[str, list[WorkCharges]] = {}
    for w in works:
        if w.mode == "phone" and w.phone_minutes:
            groups.setdefault(w.plan, []).append(w)
    return list(groups.values())


def _phone(calls: Sequence[WorkCharges], ledger: Ledger, notices: list[Notice]) -> list[Line]:
    """A plan's phone calls of a month: the minutes beyond the included ones billed, drawn from packages first."""
    included, rate, last_day = calls[0].phone_included, calls[0].phone_rate, calls[-1].day
    used = over = 0
    for w in calls:
        over += max(0, used + w.phone_minutes - max(included, used))
        used += w.phone_minutes
    lines = [Line("phone", PhoneCalls(len(calls), used, included), _hours(over), rate,
                  round_cents(rate * over / SIXTY), day=last_day)]
    if over:
        lines.extend(_prepaid(ledger.draw(Decimal(over), last_day, notices), rate, last_day, True))
    return lines


def _statement(repo: "Repository", customer_id: str, customer: Optional["Customer"], month: str, ledger: Ledger,
               lines: list[Line], notices: list[Notice]) -> Statement:
    """A month's statement from its work's lines and notices, the ledger as it stands after the month."""
    first, last = month_bounds(month)
    lines = lines + _fees(repo, customer, month) + _packages_bought(ledger, first, last) + _corrections(repo, customer_id, month)
    lines.sort(key=_line_order)
    states = ledger.states(last)
    notices = notices + [Notice("expired", s.package.bought, s.hours_left, s.package.expires)
                         for s in states if _expired_in(s, first, last)]
    taxable = round_cents(_total(lines))
    vat_rate = repo.provider.vat_rate if repo.provider is not None else ZERO
    vat = round_cents(taxable * vat_rate / HUNDRED)
    plan = terms_on(repo, customer, last).plan_id
    issued = next(((r.number, r.issued) for r in repo.issued.values() if r.customer == customer_id and r.month == month), None)
    return Statement(customer_id, month, tuple(lines), taxable, vat, taxable + vat, vat_rate, states, tuple(notices),
                     plan, issued)


def _expired_in(state: PackageState, first: dt.date, last: dt.date) -> bool:
    """Whether a package expired within the month with hours unused."""
    expires = state.package.expires
    return state.expired and expires is not None and first <= expires <= last and state.left_minutes > 0


def _fees(repo: "Repository", customer: Optional["Customer"], month: str) -> list[Line]:
    """The monthly fee of every contract in force some day of the month."""
    if customer is None:
        return []
    first, last = month_bounds(month)
    lines = []
    for contract in customer.contracts:
        plan = repo.plans.get(contract.plan)
        if plan is None or plan.fee.monthly is None:
            continue
        if contract.start <= last and (contract.end is None or contract.end >= first):
            lines.append(Line("fee", Fee(plan.name, month), Decimal(1), plan.fee.monthly, plan.fee.monthly, day=first))
    return lines


def _packages_bought(ledger: Ledger, first: dt.date, last: dt.date) -> list[Line]:
    """The packages bought within the month."""
    return [Line("package", PackageBought(p.hours, p.expires), Decimal(1), p.price, p.price, day=p.bought)
            for _, p in ledger.order if first <= p.bought <= last]


def _corrections(repo: "Repository", customer_id: str, month: str) -> list[Line]:
    """The corrections of issued statements this month's statement carries."""
    lines = []
    for adj in sorted(repo.adjustments.values(), key=lambda a: (a.date, a.id or "")):
        if adj.customer == customer_id and adj.month == month:
            target = repo.issued.get(adj.corrects)
            facts = Correction(adj.corrects, target.month if target else None, adj.reason)
            lines.append(Line("adjustment", facts, Decimal(1), adj.amount, adj.amount, day=adj.date))
    return lines


_KIND_ORDER = {"fee": 0, "package": 1, "adjustment": 2, "labour": 3, "callout": 4, "part": 5, "discount": 6, "phone": 7}


def _line_order(line: Line):
    phone = line.kind == "phone" or (line.reason == "prepaid" and line.ticket is None)
    kind = (line.kind != "phone") if phone else _KIND_ORDER.get(line.kind, 9)
    return (line.day or dt.date.min, phone, line.ticket or "", line.intervention if line.intervention is not None else -1, kind)
