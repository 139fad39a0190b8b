"""Bahasa Indonesia is the language of the registry, whatever the browser asks for."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_english_browser_still_gets_indonesian_admin(bappeda_client):
    page = bappeda_client.get(reverse("admin:households_household_changelist"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = page.content.decode()
    assert 'lang="id"' in html
    assert "Pilih keluarga untuk diubah" in html


@pytest.mark.django_db
def test_the_footer_switch_chooses_the_language(bappeda_client):
    response = bappeda_client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    html = bappeda_client.get(reverse("admin:households_household_changelist")).content.decode()
    assert 'lang="en"' in html and "Select" in html
    bappeda_client.post(reverse("set_language"), {"language": "id", "next": "/admin/"})
    assert 'lang="id"' in bappeda_client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_admin_pages_carry_the_language_switch_where_bappeda_uploads_and_reviews(bappeda_client):
    # The admin is where Bappeda uploads files and reviews conflicts: its pages offer the switch
    # the app's own pages have at their foot, sending the operator back to the same page.
    for url in (reverse("admin:index"), reverse("admin:households_importbatch_upload"), reverse("admin:dedup_conflict_changelist")):
        html = bappeda_client.get(url).content.decode()
        assert f'action="{reverse("set_language")}"' in html, url
        assert f'name="next" type="hidden" value="{url}"' in html and "Ganti bahasa" in html, url
