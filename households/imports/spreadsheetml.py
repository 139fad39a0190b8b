"""Excel 2003 XML ("XML Spreadsheet 2003"), named .xls or .xlsx: what web applications (SIKS-NG, e-PKH,
Dukcapil) export as "Excel", and Excel opens as a workbook.

Pure Python, the standard library's ``iterparse``: each row is given as it ends and removed from the
tree, each sheet cleared as it ends, so memory stays flat whatever the file's size. The parser
fetches nothing; a file declaring a DOCTYPE (where entities would be declared, which Excel never
writes) is refused before it is parsed (``Unsafe``). A cell keeps its type as Excel reads it, as
calamine gives an .xlsx's: a Number is a ``float`` (so a NIK typed as a number is checked as the same
.xlsx cell is), a DateTime a ``date`` (a ``datetime`` when it has a time), a Boolean a ``bool``, a
String text. Rows and cells are placed as Excel shows them: ``ss:Index`` skips rows and columns, a
cell merged across (``ss:MergeAcross``) leaves the columns it covers empty, ``ss:Span`` repeats an
empty row. A sheet's hidden state (``<x:Visible>SheetHidden``) is written after its rows, so the
sheets are found by a first pass over the file (``survey``), which also notes each sheet's hidden
rows, formula cells and cells merged down, as the reader has them for an .xlsx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import iterparse

# Excel's last column: a cell placed beyond it is a mistake (or an attack), refused as an HTML row is.
from .htmltable import MAX_COLUMNS, TooWide
from .xlsxparts import FormulaCells

# The spreadsheet namespace, on the workbook's tag (the prefix varies) within the first bytes.
_WORKBOOK = re.compile(r"<([\w.-]+:)?Workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet")
# A prolog of nothing but space, processing instructions (the XML declaration, Excel's
# ``mso-application``) and comments, then the workbook's tag: no DOCTYPE anywhere before it, not
# even after a comment that itself names a workbook.
_SAFE_PROLOG = re.compile(r"\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*" + _WORKBOOK.pattern, re.S)
# A file of XML: a declaration, a comment or a tag first.
_XML_START = re.compile(r"^\ufeff?\s*<[?!A-Za-z]")
_HEAD_BYTES = 8192
_HIDDEN = ("1", "true")
_HIDDEN_SHEET = ("SheetHidden", "SheetVeryHidden")


class Unsafe(Exception):
    """The file declares a DOCTYPE before its workbook, or holds no workbook in its first bytes."""


def _head_text(head: bytes) -> str:
    """The first bytes as text, enough to find the tags in (they are ASCII): UTF-16 by its byte-order
    mark, else UTF-8 (a character of another encoding, or cut at the end, read as a replacement)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2].decode("utf-16", "replace")
    return head.decode("utf-8", "replace")


def is_spreadsheet_xml(head: bytes) -> bool:
    """Whether a file's first bytes are XML opening an Excel 2003 workbook (whatever comes before its
    tag: ``check_prolog`` judges that)."""
    text = _head_text(head)
    return _XML_START.match(text) is not None and _WORKBOOK.search(text) is not None


def check_prolog(head: bytes) -> None:
    """Raise ``Unsafe`` unless the workbook's tag comes first in ``head``, after nothing but space,
    processing instructions and comments: a DOCTYPE (the only place entities can be declared) can
    only stand before the root element, so none is parsed; a tag past ``head`` could not be checked."""
    if _SAFE_PROLOG.match(_head_text(head)) is None:
        raise Unsafe


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_X = "{urn:schemas-microsoft-com:office:excel}"


def _names(name: str, namespace: str = _SS) -> tuple[str, str]:
    """A tag's or an attribute's name in its namespace (``ss:Row``), and without one, as some writers put it."""
    return namespace + name, name


_WORKSHEET, _TABLE, _ROW, _CELL, _DATA = (frozenset(_names(n)) for n in ("Worksheet", "Table", "Row", "Cell", "Data"))
_VISIBLE = frozenset(_names("Visible", _X))
_STARTS = _WORKSHEET | _TABLE | _ROW
_ENDS = _VISIBLE | _WORKSHEET
_NAME, _INDEX, _SPAN, _HIDDEN_ROW, _MERGE_ACROSS, _MERGE_DOWN, _FORMULA, _TYPE = (
    _names(n) for n in ("Name", "Index", "Span", "Hidden", "MergeAcross", "MergeDown", "Formula", "Type")
)


def _attribute(element, names: tuple[str, str]) -> str | None:
    get = element.attrib.get
    value = get(names[0])
    return get(names[1]) if value is None else value


