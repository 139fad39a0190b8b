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

from households.xlsx import Sheet, write_workbook

from . import columns as cols
from .issues import IssueLog
from .reader import Source, normalize_header

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
    """Write the report for ``issues``: the refused rows kept while reading (or, when some were
    refused later, read again from ``sources``), a sheet listing the errors themselves when no row
    could be given (file-level problems), then every warning on a sheet of its own (the import page
    shows the first ones only). Return the number of refused rows and listed errors written."""
    reasons: dict[tuple[str, int], list[str]] = defaultdict(list)
    for issue in issues.errors:
        reasons[(issue.sheet, issue.row)].append(f"{issue.column}: {issue.reason}" if issue.column else issue.reason)
    sheets: list[Sheet] = []
    used_titles: set[str] = set()
    given: set[str] = set()  # the sheets whose refused rows are given

    def title(name: str) -> str:
        cut = name[:31]
        while cut in used_titles:
            cut = cut[:28] + f"_{len(used_titles)}"
        used_titles.add(cut)
        return cut

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
            given.add(sheet_name)
            headers = [*headers_read, "Baris asal", "Alasan kesalahan"]
            text_columns = {i for i, h in enumerate(headers_read) if is_id_header(h)}
            sheets.append(Sheet(
                title(sheet_name), headers,
                _refused_rows(rows, wanted, text_columns, reasons, sheet_name),
                text_columns=text_columns, marked_columns=(len(headers) - 1,),
                widths=[60 if index == len(headers) - 1 else max(12, min(40, len(header) + 4)) for index, header in enumerate(headers)],
            ))
    refused_sheets = len(sheets)
    # The errors no sheet above gives with its row (a file-level problem, a sheet not read again):
    # listed with their reasons.
    listed = [i for i in issues.errors if not i.row or i.sheet not in given]
    if listed:
        sheets.append(Sheet(
            title("Kesalahan"), ["Lembar", "Baris", "Kolom", "Alasan kesalahan"],
            ([i.sheet, i.row or None, i.column, i.reason] for i in listed), marked_columns=(3,), widths=[20, 8, 24, 80],
        ))
    if issues.warnings:
        sheets.append(Sheet(
            title("Peringatan"), ["Lembar", "Baris", "Kolom", "Peringatan"],
            ([i.sheet, i.row or None, i.column, i.reason] for i in issues.warnings), widths=[20, 8, 24, 80],
        ))
    if not sheets:
        return 0
    return sum(write_workbook(target, sheets)[:refused_sheets]) + len(listed)


def _refused_rows(rows, wanted: set[int], text_columns: set[int], reasons, sheet_name: str):
    """The refused rows of a sheet as the report writes them: the cells as uploaded (IDs as text,
    dates as dates, whole numbers as whole numbers), the row's number, its reasons."""
    for row, cells in rows:
        if row not in wanted:
            continue
        out = []
        for index, value in enumerate(cells):
            if index in text_columns:
                value = _as_text(value)
            elif value.__class__ is float and value.is_integer():
                value = int(value)  # a number cell reads as a float (2.0): written as the sheet showed it, 2
            elif isinstance(value, datetime.datetime):
                value = value.replace(tzinfo=None)
                if value.time() == datetime.time():
                    value = value.date()
            out.append(value)
        out.append(row)
        out.append("; ".join(reasons[(sheet_name, row)]))
        yield out
