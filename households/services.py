"""Imports as services: the admin, the background task and the commands all call these.

An import is an ``ImportBatch``: the stored original file(s) and their hash, who and when, then
``import_preview`` (read, validate, compare with the registry: counts, errors, error report;
nothing written to the registry) and ``import_apply`` (the same again on the registry as it is
now, then one transaction). With any row error, ``import_apply`` refuses unless the batch says
``skip_invalid`` (import the valid rows, skip the invalid ones).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from households.imports.compare import make_plan
from households.imports.context import build_context
from households.imports.dtks import parse_dtks
from households.imports.p3ke import parse_p3ke
from households.imports.plan import ImportPlan
from households.imports.progress import Progress
from households.imports.reader import Limits, ReadError, Source, open_source
from households.imports.recipients import parse_recipients
from households.imports.report import write_error_report
from households.models import ImportBatch, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

MAX_STORED_ISSUES = 500

# The outcome of a run, as the commands' exit codes and the admin messages use it.
PREVIEWED, APPLIED, REFUSED, UNREADABLE, FAILED = "previewed", "applied", "refused", "unreadable", "failed"


@dataclass
class ImportOutcome:
    status: str
    summary: dict = field(default_factory=dict)
    message: str = ""
    batch: ImportBatch | None = None
    plan: ImportPlan | None = None

    def as_json(self) -> dict:
        data = {
            "status": self.status,
            "households": self.summary.get("households", _zero_counts()),
            "members": self.summary.get("members", _zero_counts()),
            "errors": self.summary.get("errors", 0),
            "warnings": self.summary.get("warnings", 0),
            "batch": self.batch.pk if self.batch is not None and self.batch.pk else None,
        }
        for key in ("enrollments", "rows", "error_rows", "warning_rows", "data_year", "same_as_batch", "identity_duplicates"):
            if key in self.summary:
                data[key] = self.summary[key]
        if self.message:
            data["message"] = self.message
        return data


def _zero_counts() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}


def import_limits() -> Limits:
    return Limits(
        max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


def file_sha256(paths: list[Path]) -> str:
    """The hash of one file, or of the sorted hashes of several (their order does not matter)."""
    digests = []
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digests.append(digest.hexdigest())
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


# --- batches


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
    the first is ``batch.file``, the others are listed in ``extra_files``."""
    batch = ImportBatch.objects.create(
        kind=kind, uploaded_by=by, skip_invalid=skip_invalid, full_extract=full_extract,
        data_year=data_year, options=options or {}, original_name=", ".join(name for name, _ in files)[:255],
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


def _open(paths: list[Path], names: list[str]) -> list[Source]:
    limits = import_limits()
    return [open_source(path, display_name=name, limits=limits) for path, name in zip(paths, names)]


def same_file_batch(*, kind: str, sha256: str, exclude_pk: int | None = None) -> ImportBatch | None:
    """The last applied batch of the same kind with the same file(s), if any."""
    queryset = ImportBatch.objects.filter(kind=kind, sha256=sha256, status=ImportStatus.APPLIED)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.order_by("-finished_at", "-pk").first()


# --- the engine, per kind


def _build_plan(kind: str, sources: list[Source], *, data_year, full_extract, options, progress: Progress) -> ImportPlan:
    if kind == ImportKind.RECIPIENTS:
        return parse_recipients(sources, options=options, progress=progress.advance)
    ctx = build_context(data_year=data_year)
    parse = parse_p3ke if kind == ImportKind.P3KE else parse_dtks
    extract = parse(sources, ctx, progress=progress.advance)
    progress.phase("compare", extract.total_rows)
    return make_plan(extract, full_extract=full_extract)


def _issue_dicts(issues, limit=MAX_STORED_ISSUES) -> list[dict]:
    return [issue.as_dict() for issue in issues[:limit]]


def _store_report(batch: ImportBatch, sources: list[Source], plan: ImportPlan) -> None:
    issues = plan.issues
    if not issues.errors:
        if batch.error_report:
            batch.error_report.delete(save=False)
        return
    buffer = io.BytesIO()
    write_error_report(buffer, sources, issues)
    batch.error_report.save(f"laporan-kesalahan-batch-{batch.pk}.xlsx", ContentFile(buffer.getvalue()), save=False)


def _same_file_note(batch: ImportBatch, summary: dict) -> str:
    earlier = same_file_batch(kind=batch.kind, sha256=batch.sha256, exclude_pk=batch.pk)
    if earlier is None:
        return ""
    summary["same_as_batch"] = earlier.pk
    when = timezone.localtime(earlier.finished_at).strftime("%d/%m/%Y %H:%M") if earlier.finished_at else ""
    return _("Berkas yang sama sudah diimpor pada batch #%(pk)s (%(when)s).") % {"pk": earlier.pk, "when": when}


# Imports that write take this PostgreSQL advisory lock (any constant; one lock for the registry).
IMPORT_LOCK_KEY = 7409_0001


@contextmanager
def import_lock():
    """Imports that write run one at a time, from reading the registry to the commit: two imports
    of the same file started together would each plan against the registry without the other's
    rows and then both write (families twice, or a unique-key failure). A session lock, so it
    spans the planning and the write transaction, and ends with the connection if a worker dies.
    SQLite needs none here: it serialises writers, and the development setup runs one worker."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])


def _run(batch: ImportBatch, *, apply: bool, by, progress: Progress) -> ImportOutcome:
    """Parse (and, when ``apply``, write) the batch's stored files; record the outcome on it.

    The batch's message is stored text, so it is written in Indonesian whatever the language of the
    user who started the run (the worker and the commands run in Indonesian anyway)."""
    with translation.override(settings.LANGUAGE_CODE):
        if not apply:
            return _run_unlocked(batch, apply=False, by=by, progress=progress)
        with import_lock():
            batch.refresh_from_db(fields=["status"])
            if batch.status == ImportStatus.APPLIED:  # confirmed twice: the other run already wrote it
                return ImportOutcome(APPLIED, summary=batch.counts, message=batch.message, batch=batch)
            return _run_unlocked(batch, apply=True, by=by, progress=progress)


def _run_unlocked(batch: ImportBatch, *, apply: bool, by, progress: Progress) -> ImportOutcome:
    progress = progress or Progress()
    batch.status = ImportStatus.RUNNING if apply else ImportStatus.VALIDATING
    batch.started_at = batch.started_at or timezone.now()
    batch.message = ""
    batch.save(update_fields=["status", "started_at", "message"])
    sources: list[Source] = []
    try:
        sources = _open(_stored_paths(batch), _stored_names(batch))
        progress.phase("read")
        plan = _build_plan(
            batch.kind, sources, data_year=batch.data_year, full_extract=batch.full_extract,
            options=batch.options, progress=progress,
        )
    except ReadError as exc:
        for source in sources:
            source.close()
        batch.status = ImportStatus.FAILED
        batch.message = str(exc)
        batch.finished_at = timezone.now()
        batch.errors = [{"sheet": "", "row": 0, "column": "", "reason": str(exc)}]
        batch.save(update_fields=["status", "message", "finished_at", "errors"])
        return ImportOutcome(UNREADABLE, message=str(exc), batch=batch)
    summary = plan.summary()
    issues = plan.issues
    note = _same_file_note(batch, summary)
    batch.total_rows = summary.get("rows", 0)
    batch.processed_rows = batch.total_rows
    batch.errors = _issue_dicts(issues.errors)
    batch.warnings = _issue_dicts(issues.warnings)
    batch.data_year = batch.data_year or summary.get("data_year")
    _store_report(batch, sources, plan)
    for source in sources:
        source.close()
    refused = bool(issues.errors) and not batch.skip_invalid
    if not apply or refused:
        batch.status = ImportStatus.REFUSED if (apply and refused) else ImportStatus.PREVIEWED
        if apply and refused:
            batch.message = ngettext(
                "Impor ditolak: %(n)s kesalahan di %(rows)s baris. Tidak ada data yang diubah.",
                "Impor ditolak: %(n)s kesalahan di %(rows)s baris. Tidak ada data yang diubah.",
                summary["errors"],
            ) % {
                "n": summary["errors"], "rows": summary["error_rows"],
            }
            batch.finished_at = timezone.now()
        else:
            batch.message = note
        batch.counts = summary
        batch.save()
        status = REFUSED if (apply and refused) else PREVIEWED
        return ImportOutcome(status, summary=summary, message=batch.message, batch=batch, plan=plan)
    try:
        summary["enrollments"] = plan.apply(batch=batch, by=by, progress=progress)
    except Exception as exc:  # the transaction rolled back: record why, write nothing else
        logger.exception("Import batch %s failed", batch.pk)
        batch.status = ImportStatus.FAILED
        batch.message = _("Impor gagal di tengah jalan; tidak ada data yang diubah. Penyebab: %(error)s") % {"error": exc}
        batch.finished_at = timezone.now()
        batch.counts = summary
        batch.save()
        return ImportOutcome(FAILED, summary=summary, message=batch.message, batch=batch, plan=plan)
    batch.status = ImportStatus.APPLIED
    batch.finished_at = timezone.now()
    batch.counts = summary
    if not plan.has_changes and note:
        batch.message = note + " " + _("Tidak ada perubahan.")
    else:
        batch.message = note
    batch.save()
    return ImportOutcome(APPLIED, summary=summary, message=batch.message, batch=batch, plan=plan)


def import_preview(*, batch: ImportBatch, progress: Progress | None = None) -> ImportOutcome:
    """Read and validate the batch's file(s) and compare with the registry; write nothing there."""
    return _run(batch, apply=False, by=batch.uploaded_by, progress=progress)


def import_apply(*, batch: ImportBatch, by=None, progress: Progress | None = None) -> ImportOutcome:
    """Re-read the file(s), compare with the registry as it is now and write, all or nothing."""
    return _run(batch, apply=True, by=by or batch.uploaded_by, progress=progress)


def import_identity_scan(outcome: ImportOutcome, *, progress: Progress | None = None) -> ImportOutcome:
    """After an applied P3KE or DTKS import has committed, look for identity duplicates (the same
    NIK, No KK or head in two records) in a transaction of its own, so the import's transaction
    stays short and its locks are released first. The number of open identity duplicates goes to
    the summary (``identity_duplicates``) and the batch's counts. When the import changed nothing,
    there is nothing new to find: only the open ones are counted. A failure of the scan is logged;
    the import stays applied."""
    batch = outcome.batch
    if outcome.status != APPLIED or batch is None or batch.kind not in (ImportKind.P3KE, ImportKind.DTKS):
        return outcome
    from dedup import services as dedup_services
    from dedup.models import IdentityMatch, IdentityStatus

    if progress is not None:
        progress.phase("identity")
    try:
        # A run that found the batch already applied by another has no plan: scan anyway.
        if outcome.plan is None or outcome.plan.has_changes:
            open_total = dedup_services.identity_scan().open_total
        else:
            open_total = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).count()
    except Exception:  # noqa: BLE001 - the import itself is committed; the scan can be run again
        logger.exception("Identity scan after import batch %s failed", batch.pk)
        return outcome
    outcome.summary["identity_duplicates"] = open_total
    batch.counts = {**(batch.counts or {}), "identity_duplicates": open_total}
    batch.save(update_fields=["counts"])
    return outcome


