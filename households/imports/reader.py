"""Read an uploaded ``.xlsx``, ``.xls``, ``.csv`` or ``.txt`` into rows, find the header row, protect the server.

Pure Python (python-calamine for the workbooks, ``textfile`` for text tables, ``htmltable`` for an
HTML table and ``spreadsheetml`` for Excel 2003 XML named .xls or .xlsx (or saved under a .csv or
.txt name), as web applications export "Excel", found by the content, ``xlsxparts`` for what calamine does not give): no Django. Rows are streamed one at a time, so a 300,000-row sheet is
never held twice in memory. Cells keep their type as read: a ``float`` in an identifier column
means the value went through an Excel number cell.

The header row is the row of the first ``HEADER_SCAN_ROWS`` that holds an identity column (NIK,
No KK, a family ID: the caller says which headers are) and the most known headers; a row right
under it that numbers the columns (1, 2, 3 ...) is not data. A table ends at the first row whose
identity cells hold no id (nothing of six digits or more, mostly digits) and whose first filled cell opens with a
notes, totals or signature word (``Catatan``, ``Mengetahui``, ``Jumlah``, ``Kepala Dinas``, ``NIP``,
``###``) or is the place and date a signature block opens with (``Wanggudu, 12 Desember 2024``),
or which carries a totals label (``JUMLAH``, ``TOTAL KESELURUHAN``) among its first few filled
cells, after a count in the No or ID column: ``Table.ended`` says where, for a warning. Unless
rows with ids follow: totals rows with more rows under them are a village's subtotal, passed over
(``Table.skipped``); rows with ids under a notes or signature row are refused (``Table.refused``).
A row without an id that holds a word or two and no person's name (a village's name heading its
rows, "DUSUN II", a remark) is a heading or a note, not data (a row carrying a NIK in any cell, or
a name under any layout's name column, never is): passed over (``Table.headings``),
for a warning naming it.

A file is read as what its content is, whatever its name among the accepted ones: a zip archive as
an .xlsx, an OLE2 container as an Excel 97-2003 workbook, Excel 2003 XML or an HTML page (a web
application's "Excel" export) as such, anything else as a text table (``open_source``).

What is refused before any row is read, with a message the operator can act on: an extension
other than ``.xlsx``/``.xls``/``.csv``/``.txt``, a file that is none of those (a renamed PDF or image),
an empty or oversized file, an xlsx whose uncompressed size is absurd (a zip bomb), an Excel 2003 XML
declaring a DOCTYPE (entities), a sheet with more rows than allowed.
"""

from __future__ import annotations

import logging
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import python_calamine

from konut_registry.numbers import thousands

from . import htmltable, spreadsheetml, textfile, xlsxparts

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 30
MIN_HEADER_MATCHES = 3
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A worksheet part compresses about 10-20x; a ratio this high is a zip bomb, not a spreadsheet.
_MAX_COMPRESSION_RATIO = 400
_RATIO_CHECK_MIN_BYTES = 20 * 1024 * 1024
# Sheets whose XML is larger than this are read in chunks of about ``CHUNK_BYTES`` of XML.
CHUNKED_PART_BYTES = 128 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
TEXT_SUFFIXES = (".csv", ".txt")
# The kinds of source that hold one table, named after the file: text, and a web page named as a workbook.
_ONE_TABLE = ("csv", "html")
# A workbook with macros (.xlsm) is an .xlsx besides its macros, which are never run.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Every kind of file an upload may be: ``open_source`` checks it, the upload page lists it.
ACCEPTED_SUFFIXES = (*WORKBOOK_SUFFIXES, ".xls", *TEXT_SUFFIXES)
# The first words of the notes, totals and signature rows under a table.
END_WORDS = (
    "catatan", "mengetahui", "jumlah", "total", "keterangan", "ket ", "dibuat oleh", "disahkan", "menyetujui",
    "kepala desa", "lurah", "tanda tangan", "ttd", "nb ", "sumber ",
    # A signature block without a "Mengetahui" line: the signer's office, then the name and NIP.
    "kepala dinas", "kepala badan", "kepala bidang", "kepala bagian", "kepala seksi", "kepala kantor", "camat ",
    "bupati ", "sekretaris", "a n ", "plt ", "plh ", "diketahui", "disetujui", "dibuat ", "yang membuat",
    "yang menerima", "yang menyerahkan", "nip ",
    # The head of a city or a province, a deputy, or a stand-in (Pj.) signs for a list of theirs.
    "wali kota ", "walikota ", "gubernur ", "wakil bupati ", "wakil wali kota ", "wakil walikota ", "wakil gubernur ",
    "pj bupati ", "pj wali kota ", "pj walikota ", "pj gubernur ", "penjabat ", "kepala kelurahan ",
    # What an application prints under its list: when, the page, the date of the data, a closing line.
    "dicetak ", "tanggal cetak ", "tgl cetak ", "waktu cetak ", "halaman ", "data per ", "demikian ",
)
# The place-and-date line that opens a signature block: "Wanggudu, 12 Desember 2024" (the day may be
# left blank, to be written by hand).
_SIGNED_AT = re.compile(
    r"^[a-z][a-z .'-]*,\s*(\d{1,2}\s+)?(januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|"
    r"oktober|nopember|november|desember)\s+(19|20)\d{2}\s*$",
    re.IGNORECASE,
)
_VISIBLE = python_calamine.SheetVisibleEnum.Visible
_CHART = python_calamine.SheetTypeEnum.ChartSheet
# A totals row's label, wherever among its first few filled cells.
_TOTALS = re.compile(r"^(jumlah|total|sub ?total|grand total|jml)\b")
# The lines an application prints at each page's foot: a printout pasted page after page repeats
# them between its rows, so rows with ids below one still belong to the table (as below a subtotal).
_PAGE_FOOT = re.compile(r"^(halaman|hal|page|dicetak|tanggal cetak|tgl cetak|waktu cetak)\b")
_TOTALS_CELLS = 3
# An id has six digits or more (NIK and No KK 16, ID Keluarga P3KE 9 and more): fewer is a count.
_ID_DIGITS = 6
_ID_NUMBER = 100_000
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# The row number column's titles (as ``normalize_header`` gives them): a template may number its rows
# ahead of the data.
_ROW_NUMBER_HEADERS = frozenset({"no", "no urut", "nomor", "nomor urut"})
_DIGITS = re.compile(r"\D+")
# A heading or note row inside a table (a village's name over its rows, "DUSUN II", a remark) has
# this many filled cells at most, each text with a letter (``_heading``).
_HEADING_CELLS = 2
_LETTER = re.compile(r"[^\W\d_]")
# A NIK or a No KK (16 digits) among a cell's words: the row names a person, whatever its columns.
_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")


