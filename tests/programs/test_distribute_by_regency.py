"""A province's Bappeda distributes a program to the families of one regency (a regency's own
program, a province program's share): the distribution page offers a kabupaten choice when several
regencies are loaded, and its figures, its table and what it proposes keep to that regency."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.management import call_command

from agencies.models import Role
from households.models import Desa, FloorType, Kabupaten
from programs.models import ConditionField, ConditionOperator, Enrollment, EnrollmentSource, Program, RuleCondition, TargetingRule
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
PAGE = "/dasbor/distribusi/bsps/"


def bsps_rule():
    """BSPS for desil <= 4 with an earth floor."""
    rule = TargetingRule.objects.create(program=Program.objects.get(code="bsps"), name="uji bsps")
    for field_name, operator, value in ((ConditionField.DESIL, ConditionOperator.LTE, "4"),
                                        (ConditionField.FLOOR_TYPE, ConditionOperator.IN, "tanah")):
        condition = RuleCondition(rule=rule, field=field_name, operator=operator, value=value)
        condition.full_clean()
        condition.save()


def families(code: str, *desils: int) -> list:
    return [HouseholdFactory(desil=d, floor_type=FloorType.EARTH, desa=Desa.objects.get(code=code)) for d in desils]


@pytest.fixture
def province(without_rules, settings):
    """Konawe Utara and Konawe loaded; two eligible families in each."""
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    bsps_rule()
    return SimpleNamespace(
        konut=families("74.09.01.1005", 1, 2),
        konawe=families("74.02.01.2006", 1, 3),
        regency=Kabupaten.objects.get(code="74.02"),
        bappeda=UserFactory(username="bappeda-provinsi", role=Role.BAPPEDA_OPERATOR),
    )


def proposed() -> set[int]:
    return set(Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).values_list("household_id", flat=True))


def test_the_page_counts_and_lists_the_chosen_regency_only(client, province):
    client.force_login(province.bappeda)
    html = client.get(PAGE, {"year": YEAR}).content.decode()
    assert 'name="kabupaten"' in html and 'data-figure="eligible">4<' in html

    html = client.get(PAGE, {"year": YEAR, "kabupaten": province.regency.pk}).content.decode()
    assert 'data-figure="eligible">2<' in html and 'data-figure="to_create"><strong>2<' in html
    table = html[html.index('data-table="preview"'):html.index("</table>", html.index('data-table="preview"'))]
    assert "Kabupaten Konawe<" in table and "Kabupaten Konawe Utara" not in table
    assert f'<input type="hidden" name="kabupaten" value="{province.regency.pk}">' in html


def test_distributing_with_a_regency_proposes_its_families_only(client, province):
    client.force_login(province.bappeda)
    response = client.post(PAGE, {"year": YEAR, "kabupaten": province.regency.pk})
    assert response.status_code == 302 and f"kabupaten={province.regency.pk}" in response["Location"]
    assert proposed() == {h.pk for h in province.konawe}

    client.post(PAGE, {"year": YEAR})  # the whole province: the other regency's families too
    assert proposed() == {h.pk for h in province.konawe + province.konut}


def test_one_regency_has_no_kabupaten_choice(client, without_rules):
    bsps_rule()
    families("74.09.01.1005", 1)
    client.force_login(UserFactory(username="bappeda-kabupaten", role=Role.BAPPEDA_OPERATOR))
    html = client.get(PAGE, {"year": YEAR}).content.decode()
    assert 'name="kabupaten"' not in html and 'data-figure="eligible">1<' in html


def test_the_page_asks_once_whether_several_regencies_are_loaded(client, province):
    """The form's kabupaten choice and the table's regency column follow one count of the regencies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(province.bappeda)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(PAGE, {"year": YEAR}).content.decode()
    assert 'name="kabupaten"' in html and "<th>Kabupaten/kota</th>" in html
    counts = [q["sql"] for q in queries.captured_queries if 'SELECT COUNT(*) AS "__count" FROM "households_kabupaten"' in q["sql"]]
    assert len(counts) == 1, counts
