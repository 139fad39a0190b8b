"""Import batches: the stored original files of an upload, their hash, and the batch's own steps.

An import is an ``ImportBatch``: the uploaded original file(s) stored with it and their hash (the
same file twice is recognised), who and when, and its status from upload to result. Queueing and
cancelling change only the batch; reading and writing are ``services``.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import ImportBatch, ImportKind, ImportStatus

from .lease import stale_batches_fail
from .reader import Limits, ReadError, Source, open_source

# A batch in one of these is still being read or written: its pages refresh.
RUNNING_STATUSES = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.RUNNING)
# A batch in one of these may be confirmed: after its preview, or again after a failed write (a
# failed batch only when its file was read to the end: ``batch_confirmable``).
CONFIRMABLE_STATUSES = (ImportStatus.PREVIEWED, ImportStatus.REFUSED, ImportStatus.FAILED)


def batch_read(batch: ImportBatch) -> bool:
    """Whether the batch's last run read and checked its file to the end: its counts are that check's
    summary (every one has ``rows``). A run that failed while reading (a layout it could not read, a
    worker lost while previewing) leaves no summary there, only what it could not map."""
    return "rows" in (batch.counts or {})


def batch_confirmable(batch: ImportBatch) -> bool:
    """Whether the batch may be confirmed: previewed or refused, or failed while writing (retried by
    confirming again; the write reads and checks the file once more). A batch whose file could not be
    read has no preview to confirm: it is previewed again first (``import_repreview``)."""
    return batch.status in CONFIRMABLE_STATUSES and (batch.status != ImportStatus.FAILED or batch_read(batch))


def batch_repreviewable(batch: ImportBatch) -> bool:
    """Whether the batch failed while its file was read, so that it is previewed again, not confirmed."""
    return batch.status == ImportStatus.FAILED and not batch_read(batch)


def batch_running(batch: ImportBatch) -> bool:
    """Whether the batch's pages keep following it: it is still being read or written, or it is
    applied and the identity-duplicate scan after it still runs (while its worker is alive)."""
    if batch.status in RUNNING_STATUSES:
        return True
    if batch.status == ImportStatus.APPLIED and (batch.counts or {}).get("identity_scan") == "pending":
        cutoff = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
        return batch.heartbeat_at is not None and batch.heartbeat_at >= cutoff
    return False


def import_limits() -> Limits:
    """The upload limits from the settings (size, rows, uncompressed size of a workbook)."""
    return Limits(
        max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


def file_sha256(paths: list[Path]) -> str:
    """The hash of one file, or of the sorted hashes of several (their order does not matter)."""
    digests = [_file_digest(path) for path in paths]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def batch_create(
    *,
    kind: str,
    files: list[tuple[str, object]],
    by=None,
    skip_invalid: bool = False,
    full_extract: bool = True,
    data_year: int | None = None,
    options: dict | None = None,
) -> ImportBatch:
    """Store the uploaded original(s) on a new batch. ``files`` are ``(name, file object or path)``;
    the first is ``batch.file``, the others are listed in ``extra_files``. Batches whose worker died
    are failed first: they never stand in a new upload's way."""
    stale_batches_fail()
    batch = ImportBatch.objects.create(
        kind=kind, uploaded_by=by, skip_invalid=skip_invalid, full_extract=full_extract,
        # The year chosen on upload, kept apart from ``data_year`` (which the preview fills with the
        # year it found): the import is then read with the same choice as its preview (``services._checked``).
        data_year=data_year, options={"year": data_year, **(options or {})}, original_name=", ".join(name for name, _ in files)[:255],
        status=ImportStatus.PENDING,
    )
    storage = batch.file.storage
    extra = []
    for index, (name, content) in enumerate(files):
        handle = open(content, "rb") if isinstance(content, (str, Path)) else content
        try:
            django_file = File(handle, name=os.path.basename(name))
            if index == 0:
                batch.file.save(os.path.basename(name), django_file, save=False)
            else:
                stored = storage.save(f"imports/{timezone.now():%Y/%m}/{os.path.basename(name)}", django_file)
                extra.append({"name": name, "path": stored})
        finally:
            if isinstance(content, (str, Path)):
                handle.close()
    batch.extra_files = extra
    batch.sha256 = file_sha256(_stored_paths(batch))
    batch.save(update_fields=["file", "extra_files", "sha256"])
    return batch


def _stored_paths(batch: ImportBatch) -> list[Path]:
    storage = batch.file.storage
    paths = [Path(batch.file.path)]
    paths += [Path(storage.path(item["path"])) for item in batch.extra_files]
    return paths