class ReadError(Exception):
    """The file as a whole cannot be read; ``str()`` is the Indonesian message for the operator.
    ``details`` may carry what the preview lists besides (the unmapped columns of a refused layout)."""

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 1_000_000
    max_uncompressed_bytes: int = 1024 * 1024 * 1024


def normalize_header(value: object) -> str:
    """Header text as matched: lower case, every run of punctuation and spacing one space
    (``NO_KK``, ``No. KK`` and ``no kk`` all read ``no kk``; ``Desa/Kelurahan`` reads ``desa kelurahan``)."""
    if value is None:
        return ""
    return _NOT_WORD.sub(" ", str(value).lower()).strip()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class GroupedHeader(str):
    """A column's header of two rows: the label merged across several columns and the column's own
    title under it, joined as the operator reads them ("Penerima Bantuan Penerima PKH", "KEPALA
    KELUARGA NAMA"), the two kept apart (``group``, ``title``) for the layouts, which place the
    column by the whole text, else by its parts (``columns.Layouts.place``)."""

    group: str
    title: str

    def __new__(cls, group: str, title: str):
        header = super().__new__(cls, f"{group} {title}")
        header.group, header.title = group, title
        return header

    def __reduce__(self):  # pickled whole into the process that reads an individual sheet
        return (GroupedHeader, (self.group, self.title))


def header_key(header: str) -> str:
    """A table's header as the layouts are asked about it: ``normalize_header``'s text, a header of
    two rows keeping its parts."""
    if isinstance(header, GroupedHeader):
        return GroupedHeader(normalize_header(header.group), normalize_header(header.title))
    return normalize_header(header)


@dataclass
class Table:
    """One sheet (or a csv file) with its header found. ``rows`` yields ``(row_number, cells)``
    once, where ``row_number`` is the row as Excel shows it and ``cells`` line up with ``headers``.
    Wholly empty rows (trailing ones included) are skipped, and so are the rows of a template
    numbered ahead of its data (nothing but a number in the No column)."""

    source: str
    name: str
    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, list]]
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    height: int = 0
    # (row, text) of the notes/totals/signature row where the table ended, once read that far.
    ended: tuple[int, str] | None = None
    # (row, text) of the totals rows passed over inside the table (a village's subtotal with rows under it).
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # (row, text) of the heading and note rows passed over inside the table (``_heading``).
    headings: list[tuple[int, str]] = field(default_factory=list)
    # Rows yielded only to be refused, once read that far: row -> the reason (``RowReader`` records it).
    refused: dict[int, str] = field(default_factory=dict)
    # Columns (0-based) with data under no header, seen in the first rows: not read (``unheaded_columns``).
    unheaded: tuple[int, ...] = ()
    # The rows hidden in Excel (by hand or by an AutoFilter), and those of them read as data, once
    # read that far: read as the file holds them, named in a warning (``common.note_table_end``).
    hidden_rows: frozenset[int] = frozenset()
    hidden_read: list[int] = field(default_factory=list)
    # (row, text) of each row above the header that holds something, its cells joined: a list's
    # title ("DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2024"), which may say what the rows do not.
    titles: list[tuple[int, str]] = field(default_factory=list)
    # The cells merged down over several data rows, as ``(first row, last row, column)`` (``_merges``):
    # ``rows`` repeats the first row's value in the rows under it (``_filled_down``), as Excel shows
    # it; a reader to whom a value counted once per row matters (a group's total) looks here.
    merged_down: tuple[tuple[int, int, int], ...] = ()


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


