"""Bappeda working in English: counts read with the right plural, and every text the registry
stores (decision reasons, automatic notes) stays in Indonesian, the registry's language."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from dedup.models import Conflict, ConflictStatus
from programs.models import EnrollmentStatus
from programs.services import enrollment_create, enrollment_update
from tests.factories import HouseholdFactory

from .conftest import make_conflict, texts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)

CHANGELIST = "admin:dedup_conflict_changelist"
AUTO_NOTE = "Otomatis: salah satu kepesertaan dibatalkan atau ditolak."


@pytest.fixture
def english_client(bappeda_client):
    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return bappeda_client


@pytest.mark.parametrize("count, expected", [(1, "1 conflict dismissed."), (2, "2 conflicts dismissed.")])
def test_dismissed_count_takes_the_english_plural(programs, english_client, count, expected):
    conflicts = [make_conflict(programs) for _ in range(count)]
    response = english_client.post(
        reverse(CHANGELIST),
        {"action": "dismiss_with_reason", "_selected_action": [c.pk for c in conflicts], "apply": "1",
         "reason": "Data ganda"},
        follow=True,
    )
    assert expected in texts(response)
    assert Conflict.objects.filter(status=ConflictStatus.DISMISSED).count() == count


def test_resolved_count_in_the_singular(programs, english_client):
    conflict = make_conflict(programs)
    response = english_client.post(
        reverse(CHANGELIST), {"action": "keep_a_cancel_b", "_selected_action": [conflict.pk]}, follow=True
    )
    assert "1 conflict resolved: enrollment B cancelled." in texts(response)


def test_indonesian_count_is_unchanged(programs, bappeda_client):
    conflict = make_conflict(programs)
    response = bappeda_client.post(
        reverse(CHANGELIST),
        {"action": "dismiss_with_reason", "_selected_action": [conflict.pk], "apply": "1", "reason": "x"},
        follow=True,
    )
    assert "1 konflik diabaikan." in texts(response)


def test_english_user_resolving_stores_indonesian_reasons(programs, english_client):
    """Keep A without a reason: the default reason, the cancelled enrollment's reason and the note on
    the conflict closed automatically are written in Indonesian, not in the user's English."""
    household = HouseholdFactory()
    enrollment_create(household=household, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    bsps = enrollment_create(household=household, program=programs["bsps"], year=2024)
    rutilahu = enrollment_create(household=household, program=programs["rutilahu"], year=2024)
    conflict = next(c for c in bsps.conflicts if c.enrollment_a.program.code == "pkh")
    other = next(c for c in rutilahu.conflicts if bsps.enrollment.pk in (c.enrollment_a_id, c.enrollment_b_id))

    english_client.post(reverse("admin:dedup_conflict_change", args=[conflict.pk]), {"decision": "keep_a", "reason": ""})

    conflict.refresh_from_db()
    other.refresh_from_db()
    bsps.enrollment.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.decision_reason == f"Dipertahankan {programs['pkh'].name} 2024."
    assert bsps.enrollment.status == EnrollmentStatus.CANCELLED
    assert bsps.enrollment.status_reason == (
        f"Dibatalkan karena konflik satu bantuan #{conflict.pk}: Dipertahankan {programs['pkh'].name} 2024."
    )
    assert (other.status, other.decision_reason) == (ConflictStatus.RESOLVED, AUTO_NOTE)


def test_compatible_pair_note_is_indonesian_for_an_english_user(programs, english_client):
    conflict = make_conflict(programs, "pkh", "sembako")
    english_client.post(
        reverse("admin:dedup_compatiblepair_add"),
        {"program_a": programs["pkh"].pk, "program_b": programs["sembako"].pk, "reason": "Designed to combine"},
    )
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.DISMISSED
    assert conflict.decision_reason == "Pasangan program dinyatakan boleh digabung: Designed to combine"


def test_reopened_note_is_one_indonesian_sentence_whatever_the_language(programs):
    household = HouseholdFactory()
    enrollment_create(household=household, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    second = enrollment_create(household=household, program=programs["bsps"], year=2024)
    [conflict] = second.conflicts
    with translation.override("en"):
        enrollment_update(enrollment=second.enrollment, status=EnrollmentStatus.CANCELLED)
        enrollment_update(enrollment=second.enrollment, status=EnrollmentStatus.ACTIVE)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN
    assert conflict.decision_reason == f"Dibuka kembali: pasangan ini melanggar aturan satu bantuan lagi. Keputusan sebelumnya: {AUTO_NOTE}"
