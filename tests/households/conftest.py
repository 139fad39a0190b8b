"""Builders of real P3KE / DTKS workbooks for the import tests (written with openpyxl, in code)."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from openpyxl import Workbook

from households.identifiers import make_nik

HH_2023 = [
    "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Dimuktakhirkan Tahun", "Persentil", "Prioritas Verval", "Alamat",
    "Nama Kepala Keluarga", "NIK Kepala Keluarga", "NIK Kepala Keluarga Padan Kemdagri",
    "Jenis Kelamin Kepala Keluarga", "Tanggal Lahir Kepala Keluarga", "Status Kawin Kepala Keluarga",
    "Pekerjaan Kepala Keluarga", "Status Pekerjaan Kepala Keluarga", "Pendidikan Kepala Keluarga",
    "Kepemilikan Rumah", "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya", "Jenis Atap", "Kualitas Atap",
    "Jenis Dinding", "Kualitas Dinding", "Jenis Lantai", "Kualitas Lantai", "Sumber Penerangan",
    "Daya Listrik Terpasang", "Bahan Bakar Memasak", "Sumber Air Minum", "Memiliki fasilitas Buang Air Besar",
    "Penerima BPNT", "Penerima BPUM", "Penerima BST", "Penerima PKH", "Penerima SEMBAKO", "Penerima Prakerja",
    "Penerima KUR", "Resiko Stunting",
]
IND_2023 = [
    "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Alamat", "ID Individu", "Nama", "NIK", "Padan Dukcapil", "Jenis Kelamin",
    "Hubungan dengan Kepala Keluarga", "Tanggal Lahir", "Status Kawin", "Pekerjaan", "Status Pekerjaan",
    "Pendidikan", "Usia 2023", "Kelompok Usia 2023", "Penerima BPNT", "Penerima BPUM", "Penerima BST",
    "Penerima PKH", "Penerima SEMBAKO", "Penerima Prakerja", "Penerima KUR", "Resiko Stunting",
]
HH_2022 = [
    "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Alamat", "Kepala Keluarga", "NIK", "Padan Dukcapil", "Jenis Kelamin",
    "Tanggal Lahir", "Pekerjaan", "Pendidikan", "Kepemilikan Rumah",
    "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya", "Jenis Atap", "Jenis Dinding", "Jenis Lantai",
    "Sumber Penerangan", "Bahan Bakar Memasak", "Sumber Air Minum", "Memiliki fasilitas Buang Air Besar",
    "Penerima BPNT", "Penerima BPUM", "Penerima BST", "Penerima PKH", "Penerima SEMBAKO", "Resiko Stunting",
]
DTKS = [
    "ID DTKS", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Alamat", "Dusun", "RT", "RW",
    "Nomor KK", "Nomor NIK", "Nama", "Tanggal Lahir", "Tempat Lahir", "Jenis Kelamin", "Nama Ibu Kandung",
    "Hubungan Keluarga", "Pekerjaan", "Bansos BPNT", "Bansos PKH", "PBI JKN",
]


def nik(serial: int, *, female: bool = False, birth=datetime.date(1980, 1, 5), region="740901") -> str:
    return make_nik(region=region, birth=birth, female=female, serial=serial)


def household_row(p3ke_id: str, serial: int, **overrides) -> dict:
    """One KEPALA-KELUARGA row (2023 headers) for a male head born 05/01/1980 in Wanggudu Raya."""
    row = {
        "ID Keluarga P3KE": p3ke_id, "Provinsi": "SULAWESI TENGGARA", "Kabupaten/Kota": "KONAWE UTARA",
        "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Kode Kemdagri": "7409012006",
        "Desil Kesejahteraan": 1, "Dimuktakhirkan Tahun": 2023, "Persentil": 5, "Prioritas Verval": "Normal",
        "Alamat": f"Dusun {serial}", "Nama Kepala Keluarga": f"KEPALA {serial}", "NIK Kepala Keluarga": nik(serial),
        "NIK Kepala Keluarga Padan Kemdagri": "Padan", "Jenis Kelamin Kepala Keluarga": "Laki-laki",
        "Tanggal Lahir Kepala Keluarga": "1980-01-05", "Status Kawin Kepala Keluarga": "Kawin",
        "Pekerjaan Kepala Keluarga": "Petani", "Status Pekerjaan Kepala Keluarga": "Berusaha sendiri",
        "Pendidikan Kepala Keluarga": "Tamat SD/Sederajat", "Kepemilikan Rumah": "Milik Sendiri",
        "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya": "Tidak", "Jenis Atap": "Asbes/Seng",
        "Kualitas Atap": "Jelek/Kualitas Rendah", "Jenis Dinding": "Kayu/Papan", "Kualitas Dinding": "Jelek/Kualitas Rendah",
        "Jenis Lantai": "Kayu/Papan", "Kualitas Lantai": "Jelek/Kualitas Rendah", "Sumber Penerangan": "Listrik PLN meteran",
        "Daya Listrik Terpasang": "=< 900 WATT", "Bahan Bakar Memasak": "Arang/Kayu", "Sumber Air Minum": "Sumur Terlindung",
        "Memiliki fasilitas Buang Air Besar": "Milik Sendiri", "Penerima BPNT": "Tidak", "Penerima BPUM": "Tidak",
        "Penerima BST": "Tidak", "Penerima PKH": "Tidak", "Penerima SEMBAKO": "Tidak", "Penerima Prakerja": "Tidak",
        "Penerima KUR": "Tidak", "Resiko Stunting": "Tidak Beresiko Stunting",
    }
    row.update(overrides)
    return row


def member_row(p3ke_id: str, id_individu: str, serial: int, *, relation="Anak", female=False, birth=datetime.date(2010, 5, 17), **overrides) -> dict:
    row = {
        "ID Keluarga P3KE": p3ke_id, "Provinsi": "SULAWESI TENGGARA", "Kabupaten/Kota": "KONAWE UTARA",
        "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Kode Kemdagri": "7409012006",
        "Desil Kesejahteraan": 1, "Alamat": "", "ID Individu": id_individu, "Nama": f"ANGGOTA {id_individu}",
        "NIK": nik(serial, female=female, birth=birth), "Padan Dukcapil": "Padan",
        "Jenis Kelamin": "Perempuan" if female else "Laki-laki", "Hubungan dengan Kepala Keluarga": relation,
        "Tanggal Lahir": birth.isoformat(), "Status Kawin": "Belum Kawin", "Pekerjaan": "Tidak/Belum Bekerja",
        "Status Pekerjaan": "", "Pendidikan": "Masih SD/Sederajat", "Usia 2023": 13, "Kelompok Usia 2023": "13-15",
        "Penerima BPNT": "Tidak", "Penerima BPUM": "Tidak", "Penerima BST": "Tidak", "Penerima PKH": "Tidak",
        "Penerima SEMBAKO": "Tidak", "Penerima Prakerja": "Tidak", "Penerima KUR": "Tidak",
        "Resiko Stunting": "Bukan Target Sasaran",
    }
    row.update(overrides)
    return row


def head_member_row(p3ke_id: str, id_individu: str, serial: int, **overrides) -> dict:
    base = member_row(
        p3ke_id, id_individu, 0, relation="Kepala Keluarga", birth=datetime.date(1980, 1, 5),
        **{"NIK": nik(serial), "Nama": f"KEPALA {serial}", "Status Kawin": "Kawin", "Pekerjaan": "Petani"},
    )
    base.update(overrides)
    return base


def apps_at(target: list[tuple[str, str]]):
    """Migrate the test database back to ``target``; the models as they were then."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def old_desa(apps):
    """Wanggudu Raya (Asera, Konawe Utara) in the models ``apps`` holds (``apps_at``), its region chain with it."""
    provinsi = apps.get_model("households", "Provinsi").objects.create(code="74", name="Sultra")
    kabupaten = apps.get_model("households", "Kabupaten").objects.create(code="74.09", name="Konawe Utara", provinsi=provinsi)
    kecamatan = apps.get_model("households", "Kecamatan").objects.create(
        code="74.09.01", name="Asera", bps_code="7410050", kabupaten=kabupaten)
    return apps.get_model("households", "Desa").objects.create(
        code="74.09.01.2006", code_plain="7409012006", name="Wanggudu Raya", kind="desa", kecamatan=kecamatan)


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


