"""A record merged into another stands for no one: it takes no new aid by any path, the admin's
household picker leaves it out, its other identity duplicates go over to the kept family, and the
kept family's pages show which records were merged into it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from dedup import membership
from dedup.models import IdentityKind, IdentityMatch, IdentityStatus
from dedup.services import identity_scan
from households.models import Household
from programs.models import Enrollment, EnrollmentStatus
from programs.services import enrollment_bulk_create, enrollment_create, enrollment_update
from tests.factories import HouseholdFactory, MemberFactory

from .conftest import texts

pytestmark = pytest.mark.django_db
YEAR = 2024


@pytest.fixture
def merged(programs, reviewer):
    """Household #B merged into #A; A has live aid (BSPS 2024)."""
    kept = HouseholdFactory(head_name="La Ode Kasim")
    gone = HouseholdFactory(head_name="La Ode Kasim")
    enrollment_create(household=kept, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    membership.household_merge(source=gone, target=kept, by=reviewer, reason="satu KK")
    gone.refresh_from_db()
    return kept, gone


def refusal(kept, gone):
    return f"Keluarga #{gone.pk} sudah digabung ke keluarga #{kept.pk}"


def admin_add_refusal(client, program, household, *, status, amount="") -> str:
    """Add an enrollment in the admin, expecting the form back: its household field's errors."""
    response = client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": program.pk, "household": household.pk, "member": "", "year": str(YEAR),
         "status": status, "amount": amount, "delivered_on": "", "status_reason": ""},
    )
    assert response.status_code == 200
    return " ".join(response.context["adminform"].form.errors["household"])


def test_the_enrollment_admin_refuses_aid_on_a_merged_record_and_names_the_kept_family(programs, bappeda_client, merged):
    kept, gone = merged
    before = Enrollment.objects.count()
    errors = admin_add_refusal(bappeda_client, programs["pkh"], gone, status=EnrollmentStatus.ACTIVE, amount="600000")
    assert refusal(kept, gone) in errors and f"catat kepesertaan di keluarga #{kept.pk}" in errors
    assert Enrollment.objects.count() == before


