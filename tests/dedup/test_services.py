"""Bappeda's decisions: each records who and when, and bad input changes nothing."""

import pytest
from django.core.exceptions import ValidationError

from dedup.models import CompatiblePair, Conflict, ConflictStatus
from dedup.services import (
    NATIONAL_BUNDLE,
    compatible_bundle_load,
    compatible_pair_create,
    conflict_approve,
    conflict_bulk_approve,
    conflict_bulk_resolve,
    conflict_dismiss,
    conflict_resolve,
)
from programs.models import Enrollment, EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def conflict_between(programs, *codes, household=None):
    household = household or HouseholdFactory()
    results = [
        enrollment_create(household=household, program=programs[code], year=2024, status=EnrollmentStatus.ACTIVE)
        for code in codes
    ]
    return household, [r.enrollment for r in results], results[-1].conflicts


def test_resolve_keeps_one_cancels_the_other_and_records_who_and_when(programs, reviewer):
    _household, (pkh, bsps), [conflict] = conflict_between(programs, "pkh", "bsps")

    conflict_resolve(conflict=conflict, keep=pkh, by=reviewer, reason="PKH lebih dulu diterima")

    conflict.refresh_from_db()
    bsps.refresh_from_db()
    pkh.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.kept_enrollment == pkh
    assert conflict.reviewed_by == reviewer and conflict.reviewed_at is not None
    assert conflict.decision_reason == "PKH lebih dulu diterima"
    assert bsps.status == EnrollmentStatus.CANCELLED
    assert f"konflik satu bantuan #{conflict.pk}" in bsps.status_reason
    assert pkh.status == EnrollmentStatus.ACTIVE
    assert conflict.history.first().history_user == reviewer


def test_resolving_one_pair_closes_the_cancelled_enrollments_other_conflicts(programs, reviewer):
    _household, (pkh, bsps, spam), conflicts = conflict_between(programs, "pkh", "bsps", "spam")
    pkh_bsps = Conflict.objects.get(enrollment_a=pkh, enrollment_b=bsps)

    conflict_resolve(conflict=pkh_bsps, keep=pkh, by=reviewer)

    statuses = dict(Conflict.objects.values_list("enrollment_b", "status").filter(enrollment_a=bsps))
    assert statuses == {spam.pk: ConflictStatus.RESOLVED}
    assert Conflict.objects.get(enrollment_a=pkh, enrollment_b=spam).status == ConflictStatus.OPEN


def test_resolve_with_an_enrollment_outside_the_pair_is_refused_and_changes_nothing(programs, reviewer):
    _household, _enrollments, [conflict] = conflict_between(programs, "pkh", "bsps")
    _other, (stranger,), _ = conflict_between(programs, "spam")

    with pytest.raises(ValidationError) as error:
        conflict_resolve(conflict=conflict, keep=stranger, by=reviewer)

    assert "harus salah satu dari dua kepesertaan" in str(error.value)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN and conflict.reviewed_by is None
    assert not Enrollment.objects.filter(status=EnrollmentStatus.CANCELLED).exists()


def test_approve_needs_a_reason(programs, reviewer):
    _household, _enrollments, [conflict] = conflict_between(programs, "pkh", "bsps")

    with pytest.raises(ValidationError) as error:
        conflict_approve(conflict=conflict, reason="   ", by=reviewer)

    assert error.value.message_dict == {"decision_reason": ["Alasan persetujuan wajib diisi."]}
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN and conflict.reviewed_at is None

    conflict_approve(conflict=conflict, reason="Korban banjir 2024, disetujui Sekda", by=reviewer)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.reviewed_by, conflict.decision_reason) == (
        ConflictStatus.APPROVED, reviewer, "Korban banjir 2024, disetujui Sekda",
    )


def test_a_decided_conflict_cannot_be_decided_again(programs, reviewer):
    _household, (pkh, _bsps), [conflict] = conflict_between(programs, "pkh", "bsps")
    conflict_dismiss(conflict=conflict, by=reviewer, reason="Data ganda dari impor")
    other = UserFactory(username="lain")

    with pytest.raises(ValidationError) as error:
        conflict_resolve(conflict=conflict, keep=pkh, by=other)

    assert f"Konflik #{conflict.pk} sudah diputuskan (Diabaikan)." in error.value.messages
    conflict.refresh_from_db()
    assert conflict.reviewed_by == reviewer
    assert not Enrollment.objects.filter(status=EnrollmentStatus.CANCELLED).exists()


