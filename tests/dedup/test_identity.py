"""Identity duplicates: found, not found, recorded once, merged or dismissed."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from dedup.models import Conflict, ConflictRule, IdentityKind, IdentityMatch, IdentityStatus
from dedup.services import conflict_dismiss, household_merge, identity_dismiss, identity_merge, identity_scan
from households.identifiers import make_nik
from households.models import Desa, Household, Member, Relation, Sex
from programs.models import LIVE_STATUSES, EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1982, 6, 14)


def kinds():
    return sorted(IdentityMatch.objects.values_list("kind", flat=True))


def nik(serial, *, birth=BIRTH, female=False):
    return make_nik(region="740905", birth=birth, female=female, serial=serial)


def test_same_nik_in_two_households_is_found(reference):
    shared = nik(501)
    first, second = HouseholdFactory(), HouseholdFactory()
    a = MemberFactory(household=first, nik=shared, name="Jumadi Tosuli", birth_date=BIRTH)
    b = MemberFactory(household=second, nik=shared, name="Jumadi", birth_date=None)

    result = identity_scan()

    match = IdentityMatch.objects.get()
    assert (match.kind, match.household_a, match.household_b) == (IdentityKind.SAME_NIK, first, second)
    assert (match.member_a, match.member_b) == (a, b)
    assert match.evidence == {"niks": [shared]}
    assert result.new == 1 and result.by_kind[IdentityKind.SAME_NIK] == 1


def test_same_kk_on_two_records_is_found(reference):
    first = HouseholdFactory(no_kk="7409051406820001")
    HouseholdFactory(no_kk="7409051406820001")
    HouseholdFactory(no_kk="")
    HouseholdFactory(no_kk="")

    identity_scan()

    match = IdentityMatch.objects.get()
    assert match.kind == IdentityKind.SAME_KK and match.household_a == first
    assert match.evidence == {"no_kk": "7409051406820001"}


def test_same_head_in_same_village_is_found_but_not_in_another_village(reference):
    villages = list(Desa.objects.order_by("code")[:2])
    first = HouseholdFactory(head_name="H. Muhammad Sarman", head_nik=nik(11), desa=villages[0])
    second = HouseholdFactory(head_name="Muh. Sarman", head_nik=nik(12), desa=villages[0])
    HouseholdFactory(head_name="Muhammad Sarman", head_nik=nik(13), desa=villages[1])
    HouseholdFactory(head_name="Muhammad Sarman", head_nik=nik(14, birth=datetime.date(1990, 1, 1)), desa=villages[0])

    identity_scan()

    match = IdentityMatch.objects.get(kind=IdentityKind.SAME_HEAD)
    assert (match.household_a, match.household_b) == (first, second)
    assert match.evidence == {"name": "muhamad sarman", "birth_date": "1982-06-14"}
    assert kinds() == [IdentityKind.SAME_HEAD]


def test_similar_member_names_with_same_birth_date_are_found(reference):
    first, second, third = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, name="Muhammad Ismail Haera", birth_date=BIRTH, nik=nik(21))
    MemberFactory(household=second, name="Muh. Ismail Hera", birth_date=BIRTH, nik=nik(22))
    # Same name, other birth date; other name, same birth date: not duplicates.
    MemberFactory(household=third, name="Muhammad Ismail Haera", birth_date=datetime.date(1983, 6, 14), nik=nik(23))
    MemberFactory(household=third, name="Wa Ode Hasnah", birth_date=BIRTH, nik=nik(24, female=True))

    identity_scan()

    match = IdentityMatch.objects.get()
    assert (match.kind, match.household_a, match.household_b) == (IdentityKind.SIMILAR_MEMBER, first, second)
    assert match.score >= 90
    assert match.evidence["names"] == ["Muhammad Ismail Haera", "Muh. Ismail Hera"]
    assert match.evidence["birth_date"] == "1982-06-14"


def test_clearly_different_names_and_same_household_twins_are_not_found(reference):
    first, second = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, name="Siti Aminah", birth_date=BIRTH, nik=nik(31, female=True))
    MemberFactory(household=second, name="Wa Ode Hasnah", birth_date=BIRTH, nik=nik(32, female=True))
    MemberFactory(household=second, name="Hasan Tosuli", birth_date=BIRTH, nik=nik(33))
    MemberFactory(household=first, name="Husen Tosuli", birth_date=BIRTH, nik=nik(34))
    MemberFactory(household=first, name="Husein Tosuli", birth_date=BIRTH, nik=nik(35))

    identity_scan()

    assert not IdentityMatch.objects.exists()


def test_a_man_and_a_woman_with_alike_names_are_not_one_person(reference):
    first, second = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, name="Hasan Lapodi", sex=Sex.MALE, birth_date=BIRTH, nik=nik(36))
    MemberFactory(household=second, name="Hasna Lapodi", sex=Sex.FEMALE, birth_date=BIRTH, nik=nik(37, female=True))
    MemberFactory(household=second, name="Hasan Lapody", sex=Sex.MALE, birth_date=BIRTH, nik=nik(38))

    identity_scan()

    match = IdentityMatch.objects.get()
    assert match.evidence["names"] == ["Hasan Lapodi", "Hasan Lapody"]


def test_scan_is_idempotent_and_a_dismissed_pair_is_not_raised_again(reference, reviewer):
    shared = nik(41)
    first, second = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, nik=shared)
    MemberFactory(household=second, nik=shared)
    identity_scan()
    match = IdentityMatch.objects.get()

    identity_dismiss(match=match, by=reviewer, reason="Beda orang, NIK salah ketik di DTKS")
    again = identity_scan()

    assert again.new == 0
    match.refresh_from_db()
    assert (match.status, match.reviewed_by) == (IdentityStatus.DISMISSED, reviewer)
    assert match.reviewed_at is not None
    assert IdentityMatch.objects.count() == 1


def test_merge_moves_members_and_enrollments_keeps_the_record_and_history(programs, reviewer):
    shared = nik(51)
    target, source = HouseholdFactory(head_name="Sarman"), HouseholdFactory(head_name="Sarman (KK lama)")
    MemberFactory(household=target, nik=shared, name="Sarman", relation=Relation.HEAD)
    twin = MemberFactory(household=source, nik=shared, name="Sarman", relation=Relation.HEAD)
    child = MemberFactory(household=source, nik=nik(52, birth=datetime.date(2012, 1, 5)), name="Anak Sarman")
    enrollment_create(household=target, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    duplicate_pkh = enrollment_create(household=source, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    pip = enrollment_create(household=source, program=programs["pip"], member=child, year=2024).enrollment
    head_aid = enrollment_create(household=source, program=programs["jamkes"], member=twin, year=2024).enrollment
    identity_scan()
    match = IdentityMatch.objects.get(kind=IdentityKind.SAME_NIK)
    history_before = Member.history.filter(id=child.pk).count()

    result = identity_merge(match=match, keep="a" if match.household_a == target else "b", by=reviewer)

    source.refresh_from_db()
    child.refresh_from_db()
    twin.refresh_from_db()
    pip.refresh_from_db()
    head_aid.refresh_from_db()
    duplicate_pkh.enrollment.refresh_from_db()
    assert Household.objects.filter(pk=source.pk).exists()
    assert source.is_absent and source.merged_into == target
    assert child.household == target
    assert twin.household == source and twin.is_absent
    assert (pip.household, pip.member) == (target, child)
    assert (head_aid.household, head_aid.member.household) == (target, target)
    assert duplicate_pkh.enrollment.household == source
    assert duplicate_pkh.enrollment.status == EnrollmentStatus.CANCELLED
    assert (result.moved_members, result.duplicate_members, result.moved_enrollments, result.cancelled_enrollments) == (1, 1, 2, 1)
    assert Member.history.filter(id=child.pk).count() == history_before + 1
    assert Member.history.filter(id=child.pk).first().history_user == reviewer
    match.refresh_from_db()
    assert (match.status, match.reviewed_by) == (IdentityStatus.MERGED, reviewer)
    # The family now holds PKH, PIP and health aid: the one-aid rule sees it as one household.
    assert Conflict.objects.filter(household=target, status="open").count() >= 2
    assert not Conflict.objects.filter(household=source, status="open").exists()


def test_merge_refuses_a_record_already_merged_and_changes_nothing(reference, reviewer):
    target, source, third = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    household_merge(source=source, target=target, by=reviewer)
    member = MemberFactory(household=third)

    with pytest.raises(ValidationError) as error:
        household_merge(source=third, target=source, by=reviewer)

    assert "sudah digabung ke keluarga lain" in error.value.messages[0]
    member.refresh_from_db()
    third.refresh_from_db()
    assert member.household == third and not third.is_absent

    with pytest.raises(ValidationError):
        household_merge(source=target, target=target, by=reviewer)


def test_merged_record_takes_no_part_in_later_scans(reference, reviewer):
    target = HouseholdFactory(no_kk="7409051406820009")
    source = HouseholdFactory(no_kk="7409051406820009")
    identity_scan()
    match = IdentityMatch.objects.get()
    identity_merge(match=match, keep="a", by=reviewer)
    IdentityMatch.objects.all().delete()

    identity_scan()

    assert not IdentityMatch.objects.exists()
    source.refresh_from_db()
    assert source.merged_into == target


def test_a_record_deleted_takes_its_identity_matches_with_it(reference):
    # The database does not check what a match points at (a province's scan records hundreds of
    # thousands): Django's delete takes the matches of a deleted member or household with it.
    shared = nik(601)
    first, second, third = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, nik=shared, name="Wa Ode Sitti", birth_date=BIRTH)
    gone = MemberFactory(household=second, nik=shared, name="Wa Ode Siti", birth_date=BIRTH)
    MemberFactory(household=third, nik=shared, name="Sitti", birth_date=None)
    identity_scan()
    assert IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK).count() == 3

    gone.delete()
    assert IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK).count() == 1
    third.delete()
    assert not IdentityMatch.objects.exists()


def test_the_suite_finds_a_match_naming_a_record_deleted_behind_django(reference):
    from django.db import connection

    from tests.invariants import identity_matches_name_records

    shared = nik(602)
    first, second = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=first, nik=shared, name="La Ode Amir", birth_date=BIRTH)
    member = MemberFactory(household=second, nik=shared, name="La Ode Amir", birth_date=BIRTH)
    identity_scan()
    identity_matches_name_records()  # every match names records that are there

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Member._meta.db_table} WHERE id = %s", [member.pk])
    with pytest.raises(AssertionError, match="name a record that is gone"):
        identity_matches_name_records()
    IdentityMatch.objects.all().delete()  # as the import's scan would leave it


def _holds_identity_records_lock() -> bool:
    from django.db import connection

    from konut_registry.db import IDENTITY_RECORDS_LOCK_KEY

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            [IDENTITY_RECORDS_LOCK_KEY],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)  # each step commits, and its lock ends with it
def test_a_scan_and_every_way_of_deleting_a_record_take_the_same_lock(reference, monkeypatch):
    # An identity match's records are not checked by the database: a household deleted while a
    # scan records its matches would leave them pointing at nothing. Both sides take one lock,
    # held to the end of their transaction, so that one waits for the other.
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    from dedup import identity

    seen = []
    scan = identity.scan_identities
    monkeypatch.setattr(identity, "scan_identities", lambda households=None: seen.append(_holds_identity_records_lock()) or scan(households))
    identity_scan()
    assert seen == [True]

    first, second = HouseholdFactory(), HouseholdFactory()
    member = MemberFactory(household=first)
    for delete in (member.delete, first.delete, Household.objects.filter(pk=second.pk).delete):
        with transaction.atomic():
            assert not _holds_identity_records_lock()
            delete()
            assert _holds_identity_records_lock(), delete
            transaction.set_rollback(True)


def test_merge_keeps_the_familys_live_aid_when_the_kept_record_holds_a_rejected_copy(programs, reviewer):
    # The record kept had its PKH 2024 rejected; the duplicate card's PKH 2024 is active. After the
    # merge the family still receives PKH, on the kept record (one per program and year).
    target, source = HouseholdFactory(head_name="Sarman"), HouseholdFactory(head_name="Sarman (KK lama)")
    rejected = enrollment_create(household=target, program=programs["pkh"], year=2024, status=EnrollmentStatus.REJECTED).enrollment
    active = enrollment_create(household=source, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE,
                               amount=750_000).enrollment

    result = household_merge(source=source, target=target, by=reviewer)

    rejected.refresh_from_db()
    active.refresh_from_db()
    assert active.status == EnrollmentStatus.CANCELLED
    assert (rejected.household, rejected.status, rejected.amount) == (target, EnrollmentStatus.ACTIVE, 750_000)
    assert f"keluarga #{source.pk} yang digabung" in rejected.status_reason
    assert (result.cancelled_enrollments, result.revived_enrollments) == (1, 1)
    assert target.enrollments.filter(status__in=LIVE_STATUSES).count() == 1


def test_merging_two_records_raises_again_a_same_person_pair_dismissed_as_two_people(programs, reviewer):
    # Bappeda dismissed "one person through two family cards" as a typo; merging the two records
    # then says they are one family after all: its two aids are a pair to review again.
    shared = nik(61)
    first, second = HouseholdFactory(head_name="Sarman"), HouseholdFactory(head_name="Sarman (KK lama)", head_nik=shared)
    MemberFactory(household=first, nik=shared, name="Sarman", relation=Relation.HEAD)
    enrollment_create(household=first, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    [conflict] = enrollment_create(household=second, program=programs["bsps"], year=2024, status=EnrollmentStatus.ACTIVE).conflicts
    conflict_dismiss(conflict=conflict, by=reviewer, reason="Salah ketik NIK, orang berbeda")

    result = household_merge(source=second, target=first, by=reviewer)

    conflict.refresh_from_db()
    assert conflict.status == "open" and conflict.household == first
    # Raised again as what it is now: two aids of one family.
    assert conflict.rule == ConflictRule.ONE_AID and conflict.evidence == {"year": 2024}
    assert conflict.pk in {c.pk for c in result.conflicts}


def test_a_merge_takes_the_identity_lock_before_any_row_lock(reference, reviewer):
    # A scan takes the identity lock, then locks the open pairs of merged records; a merge locks
    # rows, then scans. Taken in opposite orders, a merge and a scan at the same moment would each
    # wait for the other (PostgreSQL aborts one of them as a deadlock): the merge takes the
    # identity lock first too.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself")
    target, source, other = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    shared = nik(611)
    MemberFactory(household=source, nik=shared, name="Wa Ode Sitti", birth_date=BIRTH)
    MemberFactory(household=other, nik=shared, name="Wa Ode Sitti", birth_date=BIRTH)
    identity_scan()  # the source has an open pair with another record

    with CaptureQueriesContext(connection) as captured:
        household_merge(source=source, target=target, by=reviewer)

    sqls = [query["sql"] for query in captured.captured_queries]
    advisory = next(i for i, sql in enumerate(sqls) if "pg_advisory_xact_lock" in sql)
    first_row_lock = next(i for i, sql in enumerate(sqls) if "FOR UPDATE" in sql)
    assert advisory < first_row_lock, sqls[first_row_lock]
