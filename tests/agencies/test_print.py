"""The print view: what each role reads on paper, escaped, masked with a legend, counted with
thousands separators."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from agencies.presenters import print_rows
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

LEGEND = "NIK dan No KK disamarkan untuk peran Anda."


def body_rows(html: str) -> list[str]:
    return re.findall(r"<tr><td>\d+</td>.*?</tr>", html)


def test_agency_head_prints_its_households_with_whole_niks(registry, login):
    html = login(registry.users.head).get("/keluarga/cetak/?status=proposed").content.decode()
    rows = body_rows(html)
    assert len(rows) == 2
    assert registry.hh.a.head_nik in html and LEGEND not in html
    assert "Program Keluarga Harapan (PKH) 2024 (Diusulkan)" in rows[0] + rows[1]


def test_operator_prints_masked_niks_with_the_legend(registry, login):
    html = login(registry.users.operator).get("/keluarga/cetak/").content.decode()
    assert LEGEND in html
    assert registry.hh.a.head_nik not in html
    assert registry.hh.a.head_nik[:6] + "*" * 10 in html


def test_names_are_escaped(reference):
    household = HouseholdFactory(head_name="<b>Wa Ode</b> & anak", address='Jl. "Baru"')
    row = {
        "pk": household.pk, "head_name": household.head_name, "head_nik": household.head_nik, "no_kk": household.no_kk,
        "address": household.address, "rt": "001", "rw": "", "desil": None, "desa__name": "Wanggudu",
        "desa__kecamatan__name": "Asera", "desa__kecamatan__kabupaten__name": "Konawe Utara",
        "has_open_conflict": True, "enrollments": [("Bantuan <Bibit>", 2024, "active")],
    }
    html = str(print_rows([row], None, several_regencies=True))
    assert "&lt;b&gt;Wa Ode&lt;/b&gt; &amp; anak" in html and "<b>" not in html
    assert "Jl. &quot;Baru&quot; RT 001" in html and "Bantuan &lt;Bibit&gt; 2024 (Aktif)" in html
    assert "<td>Konawe Utara</td><td>–</td>" in html and "<td>Ada</td>" in html


def test_the_count_has_thousands_separators(users):
    request = RequestFactory().get("/keluarga/cetak/")
    request.user = users.head
    html = render_to_string(
        "agencies/household_print.html",
        {"rows": "", "total": 3000, "truncated": True, "print_limit": 2000, "user": users.head},
        request=request,
    )
    assert "3.000 keluarga" in html and "hanya 2.000 pertama yang dicetak" in html


@pytest.mark.parametrize("language, expected", [
    ("id", "Filter: Kecamatan: Asera, Desil: 1, Program: Program Keluarga Harapan (PKH), Tahun: 2024, Status: Aktif, "
           "Konflik: Ada konflik satu bantuan terbuka, Tanpa air minum layak"),
    ("en", "Filter: District: Asera, Decile: 1, Program: Program Keluarga Harapan (PKH), Year: 2024, Status: Active, "
           "Conflict: Has an open one-aid conflict, No safe drinking water"),
])
def test_the_filter_line_names_the_filters_and_their_values_as_the_list_shows_them(registry, login, language, expected):
    from django.conf import settings
    from django.utils import translation

    from households.models import Kecamatan

    client = login(registry.users.head)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    asera = Kecamatan.objects.get(code="74.09.01")
    html = client.get(
        f"/keluarga/cetak/?kecamatan={asera.pk}&desil=1&conflict=1&water=unsafe&program=pkh&status=active&year=2024"
    ).content.decode()
    translation.activate(settings.LANGUAGE_CODE)
    line = re.search(r'<p class="muted">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"\s+", " ", line).strip() == expected


def test_the_filter_line_gives_the_year_of_reached_by_aid(registry, login):
    # A dashboard link to the families no aid reaches carries the year it counted them for.
    client = login(registry.users.head)
    html = client.get("/keluarga/cetak/?desil=1&aid=none&aid_year=2024").content.decode()
    line = re.sub(r"\s+", " ", re.search(r'<p class="muted">(.*?)</p>', html, re.S).group(1)).strip()
    assert line.endswith("Tahun bantuan: 2024"), line
