"""A recipient list's stages (TAHAP) on enrollments: a cumulative list adds only its new stages,
many stages fit, and an added stage that takes the value over the ceiling is held."""

from __future__ import annotations

import datetime
import json

import pytest

from households.models import ImportBatch
from programs.models import Enrollment
from tests.programs import test_import_recipients_existing as existing
from tests.programs.test_import_recipients import run, sheet
from tests.programs.test_import_recipients_existing import HEADERS, row

pytestmark = pytest.mark.django_db
enrolled = existing.enrolled  # four families enrolled in PKH 2024

MONTHS = ("JANUARI", "FEBRUARI", "MARET", "APRIL", "MEI", "JUNI", "JULI", "AGUSTUS", "SEPTEMBER", "OKTOBER",
          "NOVEMBER", "DESEMBER")


def _import(tmp_path, name, rows, *args):
    code, out, err = run("import_recipients", str(sheet(tmp_path / name, rows, headers=HEADERS, title_rows=0)), *args)
    assert code == 0, err
    return out


def test_a_cumulative_list_adds_only_its_new_stage(enrolled, tmp_path):
    siti = enrolled[1]
    _import(tmp_path, "t1.xlsx", [row(siti, stage="TAHAP 1 2024")])
    assert Enrollment.objects.get(household=siti).amount == 750_000

    _import(tmp_path, "t1t2.xlsx", [row(siti, stage="TAHAP 1 2024"), row(siti, stage="TAHAP 2 2024", amount="Rp 600.000")])
    enrollment = Enrollment.objects.get(household=siti)
    assert enrollment.amount == 1_350_000
    assert enrollment.stages == "TAHAP 1 2024; TAHAP 2 2024"

    _import(tmp_path, "t1t2.xlsx", [row(siti, stage="TAHAP 1 2024"), row(siti, stage="TAHAP 2 2024", amount="Rp 600.000")])
    assert Enrollment.objects.get(household=siti).amount == 1_350_000  # the same list again adds nothing


def test_twelve_monthly_stages_are_kept_whole_on_a_new_and_an_existing_enrollment(enrolled, tmp_path):
    siti, tandi = enrolled[1], enrolled[2]
    stages = [f"BULAN {month} 2025" for month in MONTHS]
    # 2025: new enrollments (the families are enrolled for 2024 only).
    _import(tmp_path, "2025.xlsx", [row(tandi, stage=stage, amount="Rp 200.000") for stage in stages])
    created = Enrollment.objects.get(household=tandi, year=2025)
    assert (created.amount, created.stages) == (2_400_000, "; ".join(stages))

    stages = [f"BULAN {month} 2024" for month in MONTHS]
    rows = [row(siti, stage=stage, amount="Rp 200.000") for stage in stages]
    _import(tmp_path, "2024.xlsx", rows)
    _import(tmp_path, "2024.xlsx", rows)  # sent again: every stage recognised, nothing added
    updated = Enrollment.objects.get(household=siti, year=2024)
    assert (updated.amount, updated.stages) == (2_400_000, "; ".join(stages))


def test_a_stage_that_takes_the_value_over_the_ceiling_is_held(enrolled, tmp_path):
    siti = enrolled[1]
    Enrollment.objects.filter(household=siti).update(
        amount=9_800_000_000, stages="TAHAP 1 2024", delivered_on=datetime.date(2024, 3, 1))
    out = _import(tmp_path, "t2.xlsx", [row(siti, stage="TAHAP 2 2024", amount="Rp 750.000.000")])
    assert "melebihi batas" in out
    assert Enrollment.objects.get(household=siti).amount == 9_800_000_000


def test_a_resent_list_that_corrects_a_stage_amount_updates_the_enrollment_and_says_so(enrolled, tmp_path):
    siti, tandi = enrolled[1], enrolled[2]
    first = [row(siti, stage="TAHAP 1 2024"), row(siti, stage="TAHAP 2 2024"), row(tandi, stage="TAHAP 1 2024")]
    _import(tmp_path, "pkh.xlsx", first)
    assert Enrollment.objects.get(household=siti).amount == 1_500_000

    # Dinsos sends the list again, TAHAP 2 of WA ODE SITI corrected from Rp 750.000 to Rp 900.000.
    corrected = [row(siti, stage="TAHAP 1 2024"), row(siti, stage="TAHAP 2 2024", amount="Rp 900.000"),
                 row(tandi, stage="TAHAP 1 2024")]
    path = sheet(tmp_path / "pkh_perbaikan.xlsx", corrected, headers=HEADERS, title_rows=0)
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["enrollments_updated"] == 1 and result["message"] != "Tidak ada perubahan."
    batch = ImportBatch.objects.get(pk=result["batch"])
    change = (
        "Program Keluarga Harapan (PKH) 2024, WA ODE SITI: nilai dari Rp 1.500.000 menjadi Rp 1.650.000; nilai tahap "
        "TAHAP 1 2024, TAHAP 2 2024 diperbaiki daftar ini (tercatat Rp 1.500.000, di daftar Rp 1.650.000)"
    )
    said = [(w["row"], w["column"], w["reason"]) for w in batch.warnings if "diperbaiki" in w["reason"]]
    assert said == [(2, "NOMINAL", change)]
    assert result["enrollments"]["updated_changes"] == [change]
    enrollment = Enrollment.objects.get(household=siti)
    assert (enrollment.amount, enrollment.stages) == (1_650_000, "TAHAP 1 2024; TAHAP 2 2024")
    assert list(enrollment.history.order_by("history_date").values_list("amount", flat=True))[-2:] == [1_500_000, 1_650_000]
    assert Enrollment.objects.get(household=tandi).amount == 750_000

    # The corrected list once more changes nothing.
    code, out, err = run("import_recipients", str(path), "--json")
    assert json.loads(out)["enrollments_updated"] == 0
    assert Enrollment.objects.get(household=siti).amount == 1_650_000


def test_a_corrected_amount_and_a_new_stage_in_one_list_add_up(enrolled, tmp_path):
    siti = enrolled[1]
    _import(tmp_path, "t1.xlsx", [row(siti, stage="TAHAP 1 2024")])
    _import(tmp_path, "t1t2.xlsx", [row(siti, stage="TAHAP 1 2024", amount="Rp 600.000"), row(siti, stage="TAHAP 2 2024")])
    enrollment = Enrollment.objects.get(household=siti)
    assert (enrollment.amount, enrollment.stages) == (1_350_000, "TAHAP 1 2024; TAHAP 2 2024")


def test_a_list_naming_only_some_counted_stages_leaves_their_amount(enrolled, tmp_path):
    # Which stage of the total a stored amount was, the enrollment does not keep: a list that restates
    # only TAHAP 2 cannot tell whether its amount differs from the stored one, so the total stays.
    siti = enrolled[1]
    _import(tmp_path, "t1t2.xlsx", [row(siti, stage="TAHAP 1 2024"), row(siti, stage="TAHAP 2 2024")])
    _import(tmp_path, "t2.xlsx", [row(siti, stage="TAHAP 2 2024", amount="Rp 900.000")])
    assert Enrollment.objects.get(household=siti).amount == 1_500_000
