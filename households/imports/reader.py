"""Read an uploaded ``.xlsx`` or ``.csv`` into rows, find the header row, protect the server.

Pure Python (python-calamine for xlsx, the csv module for csv): no Django. Rows are streamed one
at a time, so a 300,000-row sheet is never held twice in memory. Cells keep their type as read:
a ``float`` in an identifier column means the value went through an Excel number cell.

What is refused before any row is read, with a message the operator can act on: an extension
other than ``.xlsx``/``.csv`` (``.xls`` gets its own advice), a file whose content does not match
its extension (a renamed file), an empty or oversized file, an xlsx whose uncompressed size is
absurd (a zip bomb), a sheet with more rows than allowed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from xml.etree.ElementTree import iterparse

import python_calamine

HEADER_SCAN_ROWS = 30
MIN_HEADER_MATCHES = 3
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A worksheet part compresses about 10-20x; a ratio this high is a zip bomb, not a spreadsheet.
_MAX_COMPRESSION_RATIO = 400
_RATIO_CHECK_MIN_BYTES = 20 * 1024 * 1024
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
# Sheets whose XML is larger than this are read in chunks of about ``CHUNK_BYTES`` of XML.
CHUNKED_PART_BYTES = 128 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')
_DIMENSION_TAG = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


class ReadError(Exception):
    """The file as a whole cannot be read; ``str()`` is the Indonesian message for the operator."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 1_000_000
    max_uncompressed_bytes: int = 1024 * 1024 * 1024


def normalize_header(value: object) -> str:
    """Header text as matched: lower case, inner whitespace collapsed, spaces around '/' dropped."""
    if value is None:
        return ""
    text = " ".join(str(value).replace("\u00a0", " ").split()).lower()
    text = re.sub(r"\s*/\s*", "/", text)
    return text.strip(" :*")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """One sheet (or a csv file) with its header found. ``rows`` yields ``(row_number, cells)``
    once, where ``row_number`` is the row as Excel shows it and ``cells`` line up with ``headers``.
    Wholly empty rows (trailing ones included) are skipped."""

    source: str
    name: str
    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    height: int = 0

    @property
    def normalized_headers(self) -> list[str]:
        return [normalize_header(h) for h in self.headers]


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


