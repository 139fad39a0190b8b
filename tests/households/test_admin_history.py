"""The household and member forms leave a history row only for what they changed: a form saved as it
was opened, or a household form whose members alone changed, adds no household row that changes
nothing (the history page showed it as "Diubah" with an empty Perubahan cell)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from households.models import Household

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


def test_an_rt_typed_without_its_zeros_is_no_change(bappeda_client):
    """RT 1 is RT 001 as the import stores it: saved so, nothing is logged as changed; RW 5 is a change."""
    household = HouseholdFactory(rt="001", rw="004")
    url = reverse("admin:households_household_change", args=[household.pk])
    rows = household.history.count()

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), rt="1", rw="RW 04"))
    assert response.status_code == 302
    assert household.history.count() == rows
    assert LogEntry.objects.filter(object_id=str(household.pk)).latest("pk").get_change_message() == "Tidak ada bidang yang berubah."
    page = bappeda_client.get(reverse("admin:households_household_history", args=[household.pk])).content.decode()
    assert "RT" not in re.sub(r"<[^>]+>", " ", page.split('id="change-history"', 1)[-1])

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), rt="01", rw="5"))
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.rt, household.rw, household.history.count()) == ("001", "005", rows + 1)
    assert LogEntry.objects.filter(object_id=str(household.pk)).latest("pk").get_change_message() == "RW berubah."


def readonly_cell(page: str, name: str) -> str:
    """The text of field ``name``'s box on an admin change page (its label and its value)."""
    box = re.search(rf'fieldBox field-{name}">(.*?)</div>\s*</div>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", box).split())


def test_the_household_page_shows_the_desil_source_and_date_beside_the_desil(bappeda_client):
    household = HouseholdFactory(desil=3, desil_source="dtsen", desil_date=datetime.date(2025, 7, 1))
    url = reverse("admin:households_household_change", args=[household.pk])
    page = bappeda_client.get(url).content.decode()
    assert readonly_cell(page, "desil_source") == "Sumber desil: DTSEN"
    assert readonly_cell(page, "desil_date") == "Tanggal desil: 01/07/2025"
    assert page.index("field-desil") < page.index("field-desil_source") < page.index("field-desil_date") < page.index("field-persentil")

    bappeda_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    english = bappeda_client.get(url).content.decode()
    assert readonly_cell(english, "desil_date") == "Decile date: 01/07/2025"
    assert readonly_cell(english, "desil_source") == "Decile source: DTSEN"


def test_a_desil_typed_by_hand_is_the_operators_dated_today(bappeda_client):
    """A desil changed on the form no longer passes for the central data's: its source becomes the
    operator's (Input manual) and its date today (Asia/Makassar), on the page, the stored record and
    its history. A save that leaves the desil as it was leaves its source and date as they were."""
    household = HouseholdFactory(desil=3, desil_source="dtsen", desil_date=datetime.date(2025, 7, 1))
    url = reverse("admin:households_household_change", args=[household.pk])

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), address="Jl. Poros Asera", desil="3"))
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.address, household.desil, household.desil_source, household.desil_date) == (
        "Jl. Poros Asera", 3, "dtsen", datetime.date(2025, 7, 1)
    )

    rows = household.history.count()
    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), desil="2"))
    assert response.status_code == 302
    household.refresh_from_db()
    today = timezone.localdate()
    assert (household.desil, household.desil_source, household.desil_date) == (2, "manual", today)
    assert household.history.count() == rows + 1
    latest = household.history.first()
    assert (latest.desil, latest.desil_source, latest.desil_date) == (2, "manual", today)

    page = bappeda_client.get(url).content.decode()
    assert readonly_cell(page, "desil_source") == "Sumber desil: Input manual"
    assert readonly_cell(page, "desil_date") == f"Tanggal desil: {today:%d/%m/%Y}"
    history = bappeda_client.get(reverse("admin:households_household_history", args=[household.pk])).content.decode()
    changes = " ".join(re.sub(r"<[^>]+>", " ", history.split('id="change-history"', 1)[-1]).split())
    assert "DTSEN" in changes and "Input manual" in changes and "01/07/2025" in changes


def test_a_desil_typed_on_a_new_household_is_the_operators(bappeda_client):
    desa = HouseholdFactory().desa
    url = reverse("admin:households_household_add")
    data = admin_form_data(bappeda_client.get(url), head_name="Wa Ode Sitti", desa=str(desa.pk), desil="4")
    response = bappeda_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    household = Household.objects.get(head_name="Wa Ode Sitti")
    assert (household.desil, household.desil_source, household.desil_date) == (4, "manual", timezone.localdate())
