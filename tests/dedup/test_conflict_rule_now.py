"""An open conflict says the rule its pair breaks now. A PKH and a BSPS collected by one person on two
family cards breaks the rule as "the same person through two families"; once the two cards are merged
into one family, the same pair breaks the one-aid rule in that family: the conflict's page and the
family's page say so, name no merged-away family, and the conflict's automatic history records it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dedup import membership
from dedup.engine import Write, recheck_households, scan_all
from dedup.models import Conflict, ConflictEventKind, ConflictRule, ConflictStatus
from programs.models import EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

SAME_PERSON = "Orang yang sama (NIK) menerima lewat dua keluarga"
ONE_AID = "Satu keluarga, satu bantuan"


@pytest.fixture
def merged(programs, reviewer):
    """X and Y list the same person; X has PKH, Y BSPS (2024); Y is merged into X."""
    x, y = HouseholdFactory(), HouseholdFactory()
    person = MemberFactory(household=x)
    MemberFactory(household=y, nik=person.nik, name=person.name)
    enrollment_create(household=x, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    [conflict] = enrollment_create(household=y, program=programs["bsps"], year=2024, status=EnrollmentStatus.ACTIVE).conflicts
    assert conflict.rule == ConflictRule.SAME_PERSON
    membership.household_merge(source=y, target=x, by=reviewer)
    conflict.refresh_from_db()
    return x, y, person, conflict


def pages(client, x, conflict):
    admin_page = client.get(reverse("admin:dedup_conflict_change", args=[conflict.pk])).content.decode()
    portal = client.get(reverse("agencies:household_detail", args=[x.pk])).content.decode()
    return admin_page, portal


def says_one_family(admin_page, portal, y, person):
    assert ONE_AID in admin_page and SAME_PERSON not in admin_page
    # The evidence: the year, no shared NIK, no link to the merged-away family.
    assert f"NIK bersama {person.nik}" not in admin_page
    assert reverse("admin:households_household_change", args=[y.pk]) not in admin_page
    assert ONE_AID in portal and SAME_PERSON not in portal


def test_a_merge_relabels_the_open_conflict_with_the_rule_it_breaks_now(merged, bappeda_client):
    x, y, person, conflict = merged
    assert conflict.status == ConflictStatus.OPEN and conflict.household_id == x.pk
    admin_page, portal = pages(bappeda_client, x, conflict)
    says_one_family(admin_page, portal, y, person)
    # The automatic history says when and by which write the rule changed.
    history = admin_page[admin_page.index('class="conflict-history"'):]
    assert "aturan diperbarui" in history and "Gabung keluarga" in history


def test_periksa_ulang_relabels_a_conflict_left_with_the_old_rule(merged, bappeda_client):
    """A conflict recorded before the rule was kept up to date: the whole-registry re-check sets it
    right, once."""
    x, y, person, conflict = merged
    Conflict.objects.filter(pk=conflict.pk).update(
        rule=ConflictRule.SAME_PERSON, evidence={"year": 2024, "nik": person.nik, "household_ids": [x.pk, y.pk]},
    )
    admin_page, _portal = pages(bappeda_client, x, conflict)
    assert SAME_PERSON in admin_page  # as the audit found it
    events = conflict.events.count()

    response = bappeda_client.post(reverse("admin:dedup_conflict_scan"), follow=True)
    assert response.status_code == 200

    admin_page, portal = pages(bappeda_client, x, conflict)
    says_one_family(admin_page, portal, y, person)
    assert conflict.events.count() == events + 1
    # Nothing more to set right: a second re-check changes nothing.
    found = scan_all()
    assert (found.new, found.reopened, found.closed) == (0, 0, 0) and conflict.events.count() == events + 1


def test_a_pair_through_two_shared_people_keeps_its_evidence_on_every_re_check(programs):
    """X and Y list the same two people: the PKH of X and the BSPS of Y are one conflict with one
    shared NIK as evidence (the lowest), and re-checking either family or the whole registry again
    does not relabel it."""
    x, y = HouseholdFactory(), HouseholdFactory()
    people = [MemberFactory(household=x) for _ in range(2)]
    for person in people:
        MemberFactory(household=y, nik=person.nik, name=person.name)
    enrollment_create(household=x, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    [conflict] = enrollment_create(household=y, program=programs["bsps"], year=2024, status=EnrollmentStatus.ACTIVE).conflicts
    evidence = Conflict.objects.get(pk=conflict.pk).evidence
    assert evidence["nik"] == min(person.nik for person in people)

    for household in (x, y, x, y):
        recheck_households([household.pk], write=Write())
    for _ in range(2):
        scan_all()

    conflict.refresh_from_db()
    assert conflict.evidence == evidence
    assert list(conflict.events.values_list("kind", flat=True)) == [ConflictEventKind.CREATED]
