"""Approving a batch and downloading its proposal file cost the same however many cases the batch
holds: the visits' member changes are read once for the whole batch (not once per family whose head
died), and each family's continuation is read from them, not asked family by family."""

from __future__ import annotations

import datetime
import io
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from households.identifiers import make_nik
from households.models import Relation, Sex
from tests.verval.conftest import client_for, enroll, household, words
from tests.verval.test_batch_page_queries import _batch
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db
_niks = itertools.count(301)
NAMES = ["Andi Saputra", "Baso Rahman", "Candra Wijaya", "Darman Lapeo", "Edi Kurniawan"]


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
    # One read for whether the visits add members (the identity scan's lock), one for the plan.
    assert many == 2, many
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


def _adding(registry, people, count: int):
    """A verified inclusion batch of one family (PKH, desil 7) whose visit adds ``count`` members, each
    with a NIK no one holds."""
    home = household(registry.desa, 7)
    enroll(home, "pkh")
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    additions = []
    for name in NAMES[:count]:
        serial = next(_niks)  # a name and a birth date of their own: no identity duplicate of another
        born = datetime.date(2000 + serial % 20, 1 + serial % 12, 1 + serial % 28)
        additions.append({"name": name, "nik": make_nik(region="740901", birth=born, female=False, serial=serial),
                          "relation": Relation.CHILD, "sex": Sex.MALE, "birth_date": born})
    services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=Verdict.ELIGIBLE, additions=additions)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    return batch, home


def _approval_queries(client, batch) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"})
    assert response.status_code == 302
    return len(queries)


def test_approving_costs_the_same_for_1_member_added_as_for_5(registry, people):
    one, (five, five_home) = _adding(registry, people, 1)[0], _adding(registry, people, 5)
    client = client_for(people.bupati)
    client.get("/verval/")  # the session and the caches warmed alike
    few, many = _approval_queries(client, one), _approval_queries(client, five)
    assert many == few, (few, many)
    page = words(client.get(f"/verval/berkas/{five.pk}/").content.decode())
    assert "5 anggota keluarga baru ditambahkan" in page
    assert sorted(five_home.members.values_list("name", flat=True)) == NAMES
    assert all(member.history.first().history_change_reason.startswith("Verval disahkan")
               for member in five_home.members.all())
    five.refresh_from_db()
    assert five.applied["members_added"] == 5