def import_queue(*, batch: ImportBatch, skip_invalid: bool | None = None) -> ImportBatch:
    """Confirm a previewed batch: mark it queued for the background worker."""
    if batch.status not in (ImportStatus.PREVIEWED, ImportStatus.REFUSED):
        raise ValueError(_("Batch ini tidak dalam status pratinjau; tidak dapat dikonfirmasi."))
    if skip_invalid is not None:
        batch.skip_invalid = skip_invalid
    batch.status = ImportStatus.QUEUED
    batch.save(update_fields=["status", "skip_invalid"])
    return batch


def import_cancel(*, batch: ImportBatch) -> ImportBatch:
    if batch.status in (ImportStatus.RUNNING, ImportStatus.APPLIED):
        raise ValueError(_("Batch yang sedang berjalan atau sudah diimpor tidak dapat dibatalkan."))
    batch.status = ImportStatus.CANCELLED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def run_file_import(
    *,
    kind: str,
    paths: list[str],
    by=None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    full_extract: bool = True,
    data_year: int | None = None,
    options: dict | None = None,
    progress: Progress | None = None,
    error_report: str | None = None,
    scan_identities: bool = False,
) -> ImportOutcome:
    """The commands' path: one read, one plan; a dry run writes nothing at all (no batch either).
    With ``scan_identities``, an applied P3KE/DTKS import is followed by the identity-duplicate
    scan, after its transaction (``import_identity_scan``)."""
    progress = progress or Progress()
    names = [os.path.basename(p) for p in paths]
    try:
        sources = _open([Path(p) for p in paths], names)
    except ReadError as exc:
        return ImportOutcome(UNREADABLE, message=str(exc))
    if not dry_run:
        # Store the originals first (the batch keeps them), then run from the stored copies.
        for source in sources:
            source.close()
        batch = batch_create(
            kind=kind, files=[(name, path) for name, path in zip(names, paths)], by=by, skip_invalid=skip_invalid,
            full_extract=full_extract, data_year=data_year, options=options,
        )
        outcome = import_apply(batch=batch, by=by, progress=progress)
        if scan_identities:
            import_identity_scan(outcome, progress=progress)
        if error_report and outcome.batch is not None and outcome.batch.error_report:
            with outcome.batch.error_report.open("rb") as src, open(error_report, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return outcome
    try:
        progress.phase("read")
        plan = _build_plan(kind, sources, data_year=data_year, full_extract=full_extract, options=options or {}, progress=progress)
    except ReadError as exc:
        for source in sources:
            source.close()
        return ImportOutcome(UNREADABLE, message=str(exc))
    summary = plan.summary()
    issues = plan.issues
    if error_report and issues.errors:
        with open(error_report, "wb") as handle:
            write_error_report(handle, sources, issues)
    for source in sources:
        source.close()
    sha = file_sha256([Path(p) for p in paths])
    earlier = same_file_batch(kind=kind, sha256=sha)
    message = ""
    if earlier is not None:
        summary["same_as_batch"] = earlier.pk
        message = _("Berkas yang sama sudah diimpor pada batch #%(pk)s.") % {"pk": earlier.pk}
    status = REFUSED if issues.errors and not skip_invalid else PREVIEWED
    return ImportOutcome(status, summary=summary, message=message, plan=plan)


def temp_copy(upload) -> str:
    """Write an uploaded file to a temporary path (for code that needs a path)."""
    handle, name = tempfile.mkstemp(suffix=Path(upload.name).suffix)
    with os.fdopen(handle, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name
