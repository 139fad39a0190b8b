"""A search by NIK or No KK never puts the number in a URL: web servers log URLs and browsers send
them on as Referer. The list's filter form posts; the server keeps a searched number in the
session and the list's address, its print and export links, its pages and each row's way back
carry a short token (``cari``) instead. A name search stays readable in the address."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest

from agencies.models import ExportLog
from households.identifiers import mask
from programs.models import Enrollment
from tests.agencies.helpers import listed_ids

pytestmark = pytest.mark.django_db

LINK = re.compile(r'(?:href|action|src)="([^"]*)"')


def _search(client, text: str, **filters):
    """The filter form as the browser sends it: the search box and the other filters, posted."""
    return client.post("/keluarga/", {"q": text, "desil": "", "sort": "desa", **filters}, follow=True)


def _addresses(response) -> list[str]:
    """Every address the answer sent the browser to (redirects) or offers (links, forms' actions),
    and the hidden filters the distribution form sends back, URL-decoded."""
    found = [url for url, _status in getattr(response, "redirect_chain", [])]
    if response.get("Location"):
        found.append(response["Location"])
    if response.get("Content-Type", "").startswith("text/html"):
        page = response.content.decode()
        found += LINK.findall(page)
        found += re.findall(r'name="filters"[^>]*value="([^"]*)"', page)
    return [unquote(unescape(url)) for url in found]


def _link(response, pattern: str) -> str:
    return unescape(re.search(pattern, response.content.decode()).group(1))


def _carries_no(number: str, response) -> None:
    leaked = [url for url in _addresses(response) if number in url]
    assert leaked == [], leaked


@pytest.mark.parametrize("role", ["operator", "head", "bappeda", "leader"])
@pytest.mark.parametrize("field", ["head_nik", "no_kk"])
def test_a_searched_number_is_in_no_address_the_list_and_its_links_give(registry, login, role, field):
    household = registry.hh.a
    number = getattr(household, field)
    client = login(getattr(registry.users, role))
    assert 'method="post" class="filters card"' in client.get("/keluarga/").content.decode()

    listed = _search(client, number, desil="1")
    assert listed_ids(listed) == [household.pk]
    assert listed.redirect_chain and "cari=" in listed.redirect_chain[-1][0] and "desil=1" in listed.redirect_chain[-1][0]
    _carries_no(number, listed)
    assert f'value="{number}"' in listed.content.decode()  # the box shows what was typed

    printed = client.get(_link(listed, r'href="(/keluarga/cetak/[^"]*)"'))
    assert printed.status_code == 200 and printed.context["total"] == 1
    _carries_no(number, printed)
    before = ExportLog.objects.count()
    exported = client.get(_link(listed, r'href="(/keluarga/ekspor/[^"]*)"'))
    assert exported.status_code == 200
    b"".join(exported.streaming_content)
    log = ExportLog.objects.order_by("-pk").first()
    assert ExportLog.objects.count() == before + 1 and log.row_count == 1 and log.filters["q"] == mask(number)

    detail = client.get(_link(listed, r'href="(/keluarga/\d+/\?kembali=[^"]*)"'))
    assert detail.status_code == 200
    _carries_no(number, detail)
    back = client.get(detail.context["back_url"])
    assert listed_ids(back) == [household.pk]
    _carries_no(number, back)


def test_a_name_search_stays_readable_in_the_address(registry, login):
    household = registry.hh.a
    client = login(registry.users.operator)
    listed = _search(client, household.head_name)
    assert household.pk in listed_ids(listed)
    assert listed.redirect_chain[-1][0].startswith("/keluarga/?") and "q=" in listed.redirect_chain[-1][0]
    assert "cari=" not in listed.redirect_chain[-1][0]


def test_a_number_given_in_an_address_is_moved_out_of_it(registry, login):
    """An old bookmark or a typed address still works, but is answered with the token's address."""
    number = registry.hh.a.head_nik
    client = login(registry.users.operator)
    for page in ("/keluarga/", "/keluarga/cetak/", "/keluarga/ekspor/"):
        response = client.get(page, {"q": number, "desil": "1"})
        assert response.status_code == 302 and number not in response["Location"], page
        assert response["Location"].startswith(page + "?") and "cari=" in response["Location"]
    assert listed_ids(client.get("/keluarga/", {"q": number}, follow=True)) == [registry.hh.a.pk]


def test_an_unknown_token_exports_nothing_and_says_so(registry, login):
    client = login(registry.users.operator)
    before = ExportLog.objects.count()
    for page in ("/keluarga/ekspor/", "/keluarga/cetak/", "/keluarga/"):
        response = client.get(page, {"cari": "tidakada", "desil": "1"}, follow=True)
        assert response.redirect_chain[-1][0] == "/keluarga/?desil=1", page
        assert "Pencarian ini tidak tersimpan lagi" in response.content.decode()
    assert ExportLog.objects.count() == before
    # Another user's token is not theirs either.
    other = login(registry.users.head)
    token = re.search(r"cari=([^&]+)", _search(other, registry.hh.a.head_nik).redirect_chain[-1][0]).group(1)
    client = login(registry.users.operator)
    response = client.get("/keluarga/ekspor/", {"cari": token}, follow=True)
    assert "Pencarian ini tidak tersimpan lagi" in response.content.decode() and ExportLog.objects.count() == before


def test_the_search_limit_still_counts_and_its_redirect_carries_no_number(registry, login, settings):
    settings.IDENTIFIER_SEARCH_LIMIT = 1
    household = registry.hh.a
    client = login(registry.users.operator)
    assert listed_ids(_search(client, f"{household.head_nik[:6]}9999990001")) == []
    refused = _search(client, household.head_nik)
    assert listed_ids(refused) == [] and 'id="search-notice"' in refused.content.decode()
    _carries_no(household.head_nik, refused)
    for link in (r'href="(/keluarga/cetak/[^"]*)"', r'href="(/keluarga/ekspor/[^"]*)"'):
        response = client.get(_link(refused, link))
        assert response.status_code == 302 and household.head_nik not in response["Location"]
        assert "cari=" in response["Location"]


def test_distributing_every_household_a_number_search_found(registry, login):
    client = login(registry.users.bappeda)
    household = registry.hh.e  # no aid yet
    listed = _search(client, household.head_nik)
    assert listed_ids(listed) == [household.pk]
    filters = re.search(r'name="filters"[^>]*value="([^"]*)"', listed.content.decode()).group(1)
    assert "cari=" in unescape(filters)
    response = client.post("/keluarga/distribusi/", {
        "program": "pkh", "year": "2025", "everything": "on", "filters": unescape(filters),
    }, follow=True)
    _carries_no(household.head_nik, response)
    assert list(Enrollment.objects.filter(program__code="pkh", year=2025).values_list("household_id", flat=True)) == [
        household.pk]
