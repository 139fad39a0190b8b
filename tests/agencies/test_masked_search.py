"""Roles that see NIKs and No KKs masked (agency operators, leadership) cannot recover the masked
digits by searching: a number matches a NIK or No KK only when all 16 digits are given."""

import io

import pytest
from openpyxl import load_workbook

from tests.agencies.helpers import listed_ids

pytestmark = pytest.mark.django_db


def _found(client, query: str) -> set[int]:
    return set(listed_ids(client.get("/keluarga/", {"q": query}, follow=True)))


def _head(client, page: str, number: str):
    """A HEAD request for ``page`` searching ``number``, sent on (as HEAD) to the address the number
    is moved out of."""
    moved = client.head(page, {"q": number})
    assert moved.status_code == 302 and number not in moved["Location"]
    return client.head(moved["Location"])


def _next_digit(client, known: str) -> str | None:
    """The attack: the digit that, appended to what is known, still finds a household."""
    for digit in "0123456789":
        if _found(client, known + digit):
            return known + digit
    return None


@pytest.mark.parametrize("role, field", [("operator", "head_nik"), ("leader", "no_kk"), ("leader", "head_nik")])
def test_a_masked_role_cannot_recover_digits_by_prefix_search(registry, login, role, field):
    household = registry.hh.a
    value = getattr(household, field)
    client = login(getattr(registry.users, role))
    # The mask shows the first four digits; no longer prefix finds anything, digit by digit or not.
    assert _next_digit(client, value[:4]) is None
    for length in (5, 8, 12, 15):
        assert _found(client, value[:length]) == set(), length
        assert _found(client, " ".join([value[:4], value[4:length]])) == set(), length
    assert _found(client, value) == {household.pk}


def test_a_masked_role_searching_a_short_number_is_told_why(registry, login):
    client = login(registry.users.operator)
    html = client.get("/keluarga/", {"q": registry.hh.a.head_nik[:8]}, follow=True).content.decode()
    assert 'id="search-notice"' in html and "ke-16 angkanya" in html
    assert 'id="search-notice"' not in client.get("/keluarga/", {"q": registry.hh.a.head_nik}, follow=True).content.decode()
    # The P3KE family ID is not masked: it is still found by its own number.
    assert _found(client, registry.hh.a.p3ke_id) == {registry.hh.a.pk}


def test_roles_that_see_full_niks_keep_prefix_search(registry, login):
    client = login(registry.users.head)
    nik = registry.hh.a.head_nik
    assert registry.hh.a.pk in _found(client, nik[:8])
    assert _next_digit(client, nik[:4]) == nik[:5]
    assert 'id="search-notice"' not in client.get("/keluarga/", {"q": nik[:8]}, follow=True).content.decode()


def test_export_and_print_apply_the_same_rule(registry, login):
    client = login(registry.users.operator)
    prefix = registry.hh.a.head_nik[:10]
    workbook = load_workbook(io.BytesIO(client.get("/keluarga/ekspor/", {"q": prefix}, follow=True).getvalue()), read_only=True)
    assert len(list(workbook.active.iter_rows(values_only=True))) == 1  # the header only
    printed = client.get("/keluarga/cetak/", {"q": prefix}, follow=True)
    assert printed.context["total"] == 0
    full = client.get("/keluarga/cetak/", {"q": registry.hh.a.head_nik}, follow=True)
    assert full.context["total"] == 1


def _other_numbers(count: int, base: str) -> list[str]:
    """Full 16-digit numbers of the same region as ``base`` that no one in the registry holds,
    tried one after another the way a serial would be."""
    return [f"{base[:6]}999999{step:04d}" for step in range(1, count + 1)]


def test_a_masked_role_may_search_only_so_many_full_numbers_an_hour(registry, login, settings):
    settings.IDENTIFIER_SEARCH_LIMIT = 3
    household = registry.hh.a
    client = login(registry.users.operator)
    for number in _other_numbers(2, household.head_nik):
        assert _found(client, number) == set()
    assert _found(client, household.head_nik) == {household.pk}  # the third distinct number
    # The same numbers again (the list's pages, its export) are still allowed ...
    assert _found(client, household.head_nik) == {household.pk}
    workbook = load_workbook(
        io.BytesIO(client.get("/keluarga/ekspor/", {"q": household.head_nik}, follow=True).getvalue()), read_only=True
    )
    assert len(list(workbook.active.iter_rows(values_only=True))) == 2
    # ... a fourth distinct number is refused, found or not, and the operator is told until when.
    response = client.get("/keluarga/", {"q": household.no_kk}, follow=True)
    html = response.content.decode()
    assert set(listed_ids(response)) == set()
    assert 'id="search-notice"' in html and "Batas pencarian NIK/No KK tercapai" in html
    assert "paling banyak 3 nomor berbeda dalam 60 menit" in html
    # Names and the P3KE family ID are not limited.
    assert _found(client, household.p3ke_id) == {household.pk}
    # The digests kept are not the numbers.
    from agencies.models import IdentifierSearch

    kept = set(IdentifierSearch.objects.values_list("digest", flat=True))
    assert len(kept) == 3 and household.head_nik not in kept


