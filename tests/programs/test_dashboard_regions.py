"""The dashboard by kabupaten: with several regencies loaded, a kabupaten filter, the desil-1 reach by
regency, and the regency beside every village (reach and poverty pockets); with one, as before."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Role
from households.models import Desa, Kabupaten, Kecamatan, WaterSource
from programs.models import EnrollmentStatus, Program
from tests.agencies.helpers import listed_ids
from tests.factories import EnrollmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("programs:dashboard")
YEAR = 2024


def params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def values(table) -> list[list]:
    return [[cell.value for cell in row] for row in table.rows]


@pytest.fixture
def bappeda(client, reference):
    client.force_login(UserFactory(username="bappeda-wilayah", role=Role.BAPPEDA_OPERATOR))
    return client


@pytest.fixture
def two_regencies(reference, settings):
    """Konawe Utara: two desil-1 families in Wanggudu Raya, one with PKH. Konawe: one desil-1 family in
    Awuliti without aid or safe water."""
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    wanggudu = Desa.objects.get(code="74.09.01.2006")
    aided = HouseholdFactory(desa=wanggudu, desil=1, water_source=WaterSource.PROTECTED_WELL)
    HouseholdFactory(desa=wanggudu, desil=1, water_source=WaterSource.PROTECTED_WELL)
    EnrollmentFactory(household=aided, program=Program.objects.get(code="pkh"), year=YEAR, status=EnrollmentStatus.ACTIVE)
    awuliti = HouseholdFactory(desa=Desa.objects.get(code="74.02.01.2006"), desil=1, water_source=WaterSource.SURFACE)
    return awuliti


def test_one_regency_dashboard_has_no_kabupaten_filter_table_or_column(bappeda):
    HouseholdFactory(desa=Desa.objects.get(code="74.09.01.2006"), desil=1)
    response = bappeda.get(DASHBOARD, {"year": YEAR})
    html = response.content.decode()
    tables = response.context["tables"]
    assert 'name="kabupaten"' not in html and "kabupaten" not in tables
    assert tables["desa"].columns[:3] == ["Desa/kelurahan", "Kecamatan", "Keluarga desil 1"]
    assert tables["kantong"].columns[:3] == ["Desa/kelurahan", "Kecamatan", "Keluarga"]
    assert "kabupaten" not in params(tables["kantong"].rows[0][2].url)
    assert bappeda.get(reverse("programs:export", args=["kabupaten"])).status_code == 404


def test_desil_1_reach_by_kabupaten_links_to_each_regencys_families(bappeda, two_regencies):
    konawe, konut = Kabupaten.objects.get(code="74.02"), Kabupaten.objects.get(code="74.09")
    response = bappeda.get(DASHBOARD, {"year": YEAR})
    assert 'name="kabupaten"' in response.content.decode()
    table = response.context["tables"]["kabupaten"]
    assert table.columns[0] == "Kabupaten/kota"
    assert values(table) == [["Kabupaten Konawe", 1, 0, 1, 0.0], ["Kabupaten Konawe Utara", 2, 1, 1, 50.0]]
    assert [cell.value for cell in table.footer] == ["Jumlah", 3, 1, 2, 33.3]
    unreached = table.rows[0][3].url
    assert params(unreached) == {"kabupaten": str(konawe.pk), "desil": "1", "aid": "none", "aid_year": str(YEAR)}
    assert listed_ids(bappeda.get(unreached)) == [two_regencies.pk]
    assert params(table.rows[1][1].url) == {"kabupaten": str(konut.pk), "desil": "1"}

    # The kecamatan reach follows, each kecamatan with its regency.
    kecamatan = response.context["tables"]["kecamatan"]
    assert [row[0] for row in values(kecamatan)] == ["Lambuya", "Asera"]
    assert params(kecamatan.rows[0][2].url)["kabupaten"] == str(konawe.pk)


def test_villages_and_poverty_pockets_name_their_regency(bappeda, two_regencies):
    konawe = Kabupaten.objects.get(code="74.02")
    tables = bappeda.get(DASHBOARD, {"year": YEAR}).context["tables"]
    desa = tables["desa"]
    assert desa.columns[:3] == ["Desa/kelurahan", "Kecamatan", "Kabupaten/kota"]
    assert sorted(row[:3] for row in values(desa)) == [
        ["Awuliti", "Lambuya", "Kabupaten Konawe"], ["Wanggudu Raya", "Asera", "Kabupaten Konawe Utara"],
    ]
    pockets = tables["kantong"]
    assert pockets.columns[:4] == ["Desa/kelurahan", "Kecamatan", "Kabupaten/kota", "Keluarga"]
    top = values(pockets)[0]
    assert top[:4] == ["Awuliti", "Lambuya", "Kabupaten Konawe", 1]
    assert params(pockets.rows[0][3].url) == {
        "kabupaten": str(konawe.pk), "kecamatan": str(Kecamatan.objects.get(code="74.02.01").pk),
        "desa": str(two_regencies.desa_id),
    }
    assert pockets.chart["datasets"][0]["links"][0].startswith(f"/keluarga/?kabupaten={konawe.pk}&")


def test_kabupaten_filter_narrows_every_figure_and_the_kecamatan_choices(bappeda, two_regencies):
    konawe = Kabupaten.objects.get(code="74.02")
    response = bappeda.get(DASHBOARD, {"year": YEAR, "kabupaten": konawe.pk})
    dash = response.context["dash"]
    assert dash.total_households == 1 and dash.desil1_total == 1
    assert [row.name for row in dash.pockets] == ["Awuliti"]
    assert response.context["dash"].programs and all(row.households == 0 for row in dash.programs)
    headline = {row[0].value: row[1] for row in response.context["tables"]["ringkasan"].rows}
    assert params(headline["Keluarga di registri"].url) == {"kabupaten": str(konawe.pk)}
    assert "Kabupaten Konawe" in response.content.decode()
    kecamatan = response.context["form"].fields["kecamatan"].queryset
    assert set(kecamatan.values_list("kabupaten__code", flat=True)) == {"74.02"}

    # A kecamatan of another regency is refused, named, and no figure is shown.
    asera = Kecamatan.objects.get(code="74.09.01")
    response = bappeda.get(DASHBOARD, {"year": YEAR, "kabupaten": konawe.pk, "kecamatan": asera.pk})
    assert response.context["form"].errors["kecamatan"]
    assert response.context["dash"] is None
    assert "Filter Kecamatan tidak valid: tidak ada angka yang ditampilkan." in response.content.decode()


def test_the_kabupaten_table_exports_to_xlsx(bappeda, two_regencies):
    import io

    from openpyxl import load_workbook

    response = bappeda.get(reverse("programs:export", args=["kabupaten"]), {"year": YEAR})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Kabupaten/kota"
    assert [row[:2] for row in rows[1:]] == [["Kabupaten Konawe", 1], ["Kabupaten Konawe Utara", 2], ["Jumlah", 3]]


def test_the_kecamatan_filter_groups_a_provinces_kecamatan_by_regency(bappeda, two_regencies):
    """As the household list does: with no regency chosen, a province's kecamatan come under their
    regency's name (Konawe and Konawe Utara both have a kecamatan of the same name elsewhere); a
    kecamatan of another regency than the one chosen is refused on the form, visibly."""
    konawe, konut = Kabupaten.objects.get(code="74.02"), Kabupaten.objects.get(code="74.09")
    html = bappeda.get(DASHBOARD, {"year": YEAR}).content.decode()
    select = html.split('name="kecamatan"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="Kabupaten Konawe">' in select and '<optgroup label="Kabupaten Konawe Utara">' in select
    lambuya = select.index(">Lambuya<")
    assert select.index('label="Kabupaten Konawe"') < lambuya < select.index('label="Kabupaten Konawe Utara"')

    asera = Kecamatan.objects.get(code="74.09.01")
    page = bappeda.get(DASHBOARD, {"year": YEAR, "kabupaten": konawe.pk, "kecamatan": asera.pk})
    assert page.context["form"].errors["kecamatan"]
    assert 'class="error"' in page.content.decode().split('name="kecamatan"', 1)[1].split("</label>", 1)[0]


def _cells(html: str, marker: str) -> list[list[str]]:
    """The text of each body row of the table that follows ``marker`` in ``html``."""
    import re

    table = html.split(marker, 1)[1].split("</table>", 1)[0]
    head = re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>", 1)[0], re.S)
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [
        [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
    return [[re.sub(r"<[^>]+>", "", h).strip() for h in head], *[[" ".join(cell) for cell in row] for row in rows]]


def _xlsx_rows(response) -> list[list]:
    import io

    from openpyxl import load_workbook

    return [list(row) for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def test_a_provinces_kecamatan_pages_name_their_regency(bappeda, two_regencies):
    """Kecamatan names repeat across a province's regencies: wherever a page lists kecamatan, the
    regency stands beside each, as it does beside each village."""
    tables = bappeda.get(DASHBOARD, {"year": YEAR}).context["tables"]
    kecamatan = tables["kecamatan"]
    assert kecamatan.columns[:3] == ["Kecamatan", "Kabupaten/kota", "Keluarga desil 1"]
    assert values(kecamatan)[:2] == [["Lambuya", "Kabupaten Konawe", 1, 0, 1, 0.0], ["Asera", "Kabupaten Konawe Utara", 2, 1, 1, 50.0]]
    assert [cell.value for cell in kecamatan.footer][:3] == ["Jumlah", "", 3]
    rows = _xlsx_rows(bappeda.get(reverse("programs:export", args=["kecamatan"]), {"year": YEAR}))
    assert rows[0][:3] == ["Kecamatan", "Kabupaten/kota", "Keluarga desil 1"]
    assert rows[1][:3] == ["Lambuya", "Kabupaten Konawe", 1]

    # The distribution preview lists every kecamatan with its regency.
    preview = _cells(bappeda.get(reverse("programs:distribute", args=["pkh"])).content.decode(), 'data-table="preview"')
    assert preview[0] == ["Kecamatan", "Kabupaten/kota", "Cocok", "Belum menerima bantuan"]
    assert ["Lambuya", "Kabupaten Konawe"] in [row[:2] for row in preview[1:]]
    assert ["Asera", "Kabupaten Konawe Utara"] in [row[:2] for row in preview[1:]]

    # The verval candidates: the village, its kecamatan and its regency.
    candidates = _cells(bappeda.get(reverse("verval:candidates"), {"kind": "exclusion"}).content.decode(), '<table class="list">')
    assert candidates[0][3:6] == ["Desa/kelurahan", "Kecamatan", "Kabupaten/kota"]
    assert ["Awuliti", "Lambuya", "Kabupaten Konawe"] in [row[3:6] for row in candidates[1:]]

    # The household page names the family's regency.
    detail = bappeda.get(reverse("agencies:household_detail", args=[two_regencies.pk])).content.decode()
    assert "Awuliti, Kec. Lambuya, Kabupaten Konawe" in detail


def test_one_regencys_kecamatan_pages_look_as_before(bappeda):
    household = HouseholdFactory(desa=Desa.objects.get(code="74.09.01.2006"), desil=1)
    kecamatan = bappeda.get(DASHBOARD, {"year": YEAR}).context["tables"]["kecamatan"]
    assert kecamatan.columns[:2] == ["Kecamatan", "Keluarga desil 1"]
    rows = _xlsx_rows(bappeda.get(reverse("programs:export", args=["kecamatan"]), {"year": YEAR}))
    assert rows[0][:2] == ["Kecamatan", "Keluarga desil 1"]
    preview = _cells(bappeda.get(reverse("programs:distribute", args=["pkh"])).content.decode(), 'data-table="preview"')
    assert preview[0] == ["Kecamatan", "Cocok", "Belum menerima bantuan"]
    candidates = _cells(bappeda.get(reverse("verval:candidates"), {"kind": "exclusion"}).content.decode(), '<table class="list">')
    assert candidates[0][3:] == ["Desa/kelurahan", "Kecamatan", "Desil"]
    detail = bappeda.get(reverse("agencies:household_detail", args=[household.pk])).content.decode()
    assert "Wanggudu Raya, Kec. Asera" in detail and "Kabupaten Konawe Utara" not in detail.split("<main", 1)[-1].split("Wanggudu Raya, Kec. Asera", 1)[1][:40]


def test_a_provinces_rule_preview_in_the_admin_names_the_regency(bappeda, two_regencies):
    """The targeting rule's preview by kecamatan, on its admin page and as typed (live)."""
    from programs.models import TargetingRule

    rule = TargetingRule.objects.filter(program__code="pkh", active=True).first()
    page = bappeda.get(reverse("admin:programs_targetingrule_change", args=[rule.pk])).content.decode()
    preview = _cells(page, 'id="rule-preview"')
    assert preview[0] == ["Kecamatan", "Kabupaten/kota", "Keluarga cocok", "Belum menerima bantuan"]
    assert ["Lambuya", "Kabupaten Konawe"] in [row[:2] for row in preview[1:]]
    live = bappeda.get(reverse("admin:programs_targetingrule_preview"), {"field": ["desil"], "operator": ["lte"], "value": ["1"]}).json()
    assert live["labels"]["kabupaten"] == "Kabupaten/kota"
    assert {"kecamatan": "Lambuya", "kabupaten": "Kabupaten Konawe", "matching": 1, "without_aid": 1} in live["rows"]


