"""Builders of files as offices really send them: SIKS-NG ``|`` text, Windows-1252 CSV, PHPExcel
title rows, Excel 97-2003 ``.xls`` (written with xlwt), notes and signature rows under the table."""

from __future__ import annotations

import datetime
from pathlib import Path

import xlwt

from .conftest import nik

# A SIKS-NG DTKS export, headers as it writes them (with its typo).
SIKS_DTKS = [
    "IDDTKS", "PROVINSI", "KABUPATEN", "KECAMATAN", "DESA/KELUARAHAN", "ALAMAT", "NOKK", "NIK", "NAMA",
    "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA", "BANSOS BPNT", "BANSOS PKH", "BANSOS BPNT-PPKM", "PBI JKN",
]
KK_1 = "7409011005080001"
KK_2 = "7409011005080002"


def siks_rows() -> list[list[str]]:
    """Two families in Asera / Wanggudu Raya: a head, a wife and a child; a single head."""
    return [
        ["1001", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN I", KK_1,
         nik(301), "LA ODE BAKRI", "05/01/1980", "PRIA", "KEPALA KELUARGA", "YA", "TIDAK", "YA", "TIDAK"],
        ["1002", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN I", KK_1,
         nik(302, female=True), "WA ODE SITTI", "05/01/1980", "WANITA", "ISTRI", "YA", "TIDAK", "YA", "YA"],
        ["1003", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN I", KK_1,
         nik(303, birth=datetime.date(2010, 5, 17)), "LA ODE ANAK", "17/05/2010", "PRIA", "ANAK", "YA", "TIDAK", "TIDAK", "-"],
        ["1004", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN II", KK_2,
         nik(304), "AHMAD", "05/01/1980", "PRIA", "KEPALA KELUARGA", "TIDAK", "YA", "TIDAK", "TIDAK"],
    ]


def write_text(path: Path, headers: list[str], rows: list[list], *, separator: str, encoding: str = "utf-8",
               above: list[str] = (), below: list[str] = ()) -> Path:
    lines = [*above, separator.join(headers), *(separator.join(str(v) for v in row) for row in rows), *below]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xls(path: Path, sheets: dict[str, tuple[list[str], list[list]]], *, title_rows: list[list] = (),
              below: list[list] = (), hidden: tuple[str, ...] = (), hidden_rows: tuple[int, ...] = ()) -> Path:
    """An Excel 97-2003 workbook: title rows, the header, the rows (numbers stay number cells), notes;
    the sheets named in ``hidden`` hidden, and on each sheet the rows ``hidden_rows`` (as Excel numbers them)."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, (headers, rows) in sheets.items():
        sheet = book.add_sheet(name)
        if name in hidden:
            sheet.visibility = 1
        lines = [*title_rows, headers, *rows, *below]
        for r, values in enumerate(lines):
            for c, value in enumerate(values):
                if value is not None and value != "":
                    sheet.write(r, c, value)
        for number in hidden_rows:
            sheet.row(number - 1).hidden = True
    book.save(str(path))
    return path
