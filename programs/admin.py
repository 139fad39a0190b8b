"""Programs and enrollments in the admin. Enrollment writes go through ``programs.services`` so
that the one-aid check runs on every save, and any conflict raised is shown at once."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin, ImportExportMixin
from konut_registry.admin_autocomplete import PostedAutocompleteMixin
from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from konut_registry.admin_export import LabelledExportForm
from konut_registry.export_formats import FormulaSafeXLSX
from konut_registry.admin_history import ReadOnlyHistoryAdmin

from agencies.admin_exports import LoggedExportMixin
from agencies.forms import RupiahField
from agencies.templatetags.portal import format_rupiah
from dedup.models import Conflict, ConflictStatus
from dedup.presenters import conflict_message
from households.admin_regions import RegionListMixin
from programs.models import LIVE_STATUSES, EligibilityRule, Enrollment, EnrollmentStatus, Program
from programs.resources import EnrollmentResource, ProgramResource
from programs.services import enrollment_create, enrollment_lock_unchanged, enrollment_update, enrollment_version

from . import admin_targeting  # noqa: F401  (eligibility rules and their preview)


@admin.register(Program)
class ProgramAdmin(LoggedExportMixin, ImportExportMixin, ReadOnlyHistoryAdmin):
    export_form_class = LabelledExportForm
    resource_classes = [ProgramResource]
    list_display = ["name", "code", "cluster", "agency", "target_unit", "funding_source", "is_local", "quota", "active"]
    list_filter = ["cluster", "agency", "target_unit", "funding_source", "is_local", "active"]
    list_select_related = ["agency"]
    search_fields = ["name", "code"]
    ordering = ["cluster", "agency__order", "name"]


def show_conflicts(request, result) -> None:
    for conflict in result.conflicts:
        messages.warning(request, conflict_message(conflict, saved_enrollment_id=result.enrollment.pk))


def warn_absent_recipient(request, enrollment: Enrollment) -> None:
    """Aid recorded as received (active) by a family or a person marked absent is kept, as the
    lists record it (a proposal is refused: ``Enrollment.clean``), and said: the record may be the
    wrong one."""
    if enrollment.status not in LIVE_STATUSES:
        return
    if enrollment.household.is_absent:
        text = gettext("Keluarga #%(id)s (%(name)s) ditandai tidak ada di data terbaru: kepesertaan ini dicatat sebagai "
                       "bantuan yang sudah diterimanya. Periksa kebenarannya.")
        record = enrollment.household
    elif enrollment.member_id and enrollment.member.is_absent:
        text = gettext("Anggota #%(id)s (%(name)s) ditandai tidak ada di data terbaru: kepesertaan ini dicatat sebagai "
                       "bantuan yang sudah diterimanya. Periksa kebenarannya.")
        record = enrollment.member
    else:
        return
    messages.warning(request, text % {"id": record.pk, "name": record})


class EnrollmentAdminForm(forms.ModelForm):
    """The enrollment form, carrying the version it was opened at (``version``, hidden): a save
    from a form opened before someone else's change (an agency accepting it or recording a
    delivery in the portal) is refused instead of putting the old values back."""

    version = forms.IntegerField(label=_("versi formulir"), widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = enrollment_version(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # The admin validates and saves a change form in one transaction: the row stays locked
            # from this check until ``save_model`` has written it.
            enrollment_lock_unchanged(enrollment=self.instance, seen_version=cleaned.get("version"))
        return cleaned


@admin.register(Enrollment)
class EnrollmentAdmin(
    SearchKeptOutOfAddressMixin, PostedAutocompleteMixin, RegionListMixin, LoggedExportMixin, ExportMixin, ReadOnlyHistoryAdmin,
):
    kecamatan_path = "household__desa__kecamatan"
    kabupaten_after = "desa"
    export_form_class = LabelledExportForm
    resource_classes = [EnrollmentResource]
    form = EnrollmentAdminForm

    def get_export_formats(self):
        """xlsx only: the file carries NIKs and No KKs, and Excel opens a csv's 16-digit number as
        7,40901E+15 and saves it back as 7409011808670930. A csv keeps it only as a formula
        (``="7409..."``, refused in exports) or behind an added character (a leading apostrophe
        or tab) that Excel and LibreOffice do not treat alike and that stays in the value when the
        file comes back; an xlsx cell is text in both."""
        return [FormulaSafeXLSX]
    list_display = [
        "household", "desa", "program", "agency", "member_name", "year", "status", "amount_rp", "source", "has_open_conflict",
    ]
    list_filter = [
        "status", "year", "program__cluster", "program__agency", "program", "source", "household__desa__kecamatan",
    ]
    list_select_related = ["household__desa", "program__agency", "member"]
    search_fields = ["household__head_name", "=household__head_nik", "=household__no_kk", "=member__nik", "member__name"]
    search_help_text = _("Cari nama, NIK atau No KK.")
    autocomplete_fields = ["household", "member", "program"]
    readonly_fields = ["source", "batch", "created_by", "created_at", "updated_at"]
    fields = ["program", "household", "member", "year", "status", "amount", "delivered_on", "status_reason",
              "source", "batch", "created_by", "created_at", "updated_at", "version"]
    actions = ["cancel_selected"]
    list_per_page = 50
    show_full_result_count = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "amount":
            # Shown as 1.200.000 and accepted as typed: 1200000, 1.200.000 or Rp 1.200.000.
            return RupiahField(label=capfirst(db_field.verbose_name), required=False)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        open_conflict = Conflict.objects.filter(status=ConflictStatus.OPEN).filter(
            Q(enrollment_a=OuterRef("pk")) | Q(enrollment_b=OuterRef("pk"))
        )
        return super().get_queryset(request).annotate(_open_conflict=Exists(open_conflict))

    @admin.display(description=_("desa/kelurahan"), ordering="household__desa__name")
    def desa(self, obj):
        return obj.household.desa.name

    @admin.display(description=_("OPD"), ordering="program__agency__order")
    def agency(self, obj):
        return obj.program.agency

    # Sorted by the member's name: sorting on the member itself would follow Member.Meta.ordering,
    # whose family-card order is an expression Django cannot prefix through a relation.
    @admin.display(description=Enrollment._meta.get_field("member").verbose_name, ordering="member__name")
    def member_name(self, obj):
        """The recipient, marked as the household page's aid table marks one whose death an approved
        verval recorded (read with the row: ``member`` is in ``list_select_related``)."""
        if obj.member is not None and obj.member.is_deceased:
            return format_html('{} <span class="muted">({})</span>', obj.member, gettext("meninggal"))
        return obj.member

    @admin.display(description=_("nilai"), ordering="amount")
    def amount_rp(self, obj):
        return format_rupiah(obj.amount) if obj.amount is not None else "-"

    @admin.display(description=_("konflik terbuka"), boolean=True, ordering="_open_conflict")
    def has_open_conflict(self, obj):
        return getattr(obj, "_open_conflict", False)

    def save_model(self, request, obj, form, change):
        if change:
            result = enrollment_update(enrollment=obj, by=request.user)
        else:
            result = enrollment_create(
                household=obj.household, program=obj.program, year=obj.year, member=obj.member, status=obj.status,
                amount=obj.amount, delivered_on=obj.delivered_on, status_reason=obj.status_reason, by=request.user,
            )
            obj.pk = result.enrollment.pk
            obj._state.adding = False
        show_conflicts(request, result)
        if not change or {"status", "household", "member"} & set(form.changed_data):
            warn_absent_recipient(request, result.enrollment)

    def has_delete_permission(self, request, obj=None):
        # Aid is cancelled, never deleted: the record of who received what must stay.
        return False

    @admin.action(description=_("Batalkan kepesertaan terpilih"))
    def cancel_selected(self, request, queryset):
        count = 0
        for enrollment in queryset.select_related("program", "household", "member"):
            if enrollment.status != EnrollmentStatus.CANCELLED:
                enrollment_update(enrollment=enrollment, by=request.user, status=EnrollmentStatus.CANCELLED)
                count += 1
        self.message_user(
            request, ngettext("%(n)d kepesertaan dibatalkan.", "%(n)d kepesertaan dibatalkan.", count) % {"n": count},
            messages.SUCCESS,
        )


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(ReadOnlyHistoryAdmin):
    """The desil limits of programs: a live enrollment above its limit is an inclusion-error
    candidate for field verification. Plain single-row writes (no rule beyond the model's)."""

    list_display = ("program", "max_desil", "legal_basis", "active")
    list_filter = ("active",)
    list_select_related = ("program",)
    autocomplete_fields = ("program",)
