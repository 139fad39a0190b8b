"""The admin's family and member pickers (on the enrollment and member forms) are searched by NIK
or No KK as often as by name: what is typed goes in a POST body, never in an address (web servers
log addresses, browsers keep them in their history), like the admin lists' search
(tests/security/test_admin_search_urls.py). The answers are the stock picker's, with its checks."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from agencies.models import Role
from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from tests.factories import HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(reference):
    household = HouseholdFactory(head_name="Wa Ode Sitti")
    member = MemberFactory(household=household, name="La Ode Hamu")
    other = HouseholdFactory(head_name="Andi Baso")
    MemberFactory(household=other, name="Andi Tenri")
    return household, member, other


def field(model_name, field_name, app_label="programs"):
    return {"app_label": app_label, "model_name": model_name, "field_name": field_name}


def picked(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["text"] for row in response.json()["results"]]


# (the form, its field, what is typed, the name offered)
PICKERS = {
    "enrollment-family-by-nik": (field("enrollment", "household"), lambda h, m: h.head_nik, "Wa Ode Sitti"),
    "enrollment-family-by-kk": (field("enrollment", "household"), lambda h, m: h.no_kk, "Wa Ode Sitti"),
    "enrollment-member-by-nik": (field("enrollment", "member"), lambda h, m: m.nik, "La Ode Hamu"),
    "member-family-by-kk": (field("member", "household", "households"), lambda h, m: h.no_kk, "Wa Ode Sitti"),
}


@pytest.mark.parametrize("case", list(PICKERS))
def test_a_number_typed_in_a_picker_is_posted_and_finds_its_family(bappeda_client, families, case, caplog):
    asked, typed, name = PICKERS[case]
    household, member, _other = families
    number = typed(household, member)
    caplog.set_level(logging.DEBUG)
    answer = bappeda_client.post(reverse("admin:autocomplete"), {**asked, "term": number})
    assert picked(answer) == [name]
    assert number not in answer.content.decode() and not answer.get("Location")
    assert not [record for record in caplog.records if number in record.getMessage()]


def test_the_pickers_of_the_enrollment_and_member_forms_post(bappeda_client, families):
    for url in (reverse("admin:programs_enrollment_add"), reverse("admin:households_member_add")):
        page = bappeda_client.get(url).content.decode()
        pickers = re.findall(r"<select[^>]*admin-autocomplete[^>]*>", page)
        family = [tag for tag in pickers if 'data-field-name="household"' in tag]
        assert family and all('data-ajax--type="POST"' in tag for tag in family), pickers
        assert re.search(r'<script src="[^"]*js/autocomplete_post\.js"', page)
    enrollment = bappeda_client.get(reverse("admin:programs_enrollment_add")).content.decode()
    [member] = [unescape(tag) for tag in re.findall(r"<select[^>]*admin-autocomplete[^>]*>", enrollment)
                if 'data-field-name="member"' in tag]
    assert 'data-ajax--type="POST"' in member


def test_a_number_in_a_pickers_address_is_refused_and_a_name_still_found(bappeda_client, families):
    household, _member, _other = families
    url = reverse("admin:autocomplete")
    refused = bappeda_client.get(url, {**field("enrollment", "household"), "term": household.head_nik[:8]})
    assert refused.status_code == 400 and "results" not in refused.json()
    assert "Nomor tidak dikirim lewat alamat halaman" in refused.json()["error"]
    by_name = bappeda_client.get(url, {**field("enrollment", "household"), "term": "Andi"})
    assert picked(by_name) == ["Andi Baso"]


def test_a_picker_answers_only_who_may_view_the_model_it_lists(families, client):
    household, _member, _other = families
    url = reverse("admin:autocomplete")
    asked = {**field("enrollment", "household"), "term": household.head_nik}
    anonymous = client.post(url, asked)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))

    # Staff outside Bappeda's role: only the permissions given to them by hand.
    clerk = UserFactory(username="petugas", role=Role.LEADERSHIP, is_staff=True)
    clerk.user_permissions.set(Permission.objects.filter(codename__in=["view_enrollment", "add_enrollment"]))
    client.force_login(clerk)
    refused = client.post(url, asked)
    assert refused.status_code == 403 and b"Wa Ode Sitti" not in refused.content

    clerk.user_permissions.add(Permission.objects.get(codename="view_household"))
    assert picked(client.post(url, asked)) == ["Wa Ode Sitti"]


def test_a_picker_post_needs_the_pages_csrf_token(families, bappeda_user):
    household, _member, _other = families
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bappeda_user)
    asked = {**field("enrollment", "household"), "term": household.head_nik}
    assert browser.post(reverse("admin:autocomplete"), asked).status_code == 403
    browser.get(reverse("admin:programs_enrollment_add"))
    token = browser.cookies["csrftoken"].value
    assert picked(browser.post(reverse("admin:autocomplete"), asked, HTTP_X_CSRFTOKEN=token)) == ["Wa Ode Sitti"]


def test_every_picker_of_records_searched_by_number_posts(rf, bappeda_user):
    """A form added later with a family or member picker posts too (its admin list searches a NIK
    or No KK: ``SearchKeptOutOfAddressMixin``)."""
    request = rf.get("/")
    request.user = bappeda_user
    getting = []
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.get_autocomplete_fields(request):
            db_field = model._meta.get_field(name)
            if not isinstance(admin.site._registry.get(db_field.remote_field.model), SearchKeptOutOfAddressMixin):
                continue
            widget = model_admin.formfield_for_dbfield(db_field, request).widget
            attrs = getattr(widget, "widget", widget).build_attrs({})
            if attrs.get("data-ajax--type") != "POST":
                getting.append(f"{model._meta.label}.{name}")
    assert getting == []


def test_a_village_picker_still_finds_a_village_by_its_code(bappeda_client, families):
    """A village code names no one: the family form's village picker asks by GET, as Django's does."""
    from households.models import Desa

    village = Desa.objects.order_by("code").first()
    answer = bappeda_client.get(
        reverse("admin:autocomplete"), {**field("household", "desa", "households"), "term": village.code_plain},
    )
    assert village.name in " ".join(picked(answer))