class Source:
    """An uploaded file, checked and ready to read. Use ``open_source``. ``kind`` is ``xlsx``,
    ``xls``, ``xml`` (Excel 2003 XML, ``spreadsheetml``), ``csv`` (any text table) or ``html`` (a web
    page's tables named as a workbook, ``htmltable``); the last two are one table, named after the file."""

    def __init__(self, path: Path, display_name: str, kind: str, limits: Limits):
        self.path = path
        self.display_name = display_name
        self.kind = kind
        self.limits = limits
        self._workbook = None
        self._sheet_paths: dict[str, str] | None = None
        self._xml_sheets: dict[str, spreadsheetml.SheetInfo] | None = None
        # Per sheet, its cells merged down over rows: (first row, last row, column), rows as Excel numbers them.
        self._merged_down: dict[str, list[tuple[int, int, int]]] = {}
        # Per sheet, its cells merged across columns: (first row, last row, first column, last column).
        self._merged_across: dict[str, list[tuple[int, int, int, int]]] = {}
        # Per sheet whose header row was not found: the row of its top most like one, as (row, its
        # titles), for the refusal to say what the file's headers are (``likeliest_header``).
        self.unread_headers: dict[str, tuple[int, list[str]]] = {}

    # --- sheets
    def sheet_names(self) -> list[str]:
        """The sheets to read, in the workbook's order: its visible worksheets (a text file: one).
        A hidden sheet is what the office does not see (an old copy of the table, a lookup list):
        read, it would silently override or add to the sheet they checked (``hidden_sheets``). A
        chart sheet holds no cells: it is neither read nor reported."""
        if self.kind in _ONE_TABLE:
            return [Path(self.display_name).stem]
        return [name for name, visible in self._sheets() if visible]

    def hidden_sheets(self) -> list[str]:
        """The worksheets hidden (or very hidden) in Excel: not read, for a warning naming them."""
        if self.kind in _ONE_TABLE:
            return []
        return [name for name, visible in self._sheets() if not visible]

    def all_sheet_names(self) -> list[str]:
        """Every sheet, hidden ones included (a template's settings sheet may be hidden)."""
        if self.kind in _ONE_TABLE:
            return [Path(self.display_name).stem]
        if self.kind == "xml":
            return list(self._survey())
        return list(self._book().sheet_names)

    def _sheets(self) -> list[tuple[str, bool]]:
        """(name, visible) of each worksheet (chart sheets left out)."""
        if self.kind == "xml":
            return [(sheet.name, sheet.visible) for sheet in self._survey().values()]
        # Name, type and visibility, for .xlsx and .xls alike.
        return [(sheet.name, sheet.visible == _VISIBLE) for sheet in self._book().sheets_metadata if sheet.typ != _CHART]

    def _survey(self) -> dict[str, spreadsheetml.SheetInfo]:
        """An Excel 2003 XML file's worksheets, found by a first pass over it (``spreadsheetml.survey``)."""
        if self._xml_sheets is None:
            try:
                self._xml_sheets = {sheet.name: sheet for sheet in spreadsheetml.survey(self.path)}
            except Exception as exc:  # noqa: BLE001 - XML, I/O and the module's own refusals alike
                raise self._xml_error(exc) from exc
        return self._xml_sheets

    def _xml_error(self, exc: Exception, sheet: str | None = None) -> ReadError:
        if isinstance(exc, spreadsheetml.Unsafe):
            return unsafe_xml(self.display_name)
        if isinstance(exc, spreadsheetml.TooWide):
            return ReadError(
                f"{self.display_name}: baris {exc.row} berkas XML Spreadsheet 2003 ini berisi sel di luar kolom "
                "terakhir Excel (16.384 kolom); berkas tidak dibaca. Ekspor ulang data dari aplikasinya, atau buka "
                "di Excel lalu simpan sebagai Buku Kerja Excel (.xlsx)."
            )
        return self.damaged(exc, sheet)

    def _book(self):
        if self._workbook is None:
            try:
                self._workbook = open_workbook(self.path, self.kind)
            except Exception as exc:  # calamine raises several error types for a broken file
                logger.warning("Buku kerja %s tidak terbaca", self.display_name, exc_info=True)
                raise ReadError(
                    f"Berkas {self.display_name} tidak dapat dibaca sebagai buku kerja Excel (isinya rusak atau tidak "
                    "lengkap). Buka di Excel lalu simpan ulang sebagai Buku Kerja Excel (.xlsx)."
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
        # The error's kind goes to the server log with it: an operator is told what to do, never a name from the code.
        logger.warning("Berkas %s%s tidak terbaca", self.display_name, where, exc_info=exc)
        return ReadError(
            f"Berkas {self.display_name} rusak atau tidak lengkap{where}; tidak ada data "
            "yang diubah. Buka di Excel lalu simpan ulang sebagai Buku Kerja Excel (.xlsx), atau ekspor ulang "
            "dari aplikasi sumbernya."
        )

    def table(
        self, sheet_name: str | None, *, is_known_header: Callable[[str], bool],
        is_identity_header: Callable[[str], bool] | None = None, formulas=None,
        is_name_header: Callable[[str], bool] | None = None,
    ) -> Table | None:
        """The sheet with its header row found by content; ``None`` when no row of the first
        ``HEADER_SCAN_ROWS`` qualifies: with ``is_identity_header``, a row holding an identity
        header (the one with the most known headers wins); without, a row of at least
        ``MIN_HEADER_MATCHES`` known headers. Any error while reading is a ``ReadError``, here or
        while ``rows`` is consumed. ``formulas``: the sheet's formula cells found elsewhere (an
        object whose ``result()`` gives them, as ``formula_scan``'s), else found here.
        ``is_name_header``: the headers of a person's name: a row without an id but with a name is
        data (a recipient whose NIK was left out); without it, no row is taken for a heading."""
        try:
            return self._table(sheet_name, is_known_header, is_identity_header, formulas, is_name_header)
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - calamine, zipfile, XML and csv errors alike
            raise self.damaged(exc, sheet_name) from exc

    def key_values(self, sheet_name: str, keys: Collection[str]) -> dict[str, str]:
        """A sheet of key/value rows (a form rather than a table, such as OpenSID's ``Program``
        sheet), in its first ``HEADER_SCAN_ROWS`` rows: each of ``keys`` (as ``normalize_header``
        gives them) found in a cell -> the text of the cell after it ("" for none); the first
        occurrence of each, in the order of the sheet."""
        found: dict[str, str] = {}
        for _number, cells in islice(self.plain_rows(sheet_name), HEADER_SCAN_ROWS):
            for position, cell in enumerate(cells):
                key = "" if is_blank(cell) else normalize_header(cell)
                if key in keys and key not in found:
                    after = cells[position + 1] if position + 1 < len(cells) else None
                    found[key] = "" if is_blank(after) else " ".join(str(after).split())
        return found

    def plain_rows(self, sheet_name: str | None = None) -> Iterator[tuple[int, list]]:
        """The rows of ``sheet_name`` (the first sheet by default) as ``(row as Excel numbers it,
        cells)``, as the file holds them: no header sought, no row skipped, for a file of one plain
        list (the ministry's returned NIKs). The sheet's height is checked against the limits first;
        any error while reading, here or halfway, is a ``ReadError``."""
        try:
            name, rows, _height, _formulas = self._raw_rows(sheet_name, Background(None))
            self._merged_down.pop(name, None)
            self._merged_across.pop(name, None)
            yield from rows
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - calamine, zipfile, XML and csv errors alike
            raise self.damaged(exc, sheet_name) from exc

    def formula_scan(self, sheet_name: str) -> Background:
        """The formula cells of ``sheet_name`` and the rows Excel hides, found in a thread
        (``result()``), as ``table`` does: in an .xlsx's XML, in an .xls by ``xlsxparts.xls_hidden_rows``,
        in Excel 2003 XML by its survey."""
        if self.kind == "xls":
            return Background(xlsxparts.xls_hidden_rows, self.path, sheet_name)
        if self.kind == "xml":
            return Background.ready(self._survey()[sheet_name].marks)
        return Background(xlsxparts.formula_cells, self.path, self._sheet_part(sheet_name))

    def _raw_rows(self, sheet_name: str | None, formulas=None) -> tuple[str, Iterator[tuple[int, list]], int, Background]:
        if self.kind == "csv":
            text = textfile.decode(self.path.read_bytes())
            if text is None:  # UTF-16 that does not decode
                raise ReadError(f"Berkas {self.display_name} bukan teks CSV yang dapat dibaca.")
            return self.sheet_names()[0], textfile.text_rows(text), 0, Background(None)
        if self.kind == "html":
            return self.sheet_names()[0], self._html_rows(), 0, Background(None)
        name = sheet_name or self.sheet_names()[0]
        if self.kind == "xml":
            sheet = self._survey()[name]
            self._check_height(name, sheet.height)
            self._merged_down[name] = sheet.merged_down
            return name, self._xml_rows(name), sheet.height, Background.ready(sheet.marks)
        part = self._sheet_part(name)
        # The formula scan inflates the sheet's XML again: in a thread, while calamine (which lets
        # other threads run) loads the sheet.
        if formulas is None:
            formulas = self.formula_scan(name)
        large = part is not None and xlsxparts.part_size(self.path, part) > CHUNKED_PART_BYTES
        if large:
            sheet, height = None, xlsxparts.declared_height(self.path, part)
        else:
            sheet = self._book().get_sheet_by_name(name)
            height = sheet.total_height or sheet.height or 0
            self._merged_down[name], self._merged_across[name] = _merges(sheet)
        self._check_height(name, height)
        if large:
            rows = xlsxparts.chunked_rows(
                self.path, name, part, chunk_bytes=CHUNK_BYTES, rows_of=self._python_rows,
                whole=lambda: self._xlsx_rows(self._book().get_sheet_by_name(name)),
            )
        else:
            rows = self._xlsx_rows(sheet)
        return name, rows, height, formulas

    def _check_height(self, name: str, height: int) -> None:
        if height > self.limits.max_rows + HEADER_SCAN_ROWS:
            raise ReadError(
                f"Lembar {name} berisi {thousands(height)} baris; batas {thousands(self.limits.max_rows)} baris per lembar. "
                f"Jika datanya jauh lebih sedikit, ada isi sampai baris {thousands(height)} (spasi, atau rumus yang "
                "disalin ke seluruh kolom): hapus baris di bawah data, simpan, lalu unggah lagi."
            )

    def _table(self, sheet_name, is_known_header, is_identity_header, formulas=None, is_name_header=None) -> Table | None:
        name, raw_rows, height, formulas = self._raw_rows(sheet_name, formulas)
        head: list[tuple[int, list]] = []
        for item in raw_rows:
            head.append(item)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        best_index, best_score = -1, 0
        for index, (_, cells) in enumerate(head):
            names = [normalize_header(cell) for cell in cells if not is_blank(cell)]
            if is_identity_header is not None and not any(is_identity_header(h) for h in names):
                continue
            score = sum(1 for h in names if is_known_header(h))
            if score > best_score:
                best_index, best_score = index, score
        if best_score < (1 if is_identity_header is not None else MIN_HEADER_MATCHES):
            formulas.result()
            if (likeliest := likeliest_header(head)) is not None:
                self.unread_headers[name] = likeliest
            return None
        header_number, header_cells = head[best_index]
        across = self._merged_across.pop(name, ())
        if over := [m for m in self._merged_down.get(name, ()) if m[0] < header_number <= m[1]]:
            # The lower row of a header of two: "No" or "Nominal" merged down over both rows, and the
            # labels merged across the titles under them ("KEPALA KELUARGA" over NAMA | NIK).
            header_cells = _titles_merged_down(header_cells, head[:best_index], over)
            labels = [m for m in across if m[1] == header_number - 1]
            header_cells = _titles_under_labels(header_cells, head[:best_index], labels)
        elif best_index and head[best_index - 1][0] == header_number - 1:
            # The same header without its merges (a CSV saved from it, or titles left unmerged): the
            # titles and labels in the row above, written once.
            header_cells = _titles_written_above(header_cells, head[best_index - 1][1], is_known_header)
        below = head[best_index + 1 :]
        if below and (merged := _under_merged_headers(header_cells, below[0][1], is_identity_header)):
            # A header of two rows: the sub-headers under a merged cell ("Penerima Bantuan" over
            # BPNT, PKH ...) named with it; the data starts below them.
            header_cells, below = merged, below[1:]
        width = len(header_cells)
        while width and is_blank(header_cells[width - 1]):
            width -= 1
        headers = [
            c if isinstance(c, GroupedHeader) else "" if is_blank(c) else " ".join(str(c).split())
            for c in header_cells[:width]
        ]
        identity = ()
        if is_identity_header is not None:
            identity = tuple(i for i, h in enumerate(headers) if h and is_identity_header(header_key(h)))
        if below and _column_numbers(below[0][1][:width]):
            below = below[1:]  # the columns' numbers (1, 2, 3 ...) printed under the header: not data
        fields = None
        if self.kind == "csv":
            # A text file's header says how many fields a row has: one with more has a separator in
            # a cell (an address "Jl. Poros, RT 01" not in quotes), its values shifted
            # (``_too_many_fields``). When most rows have more, a column was left without a title.
            fields = len(header_cells)
            if 2 * sum(1 for _, cells in below if _past(cells, fields)) > len(below):
                fields = None
        unheaded = unheaded_columns(headers, below, identity, fields)
        rest = chain(below, raw_rows)
        merged = [merge for merge in self._merged_down.pop(name, ()) if merge[0] > header_number]
        if merged:
            rest = _filled_down(rest, merged)
        found = formulas.result()
        table = Table(
            source=self.display_name, name=name, header_row=header_number, headers=headers, rows=iter(()),
            formula_cells=found, height=max(0, height - header_number), unheaded=unheaded,
            hidden_rows=getattr(found, "hidden_rows", frozenset()), titles=_title_rows(head[:best_index]),
            merged_down=tuple(merged),
        )
        numbered = next((i for i, h in enumerate(headers) if normalize_header(h) in _ROW_NUMBER_HEADERS), None)
        names = None
        if is_name_header is not None:
            names = frozenset(i for i, h in enumerate(headers) if h and is_name_header(header_key(h)))
        table.rows = self._data_rows(rest, width, table, identity, fields, numbered, names)
        return table

    def _data_rows(
        self, rows, width: int, table: Table, identity: tuple[int, ...], fields: int | None, numbered: int | None,
        names: frozenset[int] | None = None,
    ) -> Iterator[tuple[int, list]]:
        try:
            if not table.hidden_rows:  # nearly every sheet
                yield from self._padded_rows(rows, width, table, identity, fields, numbered, names)
                return
            hidden, read = table.hidden_rows, table.hidden_read
            for number, cells in self._padded_rows(rows, width, table, identity, fields, numbered, names):
                if number in hidden:
                    read.append(number)
                yield number, cells
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - an error halfway through the sheet
            raise self.damaged(exc, table.name) from exc

    def _padded_rows(
        self, rows, width: int, table: Table, identity: tuple[int, ...], fields: int | None, numbered: int | None,
        names: frozenset[int] | None = None,
    ) -> Iterator[tuple[int, list]]:
        """The data rows, ``width`` cells each. ``fields``: a text file's header's fields (a row with
        more is refused); ``numbered``: the No column (a row holding only its number is blank);
        ``names``: the columns of a person's name (None: no row is a heading, ``_heading``)."""
        count = 0
        # The notes/totals rows met since the last row with an id, and the other rows without one
        # after them: what they are is known only from the rows that follow (``_after_notes``).
        notes: list[tuple[int, str]] = []
        held: list[tuple[int, list]] = []
        for number, cells in rows:
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            elif len(cells) > width:
                if fields is not None and len(cells) > fields and _past(cells, fields):
                    table.refused[number] = _too_many_fields(cells, fields)
                cells = cells[:width]
            first = cells[0]  # nearly every row: a value in the first column, no need to look further
            if (first is None or (isinstance(first, str) and not first.strip())) and all(is_blank(c) for c in cells):
                continue
            if identity:
                first = cells[identity[0]]
                # Nearly every row: an id of digits in text, or a number cell of six digits or more.
                kind = first.__class__
                plain_id = (kind is str and len(first) >= _ID_DIGITS and first.isdigit()) or (
                    (kind is int or kind is float) and first >= _ID_NUMBER
                )
                if notes or not plain_id:
                    holds_id = plain_id or any(_id_like(cells[i]) for i in identity)
                    if notes or not holds_id:
                        # Under notes, a row whose id is not plain may be the signer's NIP.
                        note = None if plain_id else _end_note(cells)
                        if note is not None:
                            if table.ended is None:  # once the table has ended, only rows with an id matter
                                notes.append((number, note))
                            continue
                        if not holds_id and numbered is not None and _only_row_number(cells, numbered):
                            continue  # a template's rows numbered ahead of the data: blank
                        if notes:
                            if not holds_id:
                                if table.ended is None:
                                    held.append((number, cells))
                                continue
                            for row in self._after_notes(table, notes, held, number):
                                if names is not None and (heading := _heading(row[1], names)) is not None:
                                    table.headings.append((row[0], heading))
                                    continue
                                count += 1
                                yield row
                            held = []
                            if table.ended is None:
                                notes = []
                        elif not holds_id and names is not None and (heading := _heading(cells, names)) is not None:
                            table.headings.append((number, heading))
                            continue
            count += 1
            if count > self.limits.max_rows:
                raise ReadError(
                    f"Lembar {table.name} berisi lebih dari {thousands(self.limits.max_rows)} baris data."
                )
            yield number, cells
        if notes and table.ended is None:
            table.ended = notes[0]

    @staticmethod
    def _after_notes(table: Table, notes: list[tuple[int, str]], held: list[tuple[int, list]], row: int) -> list:
        """A row with an id under notes/totals rows: when they are all totals rows (a village's
        subtotal) or a page's printed foot (``passed_over``), they are passed over and the rows held after them come back to be read; after a
        notes or signature row the table has ended, and the row is refused, naming where (another
        table under the signature is not this list)."""
        if table.ended is None and all(passed_over(note) for _, note in notes):
            table.skipped.extend(notes)
            return held
        if table.ended is None:
            table.ended = notes[0]
        end_row, note = table.ended
        table.refused[row] = (
            f"Baris ini berisi NIK/No KK/ID keluarga di bawah baris {end_row} ('{note}'), tempat tabel dianggap "
            "berakhir (baris catatan/tanda tangan); tidak dibaca. Jika baris ini bagian dari daftar, hapus baris "
            "catatan/tanda tangan di atasnya; jika bukan (mis. tabel lain di bawah tanda tangan), hapus baris ini. "
            "Lalu unggah lagi"
        )
        return []

    def _xlsx_rows(self, sheet) -> Iterator[tuple[int, list]]:
        first_row, first_col = sheet.start or (0, 0)
        rows = sheet.iter_rows()
        first = next(rows, None)
        if first is None:
            return iter(())
        # python-calamine's iter_rows starts at the sheet's first row (empty rows above the data
        # included) but at the first used column: number from row 1 when the rows above came too.
        offset = 0 if first_row and all(is_blank(c) for c in first) else first_row
        # Numbered in C (``enumerate``): no Python frame per row where no column is missing in front.
        numbered = enumerate(chain((first,), rows), offset + 1)
        if first_col:
            pad = [None] * first_col
            return ((number, pad + list(cells)) for number, cells in numbered)
        return numbered

    def _xml_rows(self, name: str) -> Iterator[tuple[int, list]]:
        try:
            yield from spreadsheetml.rows(self.path, name)
        except Exception as exc:  # noqa: BLE001 - XML, I/O and the module's own refusals alike
            raise self._xml_error(exc, name) from exc

    def _check_html(self) -> None:
        """Refuse a page without a data table now (on upload, not at the preview). What the check read
        is let go: kept for the import, the whole page's text would sit in memory from the opening of
        every file of an upload (``batches.open_sources``) until each is read."""
        next(self._html_rows(), None)

    def _html_rows(self) -> Iterator[tuple[int, list]]:
        try:
            data = self.path.read_bytes()
            if textfile.is_utf16(data) and len(data) % 2:
                data = data[:-1]  # a UTF-16 page cut short by a byte: what is there is whole characters
            yield from htmltable.rows(textfile.decode(data) or "")
        except htmltable.NoTable:
            raise ReadError(
                f"{self.display_name}: berkas ini adalah halaman web (HTML) yang diberi nama "
                f"{Path(self.display_name).suffix.lower()}, dan tidak berisi "
                "tabel data. Ekspor ulang data dari aplikasinya, atau buka di Excel lalu simpan sebagai Buku Kerja "
                "Excel (.xlsx)."
            ) from None
        except htmltable.TooWide as error:
            raise ReadError(
                f"{self.display_name}: baris {error.row} tabel halaman web (HTML) ini melebar lebih dari "
                "16.384 kolom (batas Excel) karena sel yang digabung (colspan); berkas tidak "
                "dibaca. Ekspor ulang data dari aplikasinya, atau buka di Excel lalu simpan sebagai Buku Kerja "
                "Excel (.xlsx)."
            ) from None

    def _python_rows(self, sheet) -> Iterator[tuple[int, list]]:
        """A chunk's rows from its first used row and column (``to_python`` skips the empty area,
        where ``iter_rows`` would yield every row above the chunk), numbered in C as ``_xlsx_rows``."""
        first_row, first_col = sheet.start or (0, 0)
        numbered = enumerate(sheet.to_python(skip_empty_area=True), first_row + 1)
        if first_col:
            pad = [None] * first_col
            return ((number, pad + cells) for number, cells in numbered)
        return numbered

    def _sheet_part(self, sheet_name: str) -> str | None:
        if self.kind != "xlsx":
            return None
        if self._sheet_paths is None:
            self._sheet_paths = xlsxparts.sheet_parts(self.path)
        return self._sheet_paths.get(sheet_name)


class Background:
    """``function(*args)`` run in a thread; ``result()`` waits for it, then returns its value or
    raises its error (in the caller's thread, where the reader's error handling is)."""

    def __init__(self, function: Callable | None, *args) -> None:
        self._value = self._error = self._thread = None
        if function is None:  # nothing to scan (a text file): an empty set of formula cells
            self._value = set()
            return
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True)
        self._thread.start()

    @classmethod
    def ready(cls, value) -> Background:
        """A result known already (what a first pass over the file found)."""
        done = cls(None)
        done._value = value
        return done

    def _run(self, function: Callable, args) -> None:
        try:
            self._value = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def result(self):
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def likeliest_header(head: list[tuple[int, list]]) -> tuple[int, list[str]] | None:
    """The row of a sheet's top most like a header row, none being recognised: the one with the most
    cells of text (the first of equals), as (row number, those texts); None for rows without text."""
    best: tuple[int, list[str]] | None = None
    for number, cells in head:
        texts = [" ".join(cell.split()) for cell in cells if isinstance(cell, str) and _LETTER.search(cell)]
        if texts and (best is None or len(texts) > len(best[1])):
            best = (number, texts)
    return best