class Formula(str):
    """A cell written as a real formula (an ``<f>`` in the sheet); any other text, even one
    starting with ``=`` (P3KE's ``=< 900 WATT``), is written as a text cell, as Excel saves it."""


def write_xlsx(
    path: Path, sheets: dict[str, tuple[list[str], list[dict]]], *, title_rows: int = 0, numeric_columns=(),
    hidden: dict[str, str] | None = None,
) -> Path:
    """Sheets as ``{name: (headers, rows as dicts)}``. Values are written as they are typed: strings
    as text cells, numbers as number cells (so a NIK passed as int/float is a damaged-NIK cell),
    ``Formula`` values as formulas. ``hidden``: sheet name -> ``"hidden"`` or ``"veryHidden"``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        for index in range(title_rows):
            sheet.append(["DATA P3KE KABUPATEN KONAWE UTARA" if index == 0 else (f"Keterangan {index}" if index % 3 == 0 else None)])
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("=") and not isinstance(row.get(headers[cell.column - 1]), Formula):
                    cell.data_type = "s"
        sheet.sheet_state = (hidden or {}).get(name, "visible")
    workbook.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[dict], delimiter: str = ";") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return path


@pytest.fixture
def province(reference, settings):
    """Konawe Utara from the reference, then the rest of Sulawesi Tenggara, as KONUT_WILAYAH=74 loads it."""
    settings.KONUT_WILAYAH = "74"
    call_command("load_reference", wilayah="74", verbosity=0)


@pytest.fixture
def p3ke_file(tmp_path):
    """A one-workbook 2023 extract: 3 households, 2 members each (head + child)."""

    def build(*, households=None, members=None, name="p3ke.xlsx", title_rows=0):
        if households is None:
            households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
        if members is None:
            members = []
            for i, household in enumerate(households):
                pid = household["ID Keluarga P3KE"]
                members.append(head_member_row(pid, f"9{pid}1", 100 + i))
                members.append(member_row(pid, f"9{pid}2", 500 + i))
        sheets = {"KEPALA-KELUARGA": (HH_2023, households)}
        if members:
            sheets["INDIVIDU"] = (IND_2023, members)
        return write_xlsx(tmp_path / name, sheets, title_rows=title_rows)

    return build
