"""Bappeda's review screens: one-aid conflicts, compatible program pairs, identity duplicates.

Every decision goes through ``dedup.services`` (who and when recorded); nothing here writes rows
itself. Conflicts and identity matches are never added or deleted by hand: the engine and the scan
raise them, Bappeda decides.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from konut_registry.admin_history import ReadOnlyHistoryAdmin

from agencies.models import Agency
from dedup import services
from dedup.models import CompatiblePair, Conflict, ConflictStatus, IdentityMatch
from households.identifiers import mask
from households.models import Desa
from programs.models import Program


def _admin_link(viewname: str, pk, text) -> str:
    try:
        return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)
    except NoReverseMatch:
        return str(text)


# --- filters ----------------------------------------------------------------------------------
def _is_id(value) -> bool:
    """A filter value usable as a database id: digits within the bigint range (a longer number
    overflows the database driver: a 500 instead of an empty list)."""
    text = str(value or "")
    return text.isdigit() and int(text) < 2**63



class KecamatanDesaFilter(admin.SimpleListFilter):
    """Villages of the chosen kecamatan only: a regency's villages (170 in Konawe Utara) in one list
    would be unusable, and names repeat across kecamatan. ``household_field`` names the household to
    filter on."""

    title = _("desa/kelurahan")
    parameter_name = "desa"
    household_field = "household"
    kecamatan_parameter = "household__desa__kecamatan__id__exact"

    def lookups(self, request, model_admin):
        kecamatan = request.GET.get(self.kecamatan_parameter)
        if not _is_id(kecamatan):
            return []
        return list(Desa.objects.filter(kecamatan_id=kecamatan).order_by("name").values_list("id", "name"))

    def queryset(self, request, queryset):
        if _is_id(self.value()):
            return queryset.filter(**{f"{self.household_field}__desa_id": self.value()})
        return queryset


class ProgramFilter(admin.SimpleListFilter):
    """Conflicts in which either enrollment is in this program."""

    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        return list(Program.objects.order_by("name").values_list("id", "name"))

    def queryset(self, request, queryset):
        if _is_id(self.value()):
            return queryset.filter(Q(enrollment_a__program_id=self.value()) | Q(enrollment_b__program_id=self.value()))
        return queryset


class AgencyFilter(admin.SimpleListFilter):
    """Conflicts that involve a program of this OPD, on either side."""

    title = _("OPD")
    parameter_name = "opd"

    def lookups(self, request, model_admin):
        return list(Agency.objects.filter(is_coordinator=False).order_by("order", "name").values_list("id", "short_name"))

    def queryset(self, request, queryset):
        if _is_id(self.value()):
            return queryset.filter(
                Q(enrollment_a__program__agency_id=self.value()) | Q(enrollment_b__program__agency_id=self.value())
            )
        return queryset


class YearFilter(admin.SimpleListFilter):
    title = _("tahun")
    parameter_name = "tahun"

    def lookups(self, request, model_admin):
        years = Conflict.objects.order_by("-enrollment_a__year").values_list("enrollment_a__year", flat=True).distinct()
        return [(year, str(year)) for year in years]

    def queryset(self, request, queryset):
        if _is_id(self.value()):
            return queryset.filter(enrollment_a__year=self.value())
        return queryset


# --- intermediate pages -----------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={"required": _("Alasan wajib diisi.")},
    )

    def __init__(self, *args, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


def _reason_page(modeladmin, request, queryset, *, action: str, title, intro, required: bool, apply):
    """An admin action with an intermediate form asking for a reason; ``apply(reason)`` does it."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST, required=required)
        if form.is_valid():
            apply(form.cleaned_data["reason"])
            return None
    else:
        form = ReasonForm(required=required)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "objects": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/dedup/action_reason.html", context)


def _report(modeladmin, request, result, done_message):
    """One success message counting the decided rows, then one warning per refused row.

    ``done_message`` is ``ngettext_lazy(singular, plural, "n")``: the plural form is picked from the
    count when it is filled in, so English reads "1 conflict" / "2 conflicts"."""
    if result.decided:
        modeladmin.message_user(request, done_message % {"n": result.decided}, messages.SUCCESS)
    for error in result.errors:
        modeladmin.message_user(request, error, messages.WARNING)


