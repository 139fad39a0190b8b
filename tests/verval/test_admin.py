"""Verval in the admin: Bappeda looks batches, cases and sent proposals up; nobody changes them there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from verval import services
from verval.models import CaseStatus, VervalBatch, VervalCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(registry, people):
    opened = services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk, registry.poor_4.pk], by=people.bappeda)
    services.cases_assign(cases=list(opened.batch.cases.all()), officer=people.officer, by=people.bappeda)
    return opened.batch


def test_operator_finds_a_batch_and_its_cases(client, batch, people, registry):
    client.force_login(people.bappeda)
    page = client.get(reverse("admin:verval_vervalbatch_changelist"))
    assert page.status_code == 200 and batch.title in page.content.decode()

    detail = client.get(reverse("admin:verval_vervalbatch_change", args=[batch.pk])).content.decode()
    assert registry.poor_1.head_name in detail and registry.poor_4.head_name in detail
    assert "Ani Pendamping" in detail or "pendamping.ani" in detail

    search = client.get(reverse("admin:verval_vervalcase_changelist"), {"q": registry.poor_4.head_name}).content.decode()
    assert registry.poor_4.head_name in search and registry.poor_1.head_name not in search


def test_the_admin_never_changes_verval(client, batch, people):
    client.force_login(people.bappeda)
    case = batch.cases.first()
    assert client.get(reverse("admin:verval_vervalbatch_add")).status_code == 403
    assert client.get(reverse("admin:verval_vervalcase_delete", args=[case.pk])).status_code == 403

    response = client.post(reverse("admin:verval_vervalcase_change", args=[case.pk]), {"status": CaseStatus.VISITED, "note": "x"})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and case.note == ""
    assert VervalBatch.objects.count() == 1 and VervalCase.objects.count() == 2


def test_a_case_history_shows_its_assignment(client, batch, people):
    client.force_login(people.bappeda)
    case = batch.cases.first()
    page = client.get(reverse("admin:verval_vervalcase_history", args=[case.pk]))
    assert page.status_code == 200
    assert "Ditugaskan" in page.content.decode()


@pytest.mark.parametrize("who", ["dinsos_head", "officer", "bupati"])
def test_only_operators_open_it(client, batch, people, who):
    client.force_login(getattr(people, who))
    response = client.get(reverse("admin:verval_vervalbatch_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_sent_proposal_shows_the_nik_each_case_went_out_with(client, batch, people, registry):
    from households.models import Household
    from tests.verval.conftest import visit_all_and_approve
    from verval.models import ProposalExport, Verdict

    visit_all_and_approve(batch, people, Verdict.ELIGIBLE)
    client.force_login(people.bappeda)
    assert client.get(f"/verval/berkas/{batch.pk}/usulan.xlsx").status_code == 200
    sent_nik = registry.poor_1.head_nik
    Household.objects.filter(pk=registry.poor_1.pk).update(head_nik="7409010101700077")  # corrected after sending
    page = client.get(reverse("admin:verval_proposalexport_change", args=[ProposalExport.objects.get().pk])).content.decode()
    assert "NIK yang dikirim" in page and sent_nik in page and registry.poor_4.head_nik in page
    assert "7409010101700077" not in page
