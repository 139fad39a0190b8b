"""Read the ministry's returned list (the proposals that failed its checks): a workbook (.xlsx, .xls)
or a CSV, opened by its content as the imports open theirs, with a
NIK column and, when present, a reason column. Pure Python: no Django. Its messages are Indonesian
templates with their values apart (``gettext_noop`` below only marks them for the catalog); the page
translates them into the operator's language (the importer's archive refusal quoted in one stays
Indonesian, as on the import pages).

The header row is searched in the first rows (``NIK``, ``NIK_KTP`` or ``NIK Kepala Keluarga``; the
reason under ``Alasan``, ``Keterangan`` or ``Catatan``). A NIK that went through an Excel number cell
cannot be trusted (its last digit is lost) and is reported, as is any value that is not 16 digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path

from households.imports.reader import Limits, ReadError, open_source
from konut_registry.numbers import thousands

NIK_HEADERS = ("nik", "nik_ktp", "nik ktp", "nik kepala keluarga", "nik_kepala_keluarga")
REASON_HEADERS = ("alasan", "keterangan", "catatan", "alasan pengembalian", "keterangan gagal")
HEADER_SCAN_ROWS = 20
MAX_ROWS = 50_000
# About 50,000 rows of 25 columns of XML: calamine holds two to three times this in memory while
# it reads the sheet, so a small upload that unpacks to far more (a zip bomb) is refused unopened.
ARCHIVE_LIMITS = Limits(max_uncompressed_bytes=40 * 1024 * 1024, max_rows=MAX_ROWS)
_NIK = re.compile(r"[0-9]{16}")


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the translation catalog (``makemessages`` reads this name)."""
    return message


# A message: its Indonesian template and the values to fill in once it is translated.
Message = tuple[str, dict]


class ReturnsError(Exception):
    """The file cannot be used; ``message`` is the Indonesian template, ``params`` its values."""

    def __init__(self, message: str, params: dict | None = None):
        super().__init__(message % (params or {}))
        self.message, self.params = message, params or {}


def _normal(value: object) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().lower()


def _rows(path: Path, name: str) -> Iterator[tuple[int, list[object]]]:
    """The first sheet's rows (their number as Excel shows it, their cells), one at a time, the file opened by its content as the imports open
    theirs (``open_source``: an .xlsx saved as .xls, a CSV named .xlsx, an Excel 97-2003 workbook),
    an .xlsx through the archive checks first: calamine inflates the whole sheet into memory when
    it opens it. A file that cannot be read is a ``ReturnsError`` quoting the importer's reason."""
    try:
        source = open_source(path, display_name=name, limits=ARCHIVE_LIMITS)
        yield from source.plain_rows()
    except ReadError as exc:
        raise ReturnsError(gettext_noop("Berkas ditolak: %(reason)s"), {"reason": str(exc)}) from exc


def _too_many_rows() -> ReturnsError:
    return ReturnsError(
        gettext_noop("Berkas berisi lebih dari %(max)s baris; bagi daftar menjadi beberapa berkas."),
        {"max": thousands(MAX_ROWS)},
    )


def read_returns(path: str | Path, *, name: str) -> tuple[list[tuple[str, str]], list[Message]]:
    """(rows as (NIK, reason), problems as messages naming the row). A list longer than
    ``MAX_ROWS`` rows is refused whole, never cut silently."""
    rows = iter(_rows(Path(path), name))
    head = list(islice(rows, HEADER_SCAN_ROWS))
    for index, (_number, row) in enumerate(head):
        headers = [_normal(cell) for cell in row]
        nik_column = next((i for i, h in enumerate(headers) if h in NIK_HEADERS), None)
        if nik_column is not None:
            reason_column = next((i for i, h in enumerate(headers) if h in REASON_HEADERS), None)
            break
    else:
        raise ReturnsError(gettext_noop("Kolom NIK tidak ditemukan di baris judul berkas."))
    found, problems = [], []
    for count, (number, row) in enumerate(chain(head[index + 1:], rows), start=1):
        if count > MAX_ROWS:
            raise _too_many_rows()
        cell = row[nik_column] if nik_column < len(row) else ""
        if cell in ("", None):
            continue
        if isinstance(cell, float):
            problems.append((
                gettext_noop("Baris %(row)d: NIK tersimpan sebagai angka di Excel (digit terakhir hilang); simpan sebagai teks."),
                {"row": number},
            ))
            continue
        nik = str(cell).strip().lstrip("'")
        if not _NIK.fullmatch(nik):
            problems.append((gettext_noop("Baris %(row)d: NIK harus 16 angka (%(value)s)."), {"row": number, "value": nik[:20]}))
            continue
        reason = ""
        if reason_column is not None and reason_column < len(row):
            reason = str(row[reason_column] or "").strip()
        found.append((nik, reason[:500]))
    return found, problems
