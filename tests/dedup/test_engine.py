"""The one-aid rule through the service save paths: what fires, what stays quiet, what it costs."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dedup import engine
from dedup.membership import members_mark_absent
from dedup.models import Conflict, ConflictEvent, ConflictEventKind, ConflictRule, ConflictStatus
from dedup.presenters import conflict_message
from dedup.services import compatible_bundle_load, compatible_pair_create, conflict_approve, conflict_dismiss
from households.identifiers import make_nik
from programs.models import Enrollment, EnrollmentStatus
from programs.services import enrollment_bulk_create, enrollment_create, enrollment_update
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def enroll(household, program, *, year=2024, status=EnrollmentStatus.ACTIVE, member=None):
    return enrollment_create(household=household, program=program, year=year, status=status, member=member)


def test_second_aid_in_same_year_is_flagged_and_saved(programs):
    household = HouseholdFactory()
    first = enroll(household, programs["pkh"])
    assert first.conflicts == []

    second = enroll(household, programs["bsps"], status=EnrollmentStatus.PROPOSED)

    assert Enrollment.objects.filter(pk=second.enrollment.pk).exists()
    [conflict] = second.conflicts
    assert conflict.household == household
    assert conflict.rule == ConflictRule.ONE_AID
    assert conflict.status == ConflictStatus.OPEN
    assert (conflict.enrollment_a_id, conflict.enrollment_b_id) == (first.enrollment.pk, second.enrollment.pk)
    assert conflict_message(conflict, saved_enrollment_id=second.enrollment.pk) == (
        f"Keluarga ini sudah menerima {programs['pkh'].name} 2024: konflik #{conflict.pk} dibuat"
    )
    assert Conflict.objects.count() == 1


def test_update_path_flags_an_enrollment_that_becomes_live(programs):
    household = HouseholdFactory()
    enroll(household, programs["pkh"])
    cancelled = enroll(household, programs["rutilahu"], status=EnrollmentStatus.CANCELLED)
    assert cancelled.conflicts == []

    result = enrollment_update(enrollment=cancelled.enrollment, status=EnrollmentStatus.PROPOSED)

    assert [c.rule for c in result.conflicts] == [ConflictRule.ONE_AID]
    assert Conflict.objects.filter(status=ConflictStatus.OPEN).count() == 1


def test_bulk_path_flags_only_the_breaching_households_in_one_check(programs, django_assert_max_num_queries):
    quiet, breach = HouseholdFactory(), HouseholdFactory()
    enroll(breach, programs["bsps"])
    rows = [
        Enrollment(household=quiet, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE),
        Enrollment(household=breach, program=programs["rutilahu"], year=2024, status=EnrollmentStatus.PROPOSED),
    ]

    result = enrollment_bulk_create(enrollments=rows)

    [conflict] = result.conflicts
    assert conflict.household == breach
    assert {conflict.enrollment_a.program.code, conflict.enrollment_b.program.code} == {"bsps", "rutilahu"}


def test_rechecking_never_duplicates_and_says_still_open(programs):
    household = HouseholdFactory()
    enroll(household, programs["pkh"])
    second = enroll(household, programs["blt-desa"])
    [conflict] = second.conflicts

    again = engine.check_enrollments([second.enrollment.pk, second.enrollment.pk])
    updated = enrollment_update(enrollment=second.enrollment, amount=900_000)

    assert [c.pk for c in again] == [conflict.pk]
    assert again[0].created_now is False
    assert "masih terbuka" in conflict_message(updated.conflicts[0], saved_enrollment_id=second.enrollment.pk)
    assert Conflict.objects.count() == 1


def test_three_aids_give_three_pairs(programs):
    household = HouseholdFactory()
    enroll(household, programs["pkh"])
    enroll(household, programs["bsps"])
    third = enroll(household, programs["spam"])

    assert len(third.conflicts) == 2
    assert Conflict.objects.filter(household=household).count() == 3


@pytest.mark.parametrize("status", [EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED, EnrollmentStatus.SUSPENDED])
def test_enrollment_that_is_not_aid_received_does_not_conflict(programs, status):
    household = HouseholdFactory()
    enroll(household, programs["pkh"])

    result = enroll(household, programs["bsps"], status=status)

    assert result.conflicts == []
    assert not Conflict.objects.exists()


def test_other_year_does_not_conflict(programs):
    household = HouseholdFactory()
    enroll(household, programs["pkh"], year=2023)

    assert enroll(household, programs["bsps"], year=2024).conflicts == []


def test_compatible_pair_does_not_conflict_but_other_pairs_still_do(programs, reviewer):
    household = HouseholdFactory()
    compatible_pair_create(program_a=programs["sembako"], program_b=programs["pkh"], reason="Paket nasional", by=reviewer)
    enroll(household, programs["pkh"])

    assert enroll(household, programs["sembako"]).conflicts == []
    assert len(enroll(household, programs["bsps"]).conflicts) == 2


def test_national_bundle_is_not_loaded_by_default_then_loads_in_one_call(programs, reviewer):
    household = HouseholdFactory()
    child = MemberFactory(household=household)
    enroll(household, programs["pkh"])
    assert len(enroll(household, programs["pip"], member=child).conflicts) == 1

    compatible_bundle_load(by=reviewer)

    assert not Conflict.objects.filter(status=ConflictStatus.OPEN).exists()
    assert enroll(household, programs["sembako"]).conflicts == []
    assert len(enroll(household, programs["blt-desa"]).conflicts) == 3


def test_two_members_in_one_person_program_do_not_conflict_but_pip_plus_blt_does(programs):
    household = HouseholdFactory()
    first, second = MemberFactory(household=household), MemberFactory(household=household)
    enroll(household, programs["pip"], member=first)

    assert enroll(household, programs["pip"], member=second).conflicts == []
    blt = enroll(household, programs["blt-desa"])
    assert len(blt.conflicts) == 2
    assert {c.rule for c in blt.conflicts} == {ConflictRule.ONE_AID}


def decided_pair(programs, reviewer, decide):
    """PKH and BSPS 2024 of one household, their conflict approved as an exception or dismissed:
    the second enrollment's result and the conflict."""
    household = HouseholdFactory()
    enroll(household, programs["pkh"])
    second = enroll(household, programs["bsps"])
    [conflict] = second.conflicts
    if decide == "approve":
        conflict_approve(conflict=conflict, reason="Rumah rusak berat akibat banjir", by=reviewer)
    else:
        conflict_dismiss(conflict=conflict, by=reviewer, reason="Salah input")
    return second, conflict


