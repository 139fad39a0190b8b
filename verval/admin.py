"""Verval in the admin, read-only: Bappeda looks a batch, a case or a sent proposal up, with its
change history ("Riwayat"), to answer a question about it. Every change goes through the verval
pages and their services (assignment, visit, deliberation, verification, approval), which keep the
stages in order and apply corrections only after the Bupati's approval; the admin never writes.
"""

from __future__ import annotations

from django.contrib import admin

from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from konut_registry.admin_history import ReadOnlyHistoryAdmin
from verval.models import CaseMemberChange, CasePhoto, ProposalExport, ProposalRow, VervalBatch, VervalCase


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseInline(_ReadOnly, admin.TabularInline):
    model = VervalCase
    fields = ("household", "kind", "status", "officer", "visited_on", "presence", "verdict")
    readonly_fields = fields
    show_change_link = True
    extra = 0


@admin.register(VervalBatch)
class VervalBatchAdmin(_ReadOnly, ReadOnlyHistoryAdmin):
    list_display = ("title", "kind", "desa", "stage", "created_at", "approved_at")
    list_filter = ("stage", "kind")
    search_fields = ("title", "desa__name")
    date_hierarchy = "created_at"
    list_select_related = ("desa",)
    inlines = [CaseInline]


class PhotoInline(_ReadOnly, admin.TabularInline):
    model = CasePhoto
    fields = ("kind", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0


class MemberChangeInline(_ReadOnly, admin.TabularInline):
    """What the visit found of the family's members, and the member the approval added."""

    model = CaseMemberChange
    fields = ("change", "member", "name", "nik", "relation", "sex", "birth_date", "added")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "added")


@admin.register(VervalCase)
class VervalCaseAdmin(SearchKeptOutOfAddressMixin, _ReadOnly, ReadOnlyHistoryAdmin):
    list_display = ("household", "kind", "status", "batch", "officer", "visited_on", "verdict")
    list_filter = ("status", "kind", "verdict", "presence")
    search_fields = ("household__head_name", "household__no_kk", "batch__title")
    list_select_related = ("household", "batch", "officer")
    raw_id_fields = ("household", "batch", "officer", "reopened_from")
    inlines = [MemberChangeInline, PhotoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("household__desa")


class ProposalRowInline(_ReadOnly, admin.TabularInline):
    """The NIK each case went out with: the one the ministry's returned list names."""

    model = ProposalRow
    fields = ("case", "nik")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case__household")


@admin.register(ProposalExport)
class ProposalExportAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("filename", "batch", "row_count", "created_by", "created_at")
    search_fields = ("filename", "batch__title")
    list_select_related = ("batch", "created_by")
    date_hierarchy = "created_at"
    fields = ("filename", "batch", "row_count", "created_by", "created_at", "cases")
    readonly_fields = fields
    inlines = [ProposalRowInline]
