"""Identity duplicates: the same NIK in two families, the same No KK on two records, the same head
in one village, similar names born the same day. Bappeda merges the two records or dismisses the pair."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from dedup import services
from dedup.admin.common import KecamatanDesaFilter, admin_link, kecamatan_paths, reason_action, shown_identifier
from dedup.admin.decision import decision_view
from dedup.models import IdentityMatch
from households.admin_regions import RegionListMixin
from konut_registry.admin_search import SearchKeptOutOfAddressMixin
from konut_registry.admin_history import ReadOnlyHistoryAdmin


def _merge_action(keep: str, *, description):
    """The list action that merges each selected pair into household ``keep`` ("a" or "b")."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        merged, errors = 0, []
        for match in queryset.order_by("pk"):
            try:
                services.identity_merge(match=match, keep=keep, by=request.user)
                merged += 1
            except ValidationError as error:
                errors.append(_("Duplikat #%(id)s: %(error)s") % {"id": match.pk, "error": " ".join(error.messages)})
        if merged:
            modeladmin.message_user(
                request,
                ngettext("%(n)d pasangan keluarga digabung.", "%(n)d pasangan keluarga digabung.", merged) % {"n": merged},
                messages.SUCCESS,
            )
        for error in errors:
            modeladmin.message_user(request, error, messages.WARNING)

    action.__name__ = f"merge_into_{keep}"
    return action


# The two families of a pair: the village filter keeps a row when either is in the village.
PAIR = ("household_a", "household_b")


class IdentityDesaFilter(KecamatanDesaFilter):
    household_field, also_household_fields = PAIR[0], PAIR[1:]
    kecamatan_parameter = "household_a__desa__kecamatan__id__exact"


@admin.register(IdentityMatch)
class IdentityMatchAdmin(SearchKeptOutOfAddressMixin, RegionListMixin, ReadOnlyHistoryAdmin):
    kecamatan_path = "household_a__desa__kecamatan"
    kabupaten_after = "household_b_link"
    # One person in families of two regencies: the pair is each regency's to review.
    pair_kecamatan_paths = kecamatan_paths(PAIR)
    region_clears = ("desa",)
    list_display = [
        "number", "kind", "household_a_link", "household_b_link", "members", "score", "status", "created_at", "reviewed_by",
    ]
    list_display_links = ["number"]
    list_filter = ["kind", "status", "household_a__desa__kecamatan", IdentityDesaFilter]
    list_select_related = [
        "household_a__desa__kecamatan", "household_b__desa__kecamatan", "member_a", "member_b", "reviewed_by",
    ]
    search_fields = ["household_a__head_name", "household_b__head_name", "=household_a__no_kk", "=household_b__no_kk"]
    readonly_fields = [
        "number", "kind", "household_a_link", "household_b_link", "members", "score", "evidence_text", "status",
        "decision_reason", "reviewed_by", "reviewed_at", "created_at",
    ]
    fields = readonly_fields
    actions = ["merge_into_a", "merge_into_b", "dismiss_with_reason"]
    list_per_page = 50
    show_full_result_count = False

    merge_into_a = _merge_action("a", description=_("Gabungkan ke keluarga A (B ditandai tidak ada)"))
    merge_into_b = _merge_action("b", description=_("Gabungkan ke keluarga B (A ditandai tidak ada)"))
    dismiss_with_reason = reason_action(
        name="dismiss_with_reason",
        description=_("Abaikan (bukan duplikat, dengan alasan)"),
        title=_("Abaikan duplikat identitas"),
        intro=_("Duplikat yang diabaikan tidak akan dimunculkan lagi. Tuliskan alasannya."),
        required=True,
        decide=lambda matches, reason, by: services.identity_bulk_dismiss(matches=matches, reason=reason, by=by),
        done=ngettext_lazy(
            "%(n)d duplikat diabaikan.",
            "%(n)d duplikat diabaikan.",
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

    @admin.display(description=_("duplikat"), ordering="id")
    def number(self, obj):
        return f"#{obj.pk}"

    @staticmethod
    def _household(household):
        return admin_link(
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
        return "; ".join(self.evidence_for(obj, getattr(obj, "_viewer", None))) or "-"

    @staticmethod
    def evidence_for(obj, viewer) -> list[str]:
        """What the two records share, NIK and No KK shown as ``viewer`` may see them."""
        evidence = obj.evidence or {}
        parts = []
        if evidence.get("niks"):
            parts.append(_("NIK: %(niks)s") % {"niks": ", ".join(shown_identifier(n, viewer) for n in evidence["niks"])})
        if evidence.get("no_kk"):
            parts.append(_("No KK: %(kk)s") % {"kk": shown_identifier(evidence["no_kk"], viewer)})
        if evidence.get("names"):
            parts.append(_("nama: %(names)s") % {"names": " / ".join(evidence["names"])})
        elif evidence.get("name"):
            parts.append(_("nama (dinormalkan): %(name)s") % {"name": evidence["name"]})
        if evidence.get("birth_date"):
            year, month, day = evidence["birth_date"].split("-")
            parts.append(_("tanggal lahir: %(date)s") % {"date": f"{day}/{month}/{year}"})
        return [str(p) for p in parts]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The decision page instead of a read-only form: both records side by side, merge or dismiss."""
        return decision_view(self, request, object_id)

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
                    "Pencarian selesai: %(new)d duplikat baru, %(closed)d ditutup otomatis (tidak lagi ditemukan), "
                    "%(open)d terbuka.",
                    "Pencarian selesai: %(new)d duplikat baru, %(closed)d ditutup otomatis (tidak lagi ditemukan), "
                    "%(open)d terbuka.",
                    result.new,
                )
                % {"new": result.new, "closed": result.closed, "open": result.open_total},
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
