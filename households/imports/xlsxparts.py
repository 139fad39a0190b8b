"""The parts of an ``.xlsx`` that calamine does not give: formula cells, sheet paths, large sheets in chunks
(and the hidden rows of an ``.xls``).

Pure Python (zipfile and the XML of the sheet; an ``.xls``'s records). calamine gives a formula's cached value (or nothing),
so formula cells are found in the sheet's XML. calamine also holds a whole sheet in memory (a
335,000-row individual sheet needs about 850 MB while loaded): above a size the reader sets, the
sheet's XML is cut at row boundaries and each chunk is read by calamine as a small workbook (the
same shared strings and styles, so values and dates come out exactly the same).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import iterparse

import python_calamine
from xlrd import compdoc

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')
_DIMENSION_TAG = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)
# A hidden row: ``<row r="7" spans="1:6" hidden="1">`` (Excel writes 1, some writers true). The tail
# of a chunk kept before the next one: a row tag cut at the chunk's end is read whole in the next.
_HIDDEN_HINT = b'hidden="'
_HIDDEN_ATTRIBUTES = (b'hidden="1"', b'hidden="true"')
_HIDDEN_VALUES = ("1", "true")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_TAIL_BYTES = 2048
# Substring tests before the regex: the regex alone scans a large sheet's XML slowly. Two searches
# (a tag or a prefixed tag opening with ``f``) instead of one per way the tag can end: each search
# goes over the whole XML.
_FORMULA_HINTS = (b"<f", b":f")


def part_size(path: Path, part: str) -> int:
    with zipfile.ZipFile(path) as archive:
        try:
            return archive.getinfo(part).file_size
        except KeyError:
            return 0


def declared_height(path: Path, part: str) -> int:
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        head = stream.read(1 << 16)
    match = _DIMENSION.search(head)
    return int(match.group(1)) if match else 0


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> the path of its XML part inside the archive."""
    found: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        try:
            workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        except KeyError:
            return found
    targets = {}
    for rel in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel.group(0)))
        if "Id" in attrs and "Target" in attrs:
            target = attrs["Target"].lstrip("/")
            targets[attrs["Id"]] = target if target.startswith("xl/") else f"xl/{target}"
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = re.search(r'\bname="([^"]*)"', sheet.group(0))
        rid = re.search(r'\b\w+:id="([^"]*)"', sheet.group(0))
        if name and rid and rid.group(1) in targets:
            found[_xml_unescape(name.group(1))] = targets[rid.group(1)]
    return found


class FormulaCells(set):
    """(row as Excel shows it, 0-based column) of a sheet's formula cells; ``hidden_rows``: the rows
    hidden in Excel (by hand, or filtered out by an AutoFilter), found in the same pass over the XML."""

    hidden_rows: frozenset[int] = frozenset()


def formula_cells(path: Path, part: str | None) -> FormulaCells:
    """(row as Excel shows it, 0-based column) of every cell holding a formula (an ``<f>``), and the
    rows hidden (``<row ... hidden="1">``). Nearly every sheet has neither: one pass of substring
    tests over its XML says so."""
    cells = FormulaCells()
    if not part:
        return cells
    hidden: set[int] = set()
    with zipfile.ZipFile(path) as archive:
        with archive.open(part) as stream:
            tail = b""
            found = False
            while chunk := stream.read(1 << 20):
                window = tail + chunk
                if _HIDDEN_HINT in window:
                    hidden.update(_hidden_rows(window))
                if _may_hold_formula(window):
                    found = True  # the pass below finds the hidden rows of the rest
                    break
                tail = chunk[-_TAIL_BYTES:]
        if found:
            with archive.open(part) as stream:
                ref = None
                for event, element in iterparse(stream, events=("start", "end")):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if event == "start" and tag == "c":
                        ref = element.get("r")
                    elif event == "start" and tag == "row" and element.get("hidden") in _HIDDEN_VALUES:
                        number = element.get("r")
                        if number and number.isdigit():
                            hidden.add(int(number))
                    elif event == "end" and tag == "f" and ref:
                        match = _CELL_REF.match(ref)
                        if match:
                            cells.add((int(match.group(2)), _column_index(match.group(1))))
                    elif event == "end" and tag in ("c", "row"):
                        element.clear()
    if hidden:
        cells.hidden_rows = frozenset(hidden)
    return cells


def xls_hidden_rows(path: Path, sheet_name: str) -> FormulaCells:
    """The rows an Excel 97-2003 ``.xls`` sheet hides (by hand, or filtered out by an AutoFilter),
    as Excel numbers them, in ``hidden_rows`` (no formula cells: calamine gives an .xls formula's
    saved value, as Excel shows it). calamine does not say which rows are hidden: the sheet's ROW
    records do, read from the file's workbook stream (xlrd's ``compdoc`` opens it) without loading
    its cells or strings (xlrd's ``formatting_info`` would hold the whole sheet in memory). A file
    not read this way (calamine may read it) hides none."""
    cells = FormulaCells()
    try:
        stream, start, end = _xls_workbook_stream(path)
        position = _xls_sheet_position(stream, start, end, sheet_name)
        if position is not None:
            cells.hidden_rows = frozenset(_xls_rows_hidden(stream, position, end))
    except Exception:  # noqa: BLE001 - a damaged or unusual file: calamine reads it, or says why
        pass
    return cells


# BIFF records: a record is its type and length (two little-endian 16-bit numbers), then its data.
_BIFF_HEAD = struct.Struct("<HH")
_BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_ROW = 0x0809, 0x000A, 0x0085, 0x0208
_ROW_HIDDEN = 0x20  # the ROW record's flag of a row of zero height: hidden (``fDyZero``)


