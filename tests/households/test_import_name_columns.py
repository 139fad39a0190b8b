"""The person's name under the titles offices give it: agencies' recipient lists and Dinsos DTKS
extracts name the recipient (``Nama Penerima Manfaat``, ``NAMA PENERIMA BANTUAN``, ``Nama Lengkap
KPM``) or the head of the family (``NAMA_KK``, ``NAMA KRT``, ``Nama Kepala Rumah Tangga``) in many
ways. Such a column is read, and a row with a name and an address but no ids is a recipient whose
ids were left out (an error to show), never a heading passed over. A village heading over the rows
of a list without a Desa column places them."""

from __future__ import annotations

import datetime
import json

import pytest

from households.identifiers import make_nik
from households.imports import columns as cols
from households.models import Household, ImportBatch, Member
from programs.models import Enrollment
from tests.factories import HouseholdFactory

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from ..programs.test_import_recipients_real import workbook
from .realfiles import KK_1, KK_2, SIKS_DTKS, siks_rows, write_xls

pytestmark = pytest.mark.django_db

HEADING = "Baris judul atau catatan"


@pytest.mark.parametrize("layout, header, field", [
    (cols.RECIPIENTS, "Nama Penerima Manfaat", "name"), (cols.RECIPIENTS, "NAMA PENERIMA BANTUAN", "name"),
    (cols.RECIPIENTS, "Nama Lengkap KPM", "name"), (cols.RECIPIENTS, "NAMA_KK", "head_name"),
    (cols.RECIPIENTS, "NAMA KRT", "head_name"), (cols.RECIPIENTS, "Nama Kepala Rumah Tangga", "head_name"),
    (cols.RECIPIENTS, "Nama Kepala Keluarga", "head_name"), (cols.RECIPIENTS, "ALAMAT LENGKAP", ""),
    (cols.HOUSEHOLD, "NAMA KRT", "head_name"), (cols.HOUSEHOLD, "Nama Kepala Rumah Tangga", "head_name"),
    (cols.HOUSEHOLD, "NAMA_KK", "head_name"), (cols.HOUSEHOLD, "Alamat Lengkap", "address"),
    # Where the layout names each member, the head's name is not the member's: known, not read.
    (cols.INDIVIDUAL, "Nama Kepala Keluarga", ""), (cols.INDIVIDUAL, "NAMA_KK", ""), (cols.INDIVIDUAL, "Nama Lengkap", "name"),
    (cols.DTKS, "NAMA KRT", ""), (cols.DTKS, "Nama Kepala Rumah Tangga", ""), (cols.DTKS, "Nama Kepala Keluarga", ""),
    (cols.DTKS, "NAMA_KK", ""), (cols.DTKS, "Nama Anggota Keluarga", "name"), (cols.DTKS, "ALAMAT LENGKAP", "address"),
    (cols.DTSEN, "NAMA KRT", ""), (cols.DTSEN, "Nama Kepala Keluarga", ""), (cols.DTSEN, "Alamat Lengkap", "address"),
])
def test_the_name_and_address_titles_offices_write(layout, header, field):
    assert cols.BUILTIN.field(layout, header) == field


@pytest.mark.parametrize("name_header", [
    "Nama Penerima Manfaat", "NAMA PENERIMA BANTUAN", "Nama Lengkap KPM", "NAMA_KK", "NAMA KRT", "Nama Kepala Rumah Tangga",
])
def test_a_recipient_list_names_its_people_under_an_agencys_title(family, tmp_path, name_header):  # noqa: F811
    """Every row is read, matched and counted; the name under the agency's title is checked against
    the family a No KK alone found; a row with a name and an address and no ids is an error."""
    household, head, child, other = family
    lines = [
        ["DAFTAR KELUARGA PENERIMA MANFAAT BLT DANA DESA TAHUN 2024"],
        ["NO", "NIK", "NO KK", name_header, "ALAMAT LENGKAP", "NOMINAL"],
        [1, head.nik, household.no_kk, "KEPALA", "DUSUN I", 900000],
        [2, None, other.no_kk, "ORANG LAIN", "DUSUN II", 900000],
    ]
    path = workbook(tmp_path / "blt.xlsx", {"BLT DD": lines})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["rows"] == 2 and result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert result["unmapped_columns"] == []
    warnings = ImportBatch.objects.get(pk=result["batch"]).warnings
    assert [(w["row"], w["column"]) for w in warnings] == [(4, "NAMA")]
    assert f"Nama 'ORANG LAIN' tidak cocok dengan anggota keluarga No KK {other.no_kk}" in warnings[0]["reason"]

    lines.insert(3, [None, None, None, "LA ODE TANPA NIK", "DUSUN III"])
    path = workbook(tmp_path / "blt2.xlsx", {"BLT DD": lines})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--dry-run")
    assert code == 1, (out, err)
    assert "- BLT DD baris 4, NIK: NIK dan No KK kosong: penerima tidak dapat dicocokkan" in out
    assert HEADING not in out
    assert Enrollment.objects.count() == 2


