"""A province's pairs that span two regencies: one person in a family of Konawe Utara and in a family
of Konawe. Bappeda reviews conflicts and identity duplicates regency by regency: such a pair is
listed under either family's regency (and kecamatan), and its row names both regencies."""

import datetime

import pytest
from django.urls import reverse

from dedup.models import Conflict, ConflictRule, IdentityKind, IdentityMatch
from households.identifiers import make_nik
from households.models import Kecamatan
from programs.models import Program
from programs.services import enrollment_create
from tests.agencies.helpers import listed_ids
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(2012, 3, 4)


@pytest.fixture
def one_person_in_two_regencies(two_regencies):
    """The same child (one NIK) in a family of Asera (Konawe Utara) and one of Lambuya (Konawe)."""
    konut, konawe = two_regencies
    nik = make_nik(region="740901", birth=BIRTH, female=False, serial=77)
    in_konut = MemberFactory(household=konut, nik=nik, name="Rahman Laosa", birth_date=BIRTH)
    in_konawe = MemberFactory(household=konawe, nik=nik, name="Rahman Laosa", birth_date=BIRTH)
    return konut, konawe, in_konut, in_konawe


def row_of(page: str, number: str) -> str:
    start = page.find(f">{number}<")
    assert start > 0, f"{number} is not listed"
    return page[page.rfind("<tr", 0, start):page.find("</tr>", start)]


def listed_row(page: str, household) -> str:
    """The household list's row of ``household``."""
    link = page.find(f'href="/keluarga/{household.pk}/?')
    assert link > 0, f"{household} is not listed"
    return page[page.rfind("<tr", 0, link):page.find("</tr>", link)]


def assert_listed_under_either(client, url: str, path: str, number: str, families) -> None:
    """Under each family's regency, then its regency and kecamatan, the pair is listed, its row
    naming both regencies."""
    for family in families:
        kecamatan = family.desa.kecamatan
        regency = {f"{path}__kabupaten__id__exact": kecamatan.kabupaten_id}
        row = row_of(client.get(url, regency).content.decode(), number)
        assert 'field-kabupaten">Kabupaten Konawe Utara / Kabupaten Konawe<' in row
        row_of(client.get(url, {**regency, f"{path}__id__exact": kecamatan.pk}).content.decode(), number)


def test_an_identity_duplicate_of_two_regencies_is_listed_under_either(bappeda_client, one_person_in_two_regencies):
    konut, konawe, in_konut, in_konawe = one_person_in_two_regencies
    match = IdentityMatch.objects.create(
        kind=IdentityKind.SAME_NIK, household_a=konut, household_b=konawe, member_a=in_konut, member_b=in_konawe,
    )
    assert_listed_under_either(
        bappeda_client, reverse("admin:dedup_identitymatch_changelist"), "household_a__desa__kecamatan", f"#{match.pk}",
        (konut, konawe),
    )


def test_a_same_person_conflict_of_two_regencies_is_listed_under_either(bappeda_client, one_person_in_two_regencies):
    konut, konawe, in_konut, in_konawe = one_person_in_two_regencies
    enrollment_create(household=konut, member=in_konut, program=Program.objects.get(code="pip"), year=2024)
    result = enrollment_create(household=konawe, member=in_konawe, program=Program.objects.get(code="beasiswa"), year=2024)
    conflict = Conflict.objects.get(rule=ConflictRule.SAME_PERSON)
    assert [c.pk for c in result.conflicts] == [conflict.pk]
    url = reverse("admin:dedup_conflict_changelist")
    path = "household__desa__kecamatan"
    assert_listed_under_either(bappeda_client, url, path, f"#{conflict.pk}", (konut, konawe))
    elsewhere = Kecamatan.objects.get(code="74.02.02")  # another kecamatan of Konawe
    page = bappeda_client.get(url, {
        f"{path}__kabupaten__id__exact": elsewhere.kabupaten_id, f"{path}__id__exact": elsewhere.pk,
    }).content.decode()
    assert f">#{conflict.pk}<" not in page


def test_a_conflict_of_two_regencies_counts_and_flags_under_either(bappeda_client, one_person_in_two_regencies):
    """The dashboard of either regency counts the conflict and its own family, and that regency's
    household list flags its family and lists it among those with a conflict (where the dashboard's
    figure leads)."""
    konut, konawe, in_konut, in_konawe = one_person_in_two_regencies
    enrollment_create(household=konut, member=in_konut, program=Program.objects.get(code="pip"), year=2024)
    enrollment_create(household=konawe, member=in_konawe, program=Program.objects.get(code="beasiswa"), year=2024)
    conflict = Conflict.objects.get(rule=ConflictRule.SAME_PERSON)
    assert conflict.household == konut

    for family in (konut, konawe):
        place = {"kabupaten": family.desa.kecamatan.kabupaten_id}
        tables = bappeda_client.get(reverse("programs:dashboard"), {"year": 2024, **place}).context["tables"]
        headline = {row[0].value: row[1] for row in tables["ringkasan"].rows}
        assert headline["Konflik satu bantuan terbuka"].value == 1
        assert headline["Keluarga dengan konflik terbuka"].value == 1
        listed = bappeda_client.get(headline["Keluarga dengan konflik terbuka"].url)
        assert listed_ids(listed) == [family.pk]
        page = bappeda_client.get("/keluarga/", place).content.decode()
        assert listed_row(page, family).startswith('<tr class="has-conflict">')
        assert f"Konflik #{conflict.pk}" in bappeda_client.get(f"/keluarga/{family.pk}/").content.decode()

    # Under both regencies: one conflict of two families.
    headline = {
        row[0].value: row[1].value
        for row in bappeda_client.get(reverse("programs:dashboard"), {"year": 2024}).context["tables"]["ringkasan"].rows
    }
    assert (headline["Konflik satu bantuan terbuka"], headline["Keluarga dengan konflik terbuka"]) == (1, 2)