def _id_text(value: str) -> bool:
    """Whether text is what an id could be: six digits or more, and mostly digits (``NIK
    7409012006740101``, ``7409-0122-0415-0101``), not a line of words that holds a date and a time
    (``Dicetak dari SIKS-NG pada 12/01/2024 10:22``) or a village's code."""
    digits = len(_DIGITS.sub("", value))
    return digits >= _ID_DIGITS and 2 * digits >= len(value) - value.count(" ")


def _holds_id(value: object) -> bool:
    """Whether an identity cell holds something like an id (a number, or text ``_id_text``)."""
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _id_text(value)


def _id_like(value: object) -> bool:
    """Whether an identity cell holds what an id could be (six digits or more, as text or as a
    number): not the count a totals row puts under No or ID Keluarga (``JUMLAH ... 6``)."""
    if value.__class__ in (int, float):
        return abs(value) >= _ID_NUMBER
    return isinstance(value, str) and _id_text(value)


def unheaded_columns(
    headers: list[str], rows: list[tuple[int, list]], identity: tuple[int, ...], fields: int | None = None
) -> tuple[int, ...]:
    """The columns (0-based) where the data rows among ``rows`` (those whose identity cells hold an
    id: not the notes under a table) have a value and the header row has none: a column an office
    filled without a title, which no mapping can place. ``fields``: a text file's header's number of
    fields; the fields past it are a shifted row's (``_too_many_fields``), not a column."""
    found: set[int] = set()
    for _number, cells in rows:
        if not identity or not any(i < len(cells) and _holds_id(cells[i]) for i in identity):
            continue
        if fields is not None:
            cells = cells[:fields]
        found.update(i for i, cell in enumerate(cells) if (i >= len(headers) or not headers[i]) and not is_blank(cell))
    return tuple(sorted(found))


