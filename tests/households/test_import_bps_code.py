"""A DTSEN extract (BPS runs DTSEN) whose 10-digit region code is BPS's, not Kemendagri's: Konawe
Utara is 7410 at BPS, where Kemendagri's 74.10 is Buton Utara. A row whose kecamatan and village
names place it in one village of the area is placed there, with a warning that the code looks like
BPS's; a row the names do not place is refused with that hint."""

from __future__ import annotations

import pytest

from households.imports.services import run_file_import
from households.models import Household, Kecamatan

from .conftest import nik, write_csv
from .test_import_bad_input import refused, registry_state, run

pytestmark = pytest.mark.django_db

# The columns of a DTSEN extract sent to a regency, with the region code in one column.
DTSEN = [
    "No", "Kode Wilayah", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Nomor KK", "Nomor NIK", "Nama",
    "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Desil Nasional", "Periode Desil",
]


def head_row(number: int, code: str, kecamatan: str, desa: str) -> dict:
    return {
        "No": str(number), "Kode Wilayah": code, "Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": kecamatan,
        "Desa/Kelurahan": desa, "Nomor KK": f"740901010120{number:04d}", "Nomor NIK": nik(9000 + number),
        "Nama": f"KEPALA {number}", "Tanggal Lahir": "05/01/1980", "Jenis Kelamin": "Laki-laki",
        "Hubungan Keluarga": "KEPALA KELUARGA", "Desil Nasional": "3", "Periode Desil": "Triwulan I 2025",
    }


BPS_WARNING = (
    "Kode wilayah 7410050005 di luar wilayah yang dimuat (Kabupaten Konawe Utara) tampaknya kode BPS, bukan Kode "
    "Kemdagri; keluarga ditempatkan di Wanggudu Raya (Kecamatan Asera) menurut nama Kecamatan dan Desa/Kelurahan"
)


def test_a_bps_code_with_the_areas_names_is_placed_by_the_names(reference, tmp_path):
    rows = [head_row(1, "7410050005", "ASERA", "WANGGUDU RAYA"), head_row(2, "7410050005", "ASERA", "WANGGUDU RAYA")]
    path = write_csv(tmp_path / "dtsen_bps.csv", DTSEN, rows, delimiter=",")
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert [issue.reason for issue in outcome.plan.issues.errors] == []
    # Every row is told, the cached second one too.
    assert [(w.row, w.column, w.reason) for w in outcome.plan.issues.warnings] == [
        (2, "Kode Wilayah", BPS_WARNING), (3, "Kode Wilayah", BPS_WARNING),
    ]

    code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2025")
    assert code == 0, (out, err)
    assert set(Household.objects.values_list("desa__code", flat=True)) == {"74.09.01.2006"}


def test_a_bps_code_the_names_do_not_place_is_refused_with_the_hint(reference, tmp_path):
    before = registry_state()
    path = write_csv(tmp_path / "dtsen_bps.csv", DTSEN, [head_row(1, "7410050005", "ASERA", "BONTOCANI")], delimiter=",")
    code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2025")
    refused(code, out, err, before)
    assert (
        "Desa dengan kode 7410050005 berada di luar wilayah yang dimuat (Kabupaten Konawe Utara); bila ini kode BPS "
        "(bukan Kode Kemdagri), isi nama Kecamatan dan Desa/Kelurahan desa di wilayah ini agar keluarga ditempatkan "
        "menurut nama, atau isi Kode Kemdagri" in out
    )


def test_a_code_of_another_province_is_refused_as_before(reference, tmp_path):
    before = registry_state()
    path = write_csv(tmp_path / "dtsen.csv", DTSEN, [head_row(1, "7311010002", "ASERA", "WANGGUDU RAYA")], delimiter=",")
    code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2025")
    refused(code, out, err, before)
    assert "Desa dengan kode 7311010002 berada di luar wilayah yang dimuat (Kabupaten Konawe Utara)" in out
    assert "kode BPS" not in out


def test_without_the_kecamatans_bps_code_the_names_place_the_row(reference, tmp_path):
    """Bone (7311 at BPS, 73.08 at Kemendagri) has no BPS codes in the registry: the names decide."""
    Kecamatan.objects.filter(code="74.09.01").update(bps_code="")
    path = write_csv(tmp_path / "dtsen_bps.csv", DTSEN, [head_row(1, "7411010002", "ASERA", "WANGGUDU RAYA")], delimiter=",")
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert [issue.reason for issue in outcome.plan.issues.errors] == []
    assert [w.reason for w in outcome.plan.issues.warnings] == [BPS_WARNING.replace("7410050005", "7411010002")]


def test_a_code_that_is_not_the_kecamatans_bps_code_is_refused(reference, tmp_path):
    """Asera is 7410050 at BPS: 7402012006 (Kemendagri's Konawe) is no BPS code of it."""
    path = write_csv(tmp_path / "dtsen.csv", DTSEN, [head_row(1, "7402012006", "ASERA", "WANGGUDU RAYA")], delimiter=",")
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert [issue.reason for issue in outcome.plan.issues.errors] == [
        "Desa dengan kode 7402012006 berada di luar wilayah yang dimuat (Kabupaten Konawe Utara)"
    ]
