"""One-aid conflicts: Bappeda keeps one enrollment, approves an exception or dismisses the pair,
one conflict on its page or many at once with the list's actions, and re-checks the registry."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from dedup import services
from dedup.admin.common import KecamatanDesaFilter, admin_link, kecamatan_paths, reason_action, report, shown_identifier
from dedup.models import Conflict, ConflictStatus
from households.admin_regions import RegionListMixin
from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from konut_registry.admin_filters import is_database_id
from konut_registry.admin_history import ReadOnlyHistoryAdmin
from programs.admin_filters import ProgramAgencyFilter
from programs.models import Program


class ProgramFilter(admin.SimpleListFilter):
    """Conflicts in which either enrollment is in this program."""

    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        return list(Program.objects.order_by("name").values_list("id", "name"))

    def queryset(self, request, queryset):
        if is_database_id(self.value()):
            return queryset.filter(Q(enrollment_a__program_id=self.value()) | Q(enrollment_b__program_id=self.value()))
        return queryset


class YearFilter(admin.SimpleListFilter):
    title = _("tahun")
    parameter_name = "tahun"

    def lookups(self, request, model_admin):
        years = Conflict.objects.order_by("-enrollment_a__year").values_list("enrollment_a__year", flat=True).distinct()
        return [(year, str(year)) for year in years]

    def queryset(self, request, queryset):
        if is_database_id(self.value()):
            return queryset.filter(enrollment_a__year=self.value())
        return queryset


def _keep_action(side: str, *, description, done):
    """The list action that keeps enrollment ``side`` ("a" or "b") of each selected conflict and
    cancels the other."""
    other = "b" if side == "a" else "a"

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        result = services.conflict_bulk_resolve(conflicts=list(queryset), keep_side=side, by=request.user)
        report(modeladmin, request, result, done)

    action.__name__ = f"keep_{side}_cancel_{other}"
    return action


class DECISION:
    KEEP_A = "keep_a"
    KEEP_B = "keep_b"
    APPROVE = "approve"
    DISMISS = "dismiss"


class ConflictDecisionForm(forms.ModelForm):
    """The conflict page's decision: keep one side (cancel the other), approve, or dismiss."""

    decision = forms.ChoiceField(
        label=_("Keputusan"),
        required=False,
        choices=[
            ("", _("(belum diputuskan)")),
            (DECISION.KEEP_A, _("Pertahankan kepesertaan A, batalkan B")),
            (DECISION.KEEP_B, _("Pertahankan kepesertaan B, batalkan A")),
            (DECISION.APPROVE, _("Setujui sebagai pengecualian (alasan wajib)")),
            (DECISION.DISMISS, _("Abaikan (bukan bantuan ganda, alasan wajib)")),
        ],
    )
    reason = forms.CharField(label=_("Alasan keputusan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = Conflict
        fields = []

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision and self.instance.status != ConflictStatus.OPEN:
            raise ValidationError(_("Konflik ini sudah diputuskan."))
        # A conflict approved or dismissed is never raised again: the reason is what remains of why.
        if not (cleaned.get("reason") or "").strip():
            if decision == DECISION.APPROVE:
                self.add_error("reason", _("Alasan persetujuan wajib diisi."))
            elif decision == DECISION.DISMISS:
                self.add_error("reason", _("Alasan mengabaikan konflik wajib diisi."))
        return cleaned


# The families of a conflict's two enrollments: the village filter keeps a row when either is in the village.
PAIR = Conflict.FAMILIES


class ConflictDesaFilter(KecamatanDesaFilter):
    also_household_fields = PAIR


@admin.register(Conflict)
class ConflictAdmin(SearchKeptOutOfAddressMixin, RegionListMixin, ReadOnlyHistoryAdmin):
    form = ConflictDecisionForm
    # With several regencies: a kabupaten column after the place, and its filter before the kecamatan.
    kecamatan_path = "household__desa__kecamatan"
    kabupaten_after = "place"
    # The same person aided through families of two regencies: the conflict is each regency's to review.
    pair_kecamatan_paths = kecamatan_paths(PAIR)
    region_clears = ("desa",)
    # What Bappeda decides on, within 1366 px: the place in one column, the decision (who, when) in one.
    list_display = [
        "number", "household_link", "place", "enrollment_a_link", "enrollment_b_link",
        "rule", "status", "created_on", "decision_text",
    ]
    list_display_links = ["number"]
    list_filter = [
        "household__desa__kecamatan", ConflictDesaFilter, ProgramFilter,
        ProgramAgencyFilter.on("enrollment_a__program", "enrollment_b__program"), YearFilter, "rule", "status",
    ]
    list_select_related = [
        "household__desa__kecamatan", "enrollment_a__program__agency", "enrollment_b__program__agency", "reviewed_by",
    ]
    search_fields = ["household__head_name", "=household__no_kk", "=household__head_nik", "=id"]
    search_help_text = _("Cari nama kepala keluarga, No KK, NIK kepala keluarga atau nomor konflik.")
    readonly_fields = [
        "number", "household_link", "enrollment_a_detail", "enrollment_b_detail", "rule", "status", "evidence_text",
        "decision_reason", "kept_enrollment", "reviewed_by", "reviewed_at", "created_at", "automatic_history",
    ]
    fieldsets = [
        (None, {"fields": ["number", "household_link", "rule", "status", "evidence_text", "created_at"]}),
        (_("Dua kepesertaan"), {"fields": ["enrollment_a_detail", "enrollment_b_detail"]}),
        (_("Keputusan"), {"fields": ["decision", "reason", "decision_reason", "kept_enrollment", "reviewed_by", "reviewed_at"]}),
        (_("Riwayat otomatis"), {"fields": ["automatic_history"]}),
    ]
    actions = ["approve_with_reason", "keep_a_cancel_b", "keep_b_cancel_a", "dismiss_with_reason"]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = None

    approve_with_reason = reason_action(
        name="approve_with_reason",
        description=_("Setujui sebagai pengecualian (dengan alasan)"),
        title=_("Setujui konflik sebagai pengecualian"),
        intro=_("Tuliskan alasan persetujuan. Alasan, nama Anda dan waktunya dicatat pada setiap konflik."),
        required=True,
        decide=lambda conflicts, reason, by: services.conflict_bulk_approve(conflicts=conflicts, reason=reason, by=by),
        done=ngettext_lazy(
            "%(n)d konflik disetujui sebagai pengecualian.",
            "%(n)d konflik disetujui sebagai pengecualian.",
            "n",
        ),
    )
    dismiss_with_reason = reason_action(
        name="dismiss_with_reason",
        description=_("Abaikan (bukan bantuan ganda, dengan alasan)"),
        title=_("Abaikan konflik"),
        intro=_("Konflik yang diabaikan tidak akan dimunculkan lagi. Tuliskan alasannya."),
        required=True,
        decide=lambda conflicts, reason, by: services.conflict_bulk_dismiss(conflicts=conflicts, reason=reason, by=by),
        done=ngettext_lazy(
            "%(n)d konflik diabaikan.",
            "%(n)d konflik diabaikan.",
            "n",
        ),
    )
    keep_a_cancel_b = _keep_action(
        "a",
        description=_("Pertahankan kepesertaan A (lebih dulu), batalkan B"),
        done=ngettext_lazy(
            "%(n)d konflik diselesaikan: kepesertaan B dibatalkan.",
            "%(n)d konflik diselesaikan: kepesertaan B dibatalkan.",
            "n",
        ),
    )
    keep_b_cancel_a = _keep_action(
        "b",
        description=_("Pertahankan kepesertaan B, batalkan A"),
        done=ngettext_lazy(
            "%(n)d konflik diselesaikan: kepesertaan A dibatalkan.",
            "%(n)d konflik diselesaikan: kepesertaan A dibatalkan.",
            "n",
        ),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_scan": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user  # the evidence shows NIKs as this user may see them
        return obj

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.status != ConflictStatus.OPEN:
            # A decided conflict shows its decision only.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in ("decision", "reason")]})
                for name, opts in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status != ConflictStatus.OPEN:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    # columns

    @admin.display(description=_("konflik"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("keluarga"), ordering="household__head_name")
    def household_link(self, obj):
        return admin_link("admin:households_household_change", obj.household_id, obj.household)

    @admin.display(description=_("desa, kecamatan"), ordering="household__desa__name")
    def place(self, obj):
        return format_html("{}<br><small>{}</small>", obj.household.desa.name, obj.household.desa.kecamatan)

    @admin.display(description=_("dibuat"), ordering="created_at")
    def created_on(self, obj):
        return date_format(timezone.localtime(obj.created_at), "d/m/Y")

    @admin.display(description=_("keputusan"), ordering="reviewed_at")
    def decision_text(self, obj):
        if not obj.reviewed_at:
            return "-"
        who = obj.reviewed_by.get_username() if obj.reviewed_by_id else _("otomatis")
        return format_html(
            '<span title="{}">{}, {}</span>', obj.decision_reason, who, date_format(timezone.localtime(obj.reviewed_at), "d/m/Y"),
        )

    @staticmethod
    def _enrollment_text(enrollment) -> str:
        return f"{enrollment.program.name} {enrollment.year} ({enrollment.get_status_display()})"

    @admin.display(description=_("kepesertaan A"))
    def enrollment_a_link(self, obj):
        return admin_link("admin:programs_enrollment_change", obj.enrollment_a_id, self._enrollment_text(obj.enrollment_a))

    @admin.display(description=_("kepesertaan B"))
    def enrollment_b_link(self, obj):
        return admin_link("admin:programs_enrollment_change", obj.enrollment_b_id, self._enrollment_text(obj.enrollment_b))

    def _enrollment_detail(self, enrollment):
        household = enrollment.household
        recipient = f" - {enrollment.member.name}" if enrollment.member_id else ""
        return format_html(
            "{}<br>{}: {}{}<br>{}: {}",
            admin_link("admin:programs_enrollment_change", enrollment.pk, self._enrollment_text(enrollment)),
            _("OPD"), enrollment.program.agency, recipient,
            _("keluarga"), admin_link("admin:households_household_change", household.pk, f"{household} ({household.desa})"),
        )

    @admin.display(description=_("kepesertaan A"))
    def enrollment_a_detail(self, obj):
        return self._enrollment_detail(obj.enrollment_a)

    @admin.display(description=_("kepesertaan B"))
    def enrollment_b_detail(self, obj):
        return self._enrollment_detail(obj.enrollment_b)

    @admin.display(description=_("bukti"))
    def evidence_text(self, obj):
        evidence = obj.evidence or {}
        parts = []
        if evidence.get("year"):
            parts.append(_("tahun %(year)s") % {"year": evidence["year"]})
        if evidence.get("nik"):
            shared = shown_identifier(evidence["nik"], getattr(obj, "_viewer", None))
            parts.append(_("NIK bersama %(nik)s") % {"nik": shared})
        if evidence.get("household_ids"):
            links = [admin_link("admin:households_household_change", pk, f"#{pk}") for pk in evidence["household_ids"]]
            parts.append(format_html("{} {}", _("keluarga"), format_html(", ".join(["{}"] * len(links)), *links)))
        return format_html("; ".join(["{}"] * len(parts)), *parts) if parts else "-"

    @admin.display(description=_("dibuat, ditutup, dibuka kembali"))
    def automatic_history(self, obj):
        """What the engine did to this conflict by itself: when, by which write, which import batch,
        whose action."""
        events = list(obj.events.select_related("batch", "by")) if obj.pk else []
        if not events:
            return _("Belum ada catatan otomatis.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(event.at), "d/m/Y H:i"),
                    event.get_kind_display(),
                    event.get_cause_display(),
                    admin_link("admin:households_importbatch_change", event.batch_id, f"#{event.batch_id}") if event.batch_id else "-",
                    (event.by.get_full_name() or event.by.get_username()) if event.by_id else "-",
                )
                for event in events
            ),
        )
        return format_html(
            '<table class="conflict-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("waktu"), _("kejadian"), _("oleh penulisan"), _("batch impor"), _("oleh"), rows,
        )

    # decisions

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        reason = (form.cleaned_data.get("reason") or "") if decision else ""
        if not decision:
            return
        if decision == DECISION.KEEP_A:
            services.conflict_resolve(conflict=obj, keep=obj.enrollment_a_id, by=request.user, reason=reason)
            self.message_user(request, _("Kepesertaan B dibatalkan; A dipertahankan."), messages.SUCCESS)
        elif decision == DECISION.KEEP_B:
            services.conflict_resolve(conflict=obj, keep=obj.enrollment_b_id, by=request.user, reason=reason)
            self.message_user(request, _("Kepesertaan A dibatalkan; B dipertahankan."), messages.SUCCESS)
        elif decision == DECISION.APPROVE:
            services.conflict_approve(conflict=obj, reason=reason, by=request.user)
        elif decision == DECISION.DISMISS:
            services.conflict_dismiss(conflict=obj, reason=reason, by=request.user)
        obj.refresh_from_db()

    def get_urls(self):
        return [
            path("periksa-ulang/", self.admin_site.admin_view(self.scan_view), name="dedup_conflict_scan"),
            *super().get_urls(),
        ]

    def scan_view(self, request):
        """Re-check the whole registry (the same function as ``manage.py dedup_scan``)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            result = services.conflicts_scan()
            self.message_user(
                request,
                ngettext(
                    "Pemeriksaan selesai: %(new)d konflik baru, %(reopened)d dibuka kembali, %(open)d terbuka.",
                    "Pemeriksaan selesai: %(new)d konflik baru, %(reopened)d dibuka kembali, %(open)d terbuka.",
                    result.new,
                )
                % {"new": result.new, "reopened": result.reopened, "open": result.open_total},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:dedup_conflict_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Periksa ulang seluruh registri"),
            "intro": _("Semua kepesertaan diperiksa ulang terhadap aturan satu keluarga satu bantuan. "
                       "Konflik yang sudah ada tidak digandakan."),
            "opts": self.model._meta,
            "button": _("Periksa sekarang"),
        }
        return TemplateResponse(request, "admin/dedup/confirm.html", context)
