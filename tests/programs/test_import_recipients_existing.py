"""A recipient list about families already enrolled (by P3KE, DTKS or an earlier list): the row's
distribution status, amount and reason are applied to the enrollment, and the preview says so."""

from __future__ import annotations

import datetime
import json

import pytest

from households.identifiers import make_nik
from programs.models import Enrollment, EnrollmentSource, EnrollmentStatus
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory
from tests.programs.test_import_recipients import run, sheet

pytestmark = pytest.mark.django_db

HEADERS = ["NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL", "STATUS_PENYALURAN", "KETERANGAN"]


@pytest.fixture
def enrolled(reference):
    """Four families P3KE already enrolled in PKH 2024, active, without an amount."""
    families = []
    for serial, name in enumerate(("LA ODE BAHARI", "WA ODE SITI", "LA TANDI", "SITTI AMINAH"), start=1):
        nik = make_nik(region="740901", birth=datetime.date(1980, 1, serial), female=False, serial=serial)
        household = HouseholdFactory(p3ke_id=f"12200000{serial}", no_kk=f"740901010120000{serial}", head_nik=nik, head_name=name)
        MemberFactory(household=household, nik=nik, relation="kepala", name=name)
        EnrollmentFactory(household=household, year=2024, status=EnrollmentStatus.ACTIVE, source=EnrollmentSource.P3KE)
        families.append(household)
    return families


def row(household, status="SUDAH SALUR", note="", stage="TAHAP 3 2024", amount="Rp 750.000"):
    return {"NIK_KTP": household.head_nik, "NAMA_PENERIMA": household.head_name, "TAHAP": stage, "BANSOS": "PKH",
            "NOMINAL": amount, "STATUS_PENYALURAN": status, "KETERANGAN": note}


def state():
    return {e.household.head_name: (e.status, e.amount, e.status_reason)
            for e in Enrollment.objects.select_related("household")}


def test_a_list_applies_its_statuses_and_amounts_to_existing_enrollments(enrolled, tmp_path):
    bahari, siti, tandi, aminah = enrolled
    rows = [row(bahari, "GAGAL SALUR", "rekening dibekukan"), row(siti), row(tandi), row(aminah, "RETUR", "meninggal dunia")]
    path = sheet(tmp_path / "tahap3.xlsx", rows, headers=HEADERS, title_rows=0)

    code, out, err = run("import_recipients", str(path), "--dry-run")
    assert code == 0, err
    assert "akan diperbarui: 4" in out
    assert "LA ODE BAHARI" in out and "status dari Aktif menjadi Ditangguhkan" in out
    assert "Rp 750.000" in out
    assert all(s[0] == "active" and s[1] is None for s in state().values())  # a preview writes nothing

    code, out, err = run("import_recipients", str(path))
    assert code == 0, err
    assert "4 diperbarui" in out and "Tidak ada perubahan" not in out
    after = state()
    assert after["LA ODE BAHARI"][:2] == ("suspended", None)
    assert "GAGAL SALUR" in after["LA ODE BAHARI"][2] and "rekening dibekukan" in after["LA ODE BAHARI"][2]
    assert after["SITTI AMINAH"][0] == "suspended" and "meninggal dunia" in after["SITTI AMINAH"][2]
    assert after["WA ODE SITI"] == ("active", 750000, "") and after["LA TANDI"] == ("active", 750000, "")
    # History kept: the enrollment's earlier state is in its history.
    enrollment = Enrollment.objects.get(household=bahari)
    assert list(enrollment.history.order_by("history_date").values_list("status", flat=True)) == ["active", "suspended"]

    # The same list again changes nothing (the stage's amount is not added twice).
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["enrollments"] == {"created": 0, "existing": 4, "conflicts": 0}
    assert state() == after

    # The next stage adds its amount to what was delivered.
    path = sheet(tmp_path / "tahap4.xlsx", [row(siti, stage="TAHAP 4 2024")], headers=HEADERS, title_rows=0)
    code, out, err = run("import_recipients", str(path))
    assert code == 0, err
    assert state()["WA ODE SITI"] == ("active", 1_500_000, "")


def test_a_cancelled_or_completed_enrollment_is_not_revived_by_a_list(enrolled, tmp_path):
    bahari, siti, _tandi, _aminah = enrolled
    Enrollment.objects.filter(household=bahari).update(status=EnrollmentStatus.CANCELLED, status_reason="konflik")
    Enrollment.objects.filter(household=siti).update(status=EnrollmentStatus.COMPLETED)
    path = sheet(tmp_path / "tahap3.xlsx", [row(bahari), row(siti)], headers=HEADERS, title_rows=0)
    code, out, err = run("import_recipients", str(path))
    assert code == 0, err
    assert "Dibatalkan" in out and "Selesai" in out and "tidak diubah" in out
    assert state()["LA ODE BAHARI"] == ("cancelled", None, "konflik")
    assert state()["WA ODE SITI"] == ("completed", None, "")
