"""What Bappeda sees of a run: progress that moves while the import writes, a status page that keeps
following the batch until the identity scan after it is done, and an outcome that links to the
conflicts and identity duplicates the batch raised. The recipient list's program is chosen from the
programs."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dedup.models import Conflict, IdentityMatch
from households.imports import write
from households.imports.batches import batch_create, batch_running, open_stored
from households.imports.compare import make_plan
from households.imports.context import build_context
from households.imports.p3ke import parse_p3ke
from households.imports.progress import Progress
from households.imports.tasks import BatchProgress
from households.models import Household, ImportBatch, ImportStatus
from programs.models import EnrollmentStatus, Program
from tests.factories import EnrollmentFactory

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx
from .test_import_admin import upload
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


class Recorder(Progress):
    def __init__(self):
        self.events = []

    def phase(self, name, total=0):
        self.events.append((name, total))

    def advance(self, count):
        self.events.append(("+", count))


def test_the_write_reports_progress_chunk_by_chunk_then_the_aid_phase(reference, p3ke_file, monkeypatch):
    monkeypatch.setattr(write, "CHUNK", 2)
    monkeypatch.setattr(write, "COPY_CHUNK", 2)
    batch = batch_create(kind="p3ke", files=[("p3ke.xlsx", p3ke_file())])
    sources = open_stored(batch)
    try:
        plan = make_plan(parse_p3ke(sources, build_context()))
    finally:
        for source in sources:
            source.close()
    progress = Recorder()
    plan.apply(batch=None, by=None, progress=progress)
    write_phase = progress.events.index(("write", 9))  # 3 households and 6 members
    aid_phase = progress.events.index(("aids", 0))
    ticks = [count for name, count in progress.events[write_phase + 1 : aid_phase] if name == "+"]
    assert ticks == [2, 1, 2, 2, 2] and sum(ticks) == 9  # households in chunks of 2, then members


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's progress file; PostgreSQL writes through a second connection")
def test_progress_inside_the_sqlite_write_transaction_reaches_the_status_page(bappeda_client, reference):
    batch = ImportBatch.objects.create(kind="p3ke", status=ImportStatus.RUNNING, heartbeat_at=timezone.now(), total_rows=0)
    progress = BatchProgress(batch.pk)
    with transaction.atomic():
        progress.phase("write", 4372)
        progress.last = 0.0
        progress.advance(2000)
        data = bappeda_client.get(reverse("households:import_status_json", args=[batch.pk])).json()
        assert (data["processed_rows"], data["total_rows"], data["message"]) == (2000, 4372, "Menulis ke basis data")
        page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
        assert "2.000 dari 4.372" in page
    progress.close()
    data = bappeda_client.get(reverse("households:import_status_json", args=[batch.pk])).json()
    assert data["processed_rows"] == 0  # the file is gone with the run: the row speaks again


def test_the_page_follows_an_applied_batch_until_its_identity_scan_is_done(settings):
    batch = ImportBatch(kind="p3ke", status=ImportStatus.APPLIED, counts={"identity_scan": "pending"}, heartbeat_at=timezone.now())
    assert batch_running(batch)
    batch.heartbeat_at = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS + 1)
    assert not batch_running(batch)  # its worker died: the page stops waiting
    batch.counts = {"identity_duplicates": 0}
    batch.heartbeat_at = timezone.now()
    assert not batch_running(batch)


@pytest.fixture
def second_year(reference, tmp_path):
    """A registry family already receiving SPAM 2023, and a new extract in which it claims PKH for
    2023 (a one-aid conflict) and a second family lists the first one's head as its child (an
    identity duplicate)."""
    households = [household_row("122000001", 100), household_row("122000002", 101)]
    members = [head_member_row("122000001", "91220000011", 100), head_member_row("122000002", "91220000021", 101)]
    first = write_xlsx(tmp_path / "a.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    assert run("import_p3ke", str(first))[0] == 0
    household = Household.objects.get(p3ke_id="122000001")
    EnrollmentFactory(household=household, program=Program.objects.get(code="spam"), year=2023, status=EnrollmentStatus.ACTIVE)
    households[0]["Penerima PKH"] = "Ya"
    members.append(member_row("122000002", "91220000022", 0, NIK=nik(100), Nama="KEPALA 100"))
    return write_xlsx(tmp_path / "b.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def test_the_outcome_links_to_the_new_conflicts_and_identity_duplicates(bappeda_client, second_year):
    old_conflict, old_matches = Conflict.objects.count(), set(IdentityMatch.objects.values_list("pk", flat=True))
    upload(bappeda_client, second_year)
    batch = ImportBatch.objects.latest("pk")
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and "identity_scan" not in batch.counts
    conflict = Conflict.objects.get()
    match = IdentityMatch.objects.exclude(pk__in=old_matches).get()  # the same NIK in two families
    assert old_conflict == 0 and len(old_matches) == 1  # the first import found one already (not this batch's)

    for url in (reverse("households:import_status", args=[batch.pk]), reverse("admin:households_importbatch_preview", args=[batch.pk])):
        page = bappeda_client.get(url).content.decode()
        assert "Mencari duplikat identitas" not in page and 'http-equiv="refresh"' not in page
        assert "konflik satu bantuan: 1" in page
        # The batch's message says what it did.
        assert "anggota keluarga 1 baru, 0 diubah, 0 ditandai tidak ada." in page
        assert "Kepesertaan: 1 baru, 0 sudah ada; 1 konflik satu bantuan." in page
        links = dict(re.findall(r'<a href="([^"]+)">(Tinjau [^<]+)</a>', page))
        conflicts_url = reverse("admin:dedup_conflict_changelist") + f"?id__gte={conflict.pk}&amp;id__lte={conflict.pk}"
        matches_url = reverse("admin:dedup_identitymatch_changelist") + f"?id__gte={match.pk}&amp;id__lte={match.pk}"
        assert links == {conflicts_url: "Tinjau 1 konflik baru", matches_url: "Tinjau 1 duplikat identitas baru"}

    # The links open the admin lists showing exactly those.
    listing = bappeda_client.get(conflicts_url.replace("&amp;", "&"))
    assert listing.status_code == 200 and list(listing.context["cl"].queryset) == [conflict]
    listing = bappeda_client.get(matches_url.replace("&amp;", "&"))
    assert listing.status_code == 200 and list(listing.context["cl"].queryset) == [match]


def test_the_command_reports_the_new_ones_too(second_year):
    code, out, err = run("import_p3ke", str(second_year), "--json")
    summary = json.loads(out)
    assert code == 0, err
    assert summary["enrollments"]["conflicts"] == 1 and summary["enrollments"]["new_conflicts"]["count"] == 1
    assert summary["new_identity_duplicates"]["count"] == 1 and summary["identity_duplicates"] == 2


# --- the recipient list's program ---------------------------------------------------------------------


def test_the_recipient_list_program_is_a_choice_of_the_programs(bappeda_client, tmp_path):
    html = bappeda_client.get(reverse("admin:households_importbatch_upload")).content.decode()
    select = re.search(r'<select name="program"[^>]*>(.*?)</select>', html, re.S)
    assert select, "the program is a select"
    assert "Program Keluarga Harapan (PKH)" in select.group(1) and "Dari kolom PROGRAM/BANSOS berkas" in select.group(1)
    assert "Mis. pkh, bsps" not in html

    path = tmp_path / "daftar.csv"
    path.write_text("NIK;NAMA\n7409010501800001;BAPAK\n", encoding="utf-8")
    pkh = Program.objects.get(code="pkh")
    with open(path, "rb") as handle:
        bappeda_client.post(
            reverse("admin:households_importbatch_upload"),
            {"kind": "recipients", "file": handle, "program": pkh.pk, "data_year": 2024},
        )
    batch = ImportBatch.objects.get()
    assert batch.options == {"program": "pkh", "year": 2024}

    with open(path, "rb") as handle:
        response = bappeda_client.post(
            reverse("admin:households_importbatch_upload"), {"kind": "recipients", "file": handle, "program": "pkh"}
        )
    assert response.status_code == 200 and "Pilih program dari daftar." in response.content.decode()
    assert ImportBatch.objects.count() == 1


# The families a full extract lacks, kept by the registry's newer data: one by its data year, two by
# a desil ranking newer than the file's too; as the preview and the import say it in each language.
KEPT = ({"households_kept": 1, "data_year": 2025}, {"households_kept": 2, "data_year": 2025, "kept_ranking": "01/01/2025"})
KEPT_SAID = {
    "id": [
        "1 keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih baru "
        "dari berkas ini (tahun 2025).",
        "2 keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih baru "
        "dari berkas ini (tahun 2025, peringkat desil 01/01/2025).",
    ],
    "en": [
        "1 family missing from this file was not marked absent: the registry holds newer data of it than this file "
        "(year 2025).",
        "2 families missing from this file were not marked absent: the registry holds newer data of them than this "
        "file (year 2025, desil ranking 01/01/2025).",
    ],
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_families_kept_by_newer_data_are_said_with_their_year_and_ranking(language):
    from django.utils import translation

    from households.imports.outcome import kept_message

    with translation.override(language):
        assert [kept_message(summary) for summary in KEPT] == KEPT_SAID[language]
    assert kept_message({"households_kept": 0, "data_year": 2025}) == ""
