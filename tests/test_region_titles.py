"""Titles, footers and the demo's leadership account name the area in KONUT_WILAYAH, not Konut."""

import pytest
from django.template.loader import render_to_string
from django.test import override_settings

from agencies.models import User
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
