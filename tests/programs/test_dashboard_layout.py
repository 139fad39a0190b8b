"""The dashboard as the Bupati reads it: the summary first, long tables folded, names instead of
codes, the poverty pockets as percentages on the page and in full in the xlsx."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.programs.test_dashboard import DASHBOARD, YEAR, registry  # noqa: F401  (the hand-counted registry)

pytestmark = pytest.mark.django_db


def test_summary_comes_first_and_long_tables_are_folded(client, registry):  # noqa: F811
    client.force_login(registry.users.leader)
    html = client.get(DASHBOARD).content.decode()
    assert html.index('class="dash-cards"') < html.index('class="card dash-filters') < html.index('id="tabel-desil"')
    sections = dict(re.findall(r'<details class="card dash-section" id="tabel-(\w+)"( open)?>', html))
    assert sections["desil"] == sections["kecamatan"] == " open"
    assert all(sections[key] == "" for key in ("desa", "kantong", "klaster", "opd", "program"))


def test_program_table_names_the_agency(client, registry):  # noqa: F811
    client.force_login(registry.users.bappeda)
    table = client.get(DASHBOARD, {"year": YEAR}).context["tables"]["program"]
    agencies = {row[1].value for row in table.rows}
    assert "Dinas Sosial" in agencies and "dinsos" not in agencies


def test_pocket_table_shows_percentages_and_the_xlsx_keeps_the_counts(client, registry):  # noqa: F811
    client.force_login(registry.users.bappeda)
    response = client.get(DASHBOARD, {"year": YEAR})
    table = response.context["tables"]["kantong"]
    shown = [column for _index, column in table.page_columns]
    assert "Tanpa air minum layak" not in shown and "% tanpa air minum layak" in shown
    html = response.content.decode()
    section = html[html.index('id="tabel-kantong"'):html.index('id="tabel-klaster"')]
    assert re.search(r'title="\d+ dari \d+ keluarga"', section)

    sheet = load_workbook(io.BytesIO(client.get(table.export_url).content)).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "Tanpa air minum layak" in header and "% tanpa air minum layak" in header
