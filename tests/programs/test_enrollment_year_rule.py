"""An enrollment is for a year up to next year (Asia/Makassar), on every path that takes the year
from a person: a year further ahead is a typo (2035 for 2025) and is refused with the same message
in the admin, the portal's and the dashboard's distribution forms, the services and the bulk writes
that imports use. Next year stays open: agencies plan it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from programs.distribution import households_distribute
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_bulk_create, enrollment_create, enrollment_update
from tests.factories import EnrollmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def far_year() -> int:
    return timezone.localdate().year + 10


def next_year() -> int:
    return timezone.localdate().year + 1


def refusal(year: int) -> str:
    return (
        f"Tahun {year} terlalu jauh ke depan: kepesertaan paling jauh untuk tahun depan ({next_year()}). "
        "Periksa salah ketik tahun."
    )


def test_admin_refuses_a_year_too_far_ahead_and_writes_nothing(bappeda_client, reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="pkh")
    url = reverse("admin:programs_enrollment_add")
    response = bappeda_client.post(
        url, {"program": program.pk, "household": household.pk, "year": far_year(), "status": "proposed"}
    )
    assert response.status_code == 200
    assert refusal(far_year()) in response.content.decode()
    assert not Enrollment.objects.filter(household=household).exists()

    response = bappeda_client.post(
        url, {"program": program.pk, "household": household.pk, "year": next_year(), "status": "proposed"}, follow=True
    )
    assert response.status_code == 200
    assert Enrollment.objects.get(household=household).year == next_year()


def test_admin_refuses_changing_a_year_to_one_too_far_ahead(bappeda_client, reference):
    enrollment = enrollment_create(household=HouseholdFactory(), program=Program.objects.get(code="pkh"), year=2024).enrollment
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_change", args=[enrollment.pk]),
        {"program": enrollment.program_id, "household": enrollment.household_id, "year": far_year(), "status": "proposed"},
    )
    assert refusal(far_year()) in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.year == 2024


@pytest.mark.bypasses_services  # a row saved before the rule, written as it stood
def test_an_enrollment_saved_before_the_rule_can_still_be_cancelled_and_corrected(bappeda_client, bappeda_user, reference):
    enrollment = Enrollment.objects.create(household=HouseholdFactory(), program=Program.objects.get(code="pkh"), year=far_year())
    enrollment_update(enrollment=enrollment, by=bappeda_user, status=EnrollmentStatus.CANCELLED)
    enrollment_update(enrollment=enrollment, by=bappeda_user, year=2025)
    enrollment.refresh_from_db()
    assert (enrollment.year, enrollment.status) == (2025, EnrollmentStatus.CANCELLED)


def test_the_service_refuses_it_for_every_caller(reference):
    with pytest.raises(ValidationError) as refused:
        enrollment_create(household=HouseholdFactory(), program=Program.objects.get(code="pkh"), year=far_year())
    assert refused.value.message_dict == {"year": [refusal(far_year())]}
    assert not Enrollment.objects.exists()


def test_bulk_writes_refuse_the_row_and_say_why(reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="pkh")
    result = enrollment_bulk_create(enrollments=[
        Enrollment(household=household, program=program, year=far_year()),
        Enrollment(household=household, program=program, year=next_year()),
    ])
    assert [e.year for e in result.created] == [next_year()]
    assert result.refused == [
        f"Program Keluarga Harapan (PKH) {far_year()} untuk keluarga #{household.pk} tidak dicatat: {refusal(far_year())}"
    ]
    assert list(Enrollment.objects.values_list("year", flat=True)) == [next_year()]


def test_portal_distribution_refuses_it(client, reference):
    bappeda = UserFactory(username="bappeda-tahun", role=Role.BAPPEDA_OPERATOR)
    household = HouseholdFactory()
    client.force_login(bappeda)
    response = client.post("/keluarga/distribusi/", {"program": "bsps", "year": str(far_year()), "household": [household.pk]})
    assert response.status_code == 302
    assert ("error", refusal(far_year())) in [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert not Enrollment.objects.exists()
    with pytest.raises(ValidationError) as refused:  # the service itself, whoever calls it
        households_distribute(program=Program.objects.get(code="bsps"), year=far_year(), household_ids=[household.pk], by=bappeda)
    assert refused.value.messages == [refusal(far_year())]
    assert not Enrollment.objects.exists()


def test_dashboard_distribution_refuses_it(client, reference):
    from programs.models import ConditionField, ConditionOperator, RuleCondition, TargetingRule

    program = Program.objects.get(code="bsps")
    rule = TargetingRule.objects.create(program=program, name="Desil 1")
    RuleCondition.objects.create(rule=rule, field=ConditionField.DESIL, operator=ConditionOperator.LTE, value="1")
    HouseholdFactory(desil=1)
    client.force_login(UserFactory(username="bappeda-tahun-dasbor", role=Role.BAPPEDA_OPERATOR))
    response = client.post("/dasbor/distribusi/bsps/", {"year": far_year()})
    assert response.status_code == 200
    assert refusal(far_year()) in response.content.decode()
    assert not Enrollment.objects.exists()


@pytest.mark.bypasses_services
def test_an_existing_far_year_does_not_block_other_edits_in_the_admin(bappeda_client, reference):
    enrollment = EnrollmentFactory(program=Program.objects.get(code="pkh"), year=far_year(), status=EnrollmentStatus.PROPOSED)
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_changelist"),
        {"action": "cancel_selected", "_selected_action": [enrollment.pk]}, follow=True,
    )
    assert response.status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED
