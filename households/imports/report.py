"""The error report: the rows that were refused, exactly as uploaded, plus the reasons.

One sheet per uploaded sheet that had errors, with the original sheet name, header and cells (so
the operator can fix the rows and upload the file again), then the columns *Baris asal* and
*Alasan kesalahan*. Written with the conventions of ``households.xlsx``: ID columns as text,
text that would run as a formula kept as text (``konut_registry.spreadsheets``), a frozen,
filterable header.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from households.xlsx import write_xlsx
from konut_registry.spreadsheets import xlsx_cell

from . import columns as cols
from .issues import IssueLog
from .reader import Source, normalize_header

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_REASON_FILL = PatternFill("solid", fgColor="F8D7DA")
_ID_WORDS = ("nik", "kk", "id ", "id_", "kode", "nomor")


def is_id_header(header: str) -> bool:
    text = normalize_header(header) + " "
    return any(word in text for word in _ID_WORDS) or text.startswith("id")


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cached_rows(issues: IssueLog, source: Source, sheet_name: str, wanted: set[int]):
    """The refused rows of a sheet as kept while it was read, or None when any is missing (a row
    refused later, e.g. the first of two duplicates) and the sheet must be read again."""
    read = getattr(issues, "sheet_headers", {}).get(sheet_name)
    if read is None or read[0] != source.display_name:
        return None
    headers = read[1]
    kept = issues.row_cells
    if any((sheet_name, row) not in kept for row in wanted):
        return None
    return headers, [(row, kept[(sheet_name, row)]) for row in sorted(wanted)]


def write_error_report(target: IO[bytes], sources: list[Source], issues: IssueLog) -> int:
    """Write the report for ``issues`` from the refused rows kept while reading (or, when some were
    refused later, by reading them again from ``sources``); return the number of rows written."""
    reasons: dict[tuple[str, int], list[str]] = defaultdict(list)
    for issue in issues.errors:
        reasons[(issue.sheet, issue.row)].append(f"{issue.column}: {issue.reason}" if issue.column else issue.reason)
    file_level = [r for (sheet, row), r in reasons.items() if row == 0]
    workbook = Workbook(write_only=True)
    written = 0
    used_titles: set[str] = set()
    for source in sources:
        for sheet_name in source.sheet_names():
            wanted = {row for (sheet, row) in reasons if sheet == sheet_name and row}
            if not wanted:
                continue
            cached = _cached_rows(issues, source, sheet_name, wanted)
            if cached is not None:
                headers_read, rows = cached
            else:
                table = cols.BUILTIN.table(source, sheet_name)
                if table is None:
                    continue
                headers_read, rows = table.headers, table.rows
            title = sheet_name[:31]
            while title in used_titles:
                title = title[:28] + f"_{len(used_titles)}"
            used_titles.add(title)
            sheet = workbook.create_sheet(title=title)
            headers = [*headers_read, "Baris asal", "Alasan kesalahan"]
            text_columns = {i for i, h in enumerate(headers_read) if is_id_header(h)}
            sheet.freeze_panes = "A2"
            for index, header in enumerate(headers):
                width = 60 if index == len(headers) - 1 else max(12, min(40, len(header) + 4))
                sheet.column_dimensions[get_column_letter(index + 1)].width = width
            header_cells = []
            for header in headers:
                cell = xlsx_cell(sheet, header)
                cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
                header_cells.append(cell)
            sheet.append(header_cells)
            count = 0
            for row, cells in rows:
                if row not in wanted:
                    continue
                out = []
                for index, value in enumerate(cells):
                    if index in text_columns:
                        cell = xlsx_cell(sheet, _as_text(value), number_format="@")
                    else:
                        if isinstance(value, datetime.datetime):
                            value = value.replace(tzinfo=None)
                        date_format = "DD/MM/YYYY" if isinstance(value, datetime.date) else None
                        cell = xlsx_cell(sheet, value, number_format=date_format)
                    out.append(cell)
                out.append(WriteOnlyCell(sheet, value=row))
                reason = xlsx_cell(sheet, "; ".join(reasons[(sheet_name, row)]))
                reason.fill = _REASON_FILL
                out.append(reason)
                sheet.append(out)
                count += 1
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
            written += count
    if not written:
        # Only file-level problems (or rows that could not be read again): list the reasons.
        return write_xlsx(
            target, sheet_title="Kesalahan", headers=["Lembar", "Baris", "Kolom", "Alasan kesalahan"],
            rows=([i.sheet, i.row, i.column, i.reason] for i in issues.errors),
        ) if issues.errors or file_level else 0
    workbook.save(target)
    return written
