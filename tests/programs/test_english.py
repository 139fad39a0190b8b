"""The dashboard and distribution pages in English: whole headers, counts with the right plural."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from agencies.models import Role
from households.models import Desa, FloorType
from programs.models import ConditionField, ConditionOperator, Program, RuleCondition, TargetingRule
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
YEAR = 2025


@pytest.fixture
def english_bappeda(client, reference):
    client.force_login(UserFactory(username="bappeda-en", role=Role.BAPPEDA_OPERATOR))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def bsps_rule(reference):
    rule = TargetingRule.objects.create(program=Program.objects.get(code="bsps"), name="uji")
    for field_name, operator, value in [
        (ConditionField.DESIL, ConditionOperator.LTE, "4"), (ConditionField.FLOOR_TYPE, ConditionOperator.IN, "tanah"),
    ]:
        condition = RuleCondition(rule=rule, field=field_name, operator=operator, value=value)
        condition.full_clean()
        condition.save()
    return rule


def test_pocket_percentage_columns_have_their_own_english_headers(english_bappeda):
    columns = [str(c) for c in english_bappeda.get("/dasbor/", {"year": YEAR}).context["tables"]["kantong"].columns]
    assert columns[3:11] == [
        "No safe drinking water", "No safe drinking water (%)",
        "No own toilet", "No own toilet (%)",
        "Uninhabitable house", "Uninhabitable house (%)",
        "At risk of stunting without safe water", "At risk of stunting without safe water (%)",
    ]


def test_pocket_percentage_columns_in_indonesian(client, reference):
    client.force_login(UserFactory(username="bappeda-id", role=Role.BAPPEDA_OPERATOR))
    columns = [str(c) for c in client.get("/dasbor/", {"year": YEAR}).context["tables"]["kantong"].columns]
    assert columns[4] == "% tanpa air minum layak" and columns[8] == "% tinggal di rumah tidak layak huni"


def test_distributing_one_household_in_english(english_bappeda, bsps_rule):
    desa = Desa.objects.get(code="74.09.01.1005")
    household = HouseholdFactory(desil=1, floor_type=FloorType.EARTH, desa=desa)

    page = english_bappeda.get("/dasbor/distribusi/bsps/", {"year": YEAR}).content.decode()
    conditions = [str(c) for c in bsps_rule.conditions.all()]
    assert f"{conditions[0]}; and {conditions[1]}" in page
    assert "Distribute: propose 1 recipient, poorest first" in page

    response = english_bappeda.post("/dasbor/distribusi/bsps/", {"year": YEAR}, follow=True)
    assert "1 enrollment proposal for " in response.content.decode()
    assert "1 enrollment proposals" not in response.content.decode()
    assert household.enrollments.filter(program__code="bsps", year=YEAR).count() == 1


def test_targeting_rules_list_joins_conditions_in_english(english_bappeda, bsps_rule):
    """The rule list's conditions column joined them with an Indonesian " dan " on English pages
    (the word went through a gettext alias that the catalog never picked up)."""
    page = english_bappeda.get("/admin/programs/targetingrule/").content.decode()
    cell = page.split('class="field-conditions_text">', 1)[1].split("</td>", 1)[0]
    assert " and " in cell and " dan " not in cell
    guide = english_bappeda.get(f"/admin/programs/targetingrule/{bsps_rule.pk}/change/").content.decode()
    assert "whole number; between: two numbers, e.g. 6;18" in guide and "leave the value empty" in guide


@pytest.mark.parametrize("count, total, expected", [(1, 1, "1 of 1 household"), (2, 1500, "2 of 1.500 households")])
def test_a_pocket_share_title_counts_its_households_in_english(count, total, expected):
    from programs.dashboard.presenters import _share_title

    with translation.override("en"):
        assert str(_share_title(count, total)) == expected
