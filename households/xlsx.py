"""The one xlsx writer the application uses for every file it hands out (exports, error reports).

ID columns (NIK, No KK, ID Keluarga, ...) are written as text cells with the ``@`` format, so Excel
keeps all 16 digits; any text starting with ``=``, ``+``, ``-`` or ``@`` is prefixed with a single
quote so that no cell becomes a formula (formula injection).
The workbook is written in constant memory (openpyxl write-only mode) with a frozen, filterable
header row.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def safe_text(value: object) -> object:
    """Neutralise a value that a spreadsheet would read as a formula; leave others as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_xlsx(
    target: IO[bytes],
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    text_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
) -> int:
    """Write one sheet to ``target``; return the number of data rows.

    ``text_columns`` are the 0-based indexes of identifier columns stored as text.
    """
    text_columns = set(text_columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers):
        width = widths[index] if widths and index < len(widths) else max(12, min(40, len(header) + 4))
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, decimal.Decimal):
                value = int(value) if value == value.to_integral_value() else float(value)
            elif isinstance(value, datetime.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            if index in text_columns:
                cell = WriteOnlyCell(sheet, value="" if value is None else safe_text(str(value)))
                cell.number_format = "@"
            else:
                cell = WriteOnlyCell(sheet, value=safe_text(value))
                if isinstance(value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(headers)))}{count + 1}"
    workbook.save(target)
    return count
