"""From work reports to money: the lines of each customer's monthly statement.

Two pure steps, so that the expensive one runs per ticket (in worker
processes for large repositories) and the cheap one per customer:

1. :func:`ticket_charges`: for every intervention of a ticket, its lines
   before prepaid hours: labour (rounded up to the increment, at least the
   minimum), call-out, parts, and the reductions of warranty, free repeat
   visits and late arrival (from :mod:`gitdesk.core.sla`); plus what prepaid
   packages may still cover and the phone minutes of the call.
2. :func:`statement`: a customer's month: those lines, prepaid hours drawn
   from packages (oldest valid package first, replaying every earlier month so
   the balance is right), phone minutes beyond the included ones, the
   contract fee, packages bought; taxable amount, VAT, total.

Money is Decimal, every line rounded half-up to the cent; time is counted in
exact minutes (Decimal where a percentage leaves a fraction).
"""

from __future__ import annotations

import calendar as _calendar
import csv
import io
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Optional, Sequence

from gitdesk.text.i18n import charge_text, month_text
from gitdesk.core.model import Intervention, Package, Ticket
from gitdesk.core.scalars import format_duration, month_of, round_cents
from gitdesk.core.terms import Terms, terms_on

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository
    from gitdesk.core.sla import Arrival, TicketSla

ZERO = Decimal(0)
SIXTY = Decimal(60)
HUNDRED = Decimal(100)
#: Below this share of its hours, a package is reported as running low.
LOW_PACKAGE = Decimal("0.2")



class Line(NamedTuple):
    """One line of a statement (or of a work report)."""

    kind: str  # labour | callout | part | phone | fee | package | discount | adjustment
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    ticket: Optional[str] = None
    day: Optional[dt.date] = None
    reason: Optional[str] = None  # for discounts: warranty | repeat_visit | late | prepaid
    intervention: Optional[int] = None

    def as_json(self) -> dict:
        out = {
            "kind": self.kind,
            "ticket": self.ticket,
            "date": self.day.isoformat() if self.day else None,
            "description": self.description,
            "quantity": decimal_text(self.quantity),
            "unit_price": f"{self.unit_price:.2f}",
            "amount": f"{self.amount:.2f}",
        }
        if self.reason:
            out["reason"] = self.reason
        if self.intervention is not None:
            out["intervention"] = self.intervention
        return out


def quantity_places(value: Decimal) -> int:
    """How many decimals a quantity is written with: two, or as many as it really has (``1.50``, ``0.125``)."""
    return max(2, -int(value.normalize().as_tuple().exponent))


def decimal_text(value: Decimal) -> str:
    """A quantity as text, with :func:`quantity_places` decimals."""
    return f"{value:.{quantity_places(value)}f}"


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
        return sum((line.amount for line in self.lines), ZERO)


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
    lang = repo.provider.language if repo.provider is not None else "en"
    customer = repo.customers.get(ticket.customer)
    arrivals = {a.index: a for a in late}
    out = []
    for index, work in sorted(enumerate(ticket.interventions), key=lambda iw: iw[1].start):
        day = work.start.astimezone(tz).date()
        terms = terms_on(repo, customer, day)
        if terms.plan is None:
            continue
        out.append(_work_charges(ticket, index, work, day, terms, arrivals.get(index), lang))
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


