"""The proposal type the ministry file gives each case: a family found not eligible whose aid the
approval suspended is proposed for removal (Usulan hapus), whatever the kind of candidate its case
was opened as; one whose approval suspended nothing has its data corrected (Perbaikan data)."""

from __future__ import annotations

import importlib
import io

import openpyxl
import pytest
from django.test import Client

from programs.models import Enrollment, EnrollmentStatus
from tests.verval.conftest import enroll, visit_all_and_approve
from verval import services
from verval.models import Verdict

pytestmark = pytest.mark.django_db


def _approved_batch(kind, households, people, *, before_visit=None):
    batch = services.cases_open(kind=kind, household_ids=[h.pk for h in households], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    if before_visit:
        before_visit()
    visit_all_and_approve(batch, people, Verdict.NOT_ELIGIBLE)
    return batch


def _proposal_types(batch, people) -> dict[str, str]:
    """The ministry file as Bappeda downloads it: NIK -> Jenis Usulan."""
    client = Client()
    client.force_login(people.bappeda)
    response = client.get(f"/verval/berkas/{batch.pk}/usulan.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    return {row[header.index("NIK")]: row[header.index("Jenis Usulan")] for row in rows[1:]}


def test_an_incomplete_ranking_found_not_eligible_whose_aid_is_suspended_is_proposed_for_removal(registry, people):
    # no_desil receives PKH (desil-limited): approval suspends it. no_water receives BSPS only (no
    # desil limit): approval suspends nothing, the family's data is corrected.
    batch = _approved_batch("incomplete", [registry.no_desil, registry.no_water], people)
    assert Enrollment.objects.get(household=registry.no_desil).status == EnrollmentStatus.SUSPENDED
    assert Enrollment.objects.get(household=registry.no_water).status == EnrollmentStatus.ACTIVE
    assert _proposal_types(batch, people) == {
        registry.no_desil.head_nik: "Usulan hapus", registry.no_water.head_nik: "Perbaikan data",
    }


def test_an_unreached_family_found_not_eligible_whose_new_aid_is_suspended_is_proposed_for_removal(registry, people):
    # poor_4 had no aid when its case opened; PKH was recorded before the visit, and approval
    # suspends it. poor_1 still receives nothing.
    batch = _approved_batch("exclusion", [registry.poor_1, registry.poor_4], people,
                            before_visit=lambda: enroll(registry.poor_4, "pkh"))
    assert Enrollment.objects.get(household=registry.poor_4).status == EnrollmentStatus.SUSPENDED
    assert _proposal_types(batch, people) == {
        registry.poor_4.head_nik: "Usulan hapus", registry.poor_1.head_nik: "Perbaikan data",
    }


def test_cases_approved_before_the_approval_recorded_it_are_read_from_the_aid_history(registry, people):
    from django.apps import apps

    backfill = importlib.import_module("verval.migrations.0007_backfill_case_aid_suspended").backfill
    batch = _approved_batch("incomplete", [registry.no_desil, registry.no_water], people)
    batch.cases.update(aid_suspended=False)  # as every case approved before the field existed
    assert set(_proposal_types(batch, people).values()) == {"Perbaikan data"}
    backfill(apps, None)
    assert _proposal_types(batch, people) == {
        registry.no_desil.head_nik: "Usulan hapus", registry.no_water.head_nik: "Perbaikan data",
    }