def _stored_names(batch: ImportBatch) -> list[str]:
    names = [name.strip() for name in batch.original_name.split(",")] if batch.original_name else []
    paths = _stored_paths(batch)
    if len(names) != len(paths):
        names = [p.name for p in paths]
    return names


def open_sources(paths: list[Path], names: list[str]) -> list[Source]:
    """Open files for reading within the upload limits; ``names`` are what messages call them.
    Raises ``ReadError`` for a file that cannot be read."""
    limits = import_limits()
    if len(paths) > 1:
        # One file chosen twice (INDIVIDU for both): every row would be its own duplicate.
        first_named: dict[str, str] = {}
        for path, name in zip(paths, names):
            digest = _file_digest(path)
            if digest in first_named:
                raise ReadError(
                    _("%(first)s dan %(second)s berisi berkas yang sama: pilih berkas lembar lainnya "
                      "(mis. KEPALA-KELUARGA dan INDIVIDU), atau unggah satu berkas saja.") % {"first": first_named[digest], "second": name}
                )
            first_named[digest] = name
    return [open_source(path, display_name=name, limits=limits) for path, name in zip(paths, names)]


def open_stored(batch: ImportBatch) -> list[Source]:
    """Open the batch's stored originals, named as they were uploaded."""
    return open_sources(_stored_paths(batch), _stored_names(batch))


def same_file_batch(
    *, kind: str, sha256: str, exclude_pk: int | None = None, program: str | None = None, year: int | None = None
) -> ImportBatch | None:
    """The last applied batch of the same kind with the same file(s), if any. A recipient list is
    the same import only for the same program (``program``: the one chosen, None when the list
    names its own) and year: one list of names sent for two programs, or two years, is two lists."""
    queryset = ImportBatch.objects.filter(kind=kind, sha256=sha256, status=ImportStatus.APPLIED)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    queryset = queryset.order_by("-finished_at", "-pk")
    if kind != ImportKind.RECIPIENTS:
        return queryset.first()
    chosen = _program_key(program)
    return next((b for b in queryset if _program_key(b.options.get("program")) == chosen and b.data_year == year), None)


def _program_key(program: object) -> str:
    """A chosen program as the upload page (its code) and a command (as typed: ``PKH``) store it."""
    return str(program or "").strip().lower()


def import_queue(*, batch: ImportBatch, skip_invalid: bool | None = None, absent_confirmed: bool = False) -> ImportBatch:
    """Confirm a previewed batch, or retry a failed one: mark it queued for the background worker
    (which reads, checks and compares the file again before it writes). A batch whose preview found
    absent marks that need a confirmation (``absent_check`` in its counts) is queued only with
    ``absent_confirmed``; otherwise ``ValueError`` says so and the batch stays as it was."""
    stale_batches_fail(batch=batch)
    if batch_repreviewable(batch):
        raise ValueError(_("Berkas batch ini belum terbaca sampai selesai; jalankan Pratinjau ulang lalu periksa hasilnya sebelum konfirmasi."))
    if not batch_confirmable(batch):
        raise ValueError(_("Batch ini tidak dalam status pratinjau; tidak dapat dikonfirmasi."))
    if (batch.counts or {}).get("absent_check") and not (absent_confirmed or batch.options.get("absent_confirmed")):
        raise ValueError(
            _("Centang konfirmasi penandaan 'tidak ada di data terbaru' untuk menerapkan impor ini, atau batalkan.")
        )
    if skip_invalid is not None:
        batch.skip_invalid = skip_invalid
    if absent_confirmed:
        batch.options = {**batch.options, "absent_confirmed": True}
    batch.status = ImportStatus.QUEUED
    batch.save(update_fields=["status", "skip_invalid", "options"])
    return batch


def import_repreview(*, batch: ImportBatch) -> ImportBatch:
    """Read a batch that failed while its file was read again, with the column and value mappings
    saved since: it goes back to waiting for the preview task. Anything else raises ``ValueError``
    and the batch stays as it was."""
    stale_batches_fail(batch=batch)
    if not batch_repreviewable(batch):
        raise ValueError(_("Hanya impor yang gagal dibaca yang dapat dipratinjau ulang."))
    batch.status = ImportStatus.PENDING
    batch.started_at = batch.heartbeat_at = batch.finished_at = None
    batch.message = ""
    batch.save(update_fields=["status", "started_at", "heartbeat_at", "finished_at", "message"])
    return batch


def import_cancel(*, batch: ImportBatch) -> ImportBatch:
    """Cancel a batch that has not started writing; nothing is written."""
    stale_batches_fail(batch=batch)
    if batch.status in (ImportStatus.RUNNING, ImportStatus.APPLIED):
        raise ValueError(_("Batch yang sedang berjalan atau sudah diimpor tidak dapat dibatalkan."))
    batch.status = ImportStatus.CANCELLED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch
