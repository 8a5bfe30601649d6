"""Issued statements: their records, their lock, and honest corrections.

Issuing writes the statement's figures to ``statements/<year>/<number>.yaml``
(a file reviewed and committed like any other). From then on the data must
keep producing those figures: an edit that changes them is an error naming
the ticket and the change. A correction is recorded as an adjustment
(``statements/adjustments/<number>-<n>.yaml``) that carries the difference
into a later statement, so issued history is never rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable, Optional

from gitdesk.core import errors
from gitdesk.core.charges import Statement, month_bounds, statement
from gitdesk.core.errors import Problem
from gitdesk.core.model import Adjustment, IssuedStatement
from gitdesk.core.scalars import month_of

if TYPE_CHECKING:
    from gitdesk.core.repository import Repository

ZERO = Decimal(0)


def issued_for(repo: "Repository", customer: str, month: str) -> Optional[IssuedStatement]:
    for record in repo.issued.values():
        if record.customer == customer and record.month == month:
            return record
    return None


def corrections_of(repo: "Repository", number: str) -> list[Adjustment]:
    return sorted((a for a in repo.adjustments.values() if a.corrects == number), key=lambda a: (a.date, a.id or ""))


def current(repo: "Repository", customer: str, month: str) -> Statement:
    """The statement as the data computes it now."""
    return statement(repo, customer, month, repo.works.get(customer, ()))


# ---------------------------------------------------------------- the lock


def _line_keys(lines: Iterable) -> Counter:
    return Counter((line.kind, line.ticket or "", f"{line.amount:.2f}") for line in lines)


def differences(record: IssuedStatement, now: Statement) -> list[tuple[Optional[str], str]]:
    """What changed since issuing: ``(ticket or None, "labour 50.00 -> 75.00")`` per ticket and kind."""
    before, after = _line_keys(record.lines), _line_keys(now.lines)
    changes: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for (kind, ticket, amount), n in (before - after).items():
        changes.setdefault((ticket, kind), ([], []))[0].extend([amount] * n)
    for (kind, ticket, amount), n in (after - before).items():
        changes.setdefault((ticket, kind), ([], []))[1].extend([amount] * n)
    return [(ticket or None, f"{kind} {', '.join(was) or 'none'} -> {', '.join(now_) or 'none'}")
            for (ticket, kind), (was, now_) in sorted(changes.items())]


def lock_problems(repo: "Repository") -> list[Problem]:
    """Every issued statement whose figures the data no longer produces (corrections counted)."""
    problems: list[Problem] = []
    ticket_paths = {}
    for record in sorted(repo.issued.values(), key=lambda r: r.number):
        now = current(repo, record.customer, record.month)
        corrections = corrections_of(repo, record.number)
        corrected = record.taxable + sum((a.amount for a in corrections), ZERO)
        if corrections and now.taxable == corrected:
            continue
        if not corrections and now.taxable == record.taxable and _line_keys(now.lines) == _line_keys(record.lines):
            continue
        delta = now.taxable - corrected
        hint = (f"record the correction in a later statement: gitdesk statement adjust --number {record.number} "
                f"--reason '...' (difference {delta:+.2f})")
        changes = differences(record, now)
        if not ticket_paths:
            ticket_paths = _ticket_paths(repo)
        placed = False
        for ticket, change in changes:
            path = ticket_paths.get(ticket) if ticket else None
            if path is None:
                continue
            placed = True
            problems.append(errors.at(
                path, (), f"this changes issued statement {record.number} ({record.customer}, {record.month}): "
                          f"{change} for {ticket}; {hint}", "issued-changed"))
        if not placed:
            summary = "; ".join(f"{c}" + (f" for {t}" if t else "") for t, c in changes) or f"taxable was {record.taxable:.2f}, now {now.taxable:.2f}"
            problems.append(errors.at(
                record.path or "", ("taxable",), f"the data no longer gives issued statement {record.number} "
                                                  f"({record.customer}, {record.month}): {summary}; {hint}", "issued-changed"))
    return problems


def _ticket_paths(repo: "Repository") -> dict[str, str]:
    """Ticket ids to their files: from the work charges' tickets, found on disk by name."""
    wanted = {w.ticket for works in repo.works.values() for w in works}
    for record in repo.issued.values():
        wanted.update(line.ticket for line in record.lines if line.ticket)
    paths = {}
    tickets_dir = repo.root / "tickets"
    if tickets_dir.is_dir():
        for path in tickets_dir.glob("*/*/*.yaml"):
            if path.stem in wanted:
                paths[path.stem] = path.relative_to(repo.root).as_posix()
    return paths


def rules(repo: "Repository") -> Iterable[Problem]:
    """References of issued statements and corrections (the lock itself needs the charges)."""
    seen: dict[tuple[str, str], str] = {}
    for record in repo.issued.values():
        path = record.path or ""
        if record.id != record.number:
            yield errors.at(path, ("number",), f"number {record.number!r} disagrees with the file name {record.id!r}", "id-mismatch")
        if record.customer not in repo.customers:
            yield errors.at(path, ("customer",), f"unknown customer {record.customer!r}", "unknown-customer")
        if not record.number.startswith(f"{record.issued.year}-"):
            yield errors.at(path, ("number",), f"number {record.number} is not of the year it was issued ({record.issued.year})", "issued-number")
        key = (record.customer, record.month)
        if key in seen:
            yield errors.at(path, ("month",), f"{record.customer}'s statement for {record.month} was already issued as {seen[key]}", "issued-twice")
        seen.setdefault(key, record.number)
        if record.taxable + record.vat != record.total:
            yield errors.at(path, ("total",), f"total {record.total:.2f} is not taxable + VAT ({record.taxable + record.vat:.2f})", "issued-total")
    for adj in repo.adjustments.values():
        path = adj.path or ""
        target = repo.issued.get(adj.corrects)
        if target is None:
            yield errors.at(path, ("corrects",), f"no issued statement {adj.corrects!r} to correct", "unknown-statement")
            continue
        if adj.customer != target.customer:
            yield errors.at(path, ("customer",), f"statement {adj.corrects} is {target.customer}'s, not {adj.customer}'s", "adjustment")
        if adj.month <= target.month:
            yield errors.at(path, ("month",), f"a correction of {target.month} goes into a later statement, not {adj.month}", "adjustment")
        carrier = issued_for(repo, adj.customer, adj.month)
        if carrier is not None and not any(l.kind == "adjustment" and f"{adj.corrects}" in l.description for l in carrier.lines):
            yield errors.at(path, ("month",), f"the statement for {adj.month} was already issued ({carrier.number}) without this correction", "adjustment")


# ---------------------------------------------------------------- issuing and correcting


def next_number(repo: "Repository", year: int, taken: Iterable[str] = ()) -> str:
    numbers = [n for n in list(repo.issued) + list(taken) if n.startswith(f"{year}-")]
    tails = (n.split("-", 1)[1] for n in numbers)
    last = max((int(t) for t in tails if t.isascii() and t.isdigit()), default=0)
    return f"{year}-{last + 1:04d}"


def next_month(month: str) -> str:
    first, last = month_bounds(month)
    following = last + dt.timedelta(days=1)
    return month_of(following)
