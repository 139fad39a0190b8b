"""The database's check constraints, as a user meets them in a form: a sentence saying what is
allowed, in the page's language, never the constraint's name."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import CheckConstraint
from django.urls import reverse
from django.utils import translation

from households.models import Household
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory
from tests.security.admin_forms import admin_form_data

PRODUCT_APPS = {"agencies", "dedup", "households", "programs", "verval"}


def check_constraints():
    for model in apps.get_models():
        if model._meta.app_label in PRODUCT_APPS:
            for constraint in model._meta.constraints:
                if isinstance(constraint, CheckConstraint):
                    yield model, constraint


def test_every_check_constraint_says_what_is_allowed_in_both_languages():
    found = list(check_constraints())
    assert len(found) >= 8
    for model, constraint in found:
        label = f"{model._meta.label}.{constraint.name}"
        assert constraint.violation_error_message != CheckConstraint.default_violation_error_message, label
        with translation.override("id"):
            indonesian = str(constraint.get_violation_error_message())
        with translation.override("en"):
            english = str(constraint.get_violation_error_message())
        assert constraint.name not in indonesian and indonesian.endswith("."), label
        assert english != indonesian, f"{label} has no English translation"


@pytest.mark.django_db
@pytest.mark.parametrize("field, value, message", [
    ("desil", "11", "Desil harus 1 sampai 10."),
    ("desil", "0", "Desil harus 1 sampai 10."),
    ("persentil", "150", "Persentil harus 0 sampai 100."),
])
def test_household_admin_says_what_is_allowed(bappeda_client, reference, field, value, message):
    household = HouseholdFactory(desil=3)
    url = reverse("admin:households_household_change", args=[household.pk])
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), **{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "households_household_" not in page
    stored = Household.objects.get(pk=household.pk)
    assert (stored.desil, stored.persentil) == (3, household.persentil)


@pytest.mark.django_db
def test_enrollment_admin_says_which_years_are_allowed(bappeda_client, reference):
    household = HouseholdFactory()
    program = Program.objects.get(code="pkh")
    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": program.pk, "household": household.pk, "year": 1900, "status": "proposed", "status_reason": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tahun kepesertaan harus antara 2000 dan 2100." in page
    assert "programs_enrollment_year_range" not in page
    assert not Enrollment.objects.filter(household=household).exists()
