"""The admin's search by NIK or No KK keeps the number out of addresses, like the portal's list
(tests/agencies/test_search_urls.py): web servers log addresses and browsers send them on as
Referer. The search box posts; the list comes back at ``?cari=<token>`` and every link of the page
(pages, sorting, filters, the export link, each row's ``_changelist_filters``) carries the token.
The list and its export find the rows the number finds; a name search stays readable in ``q``."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse

from agencies.models import ExportLog
from households.identifiers import mask
from programs.models import Enrollment, Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r'(?:href|action|src)="([^"]*)"')


def _addresses(response) -> list[str]:
    """Every address the answer sent the browser to (redirects, Location) or offers (links, forms'
    actions), URL-decoded."""
    found = [url for url, _status in getattr(response, "redirect_chain", [])]
    if response.get("Location"):
        found.append(response["Location"])
    if response.get("Content-Type", "").startswith("text/html"):
        found += LINK.findall(response.content.decode())
    return [unquote(unescape(url)) for url in found]


def _carries_no(number: str, response) -> None:
    leaked = [url for url in _addresses(response) if number in url]
    assert leaked == [], leaked


def _listed(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


@pytest.fixture
def found(reference):
    """A family with a member and an aid, and another family beside it."""
    household = HouseholdFactory(head_name="Wa Ode Sitti")
    member = MemberFactory(household=household, name="La Ode Hamu")
    other = HouseholdFactory(head_name="Andi Baso")
    MemberFactory(household=other)
    pkh = Program.objects.get(code="pkh")
    enrollment = enrollment_create(household=household, program=pkh, year=2024, status="active").enrollment
    enrollment_create(household=other, program=pkh, year=2024, status="active")
    return household, member, enrollment


# (changelist, what is typed, the row it finds)
CASES = {
    "household-nik": ("households_household", lambda h, m, e: h.head_nik, lambda h, m, e: h.pk),
    "household-kk": ("households_household", lambda h, m, e: h.no_kk, lambda h, m, e: h.pk),
    "member-nik": ("households_member", lambda h, m, e: m.nik, lambda h, m, e: m.pk),
    "enrollment-kk": ("programs_enrollment", lambda h, m, e: h.no_kk, lambda h, m, e: e.pk),
    "enrollment-nik": ("programs_enrollment", lambda h, m, e: h.head_nik, lambda h, m, e: e.pk),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_number_searched_in_the_admin_is_in_no_address_and_finds_its_row(bappeda_client, found, case):
    changelist, typed, row = CASES[case]
    number, expected = typed(*found), row(*found)
    url = reverse(f"admin:{changelist}_changelist")
    assert 'id="changelist-search" method="post"' in bappeda_client.get(url).content.decode()

    listed = bappeda_client.post(url, {"q": number}, follow=True)
    assert listed.status_code == 200
    assert listed.redirect_chain and "cari=" in listed.redirect_chain[-1][0]
    assert _listed(listed) == {expected}
    _carries_no(number, listed)
    assert f'value="{number}"' in listed.content.decode()  # the box shows what was typed

    # Sorting and the rows' way back keep the search, by its token.
    address = listed.redirect_chain[-1][0]
    sorted_ = bappeda_client.get(address + "&o=-1")
    assert sorted_.status_code == 200 and _listed(sorted_) == {expected}
    _carries_no(number, sorted_)
    change = unescape(re.search(r'href="([^"]*/%d/change/\?_changelist_filters=[^"]*)"' % expected, listed.content.decode()).group(1))
    assert "cari" in unquote(change)
    assert bappeda_client.get(change).status_code == 200


def test_a_number_in_an_admin_address_moves_into_the_session(bappeda_client, found):
    household, _member, _enrollment = found
    url = reverse("admin:households_household_changelist")
    moved = bappeda_client.get(url, {"q": household.no_kk, "desil__exact": household.desil or ""})
    assert moved.status_code == 302 and "cari=" in moved["Location"] and household.no_kk not in moved["Location"]
    assert _listed(bappeda_client.get(moved["Location"])) == {household.pk}


def test_a_new_search_replaces_the_old_and_keeps_the_filters(bappeda_client, found):
    household, _member, _enrollment = found
    url = reverse("admin:households_household_changelist")
    first = bappeda_client.post(url, {"q": household.no_kk}, follow=True)
    token = re.search(r"cari=([^&]+)", first.redirect_chain[-1][0]).group(1)
    # The box posts the list's other parameters as hidden fields, the old token among them.
    by_name = bappeda_client.post(url, {"q": "Andi Baso", "cari": token, "is_absent__exact": "0"}, follow=True)
    address = by_name.redirect_chain[-1][0]
    assert "cari=" not in address and "q=Andi+Baso" in address and "is_absent__exact=0" in address
    assert [h.head_name for h in by_name.context["cl"].result_list] == ["Andi Baso"]
    cleared = bappeda_client.post(url, {"q": "", "cari": token}, follow=True)
    assert "cari=" not in cleared.redirect_chain[-1][0] and len(_listed(cleared)) == 2


def test_a_token_this_session_does_not_know_lists_nothing_and_says_why(bappeda_client, found):
    url = reverse("admin:programs_enrollment_changelist")
    answer = bappeda_client.get(url, {"cari": "tidakada"}, follow=True)
    assert "cari=" not in answer.redirect_chain[-1][0]
    assert "Pencarian ini tidak tersimpan lagi" in answer.content.decode()
    before = ExportLog.objects.count()
    export = bappeda_client.post(reverse("admin:programs_enrollment_export") + "?cari=tidakada", {"format": "0", "resource": "0"})
    assert export.status_code == 302 and ExportLog.objects.count() == before  # no file of every enrollment


def test_the_export_of_a_number_searched_exports_its_rows(bappeda_client, found):
    household, _member, enrollment = found
    listed = bappeda_client.post(reverse("admin:programs_enrollment_changelist"), {"q": household.head_nik}, follow=True)
    export_link = unescape(re.search(r'href="([^"]*/programs/enrollment/export/[^"]*)"', listed.content.decode()).group(1))
    assert "cari=" in export_link
    page = bappeda_client.get(export_link)
    assert page.status_code == 200
    _carries_no(household.head_nik, page)
    form = page.context["form"]
    fmt = next(value for value, label in form.fields["format"].choices if label.lower() == "xlsx")
    offered = {name: "on" for name in form.fields if name.startswith("enrollmentresource_")}
    exported = bappeda_client.post(export_link, {"format": fmt, "resource": "0", **offered})
    assert exported.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and Enrollment.objects.count() == 2
    assert enrollment.pk in rows[1] and household.head_nik in rows[1]
    log = ExportLog.objects.order_by("-pk").first()
    assert log.row_count == 1 and log.filters["q"] == mask(household.head_nik) and "cari" not in log.filters


@pytest.mark.parametrize("changelist", ["dedup_conflict", "dedup_identitymatch", "verval_vervalcase"])
def test_the_other_lists_that_search_a_no_kk_keep_it_out_of_addresses(bappeda_client, found, changelist):
    household, _member, _enrollment = found
    url = reverse(f"admin:{changelist}_changelist")
    assert 'id="changelist-search" method="post"' in bappeda_client.get(url).content.decode()
    listed = bappeda_client.post(url, {"q": household.no_kk}, follow=True)
    assert listed.status_code == 200 and "cari=" in listed.redirect_chain[-1][0]
    assert listed.context["cl"].query == household.no_kk
    _carries_no(household.no_kk, listed)
