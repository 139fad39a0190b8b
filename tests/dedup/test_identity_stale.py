"""An identity duplicate the registry no longer shows (a NIK corrected, a person left out of one
family, a family found gone) closes by itself at the next identity scan, whatever ran it: a save in
the admin, an import, ``dedup_scan``. Bappeda's queue and the dashboard stop counting it, its page
and history say why, and Bappeda's own decisions are never touched. Found again, it opens again."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from dedup import membership
from dedup.models import Conflict, ConflictRule, ConflictStatus, IdentityKind, IdentityMatch, IdentityStatus
from dedup.services import identity_dismiss, identity_merge, identity_scan
from households.identifiers import make_nik
from programs.models import EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory
from tests.programs.test_dashboard import by_label
from tests.security.admin_forms import admin_form_data

from .conftest import texts

pytestmark = pytest.mark.django_db

CLOSED = "Ditutup otomatis: tidak lagi ditemukan pada data terbaru."
REOPENED = "Dibuka kembali: ditemukan lagi pada data terbaru."
CLOSED_STATUS = "closed"  # IdentityStatus.CLOSED
QUEUE = reverse("admin:dedup_identitymatch_changelist")
FIGURE = "Pasangan duplikat identitas terbuka"


def nik(serial: int, birth=datetime.date(1975, 3, 9)) -> str:
    return make_nik(region="740903", birth=birth, female=False, serial=serial)


_PEOPLE = iter(range(300, 400))


def typo_pair(first_head="Wa Ode Sitti", second_head="Lasima Tosuka"):
    """Two families; a child of the second carries, by a typing error, the NIK of a child of the
    first (another name, another birth date: not one person by anything but the NIK). Each pair its
    own NIK and people."""
    serial = next(_PEOPLE)
    first, second = HouseholdFactory(head_name=first_head), HouseholdFactory(head_name=second_head)
    person = MemberFactory(household=first, name=f"La Ode Amir {first_head}", nik=nik(serial),
                           birth_date=datetime.date(2011, 2, 3) + datetime.timedelta(days=serial))
    typo = MemberFactory(household=second, name=f"Hasnah {second_head}", nik=nik(serial),
                         birth_date=datetime.date(2014, 8, 21) + datetime.timedelta(days=serial))
    return first, second, person, typo


def the_match(first, second) -> IdentityMatch:
    return IdentityMatch.objects.get(kind=IdentityKind.SAME_NIK, household_a__in=[first, second], household_b__in=[first, second])


def open_figure(client) -> str:
    response = client.get("/dasbor/", {"year": 2024})
    assert response.status_code == 200
    return by_label(response.context["tables"]["ringkasan"])[FIGURE][1].display


def queue_rows(client, **filters) -> str:
    html = client.get(QUEUE, filters).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def queue_numbers(client, **filters) -> list[str]:
    """The pairs the queue lists, by their numbers (its first column)."""
    return re.findall(r'<th class="field-number"><a [^>]*>(#\d+)</a>', client.get(QUEUE, filters).content.decode())


def test_a_nik_corrected_in_the_admin_closes_the_duplicate_it_made(bappeda_client):
    first, second, _person, typo = typo_pair()
    identity_scan()
    match = the_match(first, second)
    assert open_figure(bappeda_client) == "1"
    assert queue_numbers(bappeda_client, status__exact="open") == [f"#{match.pk}"]

    url = reverse("admin:households_member_change", args=[typo.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), nik=nik(450)), follow=True)
    assert response.status_code == 200

    match.refresh_from_db()
    assert (match.status, match.decision_reason, match.reviewed_by) == (CLOSED_STATUS, CLOSED, None)
    assert match.reviewed_at is not None
    latest = match.history.first()
    assert (latest.status, latest.history_change_reason) == (CLOSED_STATUS, CLOSED)
    # The queue Bappeda works from no longer holds it; the whole list says what became of it.
    assert queue_numbers(bappeda_client, status__exact="open") == []
    assert "Ditutup otomatis" in queue_rows(bappeda_client)
    page = bappeda_client.get(reverse("admin:dedup_identitymatch_change", args=[match.pk])).content.decode()
    assert CLOSED in page and "Gabungkan ke A" not in page  # nothing left to decide
    history = bappeda_client.get(reverse("admin:dedup_identitymatch_history", args=[match.pk])).content.decode()
    assert CLOSED in history
    assert open_figure(bappeda_client) == "0"


def test_the_scan_command_closes_what_a_write_without_a_scan_ended_and_says_so(reference, bappeda_user):
    first, second, _person, typo = typo_pair()
    identity_scan()
    match = the_match(first, second)
    # The verval approval marks members absent without an identity scan of its own.
    membership.members_mark_absent(members=[typo], absent=True, by=bappeda_user, reason="Bukan anggota keluarga ini")
    match.refresh_from_db()
    assert match.status == IdentityStatus.OPEN

    out = call_command_output("dedup_scan")
    assert "Duplikat identitas: 0 baru, 1 ditutup otomatis, 0 dibuka kembali; 0 terbuka" in out
    match.refresh_from_db()
    assert (match.status, match.decision_reason) == (CLOSED_STATUS, CLOSED)
    # Run again, nothing changes: no second history row.
    assert "0 ditutup otomatis" in call_command_output("dedup_scan")
    assert match.history.filter(status=CLOSED_STATUS).count() == 1


def test_the_scan_button_closes_them_and_says_how_many(bappeda_client, bappeda_user):
    first, second, _person, typo = typo_pair()
    identity_scan()
    membership.members_mark_absent(members=[typo], absent=True, by=bappeda_user)

    response = bappeda_client.post(reverse("admin:dedup_identitymatch_scan"), follow=True)

    assert texts(response) == ["Pencarian selesai: 0 duplikat baru, 1 ditutup otomatis (tidak lagi ditemukan), 0 terbuka."]
    assert the_match(first, second).status == CLOSED_STATUS


def call_command_output(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_decisions_bappeda_made_are_never_touched(reference, reviewer):
    """Three pairs the registry no longer shows: the open one closes; the one Bappeda dismissed and the
    one it merged keep their decision, reason and history as they were."""
    dismissed_a, dismissed_b, _p, dismissed_typo = typo_pair("Keluarga Satu", "Keluarga Dua")
    merged_a, merged_b, _q, _merged_typo = typo_pair("Keluarga Tiga", "Keluarga Empat")
    open_a, open_b, _r, open_typo = typo_pair("Keluarga Lima", "Keluarga Enam")
    identity_scan()
    identity_dismiss(match=the_match(dismissed_a, dismissed_b), by=reviewer, reason="Salah ketik NIK, dilaporkan ke Dukcapil")
    identity_merge(match=the_match(merged_a, merged_b), keep="a", by=reviewer, reason="Satu keluarga")
    membership.members_mark_absent(members=[dismissed_typo, open_typo], absent=True, by=reviewer)
    decided = IdentityMatch.objects.exclude(status=IdentityStatus.OPEN)
    before = {m.pk: (m.status, m.decision_reason, m.reviewed_by_id, m.history.count()) for m in decided}
    assert sorted(status for status, *_ in before.values()) == [IdentityStatus.DISMISSED, IdentityStatus.MERGED]

    identity_scan()

    after = {m.pk: (m.status, m.decision_reason, m.reviewed_by_id, m.history.count())
             for m in IdentityMatch.objects.filter(pk__in=before)}
    assert after == before
    assert the_match(open_a, open_b).status == CLOSED_STATUS


def test_a_closed_duplicate_found_again_opens_again(bappeda_client, bappeda_user):
    first, second, _person, typo = typo_pair()
    identity_scan()
    match = the_match(first, second)
    membership.members_mark_absent(members=[typo], absent=True, by=bappeda_user)
    identity_scan()
    match.refresh_from_db()
    assert match.status == CLOSED_STATUS

    membership.members_mark_absent(members=[typo], absent=False, by=bappeda_user)
    result = identity_scan()

    match.refresh_from_db()
    assert (match.status, match.decision_reason, match.reviewed_at) == (IdentityStatus.OPEN, REOPENED, None)
    assert match.history.first().history_change_reason == REOPENED
    assert (result.new, result.reopened, result.closed) == (0, 1, 0)
    assert IdentityMatch.objects.filter(kind=IdentityKind.SAME_NIK).count() == 1  # the same row, not a second one
    assert open_figure(bappeda_client) == "1"


def test_a_scan_of_some_families_closes_only_their_duplicates(reference, bappeda_user):
    first, second, _p, typo = typo_pair("Keluarga Satu", "Keluarga Dua")
    third, fourth, _q, other_typo = typo_pair("Keluarga Tiga", "Keluarga Empat")
    identity_scan()
    mine, theirs = the_match(first, second), the_match(third, fourth)
    membership.members_mark_absent(members=[typo, other_typo], absent=True, by=bappeda_user)

    result = identity_scan(households=[second.pk])

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (CLOSED_STATUS, IdentityStatus.OPEN)
    assert result.closed == 1


# --- an absent family's head NIK: the identity scan and the one-aid rule agree ---------------------


@pytest.fixture
def old_card(reference):
    """Family A's record names Pak Basri its head (his NIK on the record, no member row of his: a
    household sheet alone); he is a member of family B too. Both have aid in 2024."""
    from programs.models import Program

    a = HouseholdFactory(head_name="Basri", head_nik=nik(501))
    b = HouseholdFactory(head_name="Wa Ode Rina")
    MemberFactory(household=b, name="Basri", nik=nik(501), birth_date=datetime.date(1975, 3, 9))
    enrollment_create(household=a, program=Program.objects.get(code="pkh"), year=2024, status=EnrollmentStatus.ACTIVE)
    enrollment_create(household=b, program=Program.objects.get(code="sembako"), year=2024, status=EnrollmentStatus.ACTIVE)
    return a, b


def same_person_conflicts(a, b):
    return Conflict.objects.filter(rule=ConflictRule.SAME_PERSON, status=ConflictStatus.OPEN,
                                   enrollment_a__household__in=[a, b], enrollment_b__household__in=[a, b])


def test_a_family_marked_absent_links_no_one_by_its_head_nik_for_either_check(old_card, bappeda_client):
    """Present, A and B are one person in two families: an identity duplicate and a same-person
    double aid. Marked absent (the newest data no longer holds A), A's record keeps the head's NIK
    it was last given, but that NIK is Pak Basri's in B alone: both close by themselves, with the
    write that ended them, and both open again when A is marked present."""
    a, b = old_card
    identity_scan()
    match = the_match(a, b)
    [conflict] = same_person_conflicts(a, b)

    changelist = reverse("admin:households_household_changelist")
    bappeda_client.post(changelist, {"action": "mark_absent", "_selected_action": [a.pk]}, follow=True)

    match.refresh_from_db()
    conflict.refresh_from_db()
    assert (match.status, match.decision_reason) == (CLOSED_STATUS, CLOSED)
    assert conflict.status == ConflictStatus.RESOLVED
    assert not same_person_conflicts(a, b).exists()
    identity_scan()
    assert not IdentityMatch.objects.filter(status=IdentityStatus.OPEN).exists()

    bappeda_client.post(changelist, {"action": "mark_present", "_selected_action": [a.pk]}, follow=True)
    match.refresh_from_db()
    conflict.refresh_from_db()
    assert (match.status, conflict.status) == (IdentityStatus.OPEN, ConflictStatus.OPEN)


def test_a_family_absent_before_its_aid_raises_no_same_person_conflict_by_its_head_nik(reference, bappeda_user):
    from programs.models import Program

    a = HouseholdFactory(head_name="Basri", head_nik=nik(502))
    b = HouseholdFactory(head_name="Wa Ode Rina")
    MemberFactory(household=b, name="Basri", nik=nik(502), birth_date=datetime.date(1975, 3, 9))
    membership.households_mark_absent(households=[a], absent=True, by=bappeda_user)
    enrollment_create(household=a, program=Program.objects.get(code="pkh"), year=2024, status=EnrollmentStatus.COMPLETED)
    enrollment_create(household=b, program=Program.objects.get(code="sembako"), year=2024, status=EnrollmentStatus.ACTIVE)

    identity_scan()

    assert not same_person_conflicts(a, b).exists()
    assert not IdentityMatch.objects.exists()
