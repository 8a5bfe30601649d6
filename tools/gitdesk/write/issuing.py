"""The files of issuing: an issued statement's record and a correction, as YAML text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gitdesk.core.charges import Statement
from gitdesk.text.lines import describe
from gitdesk.write.yamlout import quote


def record_text(s: Statement, number: str, issued: dt.date, language: str) -> str:
    """The YAML of an issued statement: its figures and every line, as issued (described in ``language``)."""
    out = [
        "# An issued statement: its figures may not change. Corrections go into a later",
        "# statement: gitdesk statement adjust --number " + number,
        f"number: {number}",
        f"customer: {s.customer}",
        f"month: {s.month}",
        f"issued: {issued.isoformat()}",
        f'taxable: "{s.taxable:.2f}"',
        f'vat: "{s.vat:.2f}"',
        f'total: "{s.total:.2f}"',
        "lines:" if s.lines else "lines: []",
    ]
    for line in s.lines:
        ticket = f"ticket: {line.ticket}, " if line.ticket else ""
        out.append(f"  - {{kind: {line.kind}, {ticket}description: {quote(describe(line, language))}, amount: \"{line.amount:.2f}\"}}")
    return "\n".join(out) + "\n"


def adjustment_text(number: str, customer: str, month: str, date: dt.date, amount: Decimal, reason: str, tickets: list[str]) -> str:
    out = [
        f"# A correction of issued statement {number}, carried into the statement for {month}.",
        f"corrects: {number}",
        f"customer: {customer}",
        f"month: {month}",
        f"date: {date.isoformat()}",
        f'amount: "{amount:.2f}"',
        f"reason: {quote(reason)}",
    ]
    if tickets:
        out.append(f"tickets: [{', '.join(tickets)}]")
    return "\n".join(out) + "\n"