class Source:
    """An uploaded file, checked and ready to read. Use ``open_source``."""

    def __init__(self, path: Path, display_name: str, kind: str, limits: Limits):
        self.path = path
        self.display_name = display_name
        self.kind = kind
        self.limits = limits
        self._workbook = None
        self._sheet_paths: dict[str, str] | None = None

    # --- sheets
    def sheet_names(self) -> list[str]:
        if self.kind == "csv":
            return [Path(self.display_name).stem]
        return list(self._book().sheet_names)

    def _book(self):
        if self._workbook is None:
            try:
                self._workbook = python_calamine.CalamineWorkbook.from_path(str(self.path))
            except Exception as exc:  # calamine raises several error types for a broken file
                raise ReadError(
                    f"Berkas {self.display_name} tidak dapat dibaca sebagai .xlsx ({type(exc).__name__}). "
                    "Buka di Excel lalu simpan ulang sebagai Buku Kerja Excel (.xlsx)."
                ) from exc
        return self._workbook

    def close(self) -> None:
        if self._workbook is not None:
            try:
                self._workbook.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
            self._workbook = None

    def damaged(self, exc: Exception, sheet: str | None = None) -> ReadError:
        """Any other error while reading (a truncated sheet, a zip whose sizes lie, a parser error
        halfway through the rows) as the refusal the operator sees. The error's own text is left
        out: it may quote cell contents."""
        where = f", lembar {sheet}" if sheet else ""
        return ReadError(
            f"Berkas {self.display_name} rusak atau tidak lengkap{where} ({type(exc).__name__}); tidak ada data "
            "yang diubah. Buka di Excel lalu simpan ulang sebagai Buku Kerja Excel (.xlsx), atau ekspor ulang "
            "dari aplikasi sumbernya."
        )

    def table(self, sheet_name: str | None, *, is_known_header: Callable[[str], bool]) -> Table | None:
        """The sheet with its header row found by content; ``None`` when no row of the first
        ``HEADER_SCAN_ROWS`` holds at least ``MIN_HEADER_MATCHES`` known headers. Any error while
        reading is a ``ReadError``, here or while ``rows`` is consumed."""
        try:
            return self._table(sheet_name, is_known_header=is_known_header)
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - calamine, zipfile, XML and csv errors alike
            raise self.damaged(exc, sheet_name) from exc

    def _table(self, sheet_name: str | None, *, is_known_header: Callable[[str], bool]) -> Table | None:
        if self.kind == "csv":
            name = self.sheet_names()[0]
            raw_rows, height, formulas = self._csv_rows(), 0, set()
        else:
            name = sheet_name or self.sheet_names()[0]
            part = self._sheet_part(name)
            large = part is not None and self._part_size(part) > CHUNKED_PART_BYTES
            if large:
                sheet, height = None, self._declared_height(part)
            else:
                sheet = self._book().get_sheet_by_name(name)
                height = sheet.total_height or sheet.height or 0
            if height > self.limits.max_rows + HEADER_SCAN_ROWS:
                raise ReadError(
                    f"Lembar {name} berisi {height:,} baris; batas {self.limits.max_rows:,} baris per lembar."
                    .replace(",", ".")
                )
            raw_rows = self._chunked_rows(name, part) if large else self._xlsx_rows(sheet)
            formulas = self._formula_cells(name)
        head: list[tuple[int, list]] = []
        for item in raw_rows:
            head.append(item)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        best_index, best_score = -1, 0
        for index, (_, cells) in enumerate(head):
            score = sum(1 for cell in cells if is_known_header(normalize_header(cell)))
            if score > best_score:
                best_index, best_score = index, score
        if best_score < MIN_HEADER_MATCHES:
            return None
        header_number, header_cells = head[best_index]
        width = len(header_cells)
        while width and is_blank(header_cells[width - 1]):
            width -= 1
        headers = ["" if is_blank(c) else " ".join(str(c).split()) for c in header_cells[:width]]
        rest = chain(head[best_index + 1 :], raw_rows)
        return Table(
            source=self.display_name,
            name=name,
            header_row=header_number,
            headers=headers,
            rows=self._data_rows(rest, width, name),
            formula_cells=formulas,
            height=max(0, height - header_number),
        )

    def _data_rows(self, rows, width: int, name: str) -> Iterator[tuple[int, list]]:
        try:
            yield from self._padded_rows(rows, width, name)
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - an error halfway through the sheet
            raise self.damaged(exc, name) from exc

    def _padded_rows(self, rows, width: int, name: str) -> Iterator[tuple[int, list]]:
        count = 0
        for number, cells in rows:
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            elif len(cells) > width:
                cells = cells[:width]
            if all(is_blank(c) for c in cells):
                continue
            count += 1
            if count > self.limits.max_rows:
                raise ReadError(
                    f"Lembar {name} berisi lebih dari {self.limits.max_rows:,} baris data.".replace(",", ".")
                )
            yield number, cells

    def _xlsx_rows(self, sheet) -> Iterator[tuple[int, list]]:
        start = sheet.start or (0, 0)
        first_row, first_col = start
        pad = [None] * first_col
        # python-calamine's iter_rows starts at the sheet's first row (empty rows above the data
        # included) but at the first used column: number from row 1 when the rows above came too.
        offset = None
        for index, cells in enumerate(sheet.iter_rows()):
            if offset is None:
                offset = 0 if first_row and all(is_blank(c) for c in cells) else first_row
            yield offset + index + 1, (pad + list(cells)) if first_col else cells

    def _python_rows(self, sheet) -> Iterator[tuple[int, list]]:
        """A chunk's rows from its first used row and column (``to_python`` skips the empty area,
        where ``iter_rows`` would yield every row above the chunk)."""
        first_row, first_col = sheet.start or (0, 0)
        pad = [None] * first_col
        for index, cells in enumerate(sheet.to_python(skip_empty_area=True)):
            yield first_row + index + 1, (pad + cells) if first_col else cells

    def _csv_rows(self) -> Iterator[tuple[int, list]]:
        data = self.path.read_bytes()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - cp1252 decodes nearly anything
            raise ReadError(f"Berkas {self.display_name} bukan teks CSV yang dapat dibaca.")
        del data
        sample = text[:20000]
        delimiter = max((";", ",", "\t", "|"), key=lambda d: sample.count(d))
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        for index, cells in enumerate(reader):
            yield index + 1, cells

    # --- a large sheet, in row chunks: calamine holds a whole sheet in memory, and a 335,000-row
    # individual sheet needs about 850 MB while it is loaded. Above ``CHUNKED_PART_BYTES`` of XML the
    # sheet's XML is cut at row boundaries and each chunk is read by calamine as a small workbook
    # (the same shared strings and styles, so values and dates come out exactly the same).
    def _part_size(self, part: str) -> int:
        with zipfile.ZipFile(self.path) as archive:
            try:
                return archive.getinfo(part).file_size
            except KeyError:
                return 0

    def _declared_height(self, part: str) -> int:
        with zipfile.ZipFile(self.path) as archive, archive.open(part) as stream:
            head = stream.read(1 << 16)
        match = _DIMENSION.search(head)
        return int(match.group(1)) if match else 0

    def _chunked_rows(self, name: str, part: str) -> Iterator[tuple[int, list]]:
        with zipfile.ZipFile(self.path) as archive:
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
                    data = stream.read(CHUNK_BYTES)
                    finished = not data
                    buffer += data
                    if prefix is None:
                        start = buffer.find(b"<sheetData")
                        end = buffer.find(b">", start) if start >= 0 else -1
                        if end < 0:
                            if finished or len(buffer) > 4 * CHUNK_BYTES:
                                break  # not the plain layout: read the sheet whole below
                            continue
                        if b"<worksheet" not in buffer[:start]:
                            break
                        if buffer[end - 1 : end] == b"/":  # <sheetData/>: no rows
                            return
                        prefix = _DIMENSION_TAG.sub(b"", buffer[: end + 1])
                        buffer = buffer[end + 1 :]
                    if len(buffer) < CHUNK_BYTES and not finished:
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
                    yield from self._rows_of_chunk(name, part, parts, (prefix, chunk, b"</sheetData></worksheet>"))
                    del chunk
        if prefix is None:
            yield from self._xlsx_rows(self._book().get_sheet_by_name(name))

    def _rows_of_chunk(self, name: str, part: str, parts, pieces: tuple[bytes, ...]) -> Iterator[tuple[int, list]]:
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
                yield from self._python_rows(sheet)
            del sheet
        finally:
            book.close()

    # --- formulas: calamine gives a formula's cached value (or nothing); find them in the XML
    def _formula_cells(self, sheet_name: str) -> set[tuple[int, int]]:
        part = self._sheet_part(sheet_name)
        if not part:
            return set()
        with zipfile.ZipFile(self.path) as archive:
            with archive.open(part) as stream:
                tail = b""
                found = False
                while chunk := stream.read(1 << 20):
                    if _may_hold_formula(tail + chunk):
                        found = True
                        break
                    tail = chunk[-16:]
            if not found:
                return set()
            cells: set[tuple[int, int]] = set()
            with archive.open(part) as stream:
                ref = None
                for event, element in iterparse(stream, events=("start", "end")):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if event == "start" and tag == "c":
                        ref = element.get("r")
                    elif event == "end" and tag == "f" and ref:
                        match = _CELL_REF.match(ref)
                        if match:
                            cells.add((int(match.group(2)), _column_index(match.group(1))))
                    elif event == "end" and tag in ("c", "row"):
                        element.clear()
            return cells

    def _sheet_part(self, sheet_name: str) -> str | None:
        if self._sheet_paths is None:
            self._sheet_paths = {}
            with zipfile.ZipFile(self.path) as archive:
                try:
                    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
                    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
                except KeyError:
                    return None
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
                    self._sheet_paths[_xml_unescape(name.group(1))] = targets[rid.group(1)]
        return self._sheet_paths.get(sheet_name)


