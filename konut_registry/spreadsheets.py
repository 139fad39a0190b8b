"""How every file the registry hands out keeps text as text in Excel and LibreOffice.

A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what a spreadsheet
runs as a formula (``=HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``): names, addresses and notes come
from uploaded files and forms, so any of them may. Such values are data and are never refused on the
way in (P3KE writes ``=< 900 WATT`` in Daya Listrik Terpasang); they are neutralised on the way out,
here, by every export: in xlsx as a string cell marked "quote prefix" (what Excel stores when one
types ``'=...``), so the cell shows the exact text and stays text when edited; in CSV, which has no
cell types, with a leading apostrophe. A plain number (``-5``, ``+62``) runs nothing and is left
alone.
"""

from __future__ import annotations

import re

from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value)


def xlsx_cell(sheet, value: object, *, number_format: str | None = None) -> WriteOnlyCell:
    """A cell for an openpyxl write-only sheet; formula-like text becomes a string cell."""
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
        cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def csv_text(value: object) -> object:
    """A CSV field: formula-like text gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value
