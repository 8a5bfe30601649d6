"""A statement as a spreadsheet file (.xlsx) in the provider's language, for the customer's office.

Excel and LibreOffice open it in any locale: amounts are numbers with a
currency format, dates are dates, quantities numbers; the headers and the
summary are in the provider's language; every text of the data (titles,
descriptions, part names) is a text cell, never a formula, even when it
starts with ``=``. The summary (totals by heading, taxable, VAT, total) comes
under the lines as figures, not formulas: the same figures as the statement.

Written with XlsxWriter, in memory (a site has one file per statement, so a
portal of many customers writes thousands). The same statement gives the
same bytes (a fixed document time; XlsxWriter gives every part of the archive
a fixed time), so a site built again from the same data is byte for byte
the same. XlsxWriter is imported when a file is written, not before.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Mapping, Optional

from babel import Locale as BabelLocale
from babel import numbers as babel_numbers

from gitdesk.core.charges import Statement, breakdown
from gitdesk.text.exports import quantity_places
from gitdesk.text.i18n import Locale
from gitdesk.text.lines import describe

#: The columns of the lines: (label key, width in characters).
COLUMNS = (("date", 12), ("ticket", 22), ("title", 34), ("description", 60), ("qty", 8), ("unit_price", 14),
           ("amount", 14))
#: Where the lines' header row is, counted from 1 as a spreadsheet shows it (rows 1-3: title, customer, state).
HEADER_ROW = 5
DATE_FORMAT = "dd/mm/yyyy"  # day first, as both the Italian and the Irish English locale write it
#: The most characters a cell of Excel holds.
MAX_CELL = 32767
#: The document's time: any fixed moment (the zip format's own epoch).
FIXED = dt.datetime(1980, 1, 1)


def money_format(locale: Locale) -> str:
    """The locale's currency pattern as a number format (``#,##0.00 "€"``): separators follow the reader's settings."""
    pattern = BabelLocale.parse(locale.locale).currency_formats["standard"]
    symbol = babel_numbers.get_currency_symbol(locale.currency, locale=locale.locale).replace('"', "")

    def part(text: str) -> str:
        return text.replace("¤", f'"{symbol}"').replace("\xa0", " ")

    body = "#,##0.00"
    return f"{part(pattern.prefix[0])}{body}{part(pattern.suffix[0])};{part(pattern.prefix[1])}{body}{part(pattern.suffix[1])}"


def quantity_format(value: Decimal) -> str:
    return "#,##0." + "0" * quantity_places(value)


def statement_xlsx(s: Statement, locale: Locale, *, customer: str, state: str,
                   titles: Optional[Mapping[str, str]] = None) -> bytes:
    """The statement ``s`` as .xlsx bytes: the lines, then the summary; ``state`` is the line under the customer's name
    (e.g. "Da emettere"), ``titles`` the requests' titles by id."""
    import xlsxwriter

    L = locale
    titles = titles or {}
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    book.set_properties({"created": FIXED})
    sheet = book.add_worksheet(_text(f"{L('sheet_statement')} {s.month}")[:31])
    cells = _Cells(book, sheet, money_format(L))
    cells.text(0, 0, f"{L('statement')} {L.month(s.month)}", cells.title)
    cells.text(1, 0, customer)
    cells.text(2, 0, state)
    header = HEADER_ROW - 1
    for col, (key, width) in enumerate(COLUMNS):
        cells.text(header, col, L(key), cells.bold)
        sheet.set_column(col, col, width)
    row = header
    for line in s.lines:
        row += 1
        if line.day is not None:
            sheet.write_datetime(row, 0, dt.datetime.combine(line.day, dt.time()), cells.date)
        cells.text(row, 1, line.ticket or "")
        cells.text(row, 2, titles.get(line.ticket, "") if line.ticket else "")
        cells.text(row, 3, describe(line, L.language))
        sheet.write_number(row, 4, float(line.quantity), cells.quantity(line.quantity))
        sheet.write_number(row, 5, float(line.unit_price), cells.money)
        sheet.write_number(row, 6, float(line.amount), cells.money)
    last_line = row
    row += 1
    for b in breakdown(s.lines):
        row += 1
        cells.text(row, 3, L("heading_" + b.heading))
        sheet.write_number(row, 6, float(b.amount), cells.money)
    row += 1
    for label, amount in ((L("taxable"), s.taxable), (f"{L('vat')} {L.percent(s.vat_rate)}", s.vat), (L("total"), s.total)):
        row += 1
        cells.text(row, 3, label, cells.bold)
        sheet.write_number(row, 6, float(amount), cells.bold_money)
    sheet.freeze_panes(header + 1, 0)
    if last_line > header:
        sheet.autofilter(header, 0, last_line, len(COLUMNS) - 1)
    book.close()
    return out.getvalue()


#: What XML 1.0 cannot carry (control characters but tab and line breaks, U+FFFE, U+FFFF, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A text a spreadsheet would take as a formula if typed: kept as text when the cell is edited, too.
_FORMULA_START = ("=", "+", "-", "@")


def _text(text: str) -> str:
    """Text a cell can hold: a character a spreadsheet file cannot hold as U+FFFD (�), at most :data:`MAX_CELL` characters."""
    return _NOT_XML.sub("\ufffd", text[:MAX_CELL])


class _Cells:
    """A worksheet's formats, made once per file, and its text cells."""

    def __init__(self, book, sheet, money: str) -> None:
        self.book = book
        self.sheet = sheet
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.date = book.add_format({"num_format": DATE_FORMAT})
        self.money = book.add_format({"num_format": money})
        self.bold_money = book.add_format({"num_format": money, "bold": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.quantities: dict[str, object] = {}

    def text(self, row: int, col: int, text: str, style=None) -> None:
        """A text cell: a string even when it starts like a formula (``=``, ``+``, ``-``, ``@``), and kept so when edited."""
        if style is None and text[:1] in _FORMULA_START:
            style = self.quoted
        self.sheet.write_string(row, col, _text(text), style)

    def quantity(self, value: Decimal):
        pattern = quantity_format(value)
        style = self.quantities.get(pattern)
        if style is None:
            style = self.quantities[pattern] = self.book.add_format({"num_format": pattern})
        return style
