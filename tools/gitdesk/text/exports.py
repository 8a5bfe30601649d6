"""Statements as programs and accountants read them: JSON and CSV, with each line's description.

The same output for the command line (``gitdesk statement --format json|csv``)
and the portal's downloads.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Sequence

from gitdesk.core.charges import Line, Statement, breakdown
from gitdesk.text.lines import describe, notice_text


def quantity_places(value: Decimal) -> int:
    """How many decimals a quantity is written with: two, or as many as it really has (``1.50``, ``0.125``)."""
    return max(2, -int(value.normalize().as_tuple().exponent))


def decimal_text(value: Decimal) -> str:
    """A quantity as text, with :func:`quantity_places` decimals."""
    return f"{value:.{quantity_places(value)}f}"


def line_json(line: Line, language: str) -> dict:
    """A statement line as JSON: figures as decimal text; ``reason`` and ``intervention`` when it has them."""
    out = {
        "kind": line.kind,
        "ticket": line.ticket,
        "date": line.day.isoformat() if line.day else None,
        "description": describe(line, language),
        "quantity": decimal_text(line.quantity),
        "unit_price": f"{line.unit_price:.2f}",
        "amount": f"{line.amount:.2f}",
    }
    if line.reason:
        out["reason"] = line.reason
    if line.intervention is not None:
        out["intervention"] = line.intervention
    return out


def statement_json(s: Statement, language: str) -> dict:
    """A statement as JSON (the data format's shape): lines, figures, packages, notes, whether issued."""
    return {
        "customer": s.customer,
        "month": s.month,
        "lines": [line_json(line, language) for line in s.lines],
        "taxable": f"{s.taxable:.2f}",
        "vat_rate": f"{s.vat_rate.normalize():f}%",
        "vat": f"{s.vat:.2f}",
        "total": f"{s.total:.2f}",
        "summary": [{"heading": b.heading, "amount": f"{b.amount:.2f}", "lines": b.lines} for b in breakdown(s.lines)],
        "package_hours_left": f"{s.package_hours_left:.2f}",
        "packages": [
            {"bought": p.package.bought.isoformat(), "hours": decimal_text(p.package.hours),
             "expires": p.package.expires.isoformat() if p.package.expires else None,
             "hours_drawn": f"{p.hours_drawn:.2f}", "hours_left": f"{p.hours_left:.2f}", "expired": p.expired}
            for p in s.packages
        ],
        "warnings": [notice_text(n, language) for n in s.notices],
        "issued": {"number": s.issued[0], "date": s.issued[1].isoformat()} if s.issued else None,
    }


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


def csv_text(statements: Sequence[Statement], language: str) -> str:
    """Statements as CSV for accounting: one row per line, then a ``vat`` and a ``total`` row each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for s in statements:
        head = [csv_cell(s.customer), csv_cell(s.month)]
        for line in s.lines:
            j = line_json(line, language)
            writer.writerow([*head, j["date"] or "", csv_cell(j["ticket"] or ""), csv_cell(j["kind"]),
                             csv_cell(j.get("reason", "")), csv_cell(j["description"]),
                             j["quantity"], j["unit_price"], j["amount"]])
        if s.lines:
            writer.writerow([*head, "", "", "vat", "", f"VAT {s.vat_rate.normalize():f}% of {s.taxable:.2f}",
                             "1", f"{s.vat:.2f}", f"{s.vat:.2f}"])
            writer.writerow([*head, "", "", "total", "", "Total", "1", f"{s.total:.2f}", f"{s.total:.2f}"])
    return out.getvalue()
