"""The one xlsx writer the application uses for every file it hands out (exports, error reports).

ID columns (NIK, No KK, ID Keluarga, ...) are written as text cells with the ``@`` format, so Excel
keeps all 16 digits; text that a spreadsheet would run as a formula stays text
(``konut_registry.spreadsheets``).
The workbook is written in constant memory (openpyxl write-only mode) with a frozen, filterable
header row.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Sequence
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from konut_registry.spreadsheets import xlsx_cell

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


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
        cell = xlsx_cell(sheet, header)
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
                cell = xlsx_cell(sheet, "" if value is None else str(value), number_format="@")
            else:
                cell = xlsx_cell(sheet, value, number_format="DD/MM/YYYY" if isinstance(value, datetime.date) else None)
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(headers)))}{count + 1}"
    workbook.save(target)
    return count
