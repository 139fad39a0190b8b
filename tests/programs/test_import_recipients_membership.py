"""Recipient lists as agencies export them from their own systems: a membership status per recipient
(PKH's AKTIF, GRADUASI, MENINGGAL, NON AKTIF, PINDAH under ``STATUS``, ``STATUS KPM`` or ``STATUS
BANSOS``), a program named with its year (``PKH 2024``, OpenSID's ``BLT DANA DESA 2024``) or by its
card (``KIS PBI``), a stage without a year, a delivery month without its day."""

from __future__ import annotations

import datetime
import json

import pytest

from dedup.models import Conflict
from households.models import ImportBatch
from programs.models import Enrollment, EnrollmentStatus, Program
from tests.factories import EnrollmentFactory, HouseholdFactory

from .test_import_recipients import family, run  # noqa: F401 - the registry's two households
from .test_import_recipients_real import workbook

pytestmark = pytest.mark.django_db

PKH_KPM = ["NO", "NIK", "NOKK", "NAMA", "BANSOS", "TAHUN", "NOMINAL", "STATUS", "KETERANGAN"]


def _pkh_list(tmp_path, header: str, statuses: list[str]):
    """A PKH list of 2024 with one family per membership status under ``header``, each family already
    receiving Sembako in 2024 (a second aid: an active PKH enrollment is a one-aid conflict)."""
    sembako = Program.objects.get(code="sembako")
    households = []
    for i, status in enumerate(statuses):
        household = HouseholdFactory(p3ke_id=f"12200020{i}", no_kk=f"740901010120020{i}")
        EnrollmentFactory(household=household, program=sembako, year=2024, status=EnrollmentStatus.ACTIVE)
        households.append(household)
    headers = [*PKH_KPM[:7], header, PKH_KPM[8]]
    lines = [headers] + [
        [i + 1, "", household.no_kk, f"KPM {i + 1}", "PKH", 2024, 750000, status, "Meninggal dunia 2024" if i == 2 else ""]
        for i, (household, status) in enumerate(zip(households, statuses))
    ]
    return households, workbook(tmp_path / f"kpm_pkh_{header}.xlsx", {"KPM": lines})


def _pkh(household) -> tuple[str, str]:
    enrollment = Enrollment.objects.get(household=household, program__code="pkh", year=2024)
    return enrollment.status, enrollment.status_reason


def test_a_pkh_list_of_membership_statuses_enrolls_only_the_active_recipients(family, tmp_path):  # noqa: F811
    households, path = _pkh_list(tmp_path, "STATUS", ["AKTIF", "GRADUASI", "MENINGGAL", "NON AKTIF", "PINDAH", "AKTIF"])
    rc, out, err = run("import_recipients", str(path), "--dry-run", "--json")
    assert rc == 0, (out, err)
    forecast = json.loads(out)["conflicts_forecast"]
    assert (forecast["count"], forecast["families"]) == (3, 3)  # the preview says what the import then does
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    result = json.loads(out)
    assert not [w for w in ImportBatch.objects.get(pk=result["batch"]).warnings if "bukan status" in w["reason"]]
    assert [_pkh(h) for h in households] == [
        ("active", ""),
        ("completed", "Status kepesertaan: GRADUASI"),
        ("cancelled", "Status kepesertaan: MENINGGAL; Meninggal dunia 2024"),
        ("cancelled", "Status kepesertaan: NON AKTIF"),
        ("cancelled", "Status kepesertaan: PINDAH"),
        ("active", ""),
    ]
    # Who left the program receives no PKH: no one-aid conflict with their Sembako. A graduate's
    # PKH of the year was delivered (completed): still aid of 2024, as the registry counts it.
    conflicted = set(Conflict.objects.values_list("household_id", flat=True))
    assert conflicted == {households[0].pk, households[1].pk, households[5].pk}


