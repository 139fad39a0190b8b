"""Read the ministry's returned list (the proposals that failed its checks): an .xlsx or .csv with a
NIK column and, when present, a reason column. Pure Python: no Django. Its messages are Indonesian
templates with their values apart (``gettext_noop`` below only marks them for the catalog); the page
translates them into the operator's language.

The header row is searched in the first rows (``NIK``, ``NIK_KTP`` or ``NIK Kepala Keluarga``; the
reason under ``Alasan``, ``Keterangan`` or ``Catatan``). A NIK that went through an Excel number cell
cannot be trusted (its last digit is lost) and is reported, as is any value that is not 16 digits.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import python_calamine

NIK_HEADERS = ("nik", "nik_ktp", "nik ktp", "nik kepala keluarga", "nik_kepala_keluarga")
REASON_HEADERS = ("alasan", "keterangan", "catatan", "alasan pengembalian", "keterangan gagal")
HEADER_SCAN_ROWS = 20
MAX_ROWS = 50_000
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


def _rows(path: Path, name: str) -> list[list[object]]:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;|\t") if text.strip() else csv.excel
        return list(csv.reader(io.StringIO(text), dialect))[: MAX_ROWS + HEADER_SCAN_ROWS]
    if suffix != ".xlsx":
        raise ReturnsError(gettext_noop("Berkas harus .xlsx atau .csv."))
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return book.get_sheet_by_index(0).to_python()[: MAX_ROWS + HEADER_SCAN_ROWS]
    except Exception as exc:  # calamine raises several error types for a broken file
        raise ReturnsError(
            gettext_noop("Berkas %(name)s tidak dapat dibaca (%(error)s)."), {"name": name, "error": type(exc).__name__}
        ) from exc


def read_returns(path: str | Path, *, name: str) -> tuple[list[tuple[str, str]], list[Message]]:
    """(rows as (NIK, reason), problems as messages naming the row)."""
    rows = _rows(Path(path), name)
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [_normal(cell) for cell in row]
        nik_column = next((i for i, h in enumerate(headers) if h in NIK_HEADERS), None)
        if nik_column is not None:
            reason_column = next((i for i, h in enumerate(headers) if h in REASON_HEADERS), None)
            break
    else:
        raise ReturnsError(gettext_noop("Kolom NIK tidak ditemukan di baris judul berkas."))
    found, problems = [], []
    for number, row in enumerate(rows[index + 1:], start=index + 2):
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
