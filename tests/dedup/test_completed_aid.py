"""A completed enrollment is aid the household received in its year: the one-aid rule counts it.

BSPS and RS-Rutilahu for the same house are the classic double aid, and the second one often
arrives after the first was delivered and marked "Selesai": Disperkim's BSPS list with STATUS
SELESAI beside an active Rutilahu, or a Rutilahu completed on the portal before the BSPS list comes.
Either way Bappeda must see the pair, on every path. Cancelled, rejected and suspended enrollments
stay out, as before."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from agencies.models import Role
from dedup.models import Conflict, ConflictStatus
from dedup.services import compatible_pair_create, compatible_pair_withdraw
from households.models import ImportBatch, ImportStatus
from programs.models import Enrollment, EnrollmentStatus
from programs.services import enrollment_bulk_create, enrollment_create
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory
from tests.households.realfiles import write_text

from .conftest import texts

pytestmark = pytest.mark.django_db

YEAR = 2024


def house():
    """A family whose head is in the registry with a NIK and a No KK, as agency lists name them."""
    household = HouseholdFactory()
    MemberFactory(household=household, nik=household.head_nik, relation="kepala", name=household.head_name)
    return household


def enroll(household, program, *, status=EnrollmentStatus.ACTIVE, year=YEAR):
    return enrollment_create(household=household, program=program, year=year, status=status)


def listed_on_household_page(client, household):
    """The open conflicts the household's admin page links to."""
    html = client.get(reverse("admin:households_household_change", args=[household.pk])).content.decode()
    return {c.pk for c in Conflict.objects.all() if reverse("admin:dedup_conflict_change", args=[c.pk]) in html}


def open_conflicts(household):
    return list(Conflict.objects.filter(household=household, status=ConflictStatus.OPEN))


def portal_client(programs):
    """A client of the portal, logged in as an operator of the agency that runs RS-Rutilahu."""
    client = Client()
    client.force_login(UserFactory(username="operator-rutilahu", role=Role.AGENCY_OPERATOR, agency=programs["rutilahu"].agency))
    return client


def upload_list(client, path, program):
    """Upload a recipient list for ``program`` in the admin and confirm it; the batch afterwards."""
    with open(path, "rb") as handle:
        client.post(reverse("admin:households_importbatch_upload"),
                    {"kind": "recipients", "file": handle, "program": program.pk, "data_year": YEAR})
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.PREVIEWED, (batch.status, batch.message, batch.errors)
    client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.status, batch.message, batch.errors)
    return batch


def perkim_list(tmp_path, households, *, status=None):
    """Disperkim's BSPS list as they save it from Excel: ``;``-separated, ids behind an apostrophe."""
    headers = ["NO", "NIK", "NO KK", "NAMA", "TAHUN", "NILAI BANTUAN"] + (["STATUS"] if status else [])
    rows = [[number, "'" + h.head_nik, "'" + h.no_kk, h.head_name, YEAR, "Rp 20.000.000"] + ([status] if status else [])
            for number, h in enumerate(households, start=1)]
    return write_text(tmp_path / "bsps_2024.csv", headers, rows, separator=";")


def test_a_list_of_houses_finished_beside_an_active_rutilahu_flags_the_double_aid(programs, bappeda_client, tmp_path):
    household, quiet = house(), house()
    enroll(household, programs["rutilahu"])

    batch = upload_list(bappeda_client, perkim_list(tmp_path, [household, quiet], status="SELESAI"), programs["bsps"])

    assert "Kepesertaan: 2 baru, 0 sudah ada; 1 konflik satu bantuan." in batch.message
    bsps = Enrollment.objects.get(household=household, program=programs["bsps"])
    assert bsps.status == EnrollmentStatus.COMPLETED
    [conflict] = open_conflicts(household)
    assert {conflict.enrollment_a.program.code, conflict.enrollment_b.program.code} == {"bsps", "rutilahu"}
    assert listed_on_household_page(bappeda_client, household) == {conflict.pk}
    assert open_conflicts(quiet) == []


def test_a_rutilahu_completed_on_the_portal_still_conflicts_with_a_bsps_list_that_comes_after(
    programs, bappeda_client, tmp_path,
):
    household, control = house(), house()
    done = enroll(household, programs["rutilahu"]).enrollment
    enroll(control, programs["rutilahu"])
    portal_client(programs).post(reverse("agencies:enrollment_complete", args=[done.pk]), follow=True)
    done.refresh_from_db()
    assert done.status == EnrollmentStatus.COMPLETED

    batch = upload_list(bappeda_client, perkim_list(tmp_path, [household, control]), programs["bsps"])

    assert "Kepesertaan: 2 baru, 0 sudah ada; 2 konflik satu bantuan." in batch.message
    for family in (household, control):
        [conflict] = open_conflicts(family)
        assert listed_on_household_page(bappeda_client, family) == {conflict.pk}
    [conflict] = open_conflicts(household)
    assert done.pk in (conflict.enrollment_a_id, conflict.enrollment_b_id)


