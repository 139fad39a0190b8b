"""What an import says about aid becomes enrollments through one service: ``aid_claims_record``."""

from __future__ import annotations

import datetime

import pytest

from dedup.models import Conflict, ConflictStatus
from households.imports.plan import enrollment_counts
from programs.claims import AidClaim, claim_enrollments, claims_held
from programs.models import Enrollment, EnrollmentSource, Program
from programs.services import aid_claims_record
from tests.factories import HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(reference):
    household = HouseholdFactory()
    head = MemberFactory(household=household, relation="kepala")
    child = MemberFactory(household=household)
    return household, head, child


def test_penerima_keys_map_to_programs_one_enrollment_each(family):
    household, head, child = family
    by = UserFactory(username="bappeda")
    claims = [
        AidClaim(household=household.pk, member=head.pk, aids={"pkh", "bpnt"}),  # BPNT is the Sembako program
        AidClaim(household=household.pk, member=child.pk, aids={"pkh", "sembako"}),  # the same family's: once
        AidClaim(household=household.pk, member=child.pk, aids={"prakerja"}),  # a person program: the child
        AidClaim(household=household.pk, member=None, aids={"pbi"}),  # a person program, nobody named: left out
        AidClaim(household=household.pk, member=head.pk, aids={"unknown"}),  # no program has this key
    ]
    assert len(claim_enrollments(claims, year=2024)) == 3

    result = aid_claims_record(claims=claims, year=2024, source=EnrollmentSource.P3KE, by=by)

    assert len(result.created) == 3 and result.existing == 0
    rows = set(Enrollment.objects.values_list("program__code", "member_id", "year", "status", "source", "created_by"))
    assert rows == {
        ("pkh", None, 2024, "active", "p3ke", by.pk),
        ("sembako", None, 2024, "active", "p3ke", by.pk),
        ("prakerja", child.pk, 2024, "active", "p3ke", by.pk),
    }
    assert len(claims_held(claims, year=2024)[1]) == 3  # what a preview counts as already held
    again = aid_claims_record(claims=claims, year=2024, source=EnrollmentSource.P3KE, by=by)
    assert again.created == [] and again.existing == 3 and Enrollment.objects.count() == 3


def test_a_claim_naming_a_program_keeps_what_the_list_says(family):
    household, head, _child = family
    pkh = Program.objects.get(code="pkh")
    claim = AidClaim(
        household=household.pk, member=head.pk, program=pkh.pk, year=2023, status="completed", amount=750000,
        delivered_on=datetime.date(2023, 5, 2), note="tahap 2",
    )

    result = aid_claims_record(claims=[claim], year=None, source=EnrollmentSource.IMPORT)

    [enrollment] = result.created
    enrollment.refresh_from_db()
    assert (enrollment.program, enrollment.member, enrollment.year, enrollment.status) == (pkh, None, 2023, "completed")
    assert (enrollment.amount, enrollment.delivered_on, enrollment.status_reason) == (750000, datetime.date(2023, 5, 2), "tahap 2")
    assert enrollment.source == EnrollmentSource.IMPORT


def test_a_second_aid_is_flagged_by_the_one_aid_check(family):
    household, head, _child = family
    result = aid_claims_record(
        claims=[AidClaim(household=household.pk, aids={"pkh"}), AidClaim(household=household.pk, aids={"sembako"})],
        year=2024, source=EnrollmentSource.DTKS,
    )
    assert len(result.created) == 2 and len(result.conflicts) == 1


def test_no_claims_write_nothing(reference):
    result = aid_claims_record(claims=[], year=2024, source=EnrollmentSource.P3KE)
    assert (result.created, result.existing, result.conflicts) == ([], 0, [])
    assert not Enrollment.objects.exists()


def test_claims_written_chunk_by_chunk_are_checked_as_one_write(family, monkeypatch):
    """A large import's enrollments are built and written a chunk at a time and counted, not kept:
    two aids of one family that fall into different chunks are still a one-aid conflict, and a
    claim of an enrollment the registry already holds is counted as existing."""
    import programs.services

    household, head, child = family
    other = HouseholdFactory()
    pkh = Program.objects.get(code="pkh")
    Enrollment.objects.create(household=other, program=pkh, year=2024)
    monkeypatch.setattr(programs.services, "CLAIM_CHUNK", 1)
    monkeypatch.setattr(programs.services, "_SQL_MIN", 0)  # PostgreSQL: each chunk through its one statement
    claims = iter([
        AidClaim(household=household.pk, aids={"pkh"}),
        AidClaim(household=other.pk, aids={"pkh"}),  # already in the registry
        AidClaim(household=household.pk, member=child.pk, aids={"prakerja"}),
        AidClaim(household=household.pk, aids={"sembako"}),
    ])

    result = aid_claims_record(claims=claims, year=2024, source=EnrollmentSource.P3KE, keep=False)

    assert (result.created, result.created_count, result.existing) == ([], 3, 1)
    assert Enrollment.objects.filter(household=household).count() == 3
    assert Enrollment.history.filter(household_id=household.pk, history_type="+").count() == 3
    # The conflicts by id: every open one of the family, each raised by this write.
    conflicts = Conflict.objects.filter(status=ConflictStatus.OPEN)
    assert result.conflicts == [] and result.conflict_ids == sorted(conflicts.values_list("pk", flat=True))
    flagged = {frozenset((c.enrollment_a.program.code, c.enrollment_b.program.code)) for c in conflicts}
    assert frozenset(("pkh", "sembako")) in flagged
    assert enrollment_counts(result)["conflicts"] == len(result.conflict_ids) == result.recheck.new.__len__()


