"""Recipient lists as agencies export them from their own systems: a membership status per recipient
(PKH's AKTIF, GRADUASI, MENINGGAL, NON AKTIF, PINDAH under ``STATUS``, ``STATUS KPM`` or ``STATUS
BANSOS``), a program named with its year (``PKH 2024``, OpenSID's ``BLT DANA DESA 2024``) or by its
card (``KIS PBI``), a stage without a year, a delivery month without its day."""

from __future__ import annotations

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