def test_completing_an_enrollment_on_the_portal_keeps_its_conflict_open(programs):
    household = house()
    rutilahu = enroll(household, programs["rutilahu"]).enrollment
    [conflict] = enroll(household, programs["bsps"], status=EnrollmentStatus.PROPOSED).conflicts
    client = portal_client(programs)

    client.post(reverse("agencies:enrollment_complete", args=[rutilahu.pk]), follow=True)

    rutilahu.refresh_from_db()
    conflict.refresh_from_db()
    assert rutilahu.status == EnrollmentStatus.COMPLETED
    assert conflict.status == ConflictStatus.OPEN
    page = client.get(reverse("agencies:household_detail", args=[household.pk])).content.decode()
    assert "Konflik satu bantuan terbuka" in page and f"Konflik #{conflict.pk}:" in page


def test_a_second_aid_saved_in_the_admin_beside_a_completed_one_is_flagged(programs, bappeda_client):
    household = house()
    enroll(household, programs["bsps"], status=EnrollmentStatus.COMPLETED)

    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": programs["rutilahu"].pk, "household": household.pk, "member": "", "year": str(YEAR),
         "status": EnrollmentStatus.PROPOSED, "amount": "", "delivered_on": "", "status_reason": ""},
        follow=True,
    )

    [conflict] = open_conflicts(household)
    assert f"Keluarga ini sudah menerima {programs['bsps'].name} {YEAR}: konflik #{conflict.pk} dibuat" in texts(response)
    assert listed_on_household_page(bappeda_client, household) == {conflict.pk}


def test_a_completed_aid_saved_beside_a_live_one_is_flagged_by_a_single_save_and_in_bulk(programs):
    single, bulk, quiet = house(), house(), house()
    enroll(single, programs["rutilahu"])
    enroll(bulk, programs["rutilahu"], status=EnrollmentStatus.PROPOSED)

    saved = enroll(single, programs["bsps"], status=EnrollmentStatus.COMPLETED)
    result = enrollment_bulk_create(enrollments=[
        Enrollment(household=h, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.COMPLETED) for h in (bulk, quiet)
    ])

    assert [c.household for c in saved.conflicts] == [single]
    assert [c.household for c in result.conflicts] == [bulk]


def test_two_completed_aids_of_one_year_conflict(programs):
    household = house()
    enroll(household, programs["rutilahu"], status=EnrollmentStatus.COMPLETED)

    assert len(enroll(household, programs["bsps"], status=EnrollmentStatus.COMPLETED).conflicts) == 1


def test_the_same_person_through_two_family_cards_counts_a_completed_aid(programs):
    first, second = house(), house()
    MemberFactory(household=second, nik=first.head_nik, relation="anak")
    enroll(first, programs["pkh"], status=EnrollmentStatus.COMPLETED)

    [conflict] = enroll(second, programs["pkh"]).conflicts

    assert conflict.rule == "same_person"


@pytest.mark.parametrize("status", [EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED, EnrollmentStatus.SUSPENDED])
def test_an_aid_that_was_not_received_does_not_conflict_with_a_completed_one(programs, status):
    household = house()
    enroll(household, programs["rutilahu"], status=EnrollmentStatus.COMPLETED)

    assert enroll(household, programs["bsps"], status=status).conflicts == []
    assert not Conflict.objects.exists()


def test_a_completed_aid_of_another_year_does_not_conflict(programs):
    household = house()
    enroll(household, programs["rutilahu"], status=EnrollmentStatus.COMPLETED, year=YEAR - 1)

    assert enroll(household, programs["bsps"]).conflicts == []


def test_a_compatible_pair_allows_a_completed_aid_until_it_is_withdrawn(programs, reviewer):
    household = house()
    pair = compatible_pair_create(program_a=programs["pkh"], program_b=programs["sembako"], reason="Paket nasional", by=reviewer)
    enroll(household, programs["pkh"], status=EnrollmentStatus.COMPLETED)
    enroll(household, programs["sembako"], status=EnrollmentStatus.COMPLETED)
    assert open_conflicts(household) == []

    compatible_pair_withdraw(pair=pair, by=reviewer)

    assert len(open_conflicts(household)) == 1


def test_the_full_scan_finds_a_completed_double_aid_written_past_the_services(programs):
    household = house()
    EnrollmentFactory(household=household, program=programs["rutilahu"], year=YEAR, status=EnrollmentStatus.COMPLETED)
    EnrollmentFactory(household=household, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    EnrollmentFactory(household=household, program=programs["spam"], year=YEAR, status=EnrollmentStatus.SUSPENDED)

    out = StringIO()
    call_command("dedup_scan", "--json", stdout=out)

    assert json.loads(out.getvalue())["conflicts"]["new"] == 1
    [conflict] = open_conflicts(household)
    assert {conflict.enrollment_a.program.code, conflict.enrollment_b.program.code} == {"bsps", "rutilahu"}


def test_a_large_list_counts_the_completed_aid_as_a_form_does(programs):
    """More than SMALL_BATCH enrollments take the staged path on PostgreSQL: the same pairs."""
    from dedup import engine

    households = HouseholdFactory.create_batch(engine.SMALL_BATCH + 10)
    enrollment_bulk_create(enrollments=[
        Enrollment(household=h, program=programs["rutilahu"], year=YEAR, status=EnrollmentStatus.COMPLETED) for h in households
    ])

    result = enrollment_bulk_create(enrollments=[
        Enrollment(household=h, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.COMPLETED) for h in households
    ])

    assert len(result.conflicts) == len(households)
    assert engine.scan_all().new == 0
