"""DTSEN and DTKS give a family's values (village, address, desil, house) on every row of its No KK.
The head's row wins; a row that says otherwise is warned about, naming the field, both values and the
row whose value was kept: desil 3 against 7 decides PKH eligibility, so it is never settled silently."""

from __future__ import annotations

import json

import pytest

from households.imports.services import run_file_import
from households.models import Household

from .conftest import DTKS, nik, write_csv
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

# The columns of the DTSEN extract the audit met (a CSV as BPS sends it to a regency).
DTSEN = [
    "No", "Nomor KK", "Nomor NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kecamatan",
    "Desa/Kelurahan", "Alamat", "Desil Nasional", "Periode Desil", "Sumber Air Minum", "Jenis Lantai",
]
KK = "7409080101209002"


def dtsen_family(*, wife: dict | None = None, head_last: bool = False) -> list[dict]:
    common = {"Nomor KK": KK, "Kecamatan": "Oheo", "Desa/Kelurahan": "Wiwirano", "Alamat": "Jl. Poros",
              "Desil Nasional": "7", "Periode Desil": "Triwulan I 2025", "Sumber Air Minum": "Sumur Bor",
              "Jenis Lantai": "Tanah"}
    head = {**common, "Nomor NIK": nik(9002), "Nama": "La Ode Ahmad", "Tanggal Lahir": "05/01/1980",
            "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA"}
    spouse = {**common, "Nomor NIK": nik(9003, female=True), "Nama": "Sitti Rahma", "Tanggal Lahir": "05/01/1980",
              "Jenis Kelamin": "Perempuan", "Hubungan Keluarga": "ISTRI", **(wife or {})}
    child = {**common, "Nomor NIK": nik(9004), "Nama": "Anak", "Tanggal Lahir": "05/01/1980",
             "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK"}
    rows = [spouse, child, head] if head_last else [head, spouse, child]
    return [{**row, "No": str(number)} for number, row in enumerate(rows, 1)]


def warnings_of(outcome) -> set:
    return {(issue.row, issue.column, issue.reason) for issue in outcome.plan.issues.warnings}


def test_a_member_row_with_another_desil_and_water_is_warned_and_the_head_row_wins(reference, tmp_path):
    path = write_csv(
        tmp_path / "dtsen.csv", DTSEN, dtsen_family(wife={"Desil Nasional": "3", "Sumber Air Minum": "Air Hujan"}),
        delimiter=",",
    )
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert warnings_of(outcome) == {
        (3, "Desil Nasional", "Desil Nasional 3 berbeda dengan baris kepala keluarga (baris 2: 7); dipakai nilai baris kepala keluarga"),
        (3, "Sumber Air Minum", "Sumber Air Minum 'Air Hujan' berbeda dengan baris kepala keluarga (baris 2: 'Sumur Bor'); "
            "dipakai nilai baris kepala keluarga"),
    }

    code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2025", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["warnings"] == 2 and summary["households"]["created"] == 1
    household = Household.objects.get(no_kk=KK)
    assert (household.desil, household.water_source, household.head_name) == (7, "sumur_bor", "La Ode Ahmad")


def test_a_row_before_the_head_row_is_compared_with_the_head_row(reference, tmp_path):
    path = write_csv(tmp_path / "dtsen.csv", DTSEN, dtsen_family(wife={"Desil Nasional": "Desil 3"}, head_last=True), delimiter=",")
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert warnings_of(outcome) == {
        (2, "Desil Nasional", "Desil Nasional 3 berbeda dengan baris kepala keluarga (baris 4: 7); dipakai nilai baris kepala keluarga"),
    }
    assert outcome.plan.extract.households[KK].get("desil") == 7


def test_rows_that_agree_give_no_warning(reference, tmp_path):
    path = write_csv(tmp_path / "dtsen.csv", DTSEN, dtsen_family(), delimiter=",")
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True, data_year=2025)
    assert warnings_of(outcome) == set()


def test_dtks_family_without_head_keeps_the_first_address_and_names_it(reference, tmp_path):
    place = {"Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": KK, "Tanggal Lahir": "05-01-1980",
             "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK"}
    rows = [
        {**place, "Nomor NIK": nik(9101), "Nama": "ANAK SATU", "Alamat": "Dusun I", "RT": "001"},
        {**place, "Nomor NIK": nik(9102), "Nama": "ANAK DUA", "Alamat": "Dusun II", "RT": "001"},
    ]
    path = write_csv(tmp_path / "dtks.csv", DTKS, rows)
    outcome = run_file_import(kind="dtks", paths=[str(path)], dry_run=True, data_year=2025)
    assert (3, "Alamat", "Alamat 'Dusun II' berbeda dengan baris lain KK yang sama (baris 2: 'Dusun I'); "
            "dipakai nilai baris yang lebih dulu") in warnings_of(outcome)
    assert not any(reason.startswith("RT") for _row, _column, reason in warnings_of(outcome))
    assert outcome.plan.extract.households[KK].get("address") == "Dusun I"