def test_every_enrollment_service_refuses_a_merged_record(programs, merged):
    kept, gone = merged
    with pytest.raises(ValidationError) as error:
        enrollment_create(household=gone, program=programs["pkh"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    assert refusal(kept, gone) in " ".join(error.value.messages)

    result = enrollment_bulk_create(enrollments=[Enrollment(household=gone, program=programs["pkh"], year=YEAR)])
    assert result.created == [] and len(result.refused) == 1
    assert refusal(kept, gone) in result.refused[0]

    other = enrollment_create(household=HouseholdFactory(), program=programs["pkh"], year=YEAR).enrollment
    with pytest.raises(ValidationError) as error:
        enrollment_update(enrollment=Enrollment.objects.get(pk=other.pk), household=gone)
    assert refusal(kept, gone) in " ".join(error.value.messages)
    assert not gone.enrollments.filter(program=programs["pkh"]).exists()
    assert Enrollment.objects.get(pk=other.pk).household_id == other.household_id


@pytest.mark.parametrize("status", [EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED])
def test_a_cancelled_enrollment_left_on_a_merged_record_is_not_made_aid_again(programs, reviewer, status):
    """Not live again, and not completed either: a completed aid counts for the one-aid rule."""
    kept, gone = HouseholdFactory(), HouseholdFactory()
    enrollment_create(household=kept, program=programs["pkh"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    enrollment_create(household=gone, program=programs["pkh"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    membership.household_merge(source=gone, target=kept, by=reviewer)
    [left] = Enrollment.objects.filter(household=gone)
    assert left.status == EnrollmentStatus.CANCELLED
    with pytest.raises(ValidationError) as error:
        enrollment_update(enrollment=left, status=status)
    assert refusal(kept, gone) in " ".join(error.value.messages)
    assert Enrollment.objects.get(pk=left.pk).status == EnrollmentStatus.CANCELLED
    # Its note may still be corrected: it stays cancelled.
    enrollment_update(enrollment=Enrollment.objects.get(pk=left.pk), status_reason="dicek ulang")


def test_the_admin_household_picker_leaves_merged_records_out(bappeda_client, merged):
    kept, gone = merged
    response = bappeda_client.get(reverse("admin:autocomplete"), {
        "app_label": "programs", "model_name": "enrollment", "field_name": "household", "term": "La Ode Kasim",
    })
    assert [row["id"] for row in response.json()["results"]] == [str(kept.pk)]


def test_a_recipient_list_row_naming_the_merged_records_head_lands_on_the_kept_family(programs, merged, tmp_path):
    kept, gone = merged
    workbook = Workbook()
    workbook.active.append(["NIK", "NAMA_PENERIMA", "BANSOS", "TAHAP", "NOMINAL"])
    workbook.active.append([gone.head_nik, "LA ODE KASIM", "PKH", "TAHAP 1 2024", 750000])
    workbook.save(tmp_path / "pkh.xlsx")
    MemberFactory(household=kept, nik=gone.head_nik, relation="anak")  # the merged record's head, now in the kept family
    out = io.StringIO()
    call_command("import_recipients", str(tmp_path / "pkh.xlsx"), "--json", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["enrollments"]["created"] == 1
    assert not gone.enrollments.filter(program=programs["pkh"]).exists()
    assert kept.enrollments.filter(program=programs["pkh"], year=YEAR).exists()


@pytest.fixture
def chain(reference):
    """A and B share one No KK; B and C share a person (one NIK)."""
    a = HouseholdFactory(head_name="Wa Ode Nurhayati")
    b = HouseholdFactory(head_name="Nurhayati Wa Ode", no_kk=a.no_kk)
    c = HouseholdFactory(head_name="Hasna")
    shared = MemberFactory(household=b, name="La Ode Amir")
    MemberFactory(household=c, nik=shared.nik, name="La Ode Amir")
    identity_scan(households=[a.pk, b.pk, c.pk])
    pairs = set(IdentityMatch.objects.filter(status=IdentityStatus.OPEN).values_list("kind", "household_a", "household_b"))
    assert pairs == {(IdentityKind.SAME_KK, a.pk, b.pk), (IdentityKind.SAME_NIK, b.pk, c.pk)}
    return a, b, c


def open_pairs():
    return set(IdentityMatch.objects.filter(status=IdentityStatus.OPEN).values_list("kind", "household_a", "household_b"))


def the_pair_left_merges(client, successor, a, c):
    """The pair handed over is decidable: C merges into A, and no pair is left open."""
    response = client.post(
        reverse("admin:dedup_identitymatch_change", args=[successor.pk]), {"decision": "merge_a", "reason": "orang sama"},
        follow=True,
    )
    assert texts(response)[0].startswith(f"Keluarga #{c.pk} digabung ke #{a.pk}")
    assert open_pairs() == set()


def test_merging_hands_the_merged_records_other_duplicates_to_the_kept_family(bappeda_client, chain):
    a, b, c = chain
    decided = IdentityMatch.objects.get(kind=IdentityKind.SAME_KK)
    stale = IdentityMatch.objects.get(kind=IdentityKind.SAME_NIK)

    response = bappeda_client.post(
        reverse("admin:dedup_identitymatch_change", args=[decided.pk]), {"decision": "merge_a", "reason": "satu KK"}, follow=True,
    )

    assert texts(response)[0].startswith(f"Keluarga #{b.pk} digabung ke #{a.pk}")
    assert open_pairs() == {(IdentityKind.SAME_NIK, a.pk, c.pk)}
    successor = IdentityMatch.objects.get(status=IdentityStatus.OPEN)
    stale.refresh_from_db()
    assert stale.status == IdentityStatus.MERGED
    assert f"#{b.pk}" in stale.decision_reason and f"#{a.pk}" in stale.decision_reason
    assert f"#{successor.pk}" in stale.decision_reason
    # The next scan (an import touching them) finds nothing more; the dashboard counts one pair.
    assert identity_scan(households=[a.pk, c.pk]).new == 0
    assert open_pairs() == {(IdentityKind.SAME_NIK, a.pk, c.pk)}
    dashboard = bappeda_client.get(reverse("programs:dashboard"), {"segar": "1"})
    assert dashboard.context["dash"].conflicts.open_identity == 1
    the_pair_left_merges(bappeda_client, successor, a, c)


@pytest.fixture
def merged_before_hand_over(chain, reviewer):
    """B merged into A the way merges did before they handed B's other duplicates over: B's members
    went to A, the A-B pair was closed, and B-C stayed open. Built through the models, since no
    service leaves this state any more."""
    a, b, c = chain
    b.members.update(household=a)
    Household.objects.filter(pk=b.pk).update(merged_into=a, is_absent=True)
    IdentityMatch.objects.filter(kind=IdentityKind.SAME_KK).update(
        status=IdentityStatus.MERGED, decision_reason="satu KK", reviewed_by=reviewer
    )
    return a, b, c


@pytest.mark.bypasses_services  # builds a merge as the old service left it, through the models
def test_the_scan_hands_over_the_duplicates_an_earlier_merge_left_open(bappeda_client, merged_before_hand_over):
    a, b, c = merged_before_hand_over
    stale = IdentityMatch.objects.get(kind=IdentityKind.SAME_NIK, household_a=b, household_b=c)

    call_command("dedup_scan", "--json", stdout=io.StringIO())

    assert open_pairs() == {(IdentityKind.SAME_NIK, a.pk, c.pk)}
    successor = IdentityMatch.objects.get(status=IdentityStatus.OPEN)
    stale.refresh_from_db()
    assert stale.status == IdentityStatus.MERGED
    assert stale.decision_reason == (
        f"Keluarga #{b.pk} digabung ke keluarga #{a.pk}: pasangan ini diteruskan ke duplikat #{successor.pk} "
        f"antara keluarga #{a.pk} dan #{c.pk}."
    )
    dashboard = bappeda_client.get(reverse("programs:dashboard"), {"segar": "1"})
    assert dashboard.context["dash"].conflicts.open_identity == 1
    the_pair_left_merges(bappeda_client, successor, a, c)


@pytest.mark.bypasses_services  # builds a merge as the old service left it, through the models
def test_an_imports_scan_settles_the_old_pairs_too_even_of_families_it_did_not_write(merged_before_hand_over):
    a, b, c = merged_before_hand_over
    elsewhere = HouseholdFactory(head_name="Sitti Aminah")

    result = identity_scan(households=[elsewhere.pk])

    assert open_pairs() == {(IdentityKind.SAME_NIK, a.pk, c.pk)}
    assert result.open_total == 1
    assert identity_scan(households=[elsewhere.pk]).new == 0


@pytest.mark.bypasses_services  # builds merges as the old service left them, through the models
def test_the_scan_closes_an_old_pair_whose_two_records_were_both_merged_into_one_family(merged_before_hand_over):
    a, b, c = merged_before_hand_over
    c.members.update(household=a)
    Household.objects.filter(pk=c.pk).update(merged_into=a, is_absent=True)
    stale = IdentityMatch.objects.get(kind=IdentityKind.SAME_NIK, household_a=b, household_b=c)

    identity_scan()

    assert open_pairs() == set()
    stale.refresh_from_db()
    assert stale.status == IdentityStatus.MERGED
    assert f"#{b.pk}" in stale.decision_reason and f"#{c.pk}" in stale.decision_reason
    assert f"#{a.pk}" in stale.decision_reason


def test_the_kept_familys_pages_show_the_records_merged_into_it(bappeda_client, chain):
    a, b, _c = chain
    decided = IdentityMatch.objects.get(kind=IdentityKind.SAME_KK)
    bappeda_client.post(reverse("admin:dedup_identitymatch_change", args=[decided.pk]), {"decision": "merge_a", "reason": "satu KK"})

    admin_page = bappeda_client.get(reverse("admin:households_household_change", args=[a.pk])).content.decode()
    assert "Keluarga yang digabung ke sini" in admin_page
    assert "Catatan yang digabung:" in admin_page and "Catatan data:" in admin_page  # each field its own label
    assert reverse("admin:households_household_change", args=[b.pk]) in admin_page
    assert reverse("admin:dedup_identitymatch_change", args=[decided.pk]) in admin_page

    portal = bappeda_client.get(reverse("agencies:household_detail", args=[a.pk])).content.decode()
    assert "Keluarga yang digabung ke sini" in portal
    assert reverse("agencies:household_detail", args=[b.pk]) in portal
    assert reverse("admin:dedup_identitymatch_change", args=[decided.pk]) in portal
    assert b.head_name in portal

    # A record merged away shows no such section.
    assert "Keluarga yang digabung ke sini" not in bappeda_client.get(
        reverse("agencies:household_detail", args=[b.pk])
    ).content.decode()
    assert Household.objects.get(pk=b.pk).merged_into_id == a.pk


def test_the_enrollment_admin_proposes_no_new_aid_for_a_family_marked_absent(programs, bappeda_client, reviewer):
    """As the distribution does: a family marked absent (moved, deceased, not in the newest data)
    gets no new proposal by hand either; aid it already holds stays open to the admin."""
    household = HouseholdFactory(head_name="Wa Ode Sitti")
    held = enrollment_create(household=household, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.ACTIVE).enrollment
    membership.households_mark_absent(households=[household], absent=True, by=reviewer)
    before = Enrollment.objects.count()

    errors = admin_add_refusal(bappeda_client, programs["pkh"], household, status=EnrollmentStatus.PROPOSED)

    assert f"Keluarga #{household.pk} ditandai tidak ada" in errors and "bantuan baru tidak diusulkan" in errors
    assert Enrollment.objects.count() == before
    enrollment_update(enrollment=held, by=reviewer, status_reason="dicek")  # what it holds is still edited


def test_no_path_of_the_admin_gives_new_aid_to_a_family_marked_absent(programs, bappeda_client, reviewer):
    """Reopening a cancelled one or moving a proposal onto the family are new aid too, refused as a
    new proposal is; cancelling what it holds is not, nor recording aid it received (active)."""
    household = HouseholdFactory(head_name="Wa Ode Sitti")
    other = HouseholdFactory(head_name="La Ode Kasim")
    cancelled = enrollment_create(household=household, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.CANCELLED).enrollment
    proposal = enrollment_create(household=other, program=programs["pkh"], year=YEAR).enrollment
    held = enrollment_create(household=household, program=programs["sembako"], year=YEAR, status=EnrollmentStatus.ACTIVE).enrollment
    membership.households_mark_absent(households=[household], absent=True, by=reviewer)

    household.refresh_from_db()  # as a page reads it
    for enrollment, changes in ((cancelled, {"status": EnrollmentStatus.PROPOSED}), (proposal, {"household": household})):
        with pytest.raises(ValidationError) as error:
            enrollment_update(enrollment=Enrollment.objects.get(pk=enrollment.pk), by=reviewer, **changes)
        assert "bantuan baru tidak diusulkan" in " ".join(error.value.messages)
    enrollment_update(enrollment=Enrollment.objects.get(pk=held.pk), by=reviewer, status=EnrollmentStatus.CANCELLED)
    assert Enrollment.objects.get(pk=cancelled.pk).status == EnrollmentStatus.CANCELLED
    assert Enrollment.objects.get(pk=proposal.pk).household_id == other.pk


def test_no_new_person_aid_for_a_member_marked_absent_by_the_admin_or_a_bulk_write(programs, bappeda_client, reviewer):
    """A member marked absent (moved, deceased, not found) is refused new aid of a person program as
    a family marked absent is: a proposal in the admin, a reopened or moved one, a bulk write (the
    distribution's and the lists' path); aid recorded as received (active) and what it holds stay open."""
    household = HouseholdFactory(head_name="La Ode Kasim")
    child, sister = MemberFactory(household=household, name="Wa Ode Anak"), MemberFactory(household=household)
    cancelled = enrollment_create(household=household, member=child, program=programs["pip"], year=YEAR - 1,
                                  status=EnrollmentStatus.CANCELLED).enrollment
    proposal = enrollment_create(household=household, member=sister, program=programs["pip"], year=YEAR).enrollment
    membership.members_mark_absent(members=[child], absent=True, by=reviewer)
    child.refresh_from_db()  # as a page reads it
    before = Enrollment.objects.count()

    response = bappeda_client.post(reverse("admin:programs_enrollment_add"), {
        "program": programs["pip"].pk, "household": household.pk, "member": child.pk, "year": str(YEAR),
        "status": EnrollmentStatus.PROPOSED, "amount": "", "delivered_on": "", "status_reason": "",
    })
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["member"])
    assert f"Anggota #{child.pk} ditandai tidak ada" in errors and "bantuan baru tidak diusulkan" in errors
    for enrollment, changes in ((cancelled, {"status": EnrollmentStatus.PROPOSED}), (proposal, {"member": child})):
        with pytest.raises(ValidationError) as error:
            enrollment_update(enrollment=Enrollment.objects.get(pk=enrollment.pk), by=reviewer, **changes)
        assert f"Anggota #{child.pk} ditandai tidak ada" in " ".join(error.value.messages)

    written = enrollment_bulk_create(enrollments=[
        Enrollment(household=household, member=child, program=programs["pip"], year=YEAR, status=EnrollmentStatus.PROPOSED),
    ], by=reviewer)
    assert [f"Anggota #{child.pk} ditandai tidak ada" in reason for reason in written.refused] == [True]
    assert Enrollment.objects.count() == before

    received = enrollment_create(household=household, member=child, program=programs["pip"], year=YEAR,
                                 status=EnrollmentStatus.ACTIVE, by=reviewer).enrollment
    enrollment_update(enrollment=received, by=reviewer, status=EnrollmentStatus.CANCELLED)
    assert Enrollment.objects.get(pk=received.pk).status == EnrollmentStatus.CANCELLED


def test_the_admin_records_aid_received_by_a_member_marked_absent_with_a_warning(programs, bappeda_client, reviewer):
    """Aid recorded as received (active) is kept for a person marked absent, as lists record it, but
    the admin says the person is marked absent, so that a typo or the wrong child is caught."""
    household = HouseholdFactory(head_name="La Ode Kasim")
    child = MemberFactory(household=household, name="Wa Ode Anak")
    membership.members_mark_absent(members=[child], absent=True, by=reviewer)

    response = bappeda_client.post(reverse("admin:programs_enrollment_add"), {
        "program": programs["pip"].pk, "household": household.pk, "member": child.pk, "year": str(YEAR),
        "status": EnrollmentStatus.ACTIVE, "amount": "450000", "delivered_on": "", "status_reason": "",
    })

    assert response.status_code == 302
    assert f"Anggota #{child.pk} (Wa Ode Anak) ditandai tidak ada di data terbaru: kepesertaan ini dicatat sebagai bantuan " \
           "yang sudah diterimanya. Periksa kebenarannya." in texts(response)
    assert Enrollment.objects.get(member=child).status == EnrollmentStatus.ACTIVE
