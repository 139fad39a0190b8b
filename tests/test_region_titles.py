"""Titles, footers, the demo's leadership account and the head's title follow KONUT_WILAYAH, not Konut."""

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

from agencies.models import User
from households import wilayah
from households.models import ImportBatch
from programs.demo import ensure_demo_users


@pytest.mark.django_db
def test_pages_name_konawe_utara_by_default(client, reference):
    page = client.get("/masuk/").content.decode()
    assert "<title>Masuk · Registri Kemiskinan Konawe Utara</title>" in page
    assert "Registri Konawe Utara</a>" in page
    assert "Registri kemiskinan Kabupaten Konawe Utara untuk Bappeda" in page
    assert "Pemerintah Kabupaten Konawe Utara · Registri kemiskinan satu data" in page


@pytest.mark.django_db
@override_settings(KONUT_WILAYAH="74")
def test_pages_name_the_province_when_it_is_the_covered_area(client, reference, admin_client):
    page = client.get("/masuk/").content.decode()
    assert "<title>Masuk · Registri Kemiskinan Sulawesi Tenggara</title>" in page
    assert "Registri kemiskinan Provinsi Sulawesi Tenggara untuk Bappeda" in page
    assert "Pemerintah Provinsi Sulawesi Tenggara · Registri kemiskinan satu data" in page
    assert "Konawe" not in page and "Konut" not in page
    admin_page = admin_client.get("/admin/").content.decode()
    assert "Registri Kemiskinan Sulawesi Tenggara" in admin_page and "Konawe" not in admin_page
    # The standalone error page needs no database and no request.
    assert "Registri Kemiskinan Sulawesi Tenggara" in render_to_string("500.html")


@pytest.mark.django_db
@pytest.mark.parametrize("code, name", [("74.09", "Bupati Konawe Utara"), ("74", "Gubernur Sulawesi Tenggara"),
                                        ("74.71", "Wali Kota Kendari")])
def test_demo_leadership_account_is_named_after_the_area(reference, settings, code, name):
    settings.KONUT_WILAYAH = code
    ensure_demo_users()
    assert User.objects.get(username="bupati").get_full_name() == name


@pytest.mark.parametrize("code, head", [("74.09", "Bupati"), ("74.71", "Wali Kota"), ("74", "Gubernur"),
                                        ("31.01", "Bupati"), ("31.71", "Wali Kota")])
def test_the_head_of_a_kabupaten_a_kota_and_a_province(code, head):
    # 31.01 is the Kabupaten Administrasi Kepulauan Seribu, 31.71 the Kota Administrasi Jakarta Pusat.
    assert wilayah.head_title(code) == head


@pytest.mark.parametrize("code, language, expected, absent", [
    ("74.71", "id", "dihitung di daftar dan ringkasan Wali Kota.", "Bupati"),
    ("74.09", "id", "dihitung di daftar dan ringkasan Bupati.", "Wali Kota"),
    ("74", "en", "counted in the lists and the Governor's summary.", "Regent"),
    ("99.99", "id", "dihitung di daftar dan ringkasan Kepala daerah.", "Bupati"),
])
def test_the_import_warning_names_the_head_of_the_covered_area(code, language, expected, absent):
    counts = {"households": {"created": 0}, "absent_check": {"households": 3, "current": 40, "members": 0}}
    with override_settings(KONUT_WILAYAH=code), translation.override(language):
        page = " ".join(render_to_string("households/_batch_summary.html", {"batch": ImportBatch(counts=counts)}).split())
    assert expected in page and absent not in page