def test_a_dtks_extract_keeps_each_members_name_beside_the_heads_name(reference, tmp_path):
    """``NAMA KRT`` before ``NAMA``: the head's name on every row of the family is not the member's."""
    at = SIKS_DTKS.index("NAMA")
    headers = [*SIKS_DTKS[:at], "NAMA KRT", *SIKS_DTKS[at:]]
    people = siks_rows()
    heads = {KK_1: "LA ODE BAKRI", KK_2: "AHMAD"}
    rows = [[*row[:at], heads[row[6]], *row[at:]] for row in people]
    path = write_xls(tmp_path / "dtks.xls", {"DTKS": (headers, rows)})
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    assert summary["unmapped_columns"] == []
    assert sorted(Member.objects.values_list("name", flat=True)) == sorted(row[at] for row in people)
    assert dict(Household.objects.values_list("no_kk", "head_name")) == heads

    # The head's name and the address alone: a person whose ids were left out, not a heading.
    blank = [None] * len(headers)
    blank[headers.index("NAMA KRT")], blank[headers.index("ALAMAT")] = "LA ODE TANPA KK", "DUSUN III"
    path = write_xls(tmp_path / "dtks2.xls", {"DTKS": (headers, [*rows, blank])})
    code, out, err = run("import_dtks", str(path))
    assert code == 1, (out, err)
    assert "- DTKS baris 6, " in out and HEADING not in out


def test_a_head_of_familys_name_beside_a_members_nik_is_not_taken_for_the_members(family, tmp_path):  # noqa: F811
    """``NAMA_KK`` names the family's head: beside the child's NIK it is no mismatch to warn of."""
    household, head, child, other = family
    path = workbook(tmp_path / "blt.xlsx", {"BLT DD": [
        ["NO", "NIK", "NO KK", "NAMA_KK", "ALAMAT"],
        [1, child.nik, household.no_kk, "KEPALA", "DUSUN I"],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["warnings"] == 0 and result["enrollments"]["created"] == 1
    assert result["unmapped_columns"] == []


@pytest.mark.parametrize("note", ["NIK 7409014501800001", "NIK baru: 7409014501800001 (KTP elektronik)"])
def test_a_row_carrying_a_nik_is_never_passed_over_as_a_heading(family, tmp_path, note):  # noqa: F811
    """Whatever its name column is called (here one no layout knows): a row whose NIK was written
    beside its words in another column is a recipient the list gives, read and refused for want of
    its ids in their columns, not a heading passed over."""
    household, head, child, other = family
    path = workbook(tmp_path / "pkh.xlsx", {"PKH": [
        ["NO", "NIK", "NO KK", "NAMA PENGURUS", "KETERANGAN"],
        [1, head.nik, household.no_kk, "KEPALA", None],
        [None, None, None, "WA ODE SITTI", note],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2024", "--dry-run")
    assert code == 1, (out, err)
    assert "- PKH baris 3, NIK: NIK dan No KK kosong: penerima tidak dapat dicocokkan" in out
    assert HEADING not in out


def _heading(text: str) -> str:
    return (
        f"Baris judul atau catatan ('{text}') dilewati: tidak berisi NIK, No KK, ID keluarga maupun nama, "
        "jadi bukan baris data"
    )


@pytest.mark.parametrize("heading, named", [
    ("DESA LASOLO", ("LASOLO", "")), ("Desa : Lasolo", ("Lasolo", "")), ("KELURAHAN WANGGUDU", ("WANGGUDU", "")),
    ("Kel. Asera", ("Asera", "")), ("DESA ASERA KEC. ASERA", ("ASERA", "ASERA")),
    ("Desa/Kelurahan: Wanggudu Raya, Kecamatan Asera", ("Wanggudu Raya", "Asera")),
    ("DUSUN II", None), ("Keadaan data: Desember 2024", None), ("Desaku Maju", None), ("Kelompok Tani Maju", None),
    ("DESA", None),
])
def test_a_village_heading_names_its_village(heading, named):
    from households.imports.cells import village_heading

    assert village_heading(heading) == named


def test_village_headings_place_the_rows_of_a_list_without_a_village_column(family, tmp_path):  # noqa: F811
    """A list grouped under village headings, with no Desa column: each row is placed in the village
    its heading names, and checked against where the registry has the family, as a Desa column is.
    A heading naming no village of the regency, and one naming no village (DUSUN II), are warned
    as before; rows under an unknown village are not placed."""
    household, head, child, other = family
    third = HouseholdFactory(p3ke_id="122000003", no_kk="7409010101200003", head_nik=make_nik(region="740901", birth=datetime.date(1970, 3, 3), female=False, serial=4))
    path = workbook(tmp_path / "blt.xlsx", {"BLT DD": [
        ["REKAPITULASI PENERIMA BLT DANA DESA TAHUN 2024"],
        ["NO", "NIK", "NO KK", "NAMA PENERIMA", "ALAMAT", "NOMINAL"],
        ["DESA WANGGUDU"],
        [1, head.nik, household.no_kk, "KEPALA", "DUSUN I", 900000],
        ["Desa :", "Wanggudu Raya"],
        ["DUSUN II"],
        [2, other.head_nik, other.no_kk, other.head_name, "DUSUN II", 900000],
        ["DESA LASOLO"],
        [3, third.head_nik, third.no_kk, third.head_name, "DUSUN I", 900000],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 3
    warnings = sorted((w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings)
    assert [(row, column) for row, column, _reason in warnings] == [
        (6, ""), (7, "Desa/Kelurahan (judul baris 5)"), (8, ""),
    ]
    assert warnings[0][2] == _heading("DUSUN II") and warnings[2][2] == _heading("DESA LASOLO")
    assert warnings[1][2].startswith(
        "Tempat di berkas (Desa/Kelurahan (judul baris 5) 'Wanggudu Raya') berbeda dengan tempat keluarga ini di "
        f"registri (Desa/Kelurahan {other.desa.name}, Kecamatan {other.desa.kecamatan.name}"
    )