def _work_charges(ticket: Ticket, index: int, work: Intervention, day: dt.date, terms: Terms, arrival: Optional["Arrival"], lang: str) -> WorkCharges:
    plan = terms.plan
    rates = terms.rates
    assert plan is not None and rates is not None
    minutes = billable_minutes(work, rates, plan.phone.increment)
    lines: list[Line] = []
    common = dict(ticket=ticket.id, day=day, intervention=index)
    labour = callout = ZERO
    rate = {"onsite": rates.onsite_hour, "remote": rates.remote_hour, "phone": rates.phone_hour}[work.mode]
    if work.mode != "phone":
        labour = round_cents(rate * minutes / SIXTY)
        lines.append(Line("labour", charge_text(lang, f"labour_{work.mode}", d=format_duration(dt.timedelta(minutes=minutes))),
                          _hours(minutes), rate, labour, **common))
    if work.mode == "onsite":
        callout = rates.callout
        lines.append(Line("callout", charge_text(lang, "callout"), Decimal(1), rates.callout, callout, **common))
    parts = ZERO
    for part in work.parts:
        amount = round_cents(part.qty * part.price)
        parts += amount
        label = f"{part.name} ({part.code})" if part.code else part.name
        lines.append(Line("part", label, part.qty, part.price, amount, **common))

    still = Decimal(minutes) if work.mode != "phone" else ZERO  # labour minutes still charged
    waived = False
    if work.warranty:
        total = labour + callout + parts
        if total:
            lines.append(_discount("warranty", charge_text(lang, "warranty"), total, common))
        still = ZERO
    elif arrival is not None and arrival.repeat and plan.repeat_visit == "free":
        if labour + callout:
            lines.append(_discount("repeat_visit", charge_text(lang, "repeat_visit"), labour + callout, common))
        still, waived = ZERO, True
    elif arrival is not None and arrival.percent > 0:
        late = format_duration(arrival.late)
        if arrival.rule == "waive":
            text = charge_text(lang, "late_waive", late=late)
            reduction = labour + callout
            still, waived = ZERO, True
        else:
            unit = "started" if arrival.rule == "started" else "full"
            hours = charge_text(lang, unit if arrival.hours == 1 else f"{unit}_n", n=arrival.hours)
            text = charge_text(lang, "late_discount", hours=hours, p=f"{arrival.percent.normalize():f}")
            reduction = round_cents((labour + callout) * arrival.percent / HUNDRED)
            still = still * (HUNDRED - arrival.percent) / HUNDRED
        if reduction:
            lines.append(_discount("late", text, reduction, common))
    phone_minutes = minutes if work.mode == "phone" and not work.warranty else 0
    return WorkCharges(
        ticket.customer, ticket.id, index, work.start, day, month_of(day), work.mode, tuple(lines), still, rate,
        phone_minutes, plan.phone.included_minutes, rates.phone_hour, terms.plan_id, work.warranty, waived,
    )


def _discount(reason: str, text: str, amount: Decimal, common: dict) -> Line:
    return Line("discount", text, Decimal(1), -amount, -amount, reason=reason, **common)


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
    customer: str
    month: str
    lines: tuple[Line, ...]
    taxable: Decimal
    vat: Decimal
    total: Decimal
    vat_rate: Decimal
    packages: tuple[PackageState, ...]
    warnings: tuple[str, ...]
    plan: Optional[str]
    issued: Optional[tuple[str, dt.date]] = None  # (number, date) once issued; a draft until then

    @property
    def package_hours_left(self) -> Decimal:
        return sum((p.hours_left for p in self.packages if not p.expired), Decimal("0.00"))

    def as_json(self) -> dict:
        return {
            "customer": self.customer,
            "month": self.month,
            "lines": [line.as_json() for line in self.lines],
            "taxable": f"{self.taxable:.2f}",
            "vat_rate": f"{self.vat_rate.normalize():f}%",
            "vat": f"{self.vat:.2f}",
            "total": f"{self.total:.2f}",
            "package_hours_left": f"{self.package_hours_left:.2f}",
            "packages": [
                {"bought": p.package.bought.isoformat(), "hours": decimal_text(p.package.hours),
                 "expires": p.package.expires.isoformat() if p.package.expires else None,
                 "hours_drawn": f"{p.hours_drawn:.2f}", "hours_left": f"{p.hours_left:.2f}", "expired": p.expired}
                for p in self.packages
            ],
            "warnings": list(self.warnings),
            "issued": {"number": self.issued[0], "date": self.issued[1].isoformat()} if self.issued else None,
        }


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = int(month[:4]), int(month[5:7])
    return dt.date(year, mon, 1), dt.date(year, mon, _calendar.monthrange(year, mon)[1])


