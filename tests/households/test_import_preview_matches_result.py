"""The preview's counts are what the import then does: a file uploaded without a chosen year is
applied as it was previewed (the year it found is not taken as chosen), and the heads of the
families skipped as unchanged since the last import count as unchanged members."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from households.models import ImportBatch, ImportStatus

from .test_import_admin import upload

pytestmark = pytest.mark.django_db


def counts(client, batch) -> dict[str, list[str]]:
    """The counts table as the page shows it: its row's label -> new, changed, unchanged, absent."""
    page = client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    table = re.search(r'<table class="counts">(.*?)</table>', page, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def upload_and_confirm(client, path) -> tuple[dict, dict]:
    upload(client, path)
    batch = ImportBatch.objects.latest("pk")
    previewed = counts(client, batch)
    client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, batch.message
    return previewed, counts(client, batch)


def test_a_household_sheet_uploaded_again_previews_what_it_then_does(bappeda_client, p3ke_file):
    path = p3ke_file(members=[])  # the household sheet alone: each family's head read from it
    previewed, result = upload_and_confirm(bappeda_client, path)
    assert previewed == result and result["Anggota keluarga"] == ["3", "0", "0", "0"]

    previewed, result = upload_and_confirm(bappeda_client, path)
    assert previewed["Keluarga"] == result["Keluarga"] == ["0", "0", "3", "0"]
    assert previewed["Anggota keluarga"] == result["Anggota keluarga"] == ["0", "0", "3", "0"]
