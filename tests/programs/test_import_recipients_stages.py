"""A recipient list's stages (TAHAP) on enrollments: a cumulative list adds only its new stages,
many stages fit, and an added stage that takes the value over the ceiling is held."""

from __future__ import annotations

import datetime

import pytest

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