def column_letter(index: int) -> str:
    """A 0-based column as Excel names it: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _merges(sheet) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int, int]]]:
    """The sheet's cells merged over several rows, as ``(first row, last row, column)`` (rows as
    Excel numbers them, the column 0-based): a family's No KK, village and address typed once and
    merged down over its members' rows; and those merged across several columns, as ``(first row,
    last row, first column, last column)``: a label over the titles of a header of two rows."""
    try:
        ranges = sheet.merged_cell_ranges or ()
    except Exception:  # noqa: BLE001 - a format calamine gives no merges for
        return [], []
    down = [(top + 1, bottom + 1, left) for (top, left), (bottom, _right) in ranges if bottom > top]
    across = [(top + 1, bottom + 1, left, right) for (top, left), (bottom, right) in ranges if right > left]
    return down, across


def _filled_down(rows: Iterator[tuple[int, list]], merged: list[tuple[int, int, int]]) -> Iterator[tuple[int, list]]:
    """The rows with the value of each cell merged down repeated in the rows it covers, as Excel
    shows it (only its first row holds it in the file)."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for top, bottom, column in merged:
        starts.setdefault(top, []).append((bottom, column))
    active: list[tuple[int, int, object]] = []  # (last row, column, value)
    for number, cells in rows:
        if active:
            active = [item for item in active if item[0] >= number]
            for _bottom, column, value in active:
                if column < len(cells) and is_blank(cells[column]):
                    cells = list(cells)
                    cells[column] = value
        for bottom, column in starts.pop(number, ()):
            if column < len(cells) and not is_blank(cells[column]):
                active.append((bottom, column, cells[column]))
        yield number, cells


