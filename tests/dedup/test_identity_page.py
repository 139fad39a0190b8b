"""The identity duplicate's decision page: both records side by side, the evidence, and merge or
dismiss with a reason, through the same services as the list's actions."""

import re

import pytest
from django.urls import reverse

from dedup.admin.common import shown_identifier
from dedup.membership import household_mark_absent, households_mark_absent
from dedup.models import IdentityMatch, IdentityStatus
from dedup.services import identity_scan
from households.choices import AbsentReason
from households.identifiers import mask
from households.models import Relation
from tests.factories import HouseholdFactory, MemberFactory, UserFactory

from .conftest import texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def same_nik(reference):
    first = HouseholdFactory(head_name="Wa Ode Sitti")
    second = HouseholdFactory(head_name="Siti Wa Ode")
    shared = MemberFactory(household=first, name="La Ode Amir")
    MemberFactory(household=second, nik=shared.nik, name="La Ode Amir")
    identity_scan()
    return IdentityMatch.objects.get(kind="same_nik"), shared.nik


def page(match):
    return reverse("admin:dedup_identitymatch_change", args=[match.pk])


def test_the_page_shows_both_records_and_the_evidence(bappeda_client, same_nik):
    match, nik = same_nik
    html = bappeda_client.get(page(match)).content.decode()

    assert "Keluarga A" in html and "Keluarga B" in html
    assert "Wa Ode Sitti" in html and "Siti Wa Ode" in html
    assert f"NIK: {nik}" in html  # Bappeda sees whole NIKs, here as on the household pages
    for label in ("Gabungkan ke A", "Gabungkan ke B", "Abaikan"):
        assert label in html
    assert "SIMPAN" not in html.upper().replace("SIMPAN KEPUTUSAN", "")


def test_merge_into_a_from_the_page(bappeda_client, bappeda_user, same_nik):
    match, _nik = same_nik
    response = bappeda_client.post(page(match), {"decision": "merge_a", "reason": "Satu keluarga, dua kali didata"}, follow=True)

    match.refresh_from_db()
    match.household_b.refresh_from_db()
    assert match.status == IdentityStatus.MERGED
    assert (match.reviewed_by, match.decision_reason) == (bappeda_user, "Satu keluarga, dua kali didata")
    assert match.household_b.merged_into == match.household_a and match.household_b.is_absent
    [message] = texts(response)
    assert message.startswith(f"Keluarga #{match.household_b.pk} digabung ke #{match.household_a.pk}: ")


def test_dismiss_needs_a_reason_and_changes_nothing_without_one(bappeda_client, same_nik):
    match, _nik = same_nik
    response = bappeda_client.post(page(match), {"decision": "dismiss", "reason": "  "})

    assert response.status_code == 200
    assert "Tuliskan alasan mengapa kedua data ini bukan keluarga yang sama." in response.content.decode()
    match.refresh_from_db()
    assert match.status == IdentityStatus.OPEN

    response = bappeda_client.post(page(match), {"decision": "dismiss", "reason": "Kembar, beda orang"}, follow=True)
    match.refresh_from_db()
    assert (match.status, match.decision_reason) == (IdentityStatus.DISMISSED, "Kembar, beda orang")
    assert f"Duplikat #{match.pk} diabaikan: kedua keluarga tetap terpisah." in texts(response)


def test_a_decided_pair_shows_its_decision_without_the_forms(bappeda_client, same_nik):
    match, _nik = same_nik
    bappeda_client.post(page(match), {"decision": "dismiss", "reason": "Kembar, beda orang"})

    html = bappeda_client.get(page(match)).content.decode()
    assert "Kembar, beda orang" in html and 'name="decision"' not in html
    assert bappeda_client.post(page(match), {"decision": "merge_a"}).status_code == 403
    match.refresh_from_db()
    assert match.status == IdentityStatus.DISMISSED


def test_an_unknown_decision_changes_nothing(bappeda_client, same_nik):
    match, _nik = same_nik
    assert bappeda_client.post(page(match), {"decision": "hapus"}).status_code == 200
    match.refresh_from_db()
    assert match.status == IdentityStatus.OPEN


def test_identifiers_are_masked_for_a_viewer_without_the_right(reference):
    nik = "7409011203850001"
    assert shown_identifier(nik, UserFactory(username="bupati-uji", role="leadership")) == mask(nik)
    assert shown_identifier(nik, UserFactory(username="bappeda-uji", role="bappeda_operator")) == nik
    assert shown_identifier("", None) == ""


def test_a_member_known_dead_is_listed_as_dead_not_merely_absent(bappeda_client, same_nik):
    """A member an approved verval found dead is listed as such; one a newer extract left out, as absent."""
    match, _nik = same_nik
    MemberFactory(household=match.household_a, name="Almarhum Kasim", is_absent=True, is_deceased=True)
    MemberFactory(household=match.household_a, name="Pindahan Rizal", is_absent=True)
    html = bappeda_client.get(page(match)).content.decode()
    dead = re.search(r"<li>Almarhum Kasim[^<]*<em>([^<]*)</em>", html).group(1)
    left = re.search(r"<li>Pindahan Rizal[^<]*<em>([^<]*)</em>", html).group(1)
    assert (dead, left) == ("meninggal", "tidak ada")


def _statuses(html: str) -> list[str]:
    return re.findall(r'<th scope="row">Status</th><td>([^<]*)</td>', html)


def test_the_page_says_why_a_family_is_absent_where_the_registry_knows_it(bappeda_client, same_nik):
    """A family an approved visit found moved away, one whose head it found dead with no one left:
    the page says so, as the portal does; a family the newest data left out is said to be so."""
    match, _nik = same_nik
    household_mark_absent(household=match.household_a, by=None, reason="Verval disahkan", absent_reason=AbsentReason.MOVED)
    MemberFactory(household=match.household_b, name=match.household_b.head_name, nik=match.household_b.head_nik,
                  relation=Relation.HEAD)
    household_mark_absent(household=match.household_b, by=None, reason="Verval disahkan", head_deceased=True)
    assert _statuses(bappeda_client.get(page(match)).content.decode()) == [
        "pindah (verval)", "kepala keluarga meninggal (verval)"]

    households_mark_absent(households=[match.household_a], absent=False, by=None)
    households_mark_absent(households=[match.household_a], absent=True, by=None)
    assert _statuses(bappeda_client.get(page(match)).content.decode())[0] == "tidak ada di data terbaru"