@pytest.mark.parametrize("header, statuses, expected", [
    ("STATUS KPM", ["AKTIF", "GRADUASI MANDIRI", "MENINGGAL DUNIA", "NONAKTIF", "PINDAH DOMISILI"],
     ["active", "completed", "cancelled", "cancelled", "cancelled"]),
    ("STATUS BANSOS", ["AKTIF", "TIDAK AKTIF", "DIHENTIKAN", "AKTIF", "AKTIF"],
     ["active", "cancelled", "cancelled", "active", "active"]),
])
def test_the_membership_status_column_of_other_systems_is_read(family, tmp_path, header, statuses, expected):  # noqa: F811
    households, path = _pkh_list(tmp_path, header, statuses)
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    result = json.loads(out)
    assert header not in {c["column"] for c in result["unmapped_columns"]}
    assert [_pkh(h)[0] for h in households] == expected
    assert [_pkh(h)[1].split(";")[0] for h in households if _pkh(h)[0] == "cancelled"] == [
        f"Status kepesertaan: {s}" for s, code in zip(statuses, expected) if code == "cancelled"
    ]


def test_a_list_saying_a_recipient_left_cancels_the_active_enrollment_keeping_what_was_delivered(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    EnrollmentFactory(household=household, program=Program.objects.get(code="pkh"), year=2024, amount=750000,
                      stages="TAHAP 1 2024")
    path = workbook(tmp_path / "kpm.xlsx", {"KPM": [
        ["NIK", "NOKK", "NAMA", "BANSOS", "TAHAP", "NOMINAL", "STATUS KPM"],
        [head.nik, household.no_kk, "KEPALA", "PKH", "TAHAP 2 2024", 750000, "MENINGGAL"],
    ]})
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    assert list(Enrollment.objects.values_list("status", "amount", "stages", "status_reason")) == [
        ("cancelled", 750000, "TAHAP 1 2024", "Status kepesertaan: MENINGGAL"),
    ]


R5 = ["NO", "IDDTKS", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "KODE_WILAYAH", "TAHAP", "BANSOS", "NOMINAL", "TANGGAL SALUR"]


def _salur(tmp_path, *rows, json_out=False):
    """A Kemensos distribution list (``R5``) of ``(No KK, NIK, name, TAHAP, BANSOS, NOMINAL, TANGGAL
    SALUR)`` rows, imported: the command's exit code and output."""
    lines = [R5] + [[i, f"74090100000000{i:02d}", kk, nik, name, "7409012006", *rest] for i, (kk, nik, name, *rest) in
                    enumerate(rows, 1)]
    path = workbook(tmp_path / "salur.xlsx", {"Sheet1": lines})
    return run("import_recipients", str(path), *(["--json"] if json_out else []))


def test_a_program_named_with_its_year_or_its_card_is_the_registry_program(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rc, out, err = _salur(
        tmp_path,
        (household.no_kk, head.nik, "KEPALA", "TAHAP 2 (APRIL-JUNI) 2024", "PKH 2024", "Rp750.000", "2024-05-02"),
        # The year only in the program's name: the row's year.
        (other.no_kk, "", "LAIN", "TAHAP 1", "BLT DD 2024", "300,000", "03-02-2024"),
        (household.no_kk, child.nik, "ANAK", "TAHAP 1 2024", "KIS PBI", "42.000", "02/01/2024"),
        json_out=True,
    )
    assert rc == 0, (out, err)
    assert json.loads(out)["errors"] == 0
    assert set(Enrollment.objects.values_list("household_id", "member_id", "program__code", "year", "amount")) == {
        (household.pk, None, "pkh", 2024, 750000), (other.pk, None, "blt-desa", 2024, 300000),
        (household.pk, child.pk, "pbi-jk", 2024, 42000),
    }


def test_a_program_name_whose_year_is_not_the_rows_is_warned_and_the_rows_year_kept(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "salur.xlsx", {"Sheet1": [
        ["NIK", "NOKK", "NAMA", "BANSOS", "TAHUN", "NOMINAL"],
        [head.nik, household.no_kk, "KEPALA", "PKH 2023", 2024, 750000],
    ]})
    rc, out, err = run("import_recipients", str(path))
    assert rc == 0, (out, err)
    assert "BANSOS: Program 'PKH 2023' menyebut tahun 2023, berbeda dengan tahun baris ini (2024); dipakai 2024" in out
    assert list(Enrollment.objects.values_list("program__code", "year")) == [("pkh", 2024)]


def _program_sheet(program_name: str, start: str | None = "2024-01-01") -> list[list]:
    """OpenSID's ``Program`` sheet (v2410's template) naming ``program_name``, starting on ``start``."""
    lines = [["Nama Program", program_name], ["Sasaran Program", 2], ["Keterangan", "BLT DD Desa Wanggudu"],
             ["Asal Dana", "Dana Desa"]]
    if start:
        lines.append(["Rentang Waktu (Awal)", start])
    return lines


def test_opensid_template_naming_its_program_with_the_year_is_read_without_a_choice(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    for name, start in (("BLT DANA DESA 2024", "2024-01-01"), ("BLT DANA DESA 2024", None)):
        Enrollment.objects.all().delete()
        path = workbook(tmp_path / "program_bantuan.xlsx", {
            "Program": _program_sheet(name, start),
            "Peserta": [["Peserta", "No. Peserta", "NIK", "Nama"], [household.no_kk, "1", head.nik, "KEPALA"]],
        })
        rc, out, err = run("import_recipients", str(path), "--json")
        assert rc == 0, (out, err)
        result = json.loads(out)
        assert result["errors"] == 0 and result["warnings"] == 0, out
        assert list(Enrollment.objects.values_list("household_id", "program__code", "year")) == [
            (household.pk, "blt-desa", 2024)
        ]


def test_opensid_template_naming_an_unknown_program_is_refused_naming_it(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "program_bantuan.xlsx", {
        "Program": _program_sheet("BANTUAN SEMBAKO DESA 2024"),
        "Peserta": [["Peserta", "No. Peserta", "NIK", "Nama"], [household.no_kk, "1", head.nik, "KEPALA"]],
    })
    rc, out, err = run("import_recipients", str(path))
    assert rc != 0
    assert "Program 'BANTUAN SEMBAKO DESA 2024' di lembar Program (Nama Program) tidak dikenal" in err
    assert "program di registri: " in err and "kolom program tidak ditemukan" not in err
    assert not Enrollment.objects.exists()


def test_a_stage_without_a_year_is_reported_on_its_own_column(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rc, out, err = _salur(
        tmp_path, (household.no_kk, head.nik, "KEPALA", "TAHAP II", "BPNT/SEMBAKO", "Rp. 600.000,00", "15/04/2024")
    )
    assert rc == 1
    assert "Sheet1 baris 2, TAHAP: " in out and ", year:" not in out
    assert not Enrollment.objects.exists()


def test_a_delivery_month_without_its_day_is_its_first_day_warned(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    rc, out, err = _salur(
        tmp_path,
        (household.no_kk, head.nik, "KEPALA", "TAHAP 3 & 4 2024", "SEMBAKO", "1.200.000", "Agustus 2024"),
        (other.no_kk, "", "LAIN", "TAHAP 2 2024", "SEMBAKO", "600.000", "1 Juni 2024"),
    )
    assert rc == 0, (out, err)
    assert ("Sheet1 baris 2, TANGGAL SALUR: Tanggal penyaluran 'Agustus 2024' tanpa hari; dicatat 01/08/2024 "
            "(hari pertama bulan atau triwulan itu)") in out
    assert "baris 3, TANGGAL SALUR" not in out
    assert set(Enrollment.objects.values_list("household_id", "delivered_on")) == {
        (household.pk, datetime.date(2024, 8, 1)), (other.pk, datetime.date(2024, 6, 1)),
    }