def _title_rows(above: list[tuple[int, list]]) -> list[tuple[int, str]]:
    """``(row, text)`` of the rows above a header that hold something, the text of their cells joined."""
    titles = []
    for number, cells in above:
        words = " ".join(" ".join(str(cell).split()) for cell in cells if not is_blank(cell))
        if words:
            titles.append((number, words))
    return titles


def _titles_merged_down(header: list, above: list[tuple[int, list]], merges: list[tuple[int, int, int]]) -> list:
    """``header`` with each blank cell that a title above is merged down over named with that title
    (only the merged cell's first row holds it in the file)."""
    rows = dict(above)
    header = list(header)
    for top, _bottom, column in merges:
        cells = rows.get(top, ())
        title = cells[column] if column < len(cells) else None
        if is_blank(title):
            continue
        if column >= len(header):
            header += [None] * (column + 1 - len(header))
        if is_blank(header[column]):
            header[column] = title
    return header


def _titles_under_labels(header: list, above: list[tuple[int, list]], labels: list[tuple[int, int, int, int]]) -> list:
    """``header`` with each title under a label merged across its columns in the row above ("KEPALA
    KELUARGA" over NAMA | NIK | JENIS KELAMIN) named with that label (``GroupedHeader``)."""
    rows = dict(above)
    header = list(header)
    for top, _bottom, left, right in labels:
        cells = rows.get(top, ())
        label = cells[left] if left < len(cells) else None
        if is_blank(label):
            continue
        for column in range(left, min(right + 1, len(header))):
            title = header[column]
            if isinstance(title, str) and not is_blank(title):
                header[column] = GroupedHeader(" ".join(str(label).split()), " ".join(title.split()))
    return header


def _titles_written_above(header: list, above: list, is_known_header: Callable[[str], bool]) -> list:
    """``header`` completed by the row above it when the two are a header of two rows with no merged
    cells (a CSV saved from one): a title the layouts know over a blank cell of ``header`` ("NO",
    "DESA", "NOMINAL", merged down in the workbook) names that column, and a label over a title of
    ``header`` ("KEPALA KELUARGA" over NAMA, the blanks after it over NIK | NO KK) names the titles
    under it and under the blanks after it (``GroupedHeader``), up to the next cell of the row above.
    ``header`` as it is when the row above is a list's title ("DAFTAR PENERIMA ..."), not such a row."""
    width = max(len(header), len(above))
    header = list(header) + [None] * (width - len(header))
    above = list(above) + [None] * (width - len(above))
    if not _header_above(header, above, is_known_header):
        return header
    merged, label = [], None
    for over, title in zip(above, header):
        if not is_blank(over):
            over = " ".join(over.split())
            label = None if is_blank(title) else over
            if is_blank(title):
                merged.append(over)
                continue
        if is_blank(title) or label is None:
            merged.append(title)
        else:
            merged.append(GroupedHeader(label, " ".join(str(title).split())))
    return merged