def test_bulk_approve_and_bulk_resolve_report_what_they_could_not_do(programs, reviewer):
    conflicts = [conflict_between(programs, "pkh", "bsps")[2][0] for _ in range(2)]
    with pytest.raises(ValidationError):
        conflict_bulk_approve(conflicts=conflicts, reason="", by=reviewer)
    assert not Conflict.objects.exclude(status=ConflictStatus.OPEN).exists()

    approved = conflict_bulk_approve(conflicts=conflicts[:1], reason="Pengecualian", by=reviewer)
    resolved = conflict_bulk_resolve(conflicts=conflicts, keep_side="b", by=reviewer)

    assert approved.decided == 1
    assert resolved.decided == 1 and len(resolved.errors) == 1
    assert "sudah diputuskan" in resolved.errors[0]
    kept = Conflict.objects.get(pk=conflicts[1].pk)
    assert kept.kept_enrollment_id == kept.enrollment_b_id
    assert kept.enrollment_a.status == EnrollmentStatus.CANCELLED


def test_compatible_pair_is_stored_in_order_with_reason_and_author(programs, reviewer):
    pair = compatible_pair_create(program_a=programs["sembako"], program_b=programs["pkh"], reason="Paket", by=reviewer)

    low, high = sorted([programs["sembako"], programs["pkh"]], key=lambda p: p.pk)
    assert (pair.program_a, pair.program_b, pair.created_by, pair.reason) == (low, high, reviewer, "Paket")
    assert pair.created_at is not None


@pytest.mark.parametrize(
    ("a", "b", "reason", "message"),
    [
        ("pkh", "pkh", "Sama", "Pilih dua program yang berbeda."),
        ("pkh", "bsps", "  ", "Alasan wajib diisi."),
    ],
)
def test_compatible_pair_bad_input_is_refused(programs, reviewer, a, b, reason, message):
    with pytest.raises(ValidationError) as error:
        compatible_pair_create(program_a=programs[a], program_b=programs[b], reason=reason, by=reviewer)
    assert message in error.value.messages
    assert not CompatiblePair.objects.exists()


def test_compatible_pair_twice_is_refused(programs, reviewer):
    compatible_pair_create(program_a=programs["pkh"], program_b=programs["sembako"], reason="Paket", by=reviewer)
    with pytest.raises(ValidationError) as error:
        compatible_pair_create(program_a=programs["sembako"], program_b=programs["pkh"], reason="Lagi", by=reviewer)
    assert "sudah ditetapkan boleh digabung" in error.value.messages[0]
    assert CompatiblePair.objects.count() == 1


def test_declaring_a_pair_compatible_dismisses_its_open_conflicts_only(programs, reviewer):
    _h1, _e1, [pkh_sembako] = conflict_between(programs, "pkh", "sembako")
    _h2, _e2, [pkh_bsps] = conflict_between(programs, "pkh", "bsps")

    compatible_pair_create(program_a=programs["pkh"], program_b=programs["sembako"], reason="Paket nasional", by=reviewer)

    pkh_sembako.refresh_from_db()
    pkh_bsps.refresh_from_db()
    assert pkh_sembako.status == ConflictStatus.DISMISSED
    assert pkh_sembako.reviewed_by == reviewer
    assert "Paket nasional" in pkh_sembako.decision_reason
    assert pkh_bsps.status == ConflictStatus.OPEN


def test_national_bundle_loads_six_pairs_once(programs, reviewer):
    first = compatible_bundle_load(by=reviewer)
    second = compatible_bundle_load(by=reviewer)

    assert len(first.created) == 6 and first.existing == 0
    assert second.created == [] and second.existing == 6
    codes = {frozenset((p.program_a.code, p.program_b.code)) for p in CompatiblePair.objects.all()}
    assert codes == {frozenset((a, b)) for a in NATIONAL_BUNDLE for b in NATIONAL_BUNDLE if a != b}


def test_national_bundle_without_reference_programs_says_so(db, reviewer):
    from programs.models import Program

    Program.objects.filter(code="pbi-jk").delete()
    with pytest.raises(ValidationError) as error:
        compatible_bundle_load(by=reviewer)
    assert "pbi-jk" in error.value.messages[0]
    assert not CompatiblePair.objects.exists()
