"""Admin lists by region: a kabupaten column and filter only when more than one regency is loaded,
and then the kecamatan and village filters follow the chosen regency."""

import re

import pytest
from django.urls import reverse

from dedup.models import IdentityKind, IdentityMatch
from households.models import Desa, Kabupaten, Kecamatan
from programs.models import Program
from programs.services import enrollment_create
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("admin:households_household_changelist")
VILLAGES = reverse("admin:households_desa_changelist")
KECAMATAN = reverse("admin:households_kecamatan_changelist")


def filter_links(page: str, parameter: str) -> list[str]:
    """The query strings of the filter links that set ``parameter``."""
    return re.findall(rf'href="(\?[^"]*{re.escape(parameter)}=[^"]*)"', page)


def test_one_regency_lists_have_no_kabupaten_column_or_filter(bappeda_client):
    HouseholdFactory(head_name="Keluarga Asera", desa=Desa.objects.get(code="74.09.01.2006"))
    page = bappeda_client.get(HOUSEHOLDS).content.decode()
    assert "kabupaten__id__exact" not in page and "column-kabupaten" not in page
    # The kecamatan filter lists Konut's 13 kecamatan at once, as before.
    assert len(filter_links(page, "desa__kecamatan__id__exact")) == 13
    for url in (VILLAGES, KECAMATAN):
        page = bappeda_client.get(url).content.decode()
        assert "kabupaten__id__exact" not in page and "column-kabupaten" not in page


def test_households_filter_by_kabupaten_then_its_kecamatan_then_its_village(bappeda_client, two_regencies):
    konut, konawe = two_regencies
    regency = Kabupaten.objects.get(code="74.02")
    page = bappeda_client.get(HOUSEHOLDS).content.decode()
    assert "column-kabupaten" in page and "Kabupaten Konawe Utara" in page and "Kabupaten Konawe<" in page
    assert len(filter_links(page, "desa__kecamatan__kabupaten__id__exact")) == 2
    # No regency chosen: no list of two hundred kecamatan.
    assert filter_links(page, "desa__kecamatan__id__exact") == []

    page = bappeda_client.get(HOUSEHOLDS, {"desa__kecamatan__kabupaten__id__exact": regency.pk}).content.decode()
    assert "Keluarga Lambuya" in page and "Keluarga Asera" not in page
    offered = {int(m) for q in filter_links(page, "desa__kecamatan__id__exact")
               for m in re.findall(r"desa__kecamatan__id__exact=(\d+)", q)}
    assert offered == set(regency.kecamatan_set.values_list("pk", flat=True))

    lambuya = Kecamatan.objects.get(code="74.02.01")
    params = {"desa__kecamatan__kabupaten__id__exact": regency.pk, "desa__kecamatan__id__exact": lambuya.pk}
    page = bappeda_client.get(HOUSEHOLDS, params).content.decode()
    assert "Keluarga Lambuya" in page
    assert f"desa={konawe.desa_id}" in page  # the village filter lists Lambuya's villages
    # Choosing another regency clears the kecamatan and village chosen in this one.
    other = Kabupaten.objects.get(code="74.09")
    switch = [q for q in filter_links(page, "desa__kecamatan__kabupaten__id__exact")
              if re.search(rf"desa__kecamatan__kabupaten__id__exact={other.pk}(&|$)", q)]
    assert len(switch) == 1 and "desa__kecamatan__id__exact" not in switch[0] and "desa=" not in switch[0]


def test_villages_and_kecamatan_filter_by_kabupaten(bappeda_client, two_regencies):
    regency = Kabupaten.objects.get(code="74.02")
    page = bappeda_client.get(VILLAGES, {"kecamatan__kabupaten__id__exact": regency.pk}).content.decode()
    assert "Awuliti" in page and "Wanggudu Raya" not in page
    assert len(filter_links(page, "kecamatan__id__exact")) == regency.kecamatan_set.count()

    page = bappeda_client.get(KECAMATAN, {"kabupaten__id__exact": regency.pk}).content.decode()
    assert "Lambuya" in page and "Asera" not in page and "column-kabupaten" in page


def test_members_list_shows_the_kabupaten(bappeda_client, two_regencies, django_assert_max_num_queries):
    from tests.factories import MemberFactory

    konut, konawe = two_regencies
    for household in (konut, konawe):
        MemberFactory.create_batch(3, household=household)
    with django_assert_max_num_queries(12):
        page = bappeda_client.get(reverse("admin:households_member_changelist")).content.decode()
    assert "column-kabupaten" in page and "Kabupaten Konawe Utara" in page


def test_a_kecamatan_link_without_its_regency_still_filters(bappeda_client, two_regencies):
    """A bookmark from the one-regency days (kecamatan only) lists that kecamatan's families and
    shows which regency and kecamatan are chosen, instead of every family of the province."""
    konut, konawe = two_regencies
    asera = Kecamatan.objects.get(code="74.09.01")

    page = bappeda_client.get(HOUSEHOLDS, {"desa__kecamatan__id__exact": asera.pk}).content.decode()

    assert "Keluarga Asera" in page and "Keluarga Lambuya" not in page
    offered = {int(m) for q in filter_links(page, "desa__kecamatan__id__exact")
               for m in re.findall(r"desa__kecamatan__id__exact=(\d+)", q)}
    assert offered == set(asera.kabupaten.kecamatan_set.values_list("pk", flat=True))

    page = bappeda_client.get(VILLAGES, {"kecamatan__id__exact": asera.pk}).content.decode()
    assert "Wanggudu Raya" in page and "Awuliti" not in page


@pytest.mark.parametrize("changelist, path", [
    ("admin:programs_enrollment_changelist", "household__desa__kecamatan"),
    ("admin:dedup_conflict_changelist", "household__desa__kecamatan"),
    ("admin:dedup_identitymatch_changelist", "household_a__desa__kecamatan"),
])
def test_conflicts_enrollments_and_duplicates_have_the_kabupaten_level(bappeda_client, two_regencies, changelist, path):
    """Bappeda reviews a province's conflicts regency by regency: the same kabupaten column and
    filter as the household list, the kecamatan filter following it."""
    konut, konawe = two_regencies
    for household in (konut, konawe):
        for code in ("bsps", "rutilahu"):  # the one-aid rule flags the second
            enrollment_create(household=household, program=Program.objects.get(code=code), year=2024)
        twin = HouseholdFactory(head_name=f"Kembaran {household.head_name}", desa=household.desa)
        a, b = sorted([household, twin], key=lambda h: h.pk)
        IdentityMatch.objects.create(kind=IdentityKind.SAME_KK, household_a=a, household_b=b)
    regency = Kabupaten.objects.get(code="74.02")
    url = reverse(changelist)

    page = bappeda_client.get(url).content.decode()
    assert "column-kabupaten" in page and 'field-kabupaten">Kabupaten Konawe Utara<' in page
    assert len(filter_links(page, f"{path}__kabupaten__id__exact")) == 2
    assert filter_links(page, f"{path}__id__exact") == []  # no list of every kecamatan of the province

    page = bappeda_client.get(url, {f"{path}__kabupaten__id__exact": regency.pk}).content.decode()
    assert 'field-kabupaten">Kabupaten Konawe<' in page and 'field-kabupaten">Kabupaten Konawe Utara<' not in page
    offered = {int(m) for q in filter_links(page, f"{path}__id__exact") for m in re.findall(rf"{path}__id__exact=(\d+)", q)}
    assert offered == set(regency.kecamatan_set.values_list("pk", flat=True))
