"""Compatible program pairs: Bappeda declares, with a reason, which two programs one family may
receive together (or loads the national bundle at once); every other pair stays a conflict."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dedup import services
from dedup.models import CompatiblePair
from konut_registry.admin_history import ReadOnlyHistoryAdmin


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

    def delete_model(self, request, obj):
        """Withdrawing a declaration re-opens the conflicts it dismissed and flags the pairs it had
        allowed, in the same transaction (``services.compatible_pair_withdraw``)."""
        services.compatible_pair_withdraw(pair=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for pair in queryset.order_by("pk"):
            services.compatible_pair_withdraw(pair=pair, by=request.user)

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
