""""Milik Sendiri" is both a house-ownership and a toilet answer in P3KE: the importer reads both from
the Indonesian spelling whatever language is active, and English shows each in its own words."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from households.imports.context import build_context
from households.models import Household, HouseOwnership, Toilet

from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_importer_matches_the_indonesian_label_while_english_is_active(reference):
    with translation.override("en"):
        context = build_context()
    assert context.choices["toilet"]("Milik Sendiri") == (Toilet.OWN, True)
    assert context.choices["house_ownership"]("Milik Sendiri") == (HouseOwnership.OWN, True)
    assert context.choices["toilet"]("Own toilet") == ("", False)


def test_imported_own_toilet_reads_own_toilet_in_english(reference, p3ke_file, client, bappeda_user):
    code, _out, _err = run("import_p3ke", str(p3ke_file()), "--json")
    assert code == 0
    household = Household.objects.get(p3ke_id="122000001")
    assert (household.toilet, household.house_ownership) == (Toilet.OWN, HouseOwnership.OWN)

    client.force_login(bappeda_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/keluarga/{household.pk}/").content.decode()
    assert "<dd>Own toilet</dd>" in html
    assert "<dd>Owned</dd>" in html

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert html.count("Milik Sendiri") == 0
    assert client.get(f"/keluarga/{household.pk}/").content.decode().count("<dd>Milik Sendiri</dd>") == 2


def test_a_boolean_cell_is_not_read_as_the_number_one_met_before():
    """True == 1 == 1.0 in Python: a choice map that kept what the number 1 gave would give it to a
    TRUE cell met later (and the reverse), though they read differently. A number cell 1.0 (as
    calamine reads one) is the number 1."""
    from households.imports.values import ChoiceMap

    choices = ChoiceMap([("a", "Satu")], synonyms={"1": "a", "true": "a", "false": "b"})
    assert [choices(value) for value in (1, True, 1.0, False, 0)] == [
        ("a", True), ("a", True), ("a", True), ("b", True), ("", False),
    ]
    only_one = ChoiceMap([("a", "Satu")], synonyms={"1": "a"})
    assert [only_one(value) for value in (1, True, "1", True)] == [("a", True), ("", False), ("a", True), ("", False)]
    assert [only_one(value) for value in (True, 1)] == [("", False), ("a", True)]