def test_the_limit_frees_a_number_as_the_hour_passes(registry, login, settings):
    import datetime

    from agencies.models import IdentifierSearch

    settings.IDENTIFIER_SEARCH_LIMIT = 2
    household = registry.hh.a
    client = login(registry.users.leader)
    for number in _other_numbers(2, household.head_nik):
        _found(client, number)
    assert _found(client, household.head_nik) == set()
    oldest = IdentifierSearch.objects.order_by("searched_at").first()
    oldest.searched_at -= datetime.timedelta(minutes=61)
    oldest.save()
    assert _found(client, household.head_nik) == {household.pk}
    assert IdentifierSearch.objects.count() == 2  # the expired one is gone


def test_roles_that_see_full_niks_are_not_limited(registry, login, settings):
    settings.IDENTIFIER_SEARCH_LIMIT = 1
    household = registry.hh.a
    client = login(registry.users.head)
    for number in _other_numbers(3, household.head_nik):
        _found(client, number)
    assert _found(client, household.head_nik) == {household.pk}
    from agencies.models import IdentifierSearch

    assert not IdentifierSearch.objects.exists()


def test_over_the_limit_export_and_print_say_why_instead_of_an_empty_list(registry, login, settings):
    from agencies.models import ExportLog

    settings.IDENTIFIER_SEARCH_LIMIT = 1
    household = registry.hh.a
    client = login(registry.users.operator)
    _found(client, _other_numbers(1, household.head_nik)[0])
    for url in ("/keluarga/ekspor/", "/keluarga/cetak/"):
        response = client.get(url, {"q": household.head_nik}, follow=True)
        assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/keluarga/?")
        assert "Batas pencarian NIK/No KK tercapai" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_a_limit_of_zero_refuses_every_full_number(registry, login, settings):
    settings.IDENTIFIER_SEARCH_LIMIT = 0
    client = login(registry.users.operator)
    response = client.get("/keluarga/", {"q": registry.hh.a.head_nik}, follow=True)
    assert set(listed_ids(response)) == set()
    assert "Batas pencarian NIK/No KK tercapai" in response.content.decode()


def test_head_requests_count_against_the_limit_like_get(registry, login, settings):
    """A HEAD request runs the search (its Content-Length tells a match from a miss), so it takes one
    of the hour's searches: the 31st distinct number is refused, HEAD or GET, and no length tells
    the refused number apart from a miss."""
    from agencies.models import IdentifierSearch

    settings.IDENTIFIER_SEARCH_LIMIT = 30
    household = registry.hh.a
    operator = registry.users.operator
    client = login(operator)
    *numbers, thirty_first = _other_numbers(31, household.head_nik)
    for number in numbers:
        assert _head(client, "/keluarga/", number).status_code == 200
    assert IdentifierSearch.objects.filter(user=operator).count() == 30
    miss = client.get("/keluarga/", {"q": thirty_first}, follow=True)
    assert "Batas pencarian NIK/No KK tercapai" in miss.content.decode()
    response = client.get("/keluarga/", {"q": household.head_nik}, follow=True)
    assert set(listed_ids(response)) == set()
    assert "Batas pencarian NIK/No KK tercapai" in response.content.decode()
    assert IdentifierSearch.objects.filter(user=operator).count() == 30


def test_head_requests_of_the_export_and_print_are_logged(registry, login):
    from agencies.models import ExportKind, ExportLog, IdentifierSearch

    household = registry.hh.a
    operator = registry.users.operator
    client = login(operator)
    assert _head(client, "/keluarga/ekspor/", household.head_nik).status_code == 200
    assert _head(client, "/keluarga/cetak/", household.head_nik).status_code == 200
    logged = {log.kind: (log.user, log.row_count) for log in ExportLog.objects.all()}
    assert logged == {
        ExportKind.HOUSEHOLD_LIST_XLSX: (operator, 1),
        ExportKind.HOUSEHOLD_LIST_PRINT: (operator, 1),
    }
    assert IdentifierSearch.objects.filter(user=operator).count() == 1  # the same number, searched once


def test_the_worker_recount_takes_no_search(registry, login, settings):
    from django.http import QueryDict

    from agencies.filters import HouseholdFilter
    from agencies.models import IdentifierSearch

    settings.IDENTIFIER_SEARCH_LIMIT = 1
    household = registry.hh.a
    client = login(registry.users.operator)
    recount = HouseholdFilter(QueryDict(f"q={household.no_kk}"), user=registry.users.operator, record_searches=False)
    assert list(recount.qs.values_list("pk", flat=True)) == [household.pk]
    assert not IdentifierSearch.objects.exists()
    assert _found(client, household.head_nik) == {household.pk}  # the one search of the hour is still there


def test_the_export_log_and_the_print_page_keep_a_searched_nik_masked(registry, login):
    import json

    from agencies.models import ExportLog
    from households.identifiers import mask

    household = registry.hh.a
    client = login(registry.users.operator)
    client.get("/keluarga/ekspor/", {"q": household.head_nik}, follow=True)
    printed = client.get("/keluarga/cetak/", {"q": " ".join([household.no_kk[:8], household.no_kk[8:]])}, follow=True)
    assert printed.context["total"] == 1
    assert f"Cari: {mask(household.no_kk)}" in printed.content.decode() and household.no_kk not in printed.content.decode()
    logs = list(ExportLog.objects.order_by("pk"))
    assert [log.filters["q"] for log in logs] == [mask(household.head_nik), mask(household.no_kk)]
    assert [log.row_count for log in logs] == [1, 1]
    stored = json.dumps([log.filters for log in logs])
    assert household.head_nik not in stored and household.no_kk not in stored
