"""A family a file gives two heads (Kepala Keluarga): two on a P3KE individual sheet, an individual
sheet's head who is not the one the household row names, two in a DTKS file. Both are kept with
that relation, as the file gives them; the family's head stays the one its data names; the preview
and the result warn, naming the rows and the family; the family's page says it has two heads."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch

from .conftest import DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_csv, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

WIFE = nik(201, female=True, birth=datetime.date(1985, 3, 2))
SECOND_HEAD = (
    "Keluarga 122000001 memiliki lebih dari satu kepala keluarga: kepala keluarga lain di baris 2; keduanya dicatat "
    "dengan hubungan Kepala Keluarga, periksa dan perbaiki hubungan keluarganya"
)


def wife_as_head() -> dict:
    return member_row(
        "122000001", "91220000012", 201, relation="Kepala Keluarga", female=True, birth=datetime.date(1985, 3, 2), Nama="WA ODE",
    )


def heads_of(household: Household) -> list[str]:
    return sorted(household.members.filter(relation="kepala").values_list("name", flat=True))


def warned(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if "lebih dari satu kepala keluarga" in line]


def applied_warnings(out: str) -> list[tuple[int, str, str]]:
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    return [(w["row"], w["column"], w["reason"]) for w in batch.warnings if "kepala keluarga" in w["reason"]]


def test_two_heads_on_the_individual_sheet_are_warned_on_the_preview_and_the_result(reference, bappeda_client, admin_client, tmp_path):
    members = [head_member_row("122000001", "91220000011", 100), wife_as_head(), member_row("122000001", "91220000013", 202)]
    path = str(write_xlsx(
        tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100)]), "INDIVIDU": (IND_2023, members)},
    ))

    code, out, err = run("import_p3ke", path, "--partial", "--dry-run")
    assert code == 0, (out, err)
    assert warned(out) == [f"- INDIVIDU baris 3, Hubungan dengan Kepala Keluarga: {SECOND_HEAD}"]
    assert not Household.objects.exists()

    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0, (out, err)
    assert applied_warnings(out) == [(3, "Hubungan dengan Kepala Keluarga", SECOND_HEAD)]
    family = Household.objects.get(p3ke_id="122000001")
    assert (family.head_name, family.head_nik) == ("KEPALA 100", nik(100))
    assert heads_of(family) == ["KEPALA 100", "WA ODE"]

    said = (
        "Lebih dari satu anggota tercatat sebagai kepala keluarga: KEPALA 100, WA ODE. Kepala keluarga ini menurut "
        "data keluarganya: KEPALA 100."
    )
    assert said in bappeda_client.get(reverse("agencies:household_detail", args=[family.pk])).content.decode()
    assert said in admin_client.get(reverse("admin:households_household_change", args=[family.pk])).content.decode()


def test_an_individual_files_head_who_is_not_the_registrys_is_warned(reference, bappeda_client, tmp_path):
    households = str(write_xlsx(tmp_path / "keluarga.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100)])}))
    assert run("import_p3ke", households, "--partial")[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    page = reverse("agencies:household_detail", args=[family.pk])
    assert "Lebih dari satu anggota" not in bappeda_client.get(page).content.decode()
    individuals = str(write_xlsx(
        tmp_path / "individu.xlsx", {"INDIVIDU": (IND_2023, [wife_as_head(), member_row("122000001", "91220000013", 202)])},
    ))

    code, out, err = run("import_p3ke", individuals, "--partial", "--json")

    assert code == 0, (out, err)
    assert applied_warnings(out) == [(
        2, "Hubungan dengan Kepala Keluarga",
        "Keluarga 122000001 memiliki lebih dari satu kepala keluarga: kepala keluarga lain di registri: KEPALA 100 "
        "(NIK 740901**********); keduanya dicatat dengan hubungan Kepala Keluarga, periksa dan perbaiki hubungan keluarganya",
    )]
    family.refresh_from_db()
    assert (family.head_name, family.head_nik) == ("KEPALA 100", nik(100))
    assert heads_of(family) == ["KEPALA 100", "WA ODE"]
    assert "Lebih dari satu anggota tercatat sebagai kepala keluarga: KEPALA 100, WA ODE." in bappeda_client.get(page).content.decode()


def test_an_individual_head_not_the_household_rows_of_the_same_file_is_warned(reference, tmp_path):
    members = [wife_as_head(), member_row("122000001", "91220000013", 202)]
    path = str(write_xlsx(
        tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100)]), "INDIVIDU": (IND_2023, members)},
    ))
    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0, (out, err)
    assert applied_warnings(out) == [(
        2, "Hubungan dengan Kepala Keluarga",
        "Keluarga 122000001 memiliki lebih dari satu kepala keluarga: kepala keluarga lain di lembar KEPALA-KELUARGA baris 2 "
        "(NIK 740901**********); keduanya dicatat dengan hubungan Kepala Keluarga, periksa dan perbaiki hubungan keluarganya",
    )]
    assert Household.objects.get(p3ke_id="122000001").head_name == "KEPALA 100"

    # The next file's household row names her head: her row is the family's head, not another one.
    path = str(write_xlsx(tmp_path / "p3ke2.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 201, **{"Nama Kepala Keluarga": "WA ODE", "NIK Kepala Keluarga": WIFE})]),
        "INDIVIDU": (IND_2023, members),
    }))
    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0, (out, err)
    assert applied_warnings(out) == []


def test_a_dtks_family_with_two_heads_names_the_first_heads_row(reference, tmp_path):
    common = {"Nomor KK": "7409010601250001", "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "DUSUN I"}
    rows = [
        {**common, "Nomor NIK": nik(100), "Nama": "LA BAHARU", "Tanggal Lahir": "05/01/1980", "Jenis Kelamin": "L",
         "Hubungan Keluarga": "KEPALA KELUARGA"},
        {**common, "Nomor NIK": WIFE, "Nama": "WA NURI", "Tanggal Lahir": "02/03/1985", "Jenis Kelamin": "P",
         "Hubungan Keluarga": "KEPALA KELUARGA"},
    ]
    code, out, err = run("import_dtks", str(write_csv(tmp_path / "dtks.csv", DTKS, rows)), "--partial", "--json")
    assert code == 0, (out, err)
    assert applied_warnings(out) == [(
        3, "Hubungan Keluarga",
        "KK 7409010601250001 memiliki lebih dari satu kepala keluarga: kepala keluarga lain di baris 2; keduanya dicatat "
        "dengan hubungan Kepala Keluarga, periksa dan perbaiki hubungan keluarganya",
    )]
    family = Household.objects.get(no_kk="7409010601250001")
    assert family.head_name == "LA BAHARU" and heads_of(family) == ["LA BAHARU", "WA NURI"]