def statement(repo: "Repository", customer_id: str, month: str, works: Sequence[WorkCharges]) -> Statement:
    """The statement of ``customer_id`` for ``month`` (YYYY-MM).

    ``works`` are the customer's :class:`WorkCharges` of every month up to
    ``month`` (earlier months are replayed for the prepaid balance only).
    """
    customer = repo.customers.get(customer_id)
    lang = repo.provider.language if repo.provider is not None else "en"
    first, last = month_bounds(month)
    packages = sorted(enumerate(customer.packages if customer else ()), key=lambda ip: (ip[1].bought, ip[0]))
    by_index = dict(packages)
    left = {i: Decimal(p.hours) * SIXTY for i, p in packages}
    drawn = {i: ZERO for i, _ in packages}
    lines: list[Line] = []
    warnings: list[str] = []

    def draw(minutes: Decimal, day: dt.date) -> list[tuple[int, Decimal]]:
        taken = []
        for i, package in packages:
            if minutes <= 0:
                break
            if not package.valid_on(day) or left[i] <= 0:
                continue
            part = min(minutes, left[i])
            before = left[i]
            left[i] -= part
            drawn[i] += part
            minutes -= part
            taken.append((i, part))
            total = Decimal(package.hours) * SIXTY
            if in_month(day) and total and before > total * LOW_PACKAGE >= left[i] and left[i] > 0:
                warnings.append(charge_text(lang, "low", d=package.bought, h=_hours(left[i])))
            if in_month(day) and before > 0 and left[i] == 0:
                warnings.append(charge_text(lang, "used_up", d=package.bought))
        return taken

    def in_month(day: dt.date) -> bool:
        return first <= day <= last

    by_month: dict[str, list[WorkCharges]] = {}
    for w in sorted(works, key=lambda w: (w.start, w.ticket, w.index)):
        if w.month <= month:
            by_month.setdefault(w.month, []).append(w)
    for m in sorted(by_month):
        current = m == month
        for w in by_month[m]:
            if current:
                lines.extend(w.lines)
            if w.prepaid_minutes > 0:
                for i, minutes in draw(w.prepaid_minutes, w.day):
                    if current:
                        amount = round_cents(w.rate * minutes / SIXTY)
                        bought = by_index[i].bought
                        lines.append(Line("discount", charge_text(lang, "prepaid", h=_hours(minutes), d=bought),
                                          _hours(minutes), -w.rate, -amount, w.ticket, w.day, "prepaid", w.index))
        lines_phone = _phone(by_month[m], draw, current, lang)
        if current:
            lines.extend(lines_phone)

    if customer is not None:
        for contract in customer.contracts:
            plan = repo.plans.get(contract.plan)
            if plan is None or plan.fee.monthly is None:
                continue
            if contract.start <= last and (contract.end is None or contract.end >= first):
                lines.append(Line("fee", charge_text(lang, "fee", plan=plan.name, month=month_text(lang, first)), Decimal(1), plan.fee.monthly, plan.fee.monthly, day=first))
        for i, package in packages:
            if first <= package.bought <= last:
                text = charge_text(lang, "package_until" if package.expires else "package", h=package.hours, d=package.expires)
                lines.append(Line("package", text, Decimal(1), package.price, package.price, day=package.bought))

    for adj in sorted(repo.adjustments.values(), key=lambda a: (a.date, a.id or "")):
        if adj.customer == customer_id and adj.month == month:
            target = repo.issued.get(adj.corrects)
            of = f" ({target.month})" if target else ""
            lines.append(Line("adjustment", charge_text(lang, "adjustment", n=adj.corrects, of=of, reason=adj.reason),
                              Decimal(1), adj.amount, adj.amount, day=adj.date))

    states = tuple(
        PackageState(p, i, drawn[i], left[i], p.expires is not None and p.expires < last)
        for i, p in packages if p.bought <= last
    )
    for s in states:
        if s.expired and first <= s.package.expires <= last and s.left_minutes > 0:  # type: ignore[operator]
            warnings.append(charge_text(lang, "expired", d=s.package.bought, e=s.package.expires, h=s.hours_left))
    lines.sort(key=_line_order)
    taxable = sum((line.amount for line in lines), ZERO)
    taxable = round_cents(taxable)
    vat_rate = repo.provider.vat_rate if repo.provider is not None else ZERO
    vat = round_cents(taxable * vat_rate / HUNDRED)
    terms = terms_on(repo, customer, last)
    issued = next(((r.number, r.issued) for r in repo.issued.values() if r.customer == customer_id and r.month == month), None)
    return Statement(customer_id, month, tuple(lines), taxable, vat, taxable + vat, vat_rate, states, tuple(warnings),
                     terms.plan_id, issued)


