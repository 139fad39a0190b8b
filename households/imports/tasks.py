"""Background tasks (django-tasks): an upload never holds a web request while it is read or written.

``manage.py db_worker`` runs them (the run command starts it next to the web server). Progress goes
to the batch row: while an import reads and writes inside its transaction, progress is written through a
second connection on PostgreSQL, and to a file on SQLite (``live``), so that the status page can
see it before the commit. Every progress
report renews the batch's lease (``heartbeat_at``, see ``households.imports.lease``); a worker stopped
by a signal mid-task fails its batch on the way out.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, connections
from django.utils import timezone
from django_tasks import task

from households.models import ImportBatch, ImportStatus

from .lease import batch_interrupted, stale_batches_fail
from .live import live_clear, live_write
from .progress import Progress
from .services import import_apply, import_identity_scan, import_preview

logger = logging.getLogger(__name__)

_PHASE_MESSAGES = {
    "read": "Membaca dan memeriksa baris",
    "compare": "Membandingkan dengan registri",
    "write": "Menulis ke basis data",
    "aids": "Mencatat kepesertaan dan memeriksa satu bantuan",
    "identity": "Mencari duplikat identitas",
}


class BatchProgress(Progress):
    """Writes ``processed_rows``/``total_rows``, the phase and the lease to the batch, at most twice
    a second."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.done = 0
        self.total = 0
        self.message = ""
        self.last = 0.0
        self._side = None

    def phase(self, name: str, total: int = 0) -> None:
        self.done, self.total = 0, total
        self.message = _PHASE_MESSAGES.get(name, name)
        self._write(force=True)

    def advance(self, count: int) -> None:
        self.done += count
        self._write()

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        params = [self.done, self.total, self.message, timezone.now(), self.batch_id]
        sql = (
            "UPDATE households_importbatch SET processed_rows = %s, total_rows = %s, message = %s, heartbeat_at = %s "
            "WHERE id = %s"
        )
        if connection.in_atomic_block and connection.vendor == "postgresql":
            if self._side is None:
                self._side = connections.create_connection("default")
                self._side.set_autocommit(True)
            with self._side.cursor() as cursor:
                cursor.execute(sql, params)
        elif connection.in_atomic_block:
            live_write(self.batch_id, done=self.done, total=self.total, message=self.message)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        live_clear(self.batch_id)


def _run(batch_id: int, *, apply: bool) -> str:
    stale_batches_fail()  # batches an earlier worker left behind
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportStatus.CANCELLED:
        return batch.status
    progress = BatchProgress(batch_id)
    try:
        if apply:
            # The import commits first; the identity scan then runs in its own transaction.
            outcome = import_identity_scan(
                import_apply(batch=batch, progress=progress, scan_follows=True), progress=progress
            )
        else:
            outcome = import_preview(batch=batch, progress=progress)
    except BaseException:
        # Stopped mid-task (SIGTERM/SIGINT to the worker) or an error the run did not expect: the
        # transaction has rolled back, so the batch must not stay "reading" or "importing".
        try:
            batch_interrupted(batch_id=batch_id)
        except Exception:  # noqa: BLE001 - the database is gone too: the lease will tell
            logger.exception("Could not mark import batch %s as interrupted", batch_id)
        raise
    finally:
        progress.close()
    return outcome.status


@task()
def preview_import_task(batch_id: int) -> str:
    """Read, validate and compare an uploaded batch; nothing is written to the registry."""
    return _run(batch_id, apply=False)


@task()
def apply_import_task(batch_id: int) -> str:
    """Write a confirmed batch (all or nothing)."""
    return _run(batch_id, apply=True)
