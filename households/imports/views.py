"""Import pages outside the admin: a batch's status and progress, and its error report.

Only Bappeda runs imports; the upload, preview and confirm steps live in the admin
(``admin.py`` beside this module), which links here for progress.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from agencies.services import export_log_create
from households.models import ImportBatch
from households.regions import has_several_regencies

from .batches import batch_confirmable, batch_repreviewable, batch_running
from .lease import stale_batches_fail
from .live import live_overlay
from .outcome import covered_regencies


def _bappeda_batch(request, pk: int) -> ImportBatch:
    """The batch, failed first if its worker died (so the page never shows it running forever)."""
    if not request.user.is_bappeda:
        raise PermissionDenied
    batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by"), pk=pk)
    stale_batches_fail(batch=batch)
    return live_overlay(batch)


@login_required
@require_safe
@never_cache
def batch_list(request):
    if not request.user.is_bappeda:
        raise PermissionDenied
    batches = list(ImportBatch.objects.select_related("uploaded_by").order_by("-created_at")[:50])
    several = has_several_regencies()
    for batch in batches:
        batch.regencies = covered_regencies(batch.counts) if several else None
    return render(request, "households/import_list.html", {"batches": batches, "several_regencies": several})


@login_required
@require_safe
@never_cache
def batch_status(request, pk: int):
    batch = _bappeda_batch(request, pk)
    return render(
        request, "households/import_status.html",
        {"batch": batch, "running": batch_running(batch), "confirmable": batch_confirmable(batch),
         "repreviewable": batch_repreviewable(batch)},
    )


@login_required
@require_safe
@never_cache
def batch_status_json(request, pk: int):
    batch = _bappeda_batch(request, pk)
    return JsonResponse({
        "id": batch.pk,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "running": batch_running(batch),
        "percent": batch.progress_percent,
        "processed_rows": batch.processed_rows,
        "total_rows": batch.total_rows,
        "message": batch.message,
        "counts": batch.counts,
    })


@login_required
@require_safe
@never_cache
def batch_error_report(request, pk: int):
    batch = _bappeda_batch(request, pk)
    if not batch.error_report:
        raise Http404
    # The report holds the refused rows, ID numbers included: logged on HEAD too, like every export.
    export_log_create(
        user=request.user, kind="laporan_kesalahan_impor", filters={"batch": batch.pk},
        row_count=int(batch.counts.get("error_rows", 0) or 0),
    )
    return FileResponse(
        batch.error_report.open("rb"), as_attachment=True, filename=f"laporan-kesalahan-batch-{batch.pk}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
