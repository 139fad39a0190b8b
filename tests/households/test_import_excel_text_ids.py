"""Identifiers as offices' exports keep them text: a leading apostrophe (``'122240001``, Excel's
text marker, left in the cell by an export or a CSV saved from a sheet) is not part of the ID, for
every identifier column, as for NIK and No KK. The family of an apostrophe file is the family of
the plain file: one household, one enrollment, no one-aid conflict, and a re-sync counts it
unchanged. Each file is built here."""

from __future__ import annotations

import json

import pytest

from households.models import Household, Member
from programs.models import Enrollment

from .conftest import DTKS, head_member_row, household_row, member_row, nik, write_csv
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

# A P3KE 2022 extract as a CSV, one family, as Dinsos sends it.
P3KE_2022 = [
    "No", "ID Keluarga P3KE", "Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan", "Kode Kemdagri",
    "Desil Kesejahteraan", "Alamat", "Kepala Keluarga", "NIK", "Padan Dukcapil", "Jenis Kelamin", "Tanggal Lahir",
    "Pekerjaan", "Penerima PKH", "Penerima BPNT",
]


def p3ke_2022(apostrophe: str) -> dict:
    return {
        "No": 1, "ID Keluarga P3KE": f"{apostrophe}122240001", "Provinsi": "SULAWESI TENGGARA",
        "Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya",
        "Kode Kemdagri": f"{apostrophe}7409012006", "Desil Kesejahteraan": "1", "Alamat": "Dusun I",
        "Kepala Keluarga": "LA KAIMU", "NIK": f"{apostrophe}{nik(21)}", "Padan Dukcapil": "Padan",
        "Jenis Kelamin": "Laki-laki", "Tanggal Lahir": "05/01/1980", "Pekerjaan": "Nelayan",
        "Penerima PKH": "Ya", "Penerima BPNT": "Tidak",
    }


def imported(command: str, path, *options) -> dict:
    code, out, err = run(command, str(path), "--partial", "--json", *options)
    assert code == 0, (out, err)
    return json.loads(out)


def test_p3ke_id_with_an_apostrophe_is_the_family_of_the_plain_file(reference, tmp_path):
    plain = write_csv(tmp_path / "p3ke.csv", P3KE_2022, [p3ke_2022("")])
    marked = write_csv(tmp_path / "p3ke_apostrophe.csv", P3KE_2022, [p3ke_2022("'")])
    first = imported("import_p3ke", plain, "--year", "2022")
    assert first["households"]["created"] == 1 and first["errors"] == 0

    again = imported("import_p3ke", marked, "--year", "2022")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}, again
    assert list(Household.objects.values_list("p3ke_id", "head_nik")) == [("122240001", nik(21))]
    assert list(Enrollment.objects.values_list("program__code", "year")) == [("pkh", 2022)]
    assert again["enrollments"]["conflicts"] == 0 and again["message"] == "Tidak ada perubahan."


def test_an_apostrophe_file_first_stores_the_ids_without_it(reference, tmp_path):
    marked = write_csv(tmp_path / "p3ke_apostrophe.csv", P3KE_2022, [p3ke_2022("'")])
    plain = write_csv(tmp_path / "p3ke.csv", P3KE_2022, [p3ke_2022("")])
    imported("import_p3ke", marked, "--year", "2022")
    assert list(Household.objects.values_list("p3ke_id", flat=True)) == ["122240001"]

    again = imported("import_p3ke", plain, "--year", "2022")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}, again
    # The same file again: its rows skipped as unchanged by their hash.
    same = imported("import_p3ke", plain, "--year", "2022")
    assert same["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}, same


def test_id_individu_with_an_apostrophe(reference, tmp_path, p3ke_file):
    households = [household_row("122000001", 100)]
    members = [head_member_row("'122000001", "'91220000011", 100), member_row("'122000001", "'91220000012", 500, Nama="ANAK")]
    result = imported("import_p3ke", p3ke_file(households=households, members=members))
    assert result["errors"] == 0 and result["members"]["created"] == 2, result
    assert sorted(Member.objects.values_list("id_individu", flat=True)) == ["91220000011", "91220000012"]
    assert Household.objects.count() == 1

    plain = [head_member_row("122000001", "91220000011", 100), member_row("122000001", "91220000012", 500, Nama="ANAK")]
    again = imported("import_p3ke", p3ke_file(households=households, members=plain, name="plain.xlsx"))
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 2, "absent": 0}, again


def dtks_rows(apostrophe: str) -> list[dict]:
    family = {
        "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "JL TRANS", "Dusun": "DUSUN I",
        "RT": "001", "RW": "002", "Nomor KK": f"{apostrophe}7409011503160004", "Jenis Kelamin": "L",
    }
    return [
        {**family, "ID DTKS": f"{apostrophe}7409012006000001", "Nomor NIK": f"{apostrophe}{nik(31)}", "Nama": "LA RAMBA",
         "Tanggal Lahir": "05/01/1980", "Hubungan Keluarga": "KEPALA KELUARGA"},
        {**family, "ID DTKS": f"{apostrophe}7409012006000002", "Nomor NIK": f"{apostrophe}{nik(32)}", "Nama": "LA ODE",
         "Tanggal Lahir": "05/01/1980", "Hubungan Keluarga": "ANAK"},
    ]


def test_dtks_ids_with_an_apostrophe(reference, tmp_path):
    marked = write_csv(tmp_path / "dtks_apostrophe.csv", DTKS, dtks_rows("'"), delimiter="\t")
    first = imported("import_dtks", marked, "--year", "2025")
    assert first["errors"] == 0 and first["households"]["created"] == 1, first
    household = Household.objects.get()
    assert household.no_kk == "7409011503160004"
    assert sorted(household.members.values_list("dtks_id", "nik")) == [
        ("7409012006000001", nik(31)), ("7409012006000002", nik(32)),
    ]

    plain = write_csv(tmp_path / "dtks.csv", DTKS, dtks_rows(""), delimiter="\t")
    again = imported("import_dtks", plain, "--year", "2025")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}, again
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 2, "absent": 0}, again
    # The apostrophe file again: its family skipped as unchanged.
    same = imported("import_dtks", marked, "--year", "2025")
    assert same["households"]["unchanged"] == 1 and same["members"]["unchanged"] == 2, same
