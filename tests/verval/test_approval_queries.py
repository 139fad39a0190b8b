"""Approving a batch and downloading its proposal file cost the same however many cases the batch
holds: the visits' member changes are read once for the whole batch (not once per family whose head
died), and each family's continuation is read from them, not asked family by family."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.verval.conftest import client_for
from tests.verval.test_batch_page_queries import _batch

pytestmark = pytest.mark.django_db


def _approve(client, batch) -> tuple[int, str]:
    """The approval's reads of the visits' member changes, and the page the Bupati is shown."""
    with CaptureQueriesContext(connection) as queries:
        page = client.post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True)
    assert page.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].lstrip().upper().startswith("SELECT") and 'FROM "verval_casememberchange"' in q["sql"]]
    return len(reads), page.content.decode()


def test_approving_reads_the_member_changes_once_for_3_cases_as_for_12(registry, people):
    small, large = _batch(registry, people, 3), _batch(registry, people, 12)
    client = client_for(people.bupati)
    few, _page = _approve(client, small)
    many, page = _approve(client, large)
    assert many <= few, (few, many)
    large.refresh_from_db()
    assert large.is_approved and large.applied["head_deceased"] == 12


def _download(client, batch) -> tuple[int, list[tuple]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/verval/berkas/{batch.pk}/usulan.xlsx")
        content = b"".join(response.streaming_content)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(content)).active
    return len(queries), list(sheet.iter_rows(min_row=2, values_only=True))


def test_the_proposal_file_costs_the_same_for_3_cases_as_for_12(registry, people):
    small, large = _batch(registry, people, 3), _batch(registry, people, 12)
    approver = client_for(people.bupati)
    for batch in (small, large):
        assert approver.post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}).status_code == 302
    client = client_for(people.bappeda)
    client.get(f"/verval/berkas/{small.pk}/usulan.xlsx")  # the session and the caches warmed alike
    few, _rows = _download(client, small)
    many, rows = _download(client, large)
    assert many <= few, (few, many)
    # Every family carries on under a new head, the merged ones too: a correction, not a removal.
    assert len(rows) == 12
    assert {row[10] for row in rows} == {"Perbaikan data"}
