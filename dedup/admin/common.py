"""What the dedup admins share: the village filter, the reason form and its intermediate page,
the outcome messages, and the factory for actions that ask for a reason."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from households.admin_regions import on_any
from households.identifiers import mask
from households.models import Desa
from konut_registry.admin_filters import is_database_id


def shown_identifier(value: str, viewer) -> str:
    """A NIK or No KK as ``viewer`` may see it: whole for the roles that correct data, masked for the
    others (the same rule as the portal's)."""
    if not value:
        return ""
    return value if getattr(viewer, "can_see_full_nik", False) else mask(value)


def admin_link(viewname: str, pk, text) -> str:
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


class KecamatanDesaFilter(admin.SimpleListFilter):
    """Villages of the chosen kecamatan only: a regency's villages (170 in Konawe Utara) in one list
    would be unusable, and names repeat across kecamatan. ``household_field`` names the household to
    filter on, ``also_household_fields`` the other family of a pair (a row is kept when either is in
    the village)."""

    title = _("desa/kelurahan")
    parameter_name = "desa"
    household_field = "household"
    also_household_fields: tuple[str, ...] = ()
    kecamatan_parameter = "household__desa__kecamatan__id__exact"

    def lookups(self, request, model_admin):
        kecamatan = request.GET.get(self.kecamatan_parameter)
        if not is_database_id(kecamatan):
            return []
        return list(Desa.objects.filter(kecamatan_id=kecamatan).order_by("name").values_list("id", "name"))

    def queryset(self, request, queryset):
        if is_database_id(self.value()):
            return queryset.filter(on_any((self.household_field, *self.also_household_fields), "desa_id", self.value()))
        return queryset


def kecamatan_paths(households: tuple[str, ...]) -> tuple[str, ...]:
    """The kecamatan of each of a pair's ``households`` (``RegionListMixin.pair_kecamatan_paths``),
    the families its village filter keeps a row by (``KecamatanDesaFilter.also_household_fields``)."""
    return tuple(f"{household}__desa__kecamatan" for household in households)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        error_messages={"required": _("Alasan wajib diisi.")},
    )

    def __init__(self, *args, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


def reason_page(modeladmin, request, queryset, *, action: str, title, intro, required: bool, apply):
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


def report(modeladmin, request, result, done_message):
    """One success message counting the decided rows, then one warning per refused row.

    ``done_message`` is ``ngettext_lazy(singular, plural, "n")``: the plural form is picked from the
    count when it is filled in, so English reads "1 conflict" / "2 conflicts"."""
    if result.decided:
        modeladmin.message_user(request, done_message % {"n": result.decided}, messages.SUCCESS)
    for error in result.errors:
        modeladmin.message_user(request, error, messages.WARNING)


def reason_action(*, name: str, description, title, intro, required: bool, decide: Callable, done):
    """An admin action that asks for a reason on an intermediate page, then hands the selected rows
    to ``decide(rows, reason, user)`` (a bulk service returning ``decided`` and ``errors``) and
    reports the outcome with ``done``. Assign it in the admin class under ``name``."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        def apply(reason):
            report(modeladmin, request, decide(list(queryset), reason, request.user), done)

        return reason_page(
            modeladmin, request, queryset, action=name, title=title, intro=intro, required=required, apply=apply
        )

    action.__name__ = name
    return action
