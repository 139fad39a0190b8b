"""Whether a batch's worker is still alive: its lease (``ImportBatch.heartbeat_at``).

The worker renews the lease with every progress report (``tasks.BatchProgress``) while it reads or
writes a batch. A batch still reading or writing whose lease is older than
``IMPORT_STALE_AFTER_SECONDS`` lost its worker (killed, or restarted mid-task): it is failed, with
the truth that nothing was changed (the write is one transaction, and the batch becomes "applied"
inside it); a lost write may be confirmed again, a lost preview is previewed again. A worker
stopped by a signal fails its batch at once.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from households.models import ImportBatch, ImportStatus

from .live import live_fresh

WORKING_STATUSES = (ImportStatus.VALIDATING, ImportStatus.RUNNING)
# What a batch lost in each of them is told: a preview lost while reading has no preview to confirm
# (``batches.batch_confirmable``) and is previewed again; a lost write is confirmed again.
_LOST = {
    ImportStatus.VALIDATING: gettext_noop(
        "Proses impor berhenti tanpa selesai (pekerja latar belakang mati atau dimulai ulang); tidak ada "
        "data yang diubah. Jalankan Pratinjau ulang untuk membaca berkas lagi."
    ),
    ImportStatus.RUNNING: gettext_noop(
        "Proses impor berhenti tanpa selesai (pekerja latar belakang mati atau dimulai ulang); tidak ada "
        "data yang diubah. Konfirmasi lagi untuk mengulang."
    ),
}
_STOPPED = {
    ImportStatus.VALIDATING: gettext_noop(
        "Proses impor dihentikan sebelum selesai; tidak ada data yang diubah. Jalankan Pratinjau ulang untuk "
        "membaca berkas lagi."
    ),
    ImportStatus.RUNNING: gettext_noop(
        "Proses impor dihentikan sebelum selesai; tidak ada data yang diubah. Konfirmasi lagi untuk mengulang."
    ),
}


def stale_batches_fail(*, batch: ImportBatch | None = None) -> int:
    """Fail the batches (or this one) whose worker stopped reporting while it read or wrote: killed,
    or restarted mid-task. The write is one transaction, so such a batch changed nothing; a lost
    write may be confirmed again, a lost preview is previewed again. Looked at by the status pages,
    the worker, confirm, cancel and a new upload."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    lost = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    stale = ImportBatch.objects.filter(lost, status__in=WORKING_STATUSES)
    if batch is not None:
        stale = stale.filter(pk=batch.pk)
    # Read first, write only what is really stale: on SQLite an UPDATE waits for an import's open
    # write transaction, whose worker reports its progress to a file meanwhile (``live``).
    lost_ids = [pk for pk in stale.values_list("pk", flat=True) if not live_fresh(pk, cutoff)]
    if not lost_ids:
        return 0
    stale = stale.filter(pk__in=lost_ids)
    count = 0
    with translation.override(settings.LANGUAGE_CODE):
        for status, message in _LOST.items():
            count += stale.filter(status=status).update(status=ImportStatus.FAILED, message=_(message), finished_at=timezone.now())
    if count and batch is not None:
        batch.refresh_from_db(fields=["status", "message", "finished_at"])
    return count


def batch_interrupted(*, batch_id: int) -> None:
    """The worker is being stopped in the middle of this batch (the transaction has rolled back)."""
    with translation.override(settings.LANGUAGE_CODE):
        for status, message in _STOPPED.items():
            ImportBatch.objects.filter(pk=batch_id, status=status).update(
                status=ImportStatus.FAILED, message=_(message), finished_at=timezone.now()
            )