@pytest.mark.parametrize("decide", ["approve", "dismiss"])
def test_approved_and_dismissed_pairs_stay_quiet(programs, reviewer, decide):
    second, _ = decided_pair(programs, reviewer, decide)
    status = Conflict.objects.get().status

    assert enrollment_update(enrollment=second.enrollment, amount=1_000_000).conflicts == []
    assert engine.scan_all().new == 0
    assert Conflict.objects.get().status == status
    assert Conflict.objects.count() == 1


@pytest.mark.parametrize("decide", ["approve", "dismiss"])
def test_a_decision_is_set_aside_when_an_enrollment_becomes_another_aid(programs, reviewer, decide):
    # An exception approved (or a pair dismissed) for PKH and BSPS 2024; BSPS is then edited into
    # RS-Rutilahu. The decision was about BSPS: the new pair is Bappeda's to review again.
    second, conflict = decided_pair(programs, reviewer, decide)

    [reopened] = enrollment_update(enrollment=second.enrollment, program=programs["rutilahu"]).conflicts
    assert reopened.pk == conflict.pk and reopened.status == ConflictStatus.OPEN and reopened.reviewed_by is None
    assert reopened.decision_reason.startswith("Dibuka kembali") and ("banjir" in reopened.decision_reason or decide == "dismiss")
    assert [e.kind for e in reopened.events.order_by("pk")][-2:] == ["closed", "reopened"]
    assert engine.scan_all().new == 0


def test_a_decision_moved_to_another_year_with_one_side_only_closes(programs, reviewer):
    # Moving one side to 2025 ends the pair: the approval is set aside and the conflict stays closed;
    # moving the other side too makes a 2025 pair, which Bappeda has not decided on.
    household = HouseholdFactory()
    first = enroll(household, programs["pkh"])
    second = enroll(household, programs["bsps"])
    [conflict] = second.conflicts
    conflict_approve(conflict=conflict, reason="Rumah rusak berat akibat banjir", by=reviewer)

    assert enrollment_update(enrollment=second.enrollment, year=2025).conflicts == []
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    [again] = enrollment_update(enrollment=first.enrollment, year=2025).conflicts
    assert again.pk == conflict.pk and again.status == ConflictStatus.OPEN


