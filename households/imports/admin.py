"""The Bappeda import flow in the admin: upload -> preview (counts, first errors) -> confirm or cancel;
a batch whose file could not be read is previewed again (after its columns are mapped), not confirmed.

Reading, validating and writing run as background tasks (``tasks``); these pages only
store the upload, queue the work and show the batch's progress, so no request waits on an import.
Only Bappeda (and superusers) see or use it. Batches are records: they are never edited or deleted
here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from households.models import ImportBatch, ImportKind
from households.regions import has_several_regencies
from programs.models import Program

from .batches import (
    batch_confirmable, batch_create, batch_repreviewable, batch_running, import_cancel, import_limits, import_queue,
    import_repreview,
)
from .context import data_year_problem
from .lease import stale_batches_fail
from .live import live_overlay
from .outcome import covered_regencies
from .reader import ACCEPTED_SUFFIXES, ReadError, open_source
from .tasks import apply_import_task, preview_import_task


def _temp_copy(upload) -> str:
    """Write an uploaded file to a temporary path: the reader and the batch take paths."""
    handle, name = tempfile.mkstemp(suffix=Path(upload.name).suffix)
    with os.fdopen(handle, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def accepted_formats() -> str:
    """The file types the reader takes, as the page lists them: ".xlsx, .xlsm, .xls, .csv atau .txt"."""
    *first, last = ACCEPTED_SUFFIXES
    return gettext("%(first)s atau %(last)s") % {"first": ", ".join(first), "last": last}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis data"), choices=ImportKind.choices, initial=ImportKind.P3KE)
    file = forms.FileField()  # labelled in __init__ with the formats the reader takes
    file2 = forms.FileField(
        label=_("Berkas kedua (opsional)"), required=False,
        help_text=_("Untuk P3KE yang dikirim sebagai dua berkas: keluarga dan individu."),
    )
    data_year = forms.IntegerField(
        label=_("Tahun data"), required=False, min_value=2000, max_value=2100,
        help_text=_("Kosongkan untuk memakai tahun dari berkas (P3KE 2023 atau 2022)."),
    )
    full_extract = forms.BooleanField(
        label=_("Ekstrak lengkap"), required=False,
        help_text=_(
            "Centang hanya bila berkas berisi seluruh keluarga wilayah: keluarga yang tidak ada di berkas ditandai "
            "'tidak ada di data terbaru' (tidak dihapus). Bila banyak keluarga akan ditandai, atau berkas lebih lama "
            "dari data registri, pratinjau meminta konfirmasi."
        ),
    )
    skip_invalid = forms.BooleanField(
        label=_("Impor baris valid saja"), required=False,
        help_text=_("Bila ada baris yang salah, baris itu dilewati dan sisanya diimpor."),
    )
    program = forms.ModelChoiceField(
        label=_("Program (daftar penerima)"), required=False, queryset=Program.objects.order_by("name"),
        empty_label=_("Dari kolom PROGRAM/BANSOS berkas"),
        error_messages={"invalid_choice": _("Pilih program dari daftar.")},
        help_text=_("Program yang diterima semua orang di daftar; kosongkan bila berkas punya kolom PROGRAM/BANSOS."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = gettext("Berkas (%(formats)s)") % {"formats": accepted_formats()}

    def clean(self):
        data = super().clean()
        problem = data_year_problem(data.get("kind"), data.get("data_year"))
        if problem:
            self.add_error("data_year", problem)
        limits = import_limits()
        self._paths = []
        for field_name in ("file", "file2"):
            upload = data.get(field_name)
            if not upload:
                continue
            if upload.size > limits.max_bytes:
                self.add_error(
                    field_name,
                    _("Berkas terlalu besar (%(size).1f MB); batas unggahan %(limit).1f MB.")
                    % {"size": upload.size / 2**20, "limit": limits.max_bytes / 2**20},
                )
                continue
            temp = _temp_copy(upload)
            self._paths.append((upload.name, temp))
            try:
                source = open_source(temp, display_name=upload.name, limits=limits)
                source.close()
            except ReadError as exc:
                self.add_error(field_name, str(exc))
        if self.errors:
            self.discard_temp()
        return data

    def discard_temp(self) -> None:
        for _name, temp in getattr(self, "_paths", []):
            try:
                os.unlink(temp)
            except OSError:
                pass
        self._paths = []


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "original_name", "status_link", "uploaded_by", "created_at", "finished_at")
    list_filter = ("kind", "status")
    list_select_related = ("uploaded_by",)
    search_fields = ("original_name", "sha256")
    date_hierarchy = "created_at"

    # --- Bappeda only; batches are read-only records
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_bappeda

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_bappeda

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_bappeda

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if has_several_regencies():
            columns.insert(columns.index("original_name") + 1, "regencies")
        return columns

    @admin.display(description=_("kabupaten/kota"))
    def regencies(self, obj):
        return covered_regencies(obj.counts)

    @admin.display(description=_("status"), ordering="status")
    def status_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:households_importbatch_preview", args=[obj.pk]), obj.get_status_display()
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("unggah/", wrap(self.upload_view), name="households_importbatch_upload"),
            path("<int:pk>/pratinjau/", wrap(self.preview_view), name="households_importbatch_preview"),
            path("<int:pk>/konfirmasi/", wrap(require_POST(self.confirm_view)), name="households_importbatch_confirm"),
            path("<int:pk>/batal/", wrap(require_POST(self.cancel_view)), name="households_importbatch_cancel"),
            path(
                "<int:pk>/pratinjau-ulang/", wrap(require_POST(self.repreview_view)), name="households_importbatch_repreview"
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:households_importbatch_upload"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            raise Http404
        return HttpResponseRedirect(reverse("admin:households_importbatch_preview", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        # Django's date hierarchy catches a ValueError from an impossible date but not the
        # OverflowError of a year with 20 digits: answer that like any other bad filter.
        for part in ("year", "month", "day"):
            value = request.GET.get(f"created_at__{part}")
            if value is not None and not (value.isdigit() and len(value) <= 4):
                return HttpResponseRedirect(f"{request.path}?e=1")
        return super().changelist_view(request, extra_context)

    def _check(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied

    def upload_view(self, request):
        self._check(request)
        # Bound on every POST, even an empty one, so that a missing file is reported, not ignored.
        form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            options = {}
            if data["kind"] == ImportKind.RECIPIENTS:
                options = {"program": data["program"].code if data["program"] else None, "year": data["data_year"]}
            try:
                batch = batch_create(
                    kind=data["kind"], files=form._paths, by=request.user, skip_invalid=data["skip_invalid"],
                    full_extract=data["full_extract"], data_year=data["data_year"], options=options,
                )
            finally:
                form.discard_temp()
            preview_import_task.enqueue(batch.pk)
            messages.info(request, _("Berkas diterima; pratinjau sedang disiapkan."))
            return HttpResponseRedirect(reverse("admin:households_importbatch_preview", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Unggah data P3KE, DTKS atau daftar penerima"),
            "form": form,
            "limits": import_limits(),
            "formats": accepted_formats(),
        }
        return TemplateResponse(request, "admin/households/importbatch/upload.html", context)

    def preview_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by"), pk=pk)
        stale_batches_fail(batch=batch)
        live_overlay(batch)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Impor #%(pk)s: %(kind)s") % {"pk": batch.pk, "kind": batch.get_kind_display()},
            "batch": batch,
            "original": batch,
            "running": batch_running(batch),
            "can_confirm": batch_confirmable(batch),
            "can_repreview": batch_repreviewable(batch),
            "has_errors": bool(batch.errors),
        }
        return TemplateResponse(request, "admin/households/importbatch/preview.html", context)

    def _step(self, request, pk, service, **options) -> tuple[ImportBatch, bool]:
        """The batch, and whether ``service`` (confirm, preview again, cancel) took it; its refusal is
        shown as a message."""
        self._check(request)
        batch = get_object_or_404(ImportBatch, pk=pk)
        try:
            service(batch=batch, **options)
        except ValueError as exc:
            messages.error(request, str(exc))
            return batch, False
        return batch, True

    @staticmethod
    def _to_preview(batch: ImportBatch) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:households_importbatch_preview", args=[batch.pk]))

    def confirm_view(self, request, pk):
        batch, queued = self._step(
            request, pk, import_queue, skip_invalid=request.POST.get("skip_invalid") == "1" or None,
            absent_confirmed=request.POST.get("confirm_absent") == "1",
        )
        if queued:
            apply_import_task.enqueue(batch.pk)
            messages.info(request, _("Impor dikonfirmasi dan sedang dijalankan di latar belakang."))
        return self._to_preview(batch)

    def repreview_view(self, request, pk):
        batch, queued = self._step(request, pk, import_repreview)
        if queued:
            preview_import_task.enqueue(batch.pk)
            messages.info(request, _("Berkas dibaca lagi dengan pemetaan yang tersimpan; pratinjau sedang disiapkan."))
        return self._to_preview(batch)

    def cancel_view(self, request, pk):
        batch, cancelled = self._step(request, pk, import_cancel)
        if not cancelled:
            return self._to_preview(batch)
        messages.info(request, _("Impor #%(pk)s dibatalkan; tidak ada data yang diubah.") % {"pk": batch.pk})
        return HttpResponseRedirect(reverse("admin:households_importbatch_changelist"))