_KIND_ORDER = {"fee": 0, "package": 1, "adjustment": 2, "labour": 3, "callout": 4, "part": 5, "discount": 6, "phone": 7}


def _line_order(line: Line):
    phone = line.kind == "phone" or (line.reason == "prepaid" and line.ticket is None)
    kind = (line.kind != "phone") if phone else _KIND_ORDER.get(line.kind, 9)
    return (line.day or dt.date.min, phone, line.ticket or "", line.intervention if line.intervention is not None else -1, kind)


def _phone(works: Sequence[WorkCharges], draw, current: bool, lang: str) -> list[Line]:
    """The month's phone calls: minutes beyond the included ones billed, drawn from packages first."""
    calls = [w for w in works if w.mode == "phone" and w.phone_minutes]
    lines: list[Line] = []
    groups: dict[str, list[WorkCharges]] = {}
    for w in calls:
        groups.setdefault(w.plan, []).append(w)
    for plan, group in groups.items():
        included = group[0].phone_included
        rate = group[0].phone_rate
        used = 0
        over = 0
        last_day = group[-1].day
        for w in group:
            over += max(0, used + w.phone_minutes - max(included, used))
            used += w.phone_minutes
        amount = round_cents(rate * over / SIXTY)
        text = charge_text(lang, "phone" if len(group) == 1 else "phone_n", n=len(group), m=used, i=included)
        if current:
            lines.append(Line("phone", text, _hours(over), rate, amount, day=last_day))
        if over:
            for i, minutes in draw(Decimal(over), last_day):
                if current:
                    lines.append(Line("discount", charge_text(lang, "prepaid_phone", h=_hours(minutes)),
                                      _hours(minutes), -rate, -round_cents(rate * minutes / SIXTY), day=last_day, reason="prepaid"))
    return lines


CSV_FIELDS = ["customer", "month", "date", "ticket", "kind", "reason", "description", "quantity", "unit_price", "amount"]
#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP's CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading ``'``.

    Only for text (descriptions, part names, ids): the figures are written by
    gitdesk itself and stay numbers, negative ones included. Line breaks are
    written as ``\\n`` (the writer quotes a cell with one; a lone carriage
    return it would leave unquoted, splitting the row).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(statements: Sequence["Statement"]) -> str:
    """Statements as CSV for accounting: one row per line, then a ``vat`` and a ``total`` row each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for s in statements:
        head = [csv_cell(s.customer), csv_cell(s.month)]
        for line in s.lines:
            j = line.as_json()
            writer.writerow([*head, j["date"] or "", csv_cell(j["ticket"] or ""), csv_cell(j["kind"]),
                             csv_cell(j.get("reason", "")), csv_cell(j["description"]),
                             j["quantity"], j["unit_price"], j["amount"]])
        if s.lines:
            writer.writerow([*head, "", "", "vat", "", f"VAT {s.vat_rate.normalize():f}% of {s.taxable:.2f}",
                             "1", f"{s.vat:.2f}", f"{s.vat:.2f}"])
            writer.writerow([*head, "", "", "total", "", "Total", "1", f"{s.total:.2f}", f"{s.total:.2f}"])
    return out.getvalue()


def statements(repo: "Repository", customer_id: str, months: Sequence[str], works: Sequence[WorkCharges]) -> list[Statement]:
    """The statements of ``customer_id`` for each of ``months`` (in ascending order).

    ``works`` are the customer's :class:`WorkCharges` of every month up to the last one.
    """
    return [statement(repo, customer_id, month, works) for month in months]