def test_cancelling_one_side_closes_the_open_conflict_and_reactivating_reopens_it(programs):
    household = HouseholdFactory()
    first = enroll(household, programs["pkh"])
    second = enroll(household, programs["bsps"])
    [conflict] = second.conflicts

    enrollment_update(enrollment=second.enrollment, status=EnrollmentStatus.CANCELLED)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.kept_enrollment_id == first.enrollment.pk
    assert conflict.reviewed_by is None and conflict.reviewed_at is not None
    assert "Otomatis" in conflict.decision_reason

    reopened = enrollment_update(enrollment=second.enrollment, status=EnrollmentStatus.ACTIVE)
    conflict.refresh_from_db()
    assert [c.pk for c in reopened.conflicts] == [conflict.pk]
    assert reopened.conflicts[0].created_now is True
    assert conflict.status == ConflictStatus.OPEN
    assert conflict.decision_reason.startswith("Dibuka kembali")
    assert Conflict.objects.count() == 1


def _shared_person(programs):
    """Two households (two family cards) that both list the same person."""
    nik = make_nik(region="740903", birth=datetime.date(1975, 3, 9), female=True, serial=77)
    first, second = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, nik=nik, name="Wa Ode Hasnah")
    MemberFactory(household=second, nik=nik, name="Wa Ode Hasnah")
    return nik, first, second


def test_same_person_in_two_households_with_aid_through_both_is_caught(programs):
    nik, first, second = _shared_person(programs)
    pkh = enroll(first, programs["pkh"])

    result = enroll(second, programs["blt-desa"])

    [conflict] = result.conflicts
    assert conflict.rule == ConflictRule.SAME_PERSON
    assert conflict.household == first  # the household of the earlier enrollment
    assert conflict.enrollment_a_id == pkh.enrollment.pk
    assert conflict.evidence["nik"] == nik
    assert conflict.evidence["household_ids"] == [first.pk, second.pk]
    assert "lewat keluarga lain" in conflict_message(conflict, saved_enrollment_id=result.enrollment.pk)


def test_same_program_through_two_family_cards_is_caught(programs, reviewer):
    _nik, first, second = _shared_person(programs)
    compatible_bundle_load(by=reviewer)
    enroll(first, programs["pkh"])

    [conflict] = enroll(second, programs["pkh"]).conflicts
    assert conflict.rule == ConflictRule.SAME_PERSON
    # Compatible programs through two cards are not a double aid.
    assert enroll(second, programs["sembako"]).conflicts == []


def test_head_nik_counts_and_absent_member_does_not(programs):
    head_nik = make_nik(region="740901", birth=datetime.date(1970, 1, 2), female=False, serial=4321)
    first = HouseholdFactory(head_nik=head_nik)
    second = HouseholdFactory()
    moved_out = MemberFactory(household=second, nik=head_nik)
    enroll(first, programs["pkh"])

    [conflict] = enroll(second, programs["bsps"]).conflicts

    members_mark_absent(members=[moved_out], absent=True, by=None)  # no longer stands for the person
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    third = HouseholdFactory()
    MemberFactory(household=third, nik=head_nik, is_absent=True)
    assert enroll(third, programs["spam"]).conflicts == []


def test_one_enrollment_costs_a_constant_small_number_of_queries(programs):
    def queries_for_one_check():
        household = HouseholdFactory()
        enroll(household, programs["pkh"])
        second = enroll(household, programs["bsps"])
        with CaptureQueriesContext(connection) as captured:
            engine.check_enrollments([second.enrollment.pk])
        return len(captured)

    small = queries_for_one_check()
    # Grow the registry: more families, members, aids and conflicts.
    for _ in range(15):
        household = HouseholdFactory()
        MemberFactory.create_batch(2, household=household)
        enroll(household, programs["pkh"])
        enroll(household, programs["spam"])
    large = queries_for_one_check()

    assert small <= 5
    assert large == small


def test_a_check_that_raises_conflicts_stays_within_five_queries(programs):
    """The one-enrollment budget holds when the check has something to record: the lock (PostgreSQL),
    the close, the relabel, the insert with its history rows, and the read of the conflicts."""
    household = HouseholdFactory()
    EnrollmentFactory(household=household, program=programs["pkh"])
    EnrollmentFactory(household=household, program=programs["spam"])
    third = EnrollmentFactory(household=household, program=programs["bsps"])

    with CaptureQueriesContext(connection) as captured:
        conflicts = engine.check_enrollments([third.pk])

    assert len(conflicts) == 3 and all(conflict.created_now for conflict in conflicts)
    assert len(captured) <= 5
    # Each new conflict has its history row, as before.
    events = ConflictEvent.objects.filter(conflict__in=conflicts)
    assert sorted(events.values_list("kind", flat=True)) == [ConflictEventKind.CREATED] * 3


