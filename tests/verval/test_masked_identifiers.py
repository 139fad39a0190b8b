"""What of people's NIK and No KK the verval pages give away to roles that see those numbers
masked (Dinas operators, the Bupati): a NIK quoted in a batch's notes shows masked, and a photo of
a family card, which shows every member's NIK and the No KK, is neither served nor linked to them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.verval.conftest import client_for, words
from verval import services
from verval.models import Verdict

pytestmark = pytest.mark.django_db
QUOTED_NIK = "7409010304750123"


@pytest.fixture
def verified(registry, people):
    """A batch visited, deliberated and verified, its deliberation outcome and verification note
    each quoting a NIK."""
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case in cases:
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence="ditemukan",
                                   verdict=Verdict.ELIGIBLE)
    client_for(people.dinsos_operator).post(f"/verval/berkas/{batch.pk}/musyawarah/", {
        "held_on": timezone.localdate().strftime("%d/%m/%Y"), "outcome": f"Disepakati; warga NIK {QUOTED_NIK} menyusul"})
    client_for(people.dinsos_head).post(f"/verval/berkas/{batch.pk}/verifikasi/", {"note": f"Cek ulang NIK {QUOTED_NIK}"})
    batch.refresh_from_db()
    assert QUOTED_NIK in batch.deliberation_outcome and QUOTED_NIK in batch.verification_note
    return batch


@pytest.mark.parametrize("role", ["bupati", "dinsos_operator"])
def test_a_nik_quoted_in_a_batchs_notes_shows_masked_to_a_masked_role(verified, people, role):
    page = words(client_for(getattr(people, role)).get(f"/verval/berkas/{verified.pk}/").content.decode())
    assert QUOTED_NIK not in page
    assert "Disepakati; warga NIK 740901********** menyusul" in page
    assert "Cek ulang NIK 740901**********" in page


@pytest.mark.parametrize("role", ["bappeda", "dinsos_head"])
def test_a_role_that_verifies_people_reads_a_batchs_notes_as_written(verified, people, role):
    page = words(client_for(getattr(people, role)).get(f"/verval/berkas/{verified.pk}/").content.decode())
    assert f"Disepakati; warga NIK {QUOTED_NIK} menyusul" in page and f"Cek ulang NIK {QUOTED_NIK}" in page
