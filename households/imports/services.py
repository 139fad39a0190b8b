"""Running an import: the admin, the background task and the commands all call these.

A batch (``batches``) holds the stored original file(s). ``import_preview`` reads, validates and
compares them with the registry (counts, errors, error report; nothing written to the registry);
``import_apply`` does the same again on the registry as it is now, then writes the plan, reading
and writing in one transaction (a P3KE extract's new families are written while its individual
sheet is still being read, ``write.HouseholdsAhead``), one import at a time (``lock``). With any row error, ``import_apply`` refuses unless
the batch says ``skip_invalid`` (import the valid rows, skip the invalid ones); it refuses a full
extract whose absent marks need a confirmation (``ExtractPlan.absent_check``) unless the batch's
options say ``absent_confirmed``. After an applied P3KE or DTKS import, ``import_identity_scan``
looks for identity duplicates in a transaction of its own. ``run_file_import`` is the commands'
path: files on disk, optionally a dry run.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
from contextlib import nullcontext
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dedup import services as dedup_services
from dedup.models import IdentityMatch, IdentityStatus
from households.models import ImportBatch, ImportKind, ImportStatus

from .batches import batch_create, file_sha256, open_sources, open_stored, same_file_batch
from .common import empty_extract_message
from .compare import known_rows, make_plan
from .context import build_context
from .dtks import parse_dtks, parse_dtsen
from .failures import failure_cause, identity_scan_failure
from .lock import import_lock
from .longlived import keep, long_lived
from .outcome import (
    APPLIED, FAILED, PREVIEWED, REFUSED, UNCONFIRMED, UNREADABLE, ImportOutcome, applied_message, covered_message,
    family_notes, kept_message,
)
from .p3ke import parse_p3ke
from .plan import ImportPlan, absent_warning
from .progress import Progress
from .reader import ReadError, Source
from .recipients import parse_recipients
from .report import write_error_report
from .write import HouseholdsAhead

logger = logging.getLogger(__name__)

# Errors and warnings kept on the batch for its pages (the error report holds every one).
MAX_STORED_ISSUES = 500


def _build_plan(
    kind: str, sources: list[Source], *, data_year, full_extract, options, progress: Progress,
    ahead: HouseholdsAhead | None = None, applying: bool = False,
) -> ImportPlan:
    """``ahead``: writes a P3KE extract's new households while its individual sheet is still read
    (in the caller's transaction); the plan then does not write them again. ``applying``: the plan
    is written next (a recipient list's conflicts are then raised, not forecast)."""
    if kind == ImportKind.RECIPIENTS:
        return parse_recipients(sources, options=options, progress=progress.advance, forecast=not applying)
    ctx = build_context(data_year=data_year, kind=kind)
    # Read by the parser before its rows: a row hashed as its stored record was is skipped as
    # unchanged (``rowhash``).
    ctx.load_known = partial(known_rows, kind)
    ctx.households_read = ahead
    parse = {ImportKind.P3KE: parse_p3ke, ImportKind.DTSEN: parse_dtsen}.get(kind, parse_dtks)
    with long_lived():
        extract = parse(sources, ctx, progress=progress.advance)
        keep()  # the extract stays to the end of the import
        if not extract.total_rows:
            raise ReadError(empty_extract_message(extract))
        progress.phase("compare", extract.total_rows)
        plan = make_plan(extract, full_extract=full_extract, known=ctx.read_known())
    if ahead is not None and ahead.written:
        plan.households_ahead = ahead
    return plan


def _issue_dicts(issues, limit=MAX_STORED_ISSUES) -> list[dict]:
    return [issue.as_dict() for issue in issues[:limit]]


def _store_report(batch: ImportBatch, sources: list[Source], plan: ImportPlan) -> None:
    issues = plan.issues
    if not issues.errors and not issues.warnings:
        if batch.error_report:
            batch.error_report.delete(save=False)
        return
    buffer = io.BytesIO()
    write_error_report(buffer, sources, issues)
    batch.error_report.save(f"laporan-kesalahan-batch-{batch.pk}.xlsx", ContentFile(buffer.getvalue()), save=False)


def _same_file_note(batch: ImportBatch, summary: dict) -> str:
    earlier = same_file_batch(
        kind=batch.kind, sha256=batch.sha256, exclude_pk=batch.pk, program=batch.options.get("program"),
        year=batch.data_year or summary.get("data_year"),
    )
    if earlier is None:
        return ""
    summary["same_as_batch"] = earlier.pk
    when = timezone.localtime(earlier.finished_at).strftime("%d/%m/%Y %H:%M") if earlier.finished_at else ""
    return _("Berkas yang sama sudah diimpor pada batch #%(pk)s (%(when)s).") % {"pk": earlier.pk, "when": when}


def _run(batch: ImportBatch, *, apply: bool, by, progress: Progress, scan_follows: bool = False) -> ImportOutcome:
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
            return _run_unlocked(batch, apply=True, by=by, progress=progress, scan_follows=scan_follows)


class _Undone(Exception):  # noqa: N818 - not an error: how the transaction is left
    """Leaves the import's transaction (rolling it back) with the outcome to record after it."""

    def __init__(self, outcome: ImportOutcome, fields: list[str] | None = None) -> None:
        super().__init__(outcome.status)
        self.outcome, self.fields = outcome, fields


def _run_unlocked(batch: ImportBatch, *, apply: bool, by, progress: Progress, scan_follows: bool = False) -> ImportOutcome:
    """A preview reads and records. An import reads, checks and writes in one transaction: its new
    families are written while the file is still read (``write.HouseholdsAhead``); anything but an
    applied import rolls it all back, and the batch's outcome is recorded after that."""
    progress = progress or Progress()
    batch.status = ImportStatus.RUNNING if apply else ImportStatus.VALIDATING
    batch.started_at = batch.started_at or timezone.now()
    batch.heartbeat_at = timezone.now()
    batch.message = ""
    batch.save(update_fields=["status", "started_at", "heartbeat_at", "message"])
    checked = None
    try:
        with transaction.atomic() if apply else nullcontext():
            ahead = None
            if apply:
                _keep_idle_transaction()
                if batch.kind == ImportKind.P3KE:
                    ahead = HouseholdsAhead(kind=batch.kind, batch=batch, by=by)
            checked = _checked(batch, apply=apply, progress=progress, ahead=ahead)
            return _written(batch, *checked, by=by, progress=progress, scan_follows=scan_follows)
    except _Undone as undone:
        batch.save(update_fields=undone.fields)
        return undone.outcome
    except Exception as exc:
        if checked is None:
            raise  # not a reading's outcome (``ReadError`` is): a fault of the code, as before
        # The write, or the commit (the database's deferred checks), failed: everything rolled back.
        return _failed(batch, *checked, exc)


def _keep_idle_transaction() -> None:
    """The import's transaction sits idle while the file is read (minutes for a province): a
    server-wide ``idle_in_transaction_session_timeout`` must not end it (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")


def _checked(batch: ImportBatch, *, apply: bool, progress: Progress, ahead: HouseholdsAhead | None):
    """Read and check the batch's files: ``(plan, summary, note)`` of an import to write, else
    ``_Undone`` with the batch's outcome (a preview's too)."""
    sources: list[Source] = []
    try:
        sources = open_stored(batch)
        progress.phase("read")
        # The year chosen on upload, not the one the preview found (``batch_create``): read as previewed.
        chosen_year = batch.options["year"] if "year" in batch.options else batch.data_year
        plan = _build_plan(
            batch.kind, sources, data_year=chosen_year, full_extract=batch.full_extract,
            options=batch.options, progress=progress, ahead=ahead, applying=apply,
        )
        summary = plan.summary()
        issues = plan.issues
        _store_report(batch, sources, plan)  # may read the file again
    except ReadError as exc:
        batch.status = ImportStatus.FAILED
        batch.message = str(exc)
        batch.finished_at = timezone.now()
        batch.errors = [{"sheet": "", "row": 0, "column": "", "reason": str(exc)}]
        batch.counts = exc.details
        raise _Undone(
            ImportOutcome(UNREADABLE, summary=exc.details, message=str(exc), batch=batch),
            ["status", "message", "finished_at", "errors", "error_report", "counts"],
        ) from None
    finally:
        for source in sources:
            source.close()
    note = _same_file_note(batch, summary)
    batch.total_rows = summary.get("rows", 0)
    batch.processed_rows = batch.total_rows
    batch.errors = _issue_dicts(issues.errors)
    batch.warnings = _issue_dicts(issues.warnings)
    batch.data_year = batch.data_year or summary.get("data_year")
    refused = bool(issues.errors) and not batch.skip_invalid
    check = summary.get("absent_check")
    if apply and not refused and check and not batch.options.get("absent_confirmed"):
        # A full extract that would mark many families absent, or an older one: only with a confirmation.
        batch.status = ImportStatus.REFUSED
        # The families it would leave unmarked (newer data holds them) said with those it would mark.
        said = " ".join(
            part for part in (absent_warning(check), kept_message(summary), covered_message(summary)) if part
        )
        batch.message = said + " " + _("Impor ini perlu dikonfirmasi; tidak ada data yang diubah.")
        batch.finished_at = timezone.now()
        batch.counts = summary
        raise _Undone(ImportOutcome(UNCONFIRMED, summary=summary, message=batch.message, batch=batch, plan=plan))
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
            batch.message = " ".join(part for part in (note, family_notes(summary)) if part)
        batch.counts = summary
        status = REFUSED if (apply and refused) else PREVIEWED
        raise _Undone(ImportOutcome(status, summary=summary, message=batch.message, batch=batch, plan=plan))
    return plan, summary, note


def _written(batch: ImportBatch, plan: ImportPlan, summary: dict, note: str, *, by, progress: Progress, scan_follows: bool):
    """Write the checked plan; the batch becomes "applied" in the same transaction: a worker that
    dies at any point leaves either everything written and the batch applied, or nothing at all."""
    summary["enrollments"] = plan.apply(batch=batch, by=by, progress=progress)
    batch.status = ImportStatus.APPLIED
    batch.finished_at = timezone.now()
    # Committed with the batch: its pages keep following it until the scan after it is done.
    batch.counts = {**summary, "identity_scan": "pending"} if scan_follows and _scanned(batch) else summary
    batch.message = " ".join(part for part in (note, applied_message(summary)) if part)
    batch.save()
    return ImportOutcome(APPLIED, summary=summary, message=batch.message, batch=batch, plan=plan)


def _failed(batch: ImportBatch, plan: ImportPlan, summary: dict, note: str, exc: Exception) -> ImportOutcome:
    """Record, after the rollback, why the write failed; nothing else was written."""
    # The database's own text can quote a row (a NIK, a name): it goes to the server log only.
    logger.error("Import batch %s failed", batch.pk, exc_info=exc)
    batch.status = ImportStatus.FAILED
    batch.message = _("Impor gagal di tengah jalan; tidak ada data yang diubah. Penyebab: %(cause)s") % {
        "cause": failure_cause(exc)
    }
    batch.finished_at = timezone.now()
    batch.counts = summary
    batch.save()
    return ImportOutcome(FAILED, summary=summary, message=batch.message, batch=batch, plan=plan)


def import_preview(*, batch: ImportBatch, progress: Progress | None = None) -> ImportOutcome:
    """Read and validate the batch's file(s) and compare with the registry; write nothing there."""
    return _run(batch, apply=False, by=batch.uploaded_by, progress=progress)


def import_apply(
    *, batch: ImportBatch, by=None, progress: Progress | None = None, scan_follows: bool = False
) -> ImportOutcome:
    """Re-read the file(s), compare with the registry as it is now and write, all or nothing.
    ``scan_follows``: the caller runs ``import_identity_scan`` next; the applied batch says so
    (``counts["identity_scan"] == "pending"``) until the scan is done."""
    return _run(batch, apply=True, by=by or batch.uploaded_by, progress=progress, scan_follows=scan_follows)


def _scanned(batch: ImportBatch) -> bool:
    """Whether an applied batch of this kind is followed by the identity-duplicate scan."""
    return batch.kind in (ImportKind.P3KE, ImportKind.DTKS, ImportKind.DTSEN)


def import_identity_scan(outcome: ImportOutcome, *, progress: Progress | None = None) -> ImportOutcome:
    """After an applied P3KE or DTKS import has committed, look for identity duplicates (the same
    NIK, No KK or head in two records) of the families it wrote, with any record of the registry,
    in a transaction of its own, so the import's transaction (already as long as reading the file)
    grows no longer and its locks are released first. The number of open identity duplicates goes to the summary (``identity_duplicates``) and
    the batch's counts. When the import changed nothing, there is nothing new to find: only the open
    ones are counted. A run that found the batch applied by another has no plan, and scans the whole
    registry. A failure of the scan is logged and
    said on the batch and in the outcome's message (the import stays applied; the scan can be run
    again from the identity-duplicate page)."""
    batch = outcome.batch
    if outcome.status != APPLIED or batch is None or not _scanned(batch):
        return outcome
    final_message = batch.message  # the phase text below replaces it while the scan runs
    if progress is not None:
        progress.phase("identity")
    try:
        before = IdentityMatch.objects.aggregate(last=Max("pk"))["last"] or 0
        if outcome.plan is None:
            open_total = dedup_services.identity_scan().open_total
        elif outcome.plan.has_changes:
            # Only the families this import wrote (and their counterparts anywhere in the registry):
            # the others were scanned when they were written; the whole scan is Bappeda's button.
            open_total = dedup_services.identity_scan(households=outcome.plan.touched_households).open_total
        else:
            open_total = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).count()
        new = IdentityMatch.objects.filter(pk__gt=before).aggregate(count=Count("pk"), first=Min("pk"), last=Max("pk"))
    except Exception:  # noqa: BLE001 - the import itself is committed; the scan can be run again
        logger.exception("Identity scan after import batch %s failed", batch.pk)
        outcome.message = identity_scan_failure(batch=batch, message=final_message)
        outcome.summary["identity_scan_failed"] = True
        return outcome
    outcome.summary["identity_duplicates"] = open_total
    counts = {**(batch.counts or {}), "identity_duplicates": open_total}
    counts.pop("identity_scan", None)
    if new["count"]:
        # The id range of the duplicates this scan found, for the batch page's link to them.
        outcome.summary["new_identity_duplicates"] = counts["new_identity_duplicates"] = new
    batch.counts = counts
    batch.message = final_message
    batch.save(update_fields=["counts", "message"])
    return outcome


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
    confirm_absent: bool = False,
) -> ImportOutcome:
    """The commands' path: one read, one plan; a dry run writes nothing at all (no batch either).
    With ``scan_identities``, an applied P3KE/DTKS import is followed by the identity-duplicate
    scan, after its transaction (``import_identity_scan``). A full extract whose absent marks need a
    confirmation (``ExtractPlan.absent_check``) is applied only with ``confirm_absent``."""
    progress = progress or Progress()
    names = [os.path.basename(p) for p in paths]
    try:
        sources = open_sources([Path(p) for p in paths], names)
    except ReadError as exc:
        return ImportOutcome(UNREADABLE, message=str(exc))
    if not dry_run:
        # Store the originals first (the batch keeps them), then run from the stored copies.
        for source in sources:
            source.close()
        if confirm_absent:
            options = {**(options or {}), "absent_confirmed": True}
        batch = batch_create(
            kind=kind, files=[(name, path) for name, path in zip(names, paths)], by=by, skip_invalid=skip_invalid,
            full_extract=full_extract, data_year=data_year, options=options,
        )
        outcome = import_apply(batch=batch, by=by, progress=progress, scan_follows=scan_identities)
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
        return ImportOutcome(UNREADABLE, summary=exc.details, message=str(exc))
    summary = plan.summary()
    issues = plan.issues
    if error_report and (issues.errors or issues.warnings):
        with open(error_report, "wb") as handle:
            write_error_report(handle, sources, issues)
    for source in sources:
        source.close()
    sha = file_sha256([Path(p) for p in paths])
    earlier = same_file_batch(
        kind=kind, sha256=sha, program=(options or {}).get("program"), year=data_year or summary.get("data_year")
    )
    message = ""
    if earlier is not None:
        summary["same_as_batch"] = earlier.pk
        message = _("Berkas yang sama sudah diimpor pada batch #%(pk)s.") % {"pk": earlier.pk}
    message = " ".join(part for part in (message, family_notes(summary)) if part)
    status = REFUSED if issues.errors and not skip_invalid else PREVIEWED
    return ImportOutcome(status, summary=summary, message=message, plan=plan)