def test_scan_finds_rows_written_around_the_services_and_is_idempotent(programs):
    household = HouseholdFactory()
    # Rows written directly (as a raw bulk path would) are not checked until the scan.
    EnrollmentFactory(household=household, program=programs["pkh"])
    EnrollmentFactory(household=household, program=programs["bsps"], status=EnrollmentStatus.PROPOSED)
    EnrollmentFactory(household=household, program=programs["spam"], status=EnrollmentStatus.CANCELLED)
    assert not Conflict.objects.exists()

    first = engine.scan_all()
    second = engine.scan_all()

    assert (first.new, first.open_total) == (1, 1)
    assert (second.new, second.reopened, second.existing_open, second.open_total) == (0, 0, 1, 1)
    assert Conflict.objects.count() == 1


def test_dedup_scan_command_reports_json(programs):
    household = HouseholdFactory()
    EnrollmentFactory(household=household, program=programs["pkh"])
    EnrollmentFactory(household=household, program=programs["bsps"])

    out = StringIO()
    call_command("dedup_scan", "--json", stdout=out)
    report = json.loads(out.getvalue())
    again = StringIO()
    call_command("dedup_scan", "--json", stdout=again)

    assert report["conflicts"]["new"] == 1
    assert report["conflicts"]["open_by_rule"] == {"one_aid": 1}
    assert json.loads(again.getvalue())["conflicts"]["new"] == 0
    assert json.loads(again.getvalue())["conflicts"]["existing_open"] == 1
    assert "identity" in report


def test_dedup_scan_command_speaks_indonesian(programs):
    out = StringIO()
    call_command("dedup_scan", stdout=out)
    assert "Konflik satu bantuan: 0 baru" in out.getvalue()
    assert "Duplikat identitas" in out.getvalue()


@pytest.mark.parametrize("wide_share", [10, 0], ids=["shared-niks-first", "people-looked-up-by-index"])
def test_a_large_import_batch_finds_what_the_full_scan_would(programs, monkeypatch, wide_share):
    """More than SMALL_BATCH enrollments take the staged path on PostgreSQL; the scan afterwards
    must find nothing the batch check missed. A batch that is a good part of the registry first
    finds the NIKs households share, a small part looks its people up one by one: both find the same."""
    from dedup import engine_sql

    monkeypatch.setattr(engine_sql, "WIDE_BATCH_SHARE", wide_share)
    households = HouseholdFactory.create_batch(110)
    shared = MemberFactory(household=households[0])
    MemberFactory(household=households[1], nik=shared.nik)
    first = enrollment_bulk_create(enrollments=[
        Enrollment(household=h, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE) for h in households
    ])
    # PKH through both family cards of the shared person: raised by the first batch already.
    assert [c.rule for c in first.conflicts] == [ConflictRule.SAME_PERSON]
    batch = [
        Enrollment(household=h, program=programs[code], year=2024, status=EnrollmentStatus.PROPOSED)
        for h in households for code in ("bsps", "spam")
    ]
    assert len(batch) > engine.SMALL_BATCH

    result = enrollment_bulk_create(enrollments=batch)

    # Three pairs within each family; across the two families sharing a person, every aid of one
    # against every aid of the other: 3 x 3, of which PKH-PKH came from the first batch.
    same_person = Conflict.objects.filter(rule=ConflictRule.SAME_PERSON).count()
    assert Conflict.objects.filter(rule=ConflictRule.ONE_AID).count() == 3 * 110
    assert same_person == 9
    assert len(result.conflicts) == 3 * 110 + same_person - 1
    assert engine.scan_all().new == 0
    assert len(engine.check_enrollments([e.pk for e in result.created])) == len(result.conflicts)
    assert not any(c.created_now for c in engine.check_enrollments([e.pk for e in result.created]))
    assert Conflict.objects.count() == 3 * 110 + same_person
    # The batch's conflicts come back as the ORM loads them, whichever way they were read.
    fields = [f.attname for f in Conflict._meta.concrete_fields]
    returned = [[getattr(c, name) for name in fields] for c in result.conflicts]
    loaded = [[getattr(c, name) for name in fields] for c in Conflict.objects.filter(pk__in=[c.pk for c in result.conflicts]).order_by("pk")]
    assert returned == loaded
    assert all(c.created_now for c in result.conflicts)
    assert {c.household.pk for c in result.conflicts[:3]} <= {h.pk for h in households}