def test_plain_claims_come_to_the_same_enrollments_as_aid_claims(family):
    """An extract's row claims go as ``(household, member, aids)`` tuples: the enrollments, their
    defaults and the counts are those of the same ``AidClaim``s, and both kinds mix."""
    household, head, child = family
    by = UserFactory(username="bappeda")
    plain = [(household.pk, head.pk, frozenset({"pkh", "bpnt"})), (household.pk, child.pk, frozenset({"prakerja"}))]
    mixed = [*plain, AidClaim(household=household.pk, member=child.pk, aids={"pkh"})]
    assert len(claim_enrollments(plain, year=2024)) == 3
    assert len(claim_enrollments(mixed, year=2024)) == 3

    result = aid_claims_record(claims=plain, year=2024, source=EnrollmentSource.P3KE, by=by)

    assert len(result.created) == 3 and result.existing == 0
    rows = set(Enrollment.objects.values_list(
        "program__code", "member_id", "year", "status", "amount", "delivered_on", "status_reason", "source",
    ))
    assert rows == {
        ("pkh", None, 2024, "active", None, None, "", "p3ke"),
        ("sembako", None, 2024, "active", None, None, "", "p3ke"),
        ("prakerja", child.pk, 2024, "active", None, None, "", "p3ke"),
    }
    assert len(claims_held(mixed, year=2024)[1]) == 3
    again = aid_claims_record(claims=mixed, year=2024, source=EnrollmentSource.P3KE, by=by)
    assert again.created == [] and again.existing == 3


def test_counted_claims_come_to_what_kept_claims_do(family, monkeypatch):
    """An import's claims are counted, not kept (on PostgreSQL written as columns straight from the
    keys, the held ones skipped by the database): the same enrollments, history rows and counts as
    the same claims kept as instances, a refused claim said why and a refused claim of an
    enrollment already held counted as existing."""
    import programs.services
    from django.db import transaction

    household, head, child = family
    other = HouseholdFactory()
    stranger = MemberFactory(household=other)
    by = UserFactory(username="bappeda")
    pip = Program.objects.get(code="pip")
    aid_claims_record(
        claims=[AidClaim(household=other.pk, aids={"pkh"}), AidClaim(household=other.pk, member=stranger.pk, aids={"pbi"})],
        year=2024, source=EnrollmentSource.P3KE,
    )
    monkeypatch.setattr(programs.services, "_SQL_MIN", 0)  # PostgreSQL: each chunk through its one statement
    claims = [
        AidClaim(household=household.pk, aids={"pkh"}),
        AidClaim(household=other.pk, aids={"pkh"}),  # already in the registry
        AidClaim(household=household.pk, member=stranger.pk, aids={"prakerja"}),  # not of this family: refused
        AidClaim(household=household.pk, member=stranger.pk, aids={"pbi"}),  # refused, but already held: existing
        AidClaim(household=household.pk, member=child.pk, program=pip.pk, year=2023, status="completed",
                 amount=450_000, delivered_on=datetime.date(2023, 8, 1), note="tahap 1"),
        (household.pk, head.pk, frozenset({"sembako", "prakerja"})),
    ]

    def outcome(keep):
        with transaction.atomic():
            result = aid_claims_record(claims=claims, year=2024, source=EnrollmentSource.P3KE, by=by, keep=keep)
            rows = sorted(Enrollment.objects.values_list(
                "program__code", "year", "household_id", "member_id", "status", "amount", "delivered_on",
                "status_reason", "source", "created_by_id", "batch_id",
            ), key=repr)
            history = sorted(Enrollment.history.values_list("program_id", "member_id", "history_type", "history_user_id"), key=repr)
            conflicts = sorted(Conflict.objects.values_list(
                "enrollment_a__program__code", "enrollment_b__program__code", "rule", "status"
            ))
            transaction.set_rollback(True)
        return rows, history, conflicts, (result.created_count, result.existing, result.refused)

    kept, counted = outcome(True), outcome(False)
    assert counted == kept
    assert kept[3][:2] == (4, 2) and len(kept[3][2]) == 1 and "bukan anggota keluarga" in kept[3][2][0]
