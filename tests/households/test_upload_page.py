"""The upload page names the file types the reader takes, from the reader's own list."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from households.imports.reader import ACCEPTED_SUFFIXES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.parametrize("language, listed", [
    ("id", ".xlsx, .xlsm, .xls, .csv atau .txt"),
    ("en", ".xlsx, .xlsm, .xls, .csv or .txt"),
])
def test_the_upload_page_lists_every_accepted_file_type(bappeda_client, language, listed):
    assert set(ACCEPTED_SUFFIXES) == {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = bappeda_client.get(reverse("admin:households_importbatch_upload")).content.decode()
    assert f"Format {listed}," in page  # the introduction, which said ".xlsx atau .csv"
    assert ("Berkas" if language == "id" else "File") + f" ({listed})" in page  # the file field's label