def _number(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


@dataclass
class SheetInfo:
    """What the first pass found of one worksheet."""

    name: str
    visible: bool = True
    height: int = 0  # the last row's number
    # Formula cells (``ss:Formula``, read by the value saved with them) and, as ``hidden_rows``, the
    # rows hidden in Excel (``ss:Hidden``): as ``xlsxparts.formula_cells`` gives them for an .xlsx.
    marks: FormulaCells = field(default_factory=FormulaCells)
    # (first row, last row, 0-based column) of each cell merged down over rows (``ss:MergeDown``).
    merged_down: list[tuple[int, int, int]] = field(default_factory=list)


def survey(path: Path) -> list[SheetInfo]:
    """Every worksheet of the file, in its order, with its visibility, height and marks."""
    sheets: list[SheetInfo] = []
    hidden: set[int] = set()
    for kind, number, row in _walk(path, None):
        if kind == "sheet":
            sheets.append(SheetInfo(row))
            hidden = set()
        elif kind == "row":
            sheet = sheets[-1]
            sheet.height = max(sheet.height, number)
            if _attribute(row, _HIDDEN_ROW) in _HIDDEN:
                hidden.add(number)
            for column, cell in _placed_cells(row, number):
                if _attribute(cell, _FORMULA):
                    sheet.marks.add((number, column))
                down = _number(_attribute(cell, _MERGE_DOWN))
                if down > 0:
                    sheet.merged_down.append((number, number + down, column))
        elif kind == "hidden":
            sheets[-1].visible = False
        elif kind == "end" and hidden:
            sheets[-1].marks.hidden_rows = frozenset(hidden)
    return sheets


def rows(path: Path, sheet: str) -> Iterator[tuple[int, list]]:
    """``(row number as Excel shows it, cells)`` of the worksheet named ``sheet``; raises ``TooWide``."""
    for kind, number, row in _walk(path, sheet):
        if kind == "row":
            cells: list = []
            for column, cell in _placed_cells(row, number):
                if column > len(cells):
                    cells.extend([None] * (column - len(cells)))
                cells.append(_value(cell))
            yield number, cells


def _walk(path: Path, only: str | None) -> Iterator[tuple[str, int, object]]:
    """The file's worksheets as ``("sheet", 0, name)``, ``("row", number, element)``, ``("hidden",
    0, None)`` and ``("end", 0, None)``; with ``only``, the rows of that sheet alone, ending there.
    A row's element is complete when given, and removed from the tree after."""
    with open(path, "rb") as handle:
        check_prolog(handle.read(_HEAD_BYTES))
        handle.seek(0)
        root = table = None
        inside = False  # within a worksheet that is read
        number = 0
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if root is None:
                    root = element
                elif tag not in _STARTS:  # nearly every element: a cell and its data
                    pass
                elif tag in _WORKSHEET:
                    name = _attribute(element, _NAME) or ""
                    inside, number = only is None or name == only, 0
                    if inside and only is None:
                        yield "sheet", 0, name
                elif tag in _TABLE:
                    table = element
                elif inside:
                    number = max(number + 1, _number(_attribute(element, _INDEX)))
                continue
            if tag in _ROW:
                if inside:
                    yield "row", number, element
                    number += _number(_attribute(element, _SPAN))
                if table is not None:
                    table.clear()  # the rows read: memory stays flat
            elif tag not in _ENDS:
                pass
            elif tag in _VISIBLE:
                if inside and only is None and (element.text or "").strip() in _HIDDEN_SHEET:
                    yield "hidden", 0, None
            else:
                if inside:
                    if only is not None:
                        return
                    yield "end", 0, None
                inside, table = False, None
                root.clear()


def _placed_cells(row, number: int) -> Iterator[tuple[int, object]]:
    """A row's ``(0-based column, cell element)``: ``ss:Index`` moves to a column, a cell merged
    across covers the columns after it."""
    column = 0
    for cell in row:
        if cell.tag not in _CELL:
            continue
        attributes = cell.attrib  # nearly every cell has a style; a place of its own only now and then
        if attributes:
            column = max(column, _number(_attribute(cell, _INDEX)) - 1)
        if column >= MAX_COLUMNS:
            raise TooWide(number)
        yield column, cell
        column += 1 + (max(0, _number(_attribute(cell, _MERGE_ACROSS))) if attributes else 0)


def _value(cell) -> object:
    for data in cell:  # a cell's Data, beside its Comment and NamedCell
        if data.tag in _DATA:
            break
    else:
        return None
    # A rich text cell holds its runs as HTML tags.
    text = "".join(data.itertext()) if len(data) else (data.text or "")
    kind = _attribute(data, _TYPE)
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "DateTime":
        return _date(text)
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text if text else None


def _date(text: str) -> object:
    """``1980-01-05T00:00:00.000`` as a ``date`` (a ``datetime`` when it has a time), as calamine
    gives an .xlsx's date cell; text that is no date stays text."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text or None
    if moment.time() == datetime.min.time():
        return moment.date()
    return moment