def _xls_workbook_stream(path: Path) -> tuple[bytes, int, int]:
    """The bytes holding the workbook stream (BIFF8 ``Workbook``, BIFF5 ``Book``), where it starts and ends."""
    document = compdoc.CompDoc(path.read_bytes(), logfile=io.StringIO())
    for name in ("Workbook", "Book"):
        stream, start, size = document.locate_named_stream(name)
        if stream is not None:
            return stream, start, start + size
    raise ValueError("no workbook stream")


def _biff_records(stream: bytes, position: int, end: int) -> Iterator[tuple[int, int, int]]:
    """``(type, data start, data length)`` of the records from ``position`` to the end of the
    substream that starts there (its BOF's EOF: a chart inside a sheet has its own pair)."""
    depth = 0
    while position + 4 <= end:
        kind, length = _BIFF_HEAD.unpack_from(stream, position)
        depth += (kind == _BIFF_BOF) - (kind == _BIFF_EOF)
        yield kind, position + 4, length
        if depth <= 0:
            return
        position += 4 + length


def _xls_sheet_position(stream: bytes, start: int, end: int, sheet_name: str) -> int | None:
    """Where the named sheet's records start, by the workbook's BOUNDSHEET records (BIFF8 names:
    one or two bytes a character; BIFF5: one)."""
    biff8 = None
    for kind, data, length in _biff_records(stream, start, end):
        if kind == _BIFF_BOF and biff8 is None:
            biff8 = stream[data : data + 2] == b"\x00\x06"
        elif kind == _BIFF_BOUNDSHEET:
            offset, count = struct.unpack_from("<I", stream, data)[0], stream[data + 6]
            if biff8 and stream[data + 7] & 1:
                name = stream[data + 8 : data + 8 + 2 * count].decode("utf-16-le", "replace")
            else:
                name = stream[data + (8 if biff8 else 7) : data + (8 if biff8 else 7) + count].decode("cp1252", "replace")
            if name == sheet_name:
                return start + offset
    return None


def _xls_rows_hidden(stream: bytes, position: int, end: int) -> Iterator[int]:
    """The numbers (as Excel shows them) of the rows a sheet's ROW records hide."""
    for kind, data, length in _biff_records(stream, position, end):
        if kind == _BIFF_ROW and length >= 16 and stream[data + 12] & _ROW_HIDDEN:
            yield struct.unpack_from("<H", stream, data)[0] + 1


def _hidden_rows(window: bytes) -> Iterator[int]:
    """The numbers of the rows a piece of sheet XML hides, whose tags it holds whole (a hidden
    column's ``<col hidden="1">`` is not one)."""
    for value in _HIDDEN_ATTRIBUTES:
        at = window.find(value)
        while at != -1:
            start, end = window.rfind(b"<", 0, at), window.find(b">", at)
            if start != -1 and end != -1 and _ROW_TAG.match(window, start):
                number = _ROW_NUMBER.search(window, start, end)
                if number:
                    yield int(number.group(1))
            at = window.find(value, at + 1)


def chunked_rows(
    path: Path, name: str, part: str, *, chunk_bytes: int, rows_of: Callable, whole: Callable[[], Iterator]
) -> Iterator[tuple[int, list]]:
    """The sheet's rows read chunk by chunk; ``rows_of(sheet)`` turns a chunk's calamine sheet into
    numbered rows; ``whole()`` reads the sheet at once when its XML is not the plain layout."""
    with zipfile.ZipFile(path) as archive:
        parts = []
        for info in archive.infolist():
            if info.filename == part:
                parts.append((info.filename, None))
            elif info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                parts.append((info.filename, _EMPTY_SHEET))
            else:
                parts.append((info.filename, archive.read(info)))
        with archive.open(part) as stream:
            buffer = b""
            prefix = None
            finished = False
            while not finished:
                data = stream.read(chunk_bytes)
                finished = not data
                buffer += data
                if prefix is None:
                    start = buffer.find(b"<sheetData")
                    end = buffer.find(b">", start) if start >= 0 else -1
                    if end < 0:
                        if finished or len(buffer) > 4 * chunk_bytes:
                            break  # not the plain layout: read the sheet whole below
                        continue
                    if b"<worksheet" not in buffer[:start]:
                        break
                    if buffer[end - 1 : end] == b"/":  # <sheetData/>: no rows
                        return
                    prefix = _DIMENSION_TAG.sub(b"", buffer[: end + 1])
                    buffer = buffer[end + 1 :]
                if len(buffer) < chunk_bytes and not finished:
                    continue
                if finished:
                    cut = buffer.find(b"</sheetData>")
                    cut = len(buffer) if cut < 0 else cut
                else:
                    cut = buffer.rfind(b"</row>")
                    if cut < 0:
                        continue
                    cut += len(b"</row>")
                chunk, buffer = buffer[:cut], buffer[cut:]
                yield from _rows_of_chunk(name, part, parts, (prefix, chunk, b"</sheetData></worksheet>"), rows_of)
                del chunk
    if prefix is None:
        yield from whole()


def _rows_of_chunk(name: str, part: str, parts, pieces: tuple[bytes, ...], rows_of) -> Iterator[tuple[int, list]]:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        for filename, content in parts:
            if filename == part:
                with archive.open(filename, "w", force_zip64=True) as target:
                    for piece in pieces:
                        target.write(piece)
            else:
                archive.writestr(filename, content)
    del pieces
    packed.seek(0)
    book = python_calamine.CalamineWorkbook.from_filelike(packed)
    try:
        sheet = book.get_sheet_by_name(name)
        if sheet.height:
            yield from rows_of(sheet)
        del sheet
    finally:
        book.close()


def _may_hold_formula(data: bytes) -> bool:
    return any(hint in data for hint in _FORMULA_HINTS) and _FORMULA_TAG.search(data) is not None


def _xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1