def _header_above(header: list, above: list, is_known_header: Callable[[str], bool]) -> bool:
    """Whether ``above`` is the upper row of a header of two rows whose lower row is ``header`` (the
    two as long): text only, with two titles the layouts know over blanks of ``header``, or one and
    a label they know ("KEPALA KELUARGA") over two titles or more (over a title, then blanks). Not a
    list's title, nor a line such as "Kecamatan : Asera" over a table that starts a column further right."""
    if not all(isinstance(cell, str) for cell in above if not is_blank(cell)):
        return False
    known = sum(
        1 for over, title in zip(above, header)
        if is_blank(title) and not is_blank(over) and is_known_header(normalize_header(over))
    )
    if known != 1:
        return known > 1
    return any(
        not is_blank(over) and not is_blank(title) and is_known_header(normalize_header(over))
        and index + 1 < len(above) and is_blank(above[index + 1]) and not is_blank(header[index + 1])
        for index, (over, title) in enumerate(zip(above, header))
    )


def _under_merged_headers(header: list, cells: list, is_identity_header) -> list | None:
    """The header of two rows that ``header`` and the row under it (``cells``) make, or None when that
    row is not a row of sub-headers: text only, nothing under an identity header, and some of it
    under a blank header cell (the rest of a cell merged across columns). Each sub-header is named
    with the merged cell over it ("Penerima Bantuan" and "PKH": "Penerima Bantuan PKH"; a
    ``GroupedHeader`` when the cell is over several of them); a header merged down over both rows
    keeps its name."""
    if is_identity_header is None or not any(not is_blank(c) for c in cells):
        return None
    width = max(len(header), len(cells))
    header = list(header) + [None] * (width - len(header))
    cells = list(cells) + [None] * (width - len(cells))
    under_blank = False
    for above, cell in zip(header, cells):
        if is_blank(cell):
            continue
        if not isinstance(cell, str) or cell.strip().strip("()").isdigit():
            return None
        if not is_blank(above) and is_identity_header(normalize_header(above)):
            return None  # an id column holds a value: a data row
        under_blank = under_blank or is_blank(above)
    if not under_blank:
        return None
    parents, parent = [], ""
    for above in header:
        if not is_blank(above):
            parent = " ".join(str(above).split())
        parents.append(parent)
    titles = Counter(parent for parent, cell in zip(parents, cells) if parent and not is_blank(cell))
    merged = []
    for above, cell, parent in zip(header, cells, parents):
        title = None if is_blank(cell) else " ".join(cell.split())
        if title is None:
            merged.append(above)
        elif titles[parent] > 1:
            merged.append(GroupedHeader(parent, title))
        else:
            merged.append(f"{parent} {title}".strip())
    return merged


def _column_numbers(cells: list) -> bool:
    """Whether a row numbers the columns above it: 1, 2, 3 ... (or (1), (2) ...), as government
    tables print under their header, at least three of them."""
    numbers = []
    for cell in cells:
        if is_blank(cell):
            continue
        number = _whole_number(cell)
        if number is None:
            return False
        numbers.append(number)
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] in (0, 1)


def _past(cells: list, fields: int) -> bool:
    """Whether a row has a value past its first ``fields`` cells."""
    return len(cells) > fields and not all(is_blank(cell) for cell in cells[fields:])


def _whole_number(cell: object) -> int | None:
    """A cell's whole number (``3``, ``3.0``, ``"3"``, ``"(3)"``), else None."""
    if isinstance(cell, str):
        cell = cell.strip().strip("()")
        return int(cell) if cell.isdigit() else None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == int(cell):
        return int(cell)
    return None


def _only_row_number(cells: list, column: int) -> bool:
    """Whether a row's only value is a whole number in the No ``column``."""
    return _whole_number(cells[column]) is not None and all(
        is_blank(cell) for index, cell in enumerate(cells) if index != column
    )


def _too_many_fields(cells: list, fields: int) -> str:
    """The row error of a text file's row with values past its header's ``fields`` fields."""
    count = max(i for i, cell in enumerate(cells) if not is_blank(cell)) + 1
    return (
        f"Baris ini berisi {count} kolom, sedangkan judul kolom hanya {fields}: ada tanda pemisah (koma atau titik "
        "koma) di dalam isi sel (mis. alamat 'Jl. Poros, RT 01'), sehingga isi sel sesudahnya bergeser ke kolom "
        "lain; tidak dibaca. Beri tanda kutip pada isi sel itu (\"Jl. Poros, RT 01\") atau hapus tandanya, lalu "
        "unggah lagi"
    )


def _heading(cells: list, names: frozenset[int]) -> str | None:
    """The text of a heading or note row inside a table (a village's name over its rows, "DUSUN II",
    a remark), or None for a data row: at most ``_HEADING_CELLS`` filled cells, each text with a
    letter, none under a person's name (``names``: a name without its ids is a recipient whose NIK
    was left out, an error to show) and none carrying an id (``NIK 7409...`` written in another
    column: a person, whatever the columns are called). The caller has checked that the row's
    identity cells hold no id."""
    texts = []
    for index, cell in enumerate(cells):
        if is_blank(cell):
            continue
        if index in names or len(texts) == _HEADING_CELLS or not isinstance(cell, str) or not _LETTER.search(cell):
            return None
        if _id_text(cell) or _NIK_IN_TEXT.search(cell):
            return None
        texts.append(" ".join(cell.split()))
    return " ".join(texts)[:60] if texts else None


def passed_over(note: str) -> bool:
    """Whether a notes row with rows with ids under it is passed over (a village's subtotal, a page's
    printed foot) rather than the end of the table."""
    header = normalize_header(note)
    return bool(_TOTALS.match(header) or _PAGE_FOOT.match(header))


def is_totals(note: str) -> bool:
    """Whether a row passed over is a totals row (``JUMLAH``), not a page's printed foot."""
    return bool(_TOTALS.match(normalize_header(note)))


def _end_note(cells: list) -> str | None:
    """The text of a notes/totals/signature row, or None for a data row: its first filled cell
    opening with a notes, totals or signature word, or a totals label (``JUMLAH``, ``TOTAL
    KESELURUHAN``) among its first ``_TOTALS_CELLS`` filled cells, after a count in the No or ID
    column or a place's name (``6 | JUMLAH KELUARGA``). The caller has checked that the row holds
    no id."""
    filled = 0
    for cell in cells:
        if is_blank(cell):
            continue
        if isinstance(cell, str):
            raw = cell.strip()
            if filled == 0 and (raw.startswith("#") or (normalize_header(raw) + " ").startswith(END_WORDS) or _SIGNED_AT.match(raw)):
                return raw[:60]
            if _TOTALS.match(normalize_header(raw)):
                return raw[:60]
        filled += 1
        if filled >= _TOTALS_CELLS:
            return None
    return None


