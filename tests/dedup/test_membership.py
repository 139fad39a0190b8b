"""Every write that changes who belongs where or who is who flags the double aid it makes and closes
the conflicts it ends, in its own transaction: household and member saves in the admin, a member
moving family, marking absent or present, merging, withdrawing a compatible pair, an enrollment's
status or year changing. Each change is in the conflict's automatic history, shown on its page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from dedup import membership, services
from dedup.engine import scan_all
from dedup.models import Conflict, ConflictEvent, ConflictEventKind, ConflictRule, ConflictStatus, WriteCause
from households.choices import AbsentReason
from households.models import Household, Member
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_bulk_create, enrollment_create, enrollment_update
from tests.factories import HouseholdFactory, MemberFactory
from tests.security.admin_forms import admin_form_data

from .conftest import texts

pytestmark = pytest.mark.django_db
YEAR = 2024
ROOT = Path(__file__).resolve().parent.parent.parent


def enroll(household, program, member=None, status=EnrollmentStatus.ACTIVE, year=YEAR):
    return enrollment_create(household=household, program=program, member=member, year=year, status=status)


def open_conflicts():
    return list(Conflict.objects.filter(status=ConflictStatus.OPEN).order_by("pk"))


def nothing_left_to_find():
    found = scan_all()
    return (found.new, found.reopened, found.closed) == (0, 0, 0)


@pytest.fixture
def two_cards(programs):
    """One person (the same NIK) on two family cards, X and Y, each receiving PKH: the classic double
    collection (rule ``same_person``)."""
    x, y = HouseholdFactory(), HouseholdFactory()
    person_x = MemberFactory(household=x)
    person_y = MemberFactory(household=y, nik=person_x.nik, name=person_x.name)
    enroll(x, programs["pkh"])
    enroll(y, programs["pkh"])
    [conflict] = open_conflicts()
    assert conflict.rule == ConflictRule.SAME_PERSON
    return x, y, person_x, person_y, conflict


def test_marking_a_member_absent_closes_and_marking_present_reopens_in_the_same_write(two_cards, reviewer):
    x, y, person_x, person_y, conflict = two_cards
    assert membership.members_mark_absent(members=[person_y], absent=True, by=reviewer) == 1
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED and conflict.kept_enrollment is None
    assert "tidak lagi melanggar" in conflict.decision_reason
    assert nothing_left_to_find()

    membership.members_mark_absent(members=[person_y], absent=False, by=reviewer)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN
    kinds = list(conflict.events.values_list("kind", "cause", "by"))
    assert kinds == [
        (ConflictEventKind.CREATED, WriteCause.ENROLLMENT, None),
        (ConflictEventKind.CLOSED, WriteCause.ABSENT, reviewer.pk),
        (ConflictEventKind.REOPENED, WriteCause.ABSENT, reviewer.pk),
    ]
    assert nothing_left_to_find()


def test_marking_households_absent_goes_through_the_service_with_history(two_cards, reviewer):
    x, *_ = two_cards
    assert membership.households_mark_absent(households=[x], absent=True, by=reviewer) == 1
    x.refresh_from_db()
    assert x.is_absent and x.history.first().history_user == reviewer
    assert nothing_left_to_find()


def test_one_family_marked_absent_then_present_is_re_checked_by_the_service_itself(programs, reviewer):
    """A verval found the family gone (then back): the service alone closes the conflict its
    absence ends (its head's NIK, also listed in another family, links them no more) and reopens it
    when the family is present again; no caller adds the re-check."""
    y, z = HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=y, nik=z.head_nik)  # y lists z's head
    enroll(y, programs["pkh"])
    enroll(z, programs["bsps"])
    [conflict] = open_conflicts()

    membership.household_mark_absent(household=z, by=reviewer, reason="Verval disahkan", absent_reason=AbsentReason.MOVED)
    z.refresh_from_db()
    conflict.refresh_from_db()
    assert z.is_absent and z.absent_reason == AbsentReason.MOVED and z.history.first().history_change_reason == "Verval disahkan"
    assert conflict.status == ConflictStatus.RESOLVED and "tidak lagi melanggar" in conflict.decision_reason
    assert nothing_left_to_find()

    membership.household_mark_present(household=z, by=reviewer, reason="Verval disahkan")
    z.refresh_from_db()
    conflict.refresh_from_db()
    assert not z.is_absent and z.absent_reason == ""
    assert conflict.status == ConflictStatus.OPEN
    assert list(conflict.events.values_list("kind", "cause", "by")) == [
        (ConflictEventKind.CREATED, WriteCause.ENROLLMENT, None),
        (ConflictEventKind.CLOSED, WriteCause.ABSENT, reviewer.pk),
        (ConflictEventKind.REOPENED, WriteCause.ABSENT, reviewer.pk),
    ]
    assert nothing_left_to_find()


def test_only_the_membership_service_writes_a_familys_presence_without_its_re_check():
    """``households.services.household_presence_set`` leaves the one-aid rule unchecked: every other
    module marks a family absent or present through ``dedup.membership``."""
    callers = sorted(
        str(path.relative_to(ROOT)) for package in ("agencies", "dedup", "households", "programs", "verval", "konut_registry")
        for path in (ROOT / package).rglob("*.py") if "household_presence_set" in path.read_text()
    )
    assert callers == ["dedup/membership.py", "households/services.py"]


def test_merging_the_two_cards_closes_the_same_person_conflict_and_flags_the_one_family_pair(programs, reviewer):
    x, y = HouseholdFactory(), HouseholdFactory()
    person = MemberFactory(household=x)
    MemberFactory(household=y, nik=person.nik, name=person.name)
    enroll(x, programs["pkh"])
    enroll(y, programs["bsps"])
    [same_person] = open_conflicts()
    assert same_person.rule == ConflictRule.SAME_PERSON

    result = membership.household_merge(source=y, target=x, by=reviewer)

    same_person.refresh_from_db()
    assert same_person.status == ConflictStatus.OPEN  # the pair still breaks the rule, now in one family
    assert {c.pk for c in open_conflicts()} == {same_person.pk}
    assert [c.pk for c in result.conflicts] == [same_person.pk]
    assert nothing_left_to_find()


def test_merging_away_a_record_that_only_shared_its_head_closes_the_conflict(programs, reviewer):
    x, y, z = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    MemberFactory(household=y, nik=z.head_nik)  # y lists z's head
    enroll(y, programs["pkh"])
    enroll(z, programs["bsps"])
    [conflict] = open_conflicts()
    membership.household_merge(source=z, target=x, by=reviewer)  # z's enrollment moves to x
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert nothing_left_to_find()


def test_a_member_moving_family_in_the_admin_takes_person_level_aid_along(programs, bappeda_client, bappeda_user):
    a, b = HouseholdFactory(), HouseholdFactory()
    child = MemberFactory(household=a)
    enroll(a, programs["pkh"])
    prakerja = enroll(a, programs["prakerja"], member=child).enrollment
    enroll(b, programs["kur"])
    [old] = open_conflicts()
    url = reverse("admin:households_member_change", args=[child.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), household=str(b.pk)), follow=True)
    assert response.status_code == 200

    prakerja.refresh_from_db()
    assert prakerja.household == b and prakerja.member == child
    assert Enrollment.objects.get(program__code="pkh").household == a
    old.refresh_from_db()
    assert old.status == ConflictStatus.RESOLVED
    [new] = open_conflicts()
    assert new.household == b and {new.enrollment_a_id, new.enrollment_b_id} == {prakerja.pk, Enrollment.objects.get(program__code="kur").pk}
    assert list(new.events.values_list("kind", "cause", "by")) == [(ConflictEventKind.CREATED, WriteCause.MEMBER, bappeda_user.pk)]
    assert nothing_left_to_find()


def test_correcting_a_head_nik_in_the_household_admin_flags_and_closes(programs, bappeda_client):
    x, y = HouseholdFactory(), HouseholdFactory()
    someone = MemberFactory(household=y)
    enroll(x, programs["pkh"])
    enroll(y, programs["sembako"])
    assert open_conflicts() == []
    url = reverse("admin:households_household_change", args=[x.pk])
    original = x.head_nik

    bappeda_client.post(url, admin_form_data(bappeda_client.get(url), head_nik=someone.nik), follow=True)
    x.refresh_from_db()
    assert x.head_nik == someone.nik
    [conflict] = open_conflicts()
    assert conflict.rule == ConflictRule.SAME_PERSON and conflict.evidence["nik"] == someone.nik
    assert nothing_left_to_find()

    bappeda_client.post(url, admin_form_data(bappeda_client.get(url), head_nik=original), follow=True)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert nothing_left_to_find()


def test_a_no_kk_typed_into_a_second_record_surfaces_as_an_identity_duplicate_at_once(programs, bappeda_client):
    # Two records, each with its aid; Bappeda types the first's No KK into the second. The one-aid
    # check links households by their people, not their card: the identity duplicate must say it,
    # at the save, not after the next import.
    from dedup.models import IdentityKind, IdentityMatch

    x, y = HouseholdFactory(), HouseholdFactory()
    enroll(x, programs["pkh"])
    enroll(y, programs["bsps"])
    url = reverse("admin:households_household_change", args=[y.pk])

    page = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), no_kk=x.no_kk), follow=True).content.decode()

    match = IdentityMatch.objects.get(kind=IdentityKind.SAME_KK)
    assert {match.household_a_id, match.household_b_id} == {x.pk, y.pk} and match.status == "open"
    assert "Ditemukan 1 duplikat identitas baru" in page
    assert reverse("admin:dedup_identitymatch_changelist") + "?status__exact=open" in page


def test_merged_into_and_is_absent_are_read_only_in_the_household_admin(programs, bappeda_client):
    x, y = HouseholdFactory(), HouseholdFactory()
    url = reverse("admin:households_household_change", args=[x.pk])
    data = admin_form_data(bappeda_client.get(url), merged_into=str(y.pk), is_absent="on")
    bappeda_client.post(url, data, follow=True)
    x.refresh_from_db()
    assert x.merged_into is None and not x.is_absent
    member = MemberFactory(household=x)
    member_url = reverse("admin:households_member_change", args=[member.pk])
    bappeda_client.post(member_url, admin_form_data(bappeda_client.get(member_url), is_absent="on"), follow=True)
    member.refresh_from_db()
    assert not member.is_absent


def test_household_admin_actions_mark_absent_and_merge(programs, bappeda_client):
    x, y = HouseholdFactory(), HouseholdFactory()
    person = MemberFactory(household=x)
    MemberFactory(household=y, nik=person.nik, name=person.name)
    enroll(x, programs["pkh"])
    enroll(y, programs["pkh"])
    changelist = reverse("admin:households_household_changelist")

    response = bappeda_client.post(changelist, {"action": "mark_absent", "_selected_action": [y.pk]}, follow=True)
    assert "1 keluarga ditandai tidak ada di data terbaru." in texts(response)
    assert Household.objects.get(pk=y.pk).is_absent

    page = bappeda_client.post(changelist, {"action": "merge_two", "_selected_action": [x.pk, y.pk]})
    assert page.status_code == 200 and "Keluarga yang dipertahankan" in page.content.decode()
    response = bappeda_client.post(
        changelist,
        {"action": "merge_two", "_selected_action": [x.pk, y.pk], "apply": "1", "keep": str(x.pk), "reason": "satu KK"},
        follow=True,
    )
    y.refresh_from_db()
    assert y.merged_into == x
    assert any(f"Keluarga #{y.pk} digabung ke #{x.pk}" in t for t in texts(response))
    # Same person, same program, now one family: the two PKH were one enrollment too many; the
    # duplicate was cancelled by the merge and the conflict closed with it.
    assert open_conflicts() == []
    assert nothing_left_to_find()

    one = bappeda_client.post(changelist, {"action": "merge_two", "_selected_action": [x.pk]}, follow=True)
    assert "Pilih tepat dua keluarga untuk digabung." in texts(one)


def test_member_admin_actions_mark_absent_and_present(two_cards, bappeda_client):
    x, y, person_x, person_y, conflict = two_cards
    changelist = reverse("admin:households_member_changelist")
    response = bappeda_client.post(changelist, {"action": "mark_absent", "_selected_action": [person_y.pk]}, follow=True)
    assert "1 anggota ditandai tidak ada di data terbaru." in texts(response)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    bappeda_client.post(changelist, {"action": "mark_present", "_selected_action": [person_y.pk]}, follow=True)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN


def test_withdrawing_a_compatible_pair_reopens_what_it_dismissed_and_flags_what_it_allowed(programs, reviewer, bappeda_client):
    dismissed_home, later_home = HouseholdFactory(), HouseholdFactory()
    enroll(dismissed_home, programs["pkh"])
    enroll(dismissed_home, programs["sembako"])
    [dismissed] = open_conflicts()
    pair = services.compatible_pair_create(program_a=programs["pkh"], program_b=programs["sembako"], reason="paket", by=reviewer)
    dismissed.refresh_from_db()
    assert dismissed.status == ConflictStatus.DISMISSED and dismissed.dismissed_by_pair
    enroll(later_home, programs["pkh"])
    enroll(later_home, programs["sembako"])  # allowed while the pair stands: no conflict
    assert open_conflicts() == []

    response = bappeda_client.post(
        reverse("admin:dedup_compatiblepair_delete", args=[pair.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200

    dismissed.refresh_from_db()
    assert dismissed.status == ConflictStatus.OPEN and not dismissed.dismissed_by_pair
    assert dismissed.decision_reason.startswith("Dibuka kembali") and "boleh digabung: paket" in dismissed.decision_reason
    assert {c.household_id for c in open_conflicts()} == {dismissed_home.pk, later_home.pk}
    causes = set(ConflictEvent.objects.values_list("kind", "cause"))
    assert {(ConflictEventKind.CLOSED, WriteCause.PAIR_DECLARED), (ConflictEventKind.REOPENED, WriteCause.PAIR_WITHDRAWN),
            (ConflictEventKind.CREATED, WriteCause.PAIR_WITHDRAWN)} <= causes
    assert nothing_left_to_find()


def test_changing_an_enrollments_year_closes_the_pair_it_leaves(programs):
    household = HouseholdFactory()
    enroll(household, programs["pkh"])
    second = enroll(household, programs["bsps"])
    [conflict] = second.conflicts
    enrollment_update(enrollment=second.enrollment, year=YEAR + 1)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    # Back in the year as aid delivered and completed: still the second aid of that year.
    enrollment_update(enrollment=second.enrollment, status=EnrollmentStatus.COMPLETED, year=YEAR)
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN and open_conflicts() == [conflict]
    assert nothing_left_to_find()


def test_one_household_save_costs_at_most_five_queries_for_the_recheck(two_cards, reviewer, django_assert_max_num_queries):
    x, y, person_x, person_y, conflict = two_cards
    with django_assert_max_num_queries(5):
        membership.household_changed(household=x, by=reviewer)
    with django_assert_max_num_queries(5):
        membership.member_changed(member=person_x, previous_household_id=x.pk, by=reviewer)
    # A save that changes something: the re-check closes the conflict and records it, still <= 5.
    Member.objects.filter(pk=person_y.pk).update(nik="")
    with django_assert_max_num_queries(5):
        assert membership.household_changed(household=y, by=reviewer).closed == {conflict.pk}


def test_bulk_rows_that_break_an_enrollments_rules_are_refused_with_a_reason(programs):
    household = HouseholdFactory()
    stranger = MemberFactory()
    prakerja = Program.objects.get(code="prakerja")
    result = enrollment_bulk_create(
        enrollments=[
            Enrollment(program=prakerja, year=YEAR, household=household),
            Enrollment(program=prakerja, year=YEAR, household=household, member=stranger),
            Enrollment(program=programs["pkh"], year=YEAR, household=household, status=EnrollmentStatus.ACTIVE),
        ]
    )
    assert len(result.created) == 1 and result.existing == 0
    assert result.refused == [
        f"Kartu Prakerja {YEAR} untuk keluarga #{household.pk} tidak dicatat: Program perorangan: pilih anggota keluarga penerima.",
        f"Kartu Prakerja {YEAR} untuk keluarga #{household.pk} tidak dicatat: Anggota ini bukan anggota keluarga yang dipilih.",
    ]


def test_a_person_already_enrolled_through_another_card_counts_as_existing(programs):
    a, b = HouseholdFactory(), HouseholdFactory()
    person = MemberFactory(household=a)
    prakerja = Program.objects.get(code="prakerja")
    enroll(a, prakerja, member=person)
    person.household = b  # moved by hand: the next bulk write must not trip the unique rule
    person.save()
    membership.member_changed(member=person, previous_household_id=a.pk, by=None)
    result = enrollment_bulk_create(enrollments=[Enrollment(program=prakerja, year=YEAR, household=b, member=person)])
    assert (len(result.created), result.existing, result.refused) == (0, 1, [])


def test_the_conflict_page_shows_its_automatic_history(two_cards, reviewer, bappeda_client):
    x, y, person_x, person_y, conflict = two_cards
    membership.members_mark_absent(members=[person_y], absent=True, by=reviewer)
    html = bappeda_client.get(reverse("admin:dedup_conflict_change", args=[conflict.pk])).content.decode()
    assert "Riwayat otomatis" in html
    assert "dibuat" in html and "Simpan kepesertaan" in html
    assert "ditutup otomatis" in html and "Tandai tidak ada/ada di data terbaru" in html and "Rina Bappeda" in html


def test_a_large_recheck_closes_and_flags_like_a_small_one(two_cards, programs, reviewer):
    """More than ``SMALL_BATCH`` households (an import's size): on PostgreSQL the re-check stages
    them in temporary tables; the outcome is the same."""
    from dedup.engine_sql import SMALL_BATCH

    x, y, person_x, person_y, conflict = two_cards
    others = HouseholdFactory.create_batch(SMALL_BATCH + 5)
    z = others[0]
    enroll(z, programs["bsps"])
    # Two changes of who is who made in one write, re-checked together: y's copy of the person
    # leaves, and z's head turns out to be x's member.
    Member.objects.filter(pk=person_y.pk).update(is_absent=True)
    Household.objects.filter(pk=z.pk).update(head_nik=person_x.nik)
    result = membership.registry_changed(
        households=[x.pk, y.pk, *(h.pk for h in others)], cause=WriteCause.HOUSEHOLD, by=reviewer
    )
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED and result.closed == {conflict.pk}
    [new] = open_conflicts()
    assert new.rule == ConflictRule.SAME_PERSON and result.new == {new.pk}
    assert {new.enrollment_a.household_id, new.enrollment_b.household_id} == {x.pk, z.pk}
    assert nothing_left_to_find()
