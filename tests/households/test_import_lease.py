"""A worker that dies (killed, restarted) while it reads or writes a batch: the batch's lease runs
out, the batch is failed with the truth that nothing was changed, it can be confirmed again, and it
never stands in the way of a new upload. A worker stopped by a signal fails its batch at once."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.imports.progress import Progress
from households.imports.batches import batch_create
from households.imports.services import import_apply, import_preview
from households.imports.tasks import BatchProgress, _run
from households.models import Household, ImportBatch, ImportStatus, Member

from .conftest import household_row
from .test_import_admin import upload

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """What the process sees of a SIGKILL: nothing runs after it (no except, no finally that writes)."""


class DiesWhileWriting(Progress):
    def __init__(self):
        self.writing = False

    def phase(self, name, total=0):
        self.writing = name == "write"

    def advance(self, count):
        if self.writing:
            raise Killed


def _preview_then_kill(client, path):
    upload(client, path)
    batch = ImportBatch.objects.get(original_name=path.name)
    assert batch.status == ImportStatus.PREVIEWED
    with pytest.raises(Killed):
        import_apply(batch=batch, progress=DiesWhileWriting())
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING  # what a killed worker leaves behind
    return batch


def _time_passes(settings, batch):
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS + 1)
    )


def test_a_killed_import_is_failed_when_its_lease_runs_out_and_can_be_retried(bappeda_client, reference, p3ke_file, settings):
    batch = _preview_then_kill(bappeda_client, p3ke_file())
    assert not Household.objects.exists()
    # While the lease is fresh the batch may still be working: it is shown as running.
    page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "Sedang diimpor" in page

    _time_passes(settings, batch)
    page = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "tidak ada data yang diubah" in batch.message and "tidak ada data yang diubah" in page
    assert not Household.objects.exists()

    preview = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "Konfirmasi impor" in preview
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert Household.objects.count() == 3 and Member.objects.count() == 6


class DiesWhileReading(Progress):
    def phase(self, name, total=0):
        if name == "read":
            raise Killed


def test_a_preview_killed_while_reading_is_previewed_again_not_confirmed(bappeda_client, reference, p3ke_file, settings):
    path = p3ke_file()
    with open(path, "rb") as handle:
        batch = batch_create(kind="p3ke", files=[(path.name, handle)])
    with pytest.raises(Killed):
        import_preview(batch=batch, progress=DiesWhileReading())
    _time_passes(settings, batch)
    preview_url = reverse("admin:households_importbatch_preview", args=[batch.pk])
    page = bappeda_client.get(preview_url).content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and "Jalankan Pratinjau ulang untuk membaca berkas lagi" in batch.message
    assert "Pratinjau ulang" in page and "Konfirmasi impor" not in page

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and not Household.objects.exists()

    bappeda_client.post(reverse("admin:households_importbatch_repreview", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED and batch.counts["households"]["created"] == 3
    assert "Konfirmasi impor" in bappeda_client.get(preview_url).content.decode()


def test_a_dead_batch_never_blocks_a_new_upload_and_the_worker_clears_it(bappeda_client, reference, p3ke_file, settings):
    dead = _preview_then_kill(bappeda_client, p3ke_file(name="mati.xlsx"))
    _time_passes(settings, dead)
    upload(bappeda_client, p3ke_file(name="baru.xlsx"))
    new = ImportBatch.objects.get(original_name="baru.xlsx")
    assert new.status == ImportStatus.PREVIEWED
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[new.pk]))
    new.refresh_from_db()
    assert new.status == ImportStatus.APPLIED

    # The worker, starting a task, fails what a dead worker left behind.
    more = [household_row(str(122500000 + i), 600 + i) for i in range(2)]
    other = _preview_then_kill(bappeda_client, p3ke_file(households=more, name="lagi.xlsx"))
    _time_passes(settings, other)
    _run(new.pk, apply=False)
    other.refresh_from_db()
    assert other.status == ImportStatus.FAILED


@pytest.mark.django_db(transaction=True)  # on PostgreSQL progress is written through a second connection
def test_a_working_batch_keeps_its_lease(bappeda_client, reference, p3ke_file, settings):
    batch = _preview_then_kill(bappeda_client, p3ke_file())
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now() - datetime.timedelta(hours=3))
    progress = BatchProgress(batch.pk)
    progress.phase("write", 10)  # the worker reports: its lease is renewed
    progress.close()
    batch.refresh_from_db()
    assert batch.heartbeat_at > timezone.now() - datetime.timedelta(seconds=5)
    bappeda_client.get(reverse("households:import_status", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING


def test_a_worker_stopped_mid_task_fails_its_batch_at_once(bappeda_client, reference, p3ke_file, monkeypatch):
    upload(bappeda_client, p3ke_file())
    batch = ImportBatch.objects.get()
    writes = []

    def stopped(self, count):
        if self.message == "Menulis ke basis data":
            writes.append(count)
            raise SystemExit(1)  # db_worker's second SIGTERM/SIGINT

    monkeypatch.setattr(BatchProgress, "advance", stopped)
    with pytest.raises(SystemExit):
        _run(batch.pk, apply=True)
    batch.refresh_from_db()
    assert writes and batch.status == ImportStatus.FAILED and "tidak ada data yang diubah" in batch.message
    assert not Household.objects.exists()
