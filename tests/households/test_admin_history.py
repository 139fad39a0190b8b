"""The household and member forms leave a history row only for what they changed: a form saved as it
was opened, or a household form whose members alone changed, adds no household row that changes
nothing (the history page showed it as "Diubah" with an empty Perubahan cell)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, MemberFactory
from tests.security.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


def test_saving_unchanged_forms_writes_no_history_and_a_member_edit_only_the_members(bappeda_client):
    household = HouseholdFactory()
    member = MemberFactory(household=household)
    url = reverse("admin:households_household_change", args=[household.pk])
    rows = household.history.count(), member.history.count()

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url)))
    assert response.status_code == 302
    assert (household.history.count(), member.history.count()) == rows

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), **{"members-0-name": "La Ode Baru"}))
    assert response.status_code == 302
    assert (household.history.count(), member.history.count()) == (rows[0], rows[1] + 1)

    member_url = reverse("admin:households_member_change", args=[member.pk])
    response = bappeda_client.post(member_url, admin_form_data(bappeda_client.get(member_url)))
    assert response.status_code == 302
    assert member.history.count() == rows[1] + 1

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), address="Jl. Poros Wanggudu"))
    assert response.status_code == 302
    assert household.history.count() == rows[0] + 1
    assert household.history.first().address == "Jl. Poros Wanggudu"
