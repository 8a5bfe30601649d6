"""A statement as a spreadsheet file (.xlsx) in the provider's language, for the customer's office.

Excel and LibreOffice open it in any locale: amounts are numbers with a
currency format, dates are dates, quantities numbers; the headers and the
summary are in the provider's language; every text of the data (titles,
descriptions, part names) is a text cell, never a formula, even when it
starts with ``=``. The summary (totals by heading, taxable, VAT, total) comes
under the lines as figures, not formulas: the same figures as the statement.

The same statement gives the same bytes (fixed document times, fixed times in
the zip archive), so a site built again from the same data is byte for byte
the same. openpyxl is imported when a file is written, not before.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
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
#: Where the lines' header row is (rows 1-3: title, customer, state).
HEADER_ROW = 5
DATE_FORMAT = "dd/mm/yyyy"  # day first, as both the Italian and the Irish English locale write it
#: The most characters a cell of Excel holds.
MAX_CELL = 32767
#: Any fixed moment: the zip format's own epoch.
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
    from openpyxl import Workbook
    from openpyxl.styles import Font

    L = locale
    titles = titles or {}
    book = Workbook()
    sheet = book.active
    sheet.title = f"{L('sheet_statement')} {s.month}"
    bold = Font(bold=True)
    _text(sheet, 1, 1, f"{L('statement')} {L.month(s.month)}").font = Font(bold=True, size=14)
    _text(sheet, 2, 1, customer)
    _text(sheet, 3, 1, state)
    for col, (key, width) in enumerate(COLUMNS, start=1):
        _text(sheet, HEADER_ROW, col, L(key)).font = bold
        sheet.column_dimensions[_letter(col)].width = width
    money = money_format(L)
    row = HEADER_ROW
    for line in s.lines:
        row += 1
        if line.day is not None:
            cell = sheet.cell(row, 1, line.day)
            cell.number_format = DATE_FORMAT
        _text(sheet, row, 2, line.ticket or "")
        _text(sheet, row, 3, titles.get(line.ticket, "") if line.ticket else "")
        _text(sheet, row, 4, describe(line, L.language))
        _number(sheet, row, 5, line.quantity, quantity_format(line.quantity))
        _number(sheet, row, 6, line.unit_price, money)
        _number(sheet, row, 7, line.amount, money)
    last_line = row
    row += 1
    for b in breakdown(s.lines):
        row += 1
        _text(sheet, row, 4, L("heading_" + b.heading))
        _number(sheet, row, 7, b.amount, money)
    row += 1
    for label, amount in ((L("taxable"), s.taxable), (f"{L('vat')} {L.percent(s.vat_rate)}", s.vat), (L("total"), s.total)):
        row += 1
        _text(sheet, row, 4, label).font = bold
        _number(sheet, row, 7, amount, money).font = bold
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    if last_line > HEADER_ROW:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{_letter(len(COLUMNS))}{last_line}"
    return _save(book)


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


#: What XML 1.0 cannot carry (control characters but tab and line breaks, U+FFFE, U+FFFF, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(sheet, row: int, col: int, text: str):
    """A text cell: a string even when it starts like a formula (``=``, ``+``, ``-``, ``@``), and kept so when edited.

    A character a spreadsheet file cannot hold is written as U+FFFD (�); a cell holds at most
    :data:`MAX_CELL` characters (Excel's limit).
    """
    cell = sheet.cell(row, col)
    cell.value = _NOT_XML.sub("\ufffd", text[:MAX_CELL])
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True
    return cell


def _number(sheet, row: int, col: int, value: Decimal, number_format: str):
    cell = sheet.cell(row, col, value)
    cell.number_format = number_format
    return cell


class _FixedZip(zipfile.ZipFile):
    """A zip archive whose members all carry the same time (a file's bytes then depend on its content only)."""

    def writestr(self, name, data, compress_type=None, compresslevel=None):
        if isinstance(name, str):
            info = zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            name = info
        super().writestr(name, data, compress_type, compresslevel)



def _save(book) -> bytes:
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class Writer(ExcelWriter):
        """openpyxl's writer, but a worksheet is written in memory (openpyxl writes it to a temporary file)."""

        def write_worksheet(self, ws):
            ws._drawing = SpreadsheetDrawing()
            writer = WorksheetWriter(ws, out=io.BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    book.properties.creator = None
    book.properties.created = book.properties.modified = FIXED
    out = io.BytesIO()
    with _FixedZip(out, "w", zipfile.ZIP_DEFLATED) as archive:
        Writer(book, archive).write_data()
    return out.getvalue()