def test_poverty_pocket_chart_labels_tell_villages_of_one_name_apart(bappeda, settings):
    """Village names repeat (two Bandaeha in Konawe Utara, a Wawolimbue in Konawe Utara and one in
    Konawe): each bar names its kecamatan, and its regency where several are loaded."""
    for code in ("74.09.04.2001", "74.09.08.2002"):
        HouseholdFactory(desa=Desa.objects.get(code=code), water_source=WaterSource.SURFACE)
    labels = bappeda.get(DASHBOARD, {"year": YEAR}).context["tables"]["kantong"].chart["labels"]
    assert sorted(labels) == ["Bandaeha (Molawe)", "Bandaeha (Oheo)"]

    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    for code in ("74.09.01.2016", "74.02.05.2030"):
        HouseholdFactory(desa=Desa.objects.get(code=code), water_source=WaterSource.SURFACE)
    # Counted afresh (the page shows the last count while a recount runs).
    labels = bappeda.get(DASHBOARD, {"year": YEAR, "segar": "1"}).context["tables"]["kantong"].chart["labels"]
    assert sorted(labels) == [
        "Bandaeha (Molawe, Kabupaten Konawe Utara)", "Bandaeha (Oheo, Kabupaten Konawe Utara)",
        "Wawolimbue (Asera, Kabupaten Konawe Utara)", "Wawolimbue (Sampara, Kabupaten Konawe)",
    ]
