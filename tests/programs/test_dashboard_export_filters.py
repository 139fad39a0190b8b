"""A dashboard table downloaded under a filter says which one: the Governor's office forwards a
regency's figures as a file, and a file of Konawe's program counts must not read as the province's."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from households.models import Desa, Kabupaten, Kecamatan
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(reference, settings):
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    HouseholdFactory(desil=1, desa=Desa.objects.get(code="74.09.01.2006"))
    HouseholdFactory(desil=1, desa=Desa.objects.get(code="74.02.01.2006"))
    return Kabupaten.objects.get(code="74.02")


def download(client, key, **params):
    response = client.get(f"/dasbor/ekspor/{key}.xlsx", params)
    assert response.status_code == 200
    return response["Content-Disposition"], load_workbook(io.BytesIO(response.content))


def filters_of(book) -> dict:
    return dict(book["Filter"].iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize("key", ["program", "ringkasan", "kantong"])
def test_a_regency_s_export_names_the_regency(bappeda_client, province, key):
    lambuya = Kecamatan.objects.get(code="74.02.01")
    disposition, book = download(bappeda_client, key, year=2024, kabupaten=province.pk, kecamatan=lambuya.pk)
    assert "-2024-kabupaten-konawe-lambuya-" in disposition
    assert book.sheetnames[1] == "Filter"
    named = filters_of(book)
    assert named["Tahun kepesertaan"] == 2024
    assert named["Kabupaten/kota"] == "Kabupaten Konawe" and named["Kecamatan"] == "Lambuya"
    assert named["Klaster"] == "Semua klaster" and named["OPD"] == "Semua OPD"


def test_the_province_s_export_says_all_regencies(bappeda_client, province):
    disposition, book = download(bappeda_client, "ringkasan", year=2024)
    assert 'filename="dasbor-ringkasan-2024-2' in disposition  # the year, then the time stamp
    named = filters_of(book)
    assert named["Kabupaten/kota"] == "Semua kabupaten/kota" and named["Kecamatan"] == "Semua kecamatan"
    assert book.active.title == "Angka utama"  # the table stays the first sheet


def test_one_regency_s_export_has_no_kabupaten_line(bappeda_client, reference):
    _disposition, book = download(bappeda_client, "ringkasan", year=2024)
    assert "Kabupaten/kota" not in filters_of(book)
