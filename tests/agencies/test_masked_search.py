"""Roles that see NIKs and No KKs masked (agency operators, leadership) cannot recover the masked
digits by searching: a number matches a NIK or No KK only when all 16 digits are given."""

import io

import pytest
from openpyxl import load_workbook

from tests.agencies.helpers import listed_ids

pytestmark = pytest.mark.django_db


def _found(client, query: str) -> set[int]:
    return set(listed_ids(client.get("/keluarga/", {"q": query})))


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
    html = client.get("/keluarga/", {"q": registry.hh.a.head_nik[:8]}).content.decode()
    assert 'id="search-notice"' in html and "ke-16 angkanya" in html
    assert 'id="search-notice"' not in client.get("/keluarga/", {"q": registry.hh.a.head_nik}).content.decode()
    # The P3KE family ID is not masked: it is still found by its own number.
    assert _found(client, registry.hh.a.p3ke_id) == {registry.hh.a.pk}


def test_roles_that_see_full_niks_keep_prefix_search(registry, login):
    client = login(registry.users.head)
    nik = registry.hh.a.head_nik
    assert registry.hh.a.pk in _found(client, nik[:8])
    assert _next_digit(client, nik[:4]) == nik[:5]
    assert 'id="search-notice"' not in client.get("/keluarga/", {"q": nik[:8]}).content.decode()


def test_export_and_print_apply_the_same_rule(registry, login):
    client = login(registry.users.operator)
    prefix = registry.hh.a.head_nik[:10]
    workbook = load_workbook(io.BytesIO(client.get("/keluarga/ekspor/", {"q": prefix}).getvalue()), read_only=True)
    assert len(list(workbook.active.iter_rows(values_only=True))) == 1  # the header only
    printed = client.get("/keluarga/cetak/", {"q": prefix})
    assert printed.context["total"] == 0
    full = client.get("/keluarga/cetak/", {"q": registry.hh.a.head_nik})
    assert full.context["total"] == 1
