"""A batch's progress while its write transaction is open, where the database cannot show it.

On PostgreSQL the worker reports progress through a second connection (``tasks.BatchProgress``).
SQLite (the ``make run`` database) allows one writer at a time: while the import's transaction is
open no other connection can write the batch row, and what the worker writes inside it is seen by
nobody before the commit. There the worker writes its progress to a small file beside the stored
uploads; the status pages read it (``live_overlay``) and the lease counts it as a sign of life
(``live_fresh``). The file is removed when the run ends.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from households.models import ImportBatch, ImportStatus


def _path(batch_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{int(batch_id)}.json"


def live_write(batch_id: int, *, done: int, total: int, message: str) -> None:
    """Record the progress (replacing the file at once, so a reader never sees half of it)."""
    path = _path(batch_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    data = {"done": done, "total": total, "message": message, "at": timezone.now().isoformat()}
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, path)


def live_clear(batch_id: int) -> None:
    _path(batch_id).unlink(missing_ok=True)


def _read(batch_id: int) -> dict | None:
    try:
        data = json.loads(_path(batch_id).read_text(encoding="utf-8"))
        data["at"] = datetime.datetime.fromisoformat(data["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data


def live_fresh(batch_id: int, cutoff: datetime.datetime) -> bool:
    """Whether the worker wrote progress for this batch after ``cutoff``."""
    data = _read(batch_id)
    return data is not None and data["at"] >= cutoff


def live_overlay(batch: ImportBatch) -> ImportBatch:
    """Show on ``batch`` (not saved) the progress its worker is writing inside its transaction."""
    if batch.status != ImportStatus.RUNNING:
        return batch
    data = _read(batch.pk)
    if data is not None and (batch.heartbeat_at is None or data["at"] > batch.heartbeat_at):
        batch.processed_rows, batch.total_rows = data["done"], data["total"]
        batch.message, batch.heartbeat_at = data["message"], data["at"]
    return batch