# --- conflicts --------------------------------------------------------------------------------


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
            (DECISION.DISMISS, _("Abaikan (bukan bantuan ganda)")),
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
        if decision == DECISION.APPROVE and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Alasan persetujuan wajib diisi."))
        return cleaned


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyHistoryAdmin):
    form = ConflictDecisionForm
    list_display = [
        "number", "household_link", "kecamatan", "desa", "enrollment_a_link", "enrollment_b_link",
        "rule", "status", "created_at", "reviewed_by", "reviewed_at",
    ]
    list_display_links = ["number"]
    list_filter = [
        "household__desa__kecamatan", KecamatanDesaFilter, ProgramFilter, AgencyFilter, YearFilter, "rule", "status",
    ]
    list_select_related = [
        "household__desa__kecamatan", "enrollment_a__program__agency", "enrollment_b__program__agency", "reviewed_by",
    ]
    search_fields = ["household__head_name", "=household__no_kk", "=household__head_nik", "=id"]
    search_help_text = _("Cari nama kepala keluarga, No KK, NIK kepala keluarga atau nomor konflik.")
    readonly_fields = [
        "number", "household_link", "enrollment_a_detail", "enrollment_b_detail", "rule", "status", "evidence_text",
        "decision_reason", "kept_enrollment", "reviewed_by", "reviewed_at", "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["number", "household_link", "rule", "status", "evidence_text", "created_at"]}),
        (_("Dua kepesertaan"), {"fields": ["enrollment_a_detail", "enrollment_b_detail"]}),
        (_("Keputusan"), {"fields": ["decision", "reason", "decision_reason", "kept_enrollment", "reviewed_by", "reviewed_at"]}),
    ]
    actions = ["approve_with_reason", "keep_a_cancel_b", "keep_b_cancel_a", "dismiss_with_reason"]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_scan": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

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
        return _admin_link("admin:households_household_change", obj.household_id, obj.household)

    @admin.display(description=_("kecamatan"), ordering="household__desa__kecamatan__name")
    def kecamatan(self, obj):
        return obj.household.desa.kecamatan

    @admin.display(description=_("desa/kelurahan"), ordering="household__desa__name")
    def desa(self, obj):
        return obj.household.desa.name

    @staticmethod
    def _enrollment_text(enrollment) -> str:
        return f"{enrollment.program.name} {enrollment.year} ({enrollment.get_status_display()})"

    @admin.display(description=_("kepesertaan A"))
    def enrollment_a_link(self, obj):
        return _admin_link("admin:programs_enrollment_change", obj.enrollment_a_id, self._enrollment_text(obj.enrollment_a))

    @admin.display(description=_("kepesertaan B"))
    def enrollment_b_link(self, obj):
        return _admin_link("admin:programs_enrollment_change", obj.enrollment_b_id, self._enrollment_text(obj.enrollment_b))

    def _enrollment_detail(self, enrollment):
        household = enrollment.household
        recipient = f" - {enrollment.member.name}" if enrollment.member_id else ""
        return format_html(
            "{}<br>{}: {}{}<br>{}: {}",
            _admin_link("admin:programs_enrollment_change", enrollment.pk, self._enrollment_text(enrollment)),
            _("OPD"), enrollment.program.agency, recipient,
            _("keluarga"), _admin_link("admin:households_household_change", household.pk, f"{household} ({household.desa})"),
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
            parts.append(_("NIK bersama %(nik)s") % {"nik": mask(evidence["nik"])})
        if evidence.get("household_ids"):
            links = [_admin_link("admin:households_household_change", pk, f"#{pk}") for pk in evidence["household_ids"]]
            parts.append(format_html("{} {}", _("keluarga"), format_html(", ".join(["{}"] * len(links)), *links)))
        return format_html("; ".join(["{}"] * len(parts)), *parts) if parts else "-"

    # decisions

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision") if hasattr(form, "cleaned_data") else None
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

    @admin.action(description=_("Setujui sebagai pengecualian (dengan alasan)"), permissions=["change"])
    def approve_with_reason(self, request, queryset):
        def apply(reason):
            result = services.conflict_bulk_approve(conflicts=list(queryset), reason=reason, by=request.user)
            _report(
                self, request, result,
                ngettext_lazy(
                    "%(n)d konflik disetujui sebagai pengecualian.",
                    "%(n)d konflik disetujui sebagai pengecualian.",
                    "n",
                ),
            )

        return _reason_page(
            self, request, queryset, action="approve_with_reason", title=_("Setujui konflik sebagai pengecualian"),
            intro=_("Tuliskan alasan persetujuan. Alasan, nama Anda dan waktunya dicatat pada setiap konflik."),
            required=True, apply=apply,
        )

    @admin.action(description=_("Abaikan (bukan bantuan ganda, dengan alasan)"), permissions=["change"])
    def dismiss_with_reason(self, request, queryset):
        def apply(reason):
            result = services.conflict_bulk_dismiss(conflicts=list(queryset), reason=reason, by=request.user)
            _report(
                self, request, result,
                ngettext_lazy(
                    "%(n)d konflik diabaikan.",
                    "%(n)d konflik diabaikan.",
                    "n",
                ),
            )

        return _reason_page(
            self, request, queryset, action="dismiss_with_reason", title=_("Abaikan konflik"),
            intro=_("Konflik yang diabaikan tidak akan dimunculkan lagi. Tuliskan alasannya."),
            required=False, apply=apply,
        )

    @admin.action(description=_("Pertahankan kepesertaan A (lebih dulu), batalkan B"), permissions=["change"])
    def keep_a_cancel_b(self, request, queryset):
        result = services.conflict_bulk_resolve(conflicts=list(queryset), keep_side="a", by=request.user)
        _report(
            self, request, result,
            ngettext_lazy(
                "%(n)d konflik diselesaikan: kepesertaan B dibatalkan.",
                "%(n)d konflik diselesaikan: kepesertaan B dibatalkan.",
                "n",
            ),
        )

    @admin.action(description=_("Pertahankan kepesertaan B, batalkan A"), permissions=["change"])
    def keep_b_cancel_a(self, request, queryset):
        result = services.conflict_bulk_resolve(conflicts=list(queryset), keep_side="b", by=request.user)
        _report(
            self, request, result,
            ngettext_lazy(
                "%(n)d konflik diselesaikan: kepesertaan A dibatalkan.",
                "%(n)d konflik diselesaikan: kepesertaan A dibatalkan.",
                "n",
            ),
        )


# --- compatible pairs -------------------------------------------------------------------------


class CompatiblePairForm(forms.ModelForm):
    class Meta:
        model = CompatiblePair
        fields = ["program_a", "program_b", "reason"]

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("program_a"), cleaned.get("program_b")
        if a and b:
            if a.pk == b.pk:
                raise ValidationError({"program_b": _("Pilih dua program yang berbeda.")})
            if a.pk > b.pk:
                # Stored once, in id order; the user may pick them either way round.
                cleaned["program_a"], cleaned["program_b"] = b, a
        return cleaned


@admin.register(CompatiblePair)
class CompatiblePairAdmin(ReadOnlyHistoryAdmin):
    form = CompatiblePairForm
    list_display = ["program_a", "program_b", "reason", "created_by", "created_at"]
    list_select_related = ["program_a", "program_b", "created_by"]
    list_filter = ["program_a__agency", "program_b__agency"]
    search_fields = ["program_a__name", "program_b__name", "reason"]
    autocomplete_fields = ["program_a", "program_b"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        # A declaration is made or withdrawn (deleted, with history), not edited.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        pair = services.compatible_pair_create(
            program_a=obj.program_a, program_b=obj.program_b, reason=obj.reason, by=request.user
        )
        obj.pk = pair.pk
        obj._state.adding = False

    def get_urls(self):
        return [
            path("paket-nasional/", self.admin_site.admin_view(self.bundle_view), name="dedup_compatiblepair_bundle"),
            *super().get_urls(),
        ]

    def bundle_view(self, request):
        """Load the national bundle (PKH, Sembako, PBI-JK, PIP) with one confirmation."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            try:
                result = services.compatible_bundle_load(by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Paket bantuan nasional dimuat: %(created)d pasangan baru, %(existing)d sudah ada.",
                        "Paket bantuan nasional dimuat: %(created)d pasangan baru, %(existing)d sudah ada.",
                        len(result.created),
                    )
                    % {"created": len(result.created), "existing": result.existing},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(reverse("admin:dedup_compatiblepair_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Muat paket bantuan nasional"),
            "intro": _("PKH, Program Sembako, PBI-JK dan PIP dirancang untuk digabung bagi satu keluarga. "
                       "Keenam pasangannya akan ditetapkan boleh digabung, dan konflik terbuka di antara "
                       "program-program itu diabaikan. Pasangan lain tetap melanggar aturan satu bantuan."),
            "opts": self.model._meta,
            "button": _("Muat paket nasional"),
        }
        return TemplateResponse(request, "admin/dedup/confirm.html", context)


# --- identity duplicates ----------------------------------------------------------------------


class IdentityDesaFilter(KecamatanDesaFilter):
    household_field = "household_a"
    kecamatan_parameter = "household_a__desa__kecamatan__id__exact"


@admin.register(IdentityMatch)
class IdentityMatchAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "number", "kind", "household_a_link", "household_b_link", "members", "score", "status", "created_at", "reviewed_by",
    ]
    list_display_links = ["number"]
    list_filter = ["kind", "status", "household_a__desa__kecamatan", IdentityDesaFilter]
    list_select_related = ["household_a__desa", "household_b__desa", "member_a", "member_b", "reviewed_by"]
    search_fields = ["household_a__head_name", "household_b__head_name", "=household_a__no_kk", "=household_b__no_kk"]
    readonly_fields = [
        "number", "kind", "household_a_link", "household_b_link", "members", "score", "evidence_text", "status",
        "decision_reason", "reviewed_by", "reviewed_at", "created_at",
    ]
    fields = readonly_fields
    actions = ["merge_into_a", "merge_into_b", "dismiss_with_reason"]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_scan": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("duplikat"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @staticmethod
    def _household(household):
        return _admin_link(
            "admin:households_household_change", household.pk,
            f"#{household.pk} {household} - {household.desa}" + (" " + str(_("(digabung)")) if household.merged_into_id else ""),
        )

    @admin.display(description=_("keluarga A"))
    def household_a_link(self, obj):
        return self._household(obj.household_a)

    @admin.display(description=_("keluarga B"))
    def household_b_link(self, obj):
        return self._household(obj.household_b)

    @admin.display(description=_("anggota"))
    def members(self, obj):
        if obj.member_a_id and obj.member_b_id:
            return f"{obj.member_a.name} / {obj.member_b.name}"
        return "-"

    @admin.display(description=_("bukti"))
    def evidence_text(self, obj):
        evidence = obj.evidence or {}
        parts = []
        if evidence.get("niks"):
            parts.append(_("NIK: %(niks)s") % {"niks": ", ".join(mask(n) for n in evidence["niks"])})
        if evidence.get("no_kk"):
            parts.append(_("No KK: %(kk)s") % {"kk": mask(evidence["no_kk"])})
        if evidence.get("names"):
            parts.append(_("nama: %(names)s") % {"names": " / ".join(evidence["names"])})
        elif evidence.get("name"):
            parts.append(_("nama (dinormalkan): %(name)s") % {"name": evidence["name"]})
        if evidence.get("birth_date"):
            year, month, day = evidence["birth_date"].split("-")
            parts.append(_("tanggal lahir: %(date)s") % {"date": f"{day}/{month}/{year}"})
        return "; ".join(str(p) for p in parts) or "-"

    def get_urls(self):
        return [
            path("pindai/", self.admin_site.admin_view(self.scan_view), name="dedup_identitymatch_scan"),
            *super().get_urls(),
        ]

    def scan_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            result = services.identity_scan()
            self.message_user(
                request,
                ngettext(
                    "Pencarian selesai: %(new)d duplikat baru, %(open)d terbuka.",
                    "Pencarian selesai: %(new)d duplikat baru, %(open)d terbuka.",
                    result.new,
                )
                % {"new": result.new, "open": result.open_total},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:dedup_identitymatch_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cari duplikat identitas"),
            "intro": _("Mencari NIK yang sama di dua keluarga, No KK yang sama, kepala keluarga yang sama di satu "
                       "desa, dan anggota dengan nama mirip serta tanggal lahir sama. Temuan yang sudah diabaikan "
                       "tidak dimunculkan lagi."),
            "opts": self.model._meta,
            "button": _("Cari sekarang"),
        }
        return TemplateResponse(request, "admin/dedup/confirm.html", context)

    def _merge(self, request, queryset, keep):
        merged, errors = 0, []
        for match in queryset.order_by("pk"):
            try:
                services.identity_merge(match=match, keep=keep, by=request.user)
                merged += 1
            except ValidationError as error:
                errors.append(_("Duplikat #%(id)s: %(error)s") % {"id": match.pk, "error": " ".join(error.messages)})
        if merged:
            self.message_user(
                request,
                ngettext("%(n)d pasangan keluarga digabung.", "%(n)d pasangan keluarga digabung.", merged) % {"n": merged},
                messages.SUCCESS,
            )
        for error in errors:
            self.message_user(request, error, messages.WARNING)

    @admin.action(description=_("Gabungkan ke keluarga A (B ditandai tidak ada)"), permissions=["change"])
    def merge_into_a(self, request, queryset):
        self._merge(request, queryset, "a")

    @admin.action(description=_("Gabungkan ke keluarga B (A ditandai tidak ada)"), permissions=["change"])
    def merge_into_b(self, request, queryset):
        self._merge(request, queryset, "b")

    @admin.action(description=_("Abaikan (bukan duplikat, dengan alasan)"), permissions=["change"])
    def dismiss_with_reason(self, request, queryset):
        def apply(reason):
            result = services.identity_bulk_dismiss(matches=list(queryset), reason=reason, by=request.user)
            _report(
                self, request, result,
                ngettext_lazy(
                    "%(n)d duplikat diabaikan.",
                    "%(n)d duplikat diabaikan.",
                    "n",
                ),
            )

        return _reason_page(
            self, request, queryset, action="dismiss_with_reason", title=_("Abaikan duplikat identitas"),
            intro=_("Duplikat yang diabaikan tidak akan dimunculkan lagi. Tuliskan alasannya."),
            required=False, apply=apply,
        )
