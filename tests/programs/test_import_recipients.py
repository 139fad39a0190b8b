"""Agencies' recipient lists: rows matched by NIK then No KK become enrollments through the service."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook

from households.identifiers import make_nik
from households.models import ImportBatch
from programs.models import Enrollment, EnrollmentSource
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

HEADERS = ["NO", "NIK", "NOKK", "NAMA_PENERIMA", "KECAMATAN", "DESA", "BANSOS", "TAHAP", "NOMINAL", "STATUS"]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)


def sheet(path, rows, headers=HEADERS, title_rows=2):
    workbook = Workbook()
    ws = workbook.active
    for _ in range(title_rows):
        ws.append(["DAFTAR PENERIMA BANTUAN DINAS SOSIAL"])
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    workbook.save(path)
    return path


@pytest.fixture
def family(reference):
    household = HouseholdFactory(p3ke_id="122000001", no_kk="7409010101200001", head_nik=make_nik(region="740901", birth=datetime.date(1980, 1, 5), female=False, serial=1))
    head = MemberFactory(household=household, nik=household.head_nik, relation="kepala", name="KEPALA")
    child = MemberFactory(household=household, nik=make_nik(region="740901", birth=datetime.date(2012, 3, 4), female=True, serial=2), relation="anak")
    other = HouseholdFactory(p3ke_id="122000002", no_kk="7409010101200002", head_nik=make_nik(region="740901", birth=datetime.date(1975, 2, 2), female=False, serial=3))
    return household, head, child, other


def test_rows_matched_by_nik_then_kk_become_active_enrollments(family, tmp_path):
    household, head, child, other = family
    rows = [
        {"NIK": head.nik, "NOKK": household.no_kk, "NAMA_PENERIMA": "KEPALA", "BANSOS": "PKH", "TAHAP": "TAHAP 1 2024", "NOMINAL": "Rp 750.000"},
        {"NIK": "", "NOKK": other.no_kk, "NAMA_PENERIMA": "LAIN", "BANSOS": "pkh", "TAHAP": "2024", "NOMINAL": 750000},
    ]
    path = sheet(tmp_path / "pkh.xlsx", rows)
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, err
    assert result["enrollments"] == {"created": 2, "existing": 0, "conflicts": 0}
    got = set(Enrollment.objects.values_list("household_id", "program__code", "year", "status", "amount", "source", "batch_id"))
    assert got == {
        (household.pk, "pkh", 2024, "active", 750000, EnrollmentSource.IMPORT, result["batch"]),
        (other.pk, "pkh", 2024, "active", 750000, EnrollmentSource.IMPORT, result["batch"]),
    }
    code, out, _ = run("import_recipients", str(path), "--json")
    assert json.loads(out)["enrollments"] == {"created": 0, "existing": 2, "conflicts": 0}


def test_program_and_year_from_options_and_person_program(family, tmp_path):
    household, head, child, other = family
    rows = [{"NIK_KTP": child.nik, "NAMA_PENERIMA": "ANAK", "NOMINAL": "450.000", "STATUS": "Diusulkan"}]
    path = sheet(tmp_path / "pip.xlsx", rows, headers=["NIK_KTP", "NAMA_PENERIMA", "NOMINAL", "STATUS"])
    code, out, err = run("import_recipients", str(path), "--program", "pip", "--year", "2025", "--json")
    assert code == 0, err
    enrollment = Enrollment.objects.get()
    assert (enrollment.member_id, enrollment.program.code, enrollment.year, enrollment.status, enrollment.amount) == (
        child.pk, "pip", 2025, "proposed", 450000,
    )


def test_unmatched_and_bad_rows_refuse_the_whole_list(family, tmp_path):
    household, head, child, other = family
    rows = [
        {"NIK": head.nik, "BANSOS": "PKH", "TAHAP": "2024"},
        {"NIK": make_nik(region="740901", birth=datetime.date(1990, 1, 1), female=False, serial=77), "BANSOS": "PKH", "TAHAP": "2024"},
        {"NIK": 7409010501800000, "BANSOS": "PKH", "TAHAP": "2024"},
        {"NIK": head.nik, "BANSOS": "BANSOS ENTAH", "TAHAP": "2024"},
        {"NOKK": other.no_kk, "BANSOS": "PKH", "TAHAP": "tanpa tahun"},
    ]
    path = sheet(tmp_path / "bad.xlsx", rows)
    code, out, err = run("import_recipients", str(path))
    assert code == 1
    assert "Penerima tidak ditemukan di registri" in out
    assert "NIK rusak oleh Excel" in out
    assert "Program 'BANSOS ENTAH' tidak dikenal" in out
    assert "Tahun/periode kosong atau tidak berisi tahun" in out
    assert not Enrollment.objects.exists()
    assert ImportBatch.objects.get().status == "refused"


def test_person_program_needs_a_member_nik(family, tmp_path):
    household, head, child, other = family
    path = sheet(tmp_path / "kk.xlsx", [{"NOKK": household.no_kk, "BANSOS": "PIP", "TAHAP": "2024"}])
    code, out, _ = run("import_recipients", str(path))
    assert code == 1 and "Program perorangan" in out and not Enrollment.objects.exists()


def test_missing_program_column_without_option_is_unreadable(family, tmp_path):
    path = sheet(tmp_path / "noprog.xlsx", [{"NIK": "1"}], headers=["NIK", "NOKK", "NAMA_PENERIMA", "NOMINAL"])
    code, out, err = run("import_recipients", str(path), "--year", "2024")
    assert code == 2 and "kolom program tidak ditemukan" in err and "--program" in err and not Enrollment.objects.exists()


def test_dry_run(family, tmp_path):
    household, head, child, other = family
    path = sheet(tmp_path / "dry.xlsx", [{"NIK": head.nik, "BANSOS": "PKH", "TAHAP": "2024"}])
    code, out, _ = run("import_recipients", str(path), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["batch"] is None
    assert not Enrollment.objects.exists() and not ImportBatch.objects.exists()


def test_program_option_matches_spellings_and_an_unknown_one_lists_the_programs(family, tmp_path):
    household, head, child, other = family
    path = sheet(tmp_path / "blt.xlsx", [{"NIK": head.nik}], headers=["NIK", "NAMA_PENERIMA"])
    code, out, err = run("import_recipients", str(path), "--program", "BLT DD", "--year", "2024", "--json")
    assert code == 0, err
    assert list(Enrollment.objects.values_list("household_id", "program__code")) == [(household.pk, "blt-desa")]
    code, out, err = run("import_recipients", str(path), "--program", "BLT KABUPATEN", "--year", "2024")
    assert code == 2 and "Program 'BLT KABUPATEN' tidak dikenal; program di registri: " in err and "blt-desa" in err
    assert Enrollment.objects.count() == 1


def test_a_year_more_than_one_year_ahead_is_refused_from_the_file_and_from_the_operator(family, tmp_path):
    household, head, child, other = family
    this_year = timezone.localdate().year
    far, planned = this_year + 10, this_year + 1
    refusal = (f"Tahun {far} terlalu jauh ke depan: kepesertaan paling jauh untuk tahun depan ({planned}). "
               "Periksa salah ketik tahun.")
    rows = [
        {"NIK": head.nik, "BANSOS": "PKH", "TAHAP": f"TAHAP 1 {far}", "NOMINAL": "750.000"},
        {"NOKK": other.no_kk, "BANSOS": "PKH", "TAHAP": f"TAHAP 1 {planned}", "NOMINAL": "750.000"},
    ]
    code, out, _ = run("import_recipients", str(sheet(tmp_path / "typo.xlsx", rows)))
    assert code == 1 and refusal in out and "TAHAP" in out.split(refusal)[0].splitlines()[-1]
    assert not Enrollment.objects.exists()

    rows = [{"NIK": head.nik, "NAMA_PENERIMA": "KEPALA"}]
    path = sheet(tmp_path / "pkh.xlsx", rows, headers=["NIK", "NAMA_PENERIMA"])
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", str(far))
    assert code == 2 and refusal in err and not Enrollment.objects.exists()
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", str(planned), "--json")
    assert code == 0, err
    assert list(Enrollment.objects.values_list("household_id", "year")) == [(household.pk, planned)]