def open_source(path: str | Path, *, display_name: str | None = None, limits: Limits = Limits()) -> Source:
    """Check an uploaded file's type, size and (for xlsx) uncompressed size; raise ``ReadError``."""
    path = Path(path)
    name = display_name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ReadError(
            f"{name}: jenis berkas '{suffix or 'tanpa ekstensi'}' tidak didukung; unggah berkas .xlsx, .xlsm, .xls, .csv "
            "atau .txt."
        )
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
    # What the file is, its content says, whatever its name: offices save an .xlsx under a .xls name,
    # an Excel 97-2003 workbook under a .xlsx one, a CSV under either, a web page's "Excel" under any.
    if head.startswith(_ZIP_MAGIC):
        check_archive(path, name, limits)
        return Source(path, name, "xlsx", limits)
    if head.startswith(_OLE_MAGIC):
        return _legacy_workbook(path, name, limits)
    # A document or picture renamed as a table (a scanned list saved as PDF, then renamed .xlsx): said
    # by what it is, not read as text because its first bytes happen to be letters.
    for magic, what in _DOCUMENT_MAGIC:
        if head.startswith(magic):
            raise ReadError(
                f"{name}: isinya berkas {what}, bukan tabel Excel atau CSV (mungkin berkas lain yang diganti namanya). "
                "Unggah daftarnya sebagai berkas Excel (.xlsx, .xls) atau CSV."
            )
    # A web application's "Excel" page (Excel 2003 XML, HTML), under any name: its table, never its
    # markup split at commas.
    if (exported := _web_export(path, name, head, limits)) is not None:
        return exported
    if suffix in TEXT_SUFFIXES and not _text_like(head):
        raise ReadError(
            f"{name}: bukan berkas teks CSV (isinya biner, mungkin berkas lain yang diganti namanya). "
            "Unggah berkas Excel (.xlsx) atau simpan ulang sebagai CSV."
        )
    # A text table named as a workbook (a "CSV" or tab-separated export saved as .xls) is read as the
    # text it is; other markup (an XML report, an image) or binary content named so is no table.
    if suffix not in TEXT_SUFFIXES and (not _text_like(head) or head.lstrip().startswith(b"<")):
        if suffix == ".xls":
            raise ReadError(f"{name}: bukan berkas Excel 97-2003 (.xls) yang sah (mungkin berkas lain yang diganti namanya).")
        raise ReadError(
            f"{name}: bukan berkas Excel .xlsx yang sah (isinya bukan buku kerja Excel maupun tabel teks; mungkin "
            "berkas lain yang diganti namanya)."
        )
    return Source(path, name, "csv", limits)


# The first bytes of documents and pictures that are no table, whatever their name says.
_DOCUMENT_MAGIC = (
    (b"%PDF-", "PDF"), (b"\x89PNG", "gambar PNG"), (b"\xff\xd8\xff", "gambar JPEG"), (b"GIF8", "gambar GIF"),
    (b"{\\rtf", "RTF"),
)
# The suffixes python-calamine opens each kind of workbook by: it chooses its reader by the name.
_CALAMINE_SUFFIXES = {"xlsx": WORKBOOK_SUFFIXES, "xls": (".xls",)}
# Control characters no text table holds (tab, line ends, form feed and Ctrl-Z aside): a share of the
# first bytes above this is a binary file.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_MAX_CONTROL_SHARE = 0.01


def _text_like(head: bytes) -> bool:
    """Whether a file's first bytes are text: UTF-16 (its ASCII holds NUL bytes), or no NUL byte and
    hardly any other control character."""
    if textfile.is_utf16(head):
        return True
    return b"\x00" not in head and len(_CONTROL.findall(head)) <= _MAX_CONTROL_SHARE * len(head)


def open_workbook(path: Path, kind: str):
    """python-calamine's workbook of ``path`` read as ``kind`` (``xlsx`` or ``xls``), whatever the
    file's name: one named as its content is opened from its path, one named otherwise (an .xlsx
    saved as .xls) from its bytes, which calamine reads by their content."""
    if Path(path).suffix.lower() in _CALAMINE_SUFFIXES[kind]:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    with open(path, "rb") as handle:
        return python_calamine.CalamineWorkbook.from_filelike(handle)


def _legacy_workbook(path: Path, name: str, limits: Limits) -> Source:
    """An Excel 97-2003 workbook (or another file in its container: an encrypted .xlsx), opened once
    here so that a damaged one is refused on upload."""
    try:
        open_workbook(path, "xls").close()
    except Exception as exc:  # noqa: BLE001 - calamine raises several error types for a broken file
        raise ReadError(
            f"{name}: berkas Excel 97-2003 (.xls) rusak, terenkripsi atau tidak lengkap. Buka di Excel lalu simpan "
            "ulang sebagai Buku Kerja Excel (.xlsx) tanpa kata sandi."
        ) from exc
    return Source(path, name, "xls", limits)


def _web_export(path: Path, name: str, head: bytes, limits: Limits) -> Source | None:
    """A web application's "Excel" export, named .xls, .xlsx, .csv or .txt, by its content: Excel 2003
    XML, or an HTML page (its tables read as a text table is); None for anything else."""
    if spreadsheetml.is_spreadsheet_xml(head):
        try:
            spreadsheetml.check_prolog(head)
        except spreadsheetml.Unsafe:
            raise unsafe_xml(name) from None
        return Source(path, name, "xml", limits)
    if htmltable.is_html(head):
        source = Source(path, name, "html", limits)
        source._check_html()
        return source
    return None


def unsafe_xml(name: str) -> ReadError:
    return ReadError(
        f"{name}: berkas XML Spreadsheet 2003 ini memuat deklarasi DOCTYPE (yang tidak pernah ditulis Excel) atau "
        "buku kerjanya tidak ditemukan di awal berkas; ditolak demi keamanan server. Ekspor ulang data dari "
        "aplikasinya, atau buka di Excel lalu simpan sebagai Buku Kerja Excel (.xlsx)."
    )


def check_archive(path: Path, name: str, limits: Limits) -> None:
    """Refuse an .xlsx whose archive is damaged, is not a workbook, or unpacks to more than
    ``limits.max_uncompressed_bytes`` or at an absurd ratio (a zip bomb): checked on the zip's
    directory, before calamine inflates anything. Other uploads of workbooks use it too."""
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