# Substring tests (memchr speed) before the regex: the regex alone scans a large sheet's XML slowly.
_FORMULA_HINTS = tuple(prefix + b"f" + end for prefix in (b"<", b":") for end in (b">", b" ", b"/", b"\t", b"\n", b"\r"))


def _may_hold_formula(data: bytes) -> bool:
    return any(hint in data for hint in _FORMULA_HINTS) and _FORMULA_TAG.search(data) is not None


def _xml_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def open_source(path: str | Path, *, display_name: str | None = None, limits: Limits = Limits()) -> Source:
    """Check an uploaded file's type, size and (for xlsx) uncompressed size; raise ``ReadError``."""
    path = Path(path)
    name = display_name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ReadError(
            f"{name}: format .xls (Excel 97-2003) tidak didukung. Buka di Excel lalu simpan sebagai "
            "Buku Kerja Excel (.xlsx)."
        )
    if suffix not in (".xlsx", ".csv"):
        raise ReadError(f"{name}: jenis berkas '{suffix or 'tanpa ekstensi'}' tidak didukung; unggah berkas .xlsx atau .csv.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"{name}: berkas tidak ditemukan atau tidak dapat dibuka.") from exc
    if size == 0:
        raise ReadError(f"{name}: berkas kosong.")
    if size > limits.max_bytes:
        raise ReadError(f"{name}: berkas terlalu besar ({_mb(size)} MB); batas unggahan {_mb(limits.max_bytes)} MB.")
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if suffix == ".xlsx":
        if head.startswith(_OLE_MAGIC):
            raise ReadError(
                f"{name}: isi berkas adalah format Excel lama (.xls) atau berkas terenkripsi yang diberi nama "
                ".xlsx. Buka di Excel lalu simpan sebagai Buku Kerja Excel (.xlsx) tanpa kata sandi."
            )
        if not head.startswith(_ZIP_MAGIC):
            raise ReadError(
                f"{name}: bukan berkas Excel .xlsx yang sah (isinya bukan buku kerja Excel; mungkin berkas lain "
                "yang diganti namanya)."
            )
        _check_archive(path, name, limits)
        return Source(path, name, "xlsx", limits)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC) or b"\x00" in head:
        raise ReadError(
            f"{name}: bukan berkas teks CSV (isinya biner, mungkin berkas Excel yang diganti namanya). "
            "Unggah sebagai .xlsx atau simpan ulang sebagai CSV."
        )
    return Source(path, name, "csv", limits)


def _check_archive(path: Path, name: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReadError(f"{name}: berkas .xlsx rusak atau tidak lengkap (arsip tidak dapat dibuka).") from exc
    if "xl/workbook.xml" not in names:
        raise ReadError(f"{name}: bukan buku kerja Excel .xlsx (mungkin dokumen lain yang diganti namanya).")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise ReadError(
            f"{name}: isi berkas setelah diekstrak terlalu besar ({_mb(total)} MB; batas "
            f"{_mb(limits.max_uncompressed_bytes)} MB). Berkas ditolak demi keamanan server."
        )
    for member in members:
        if member.file_size > _RATIO_CHECK_MIN_BYTES and member.file_size > _MAX_COMPRESSION_RATIO * max(1, member.compress_size):
            raise ReadError(
                f"{name}: rasio kompresi tidak wajar (kemungkinan 'zip bomb'). Berkas ditolak demi keamanan server."
            )
