"""Admin for targeting rules: Bappeda edits each program's eligibility rules as data and sees, while
editing, how many households the rule selects in each kecamatan.

Imported by ``programs/admin.py``. Bappeda operators (and superusers) change rules; leadership may
look but never change (403); agency users have no business here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from households.regions import has_several_regencies
from konut_registry.admin_history import ReadOnlyHistoryAdmin

from programs.models import (
    OPERATORS_BY_KIND,
    ConditionField,
    ConditionOperator,
    RuleCondition,
    TargetingRule,
    condition_choices,
    condition_kind,
)
from programs.targeting import preview_by_kecamatan, program_q, rule_q

MAX_PREVIEW_CONDITIONS = 30


def may_edit_rules(user) -> bool:
    return user.is_active and user.is_staff and user.is_bappeda


def may_view_rules(user) -> bool:
    return user.is_active and user.is_staff and (user.is_bappeda or user.is_leadership)


class ConditionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("field")
        ]
        if not kept and self.instance.active:
            raise ValidationError(_("Aturan aktif harus punya paling sedikit satu syarat."))


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    formset = ConditionFormSet
    extra = 1
    fields = ["field", "operator", "value"]


def _preview_table(preview) -> str:
    """The rule's households by kecamatan, each with its regency when several are loaded."""
    several = has_several_regencies()
    rows = format_html_join(
        "", "<tr><td>{}</td>{}<td class='num'>{}</td><td class='num'>{}</td></tr>",
        ((row.kecamatan, format_html("<td>{}</td>", row.kabupaten) if several else "", row.matching, row.without_aid)
         for row in preview.rows),
    )
    return format_html(
        "<table><thead><tr><th>{}</th>{}<th class='num'>{}</th><th class='num'>{}</th></tr></thead>"
        "<tbody>{}</tbody><tfoot><tr><th{}>{}</th><th class='num'>{}</th><th class='num'>{}</th></tr></tfoot></table>",
        _("Kecamatan"), format_html("<th>{}</th>", _("Kabupaten/kota")) if several else "",
        _("Keluarga cocok"), _("Belum menerima bantuan"), rows,
        mark_safe(" colspan='2'") if several else "", _("Jumlah"), preview.matching, preview.without_aid,
    )


@admin.register(TargetingRule)
class TargetingRuleAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "program", "agency", "cluster", "active", "conditions_text"]
    list_filter = ["active", "program__cluster", "program__agency", "program"]
    list_select_related = ["program__agency"]
    search_fields = ["name", "program__name", "program__code"]
    inlines = [RuleConditionInline]
    fields = ["program", "name", "description", "active", "live_preview", "program_preview", "value_guide"]
    readonly_fields = ["live_preview", "program_preview", "value_guide"]

    class Media:
        css = {"all": ["dashboard/rule_admin.css"]}
        js = ["dashboard/rule_preview.js"]

    # --- permissions: Bappeda edits, leadership looks

    def has_module_permission(self, request):
        return may_view_rules(request.user)

    def has_view_permission(self, request, obj=None):
        return may_view_rules(request.user)

    def has_add_permission(self, request):
        return may_edit_rules(request.user)

    def has_change_permission(self, request, obj=None):
        return may_edit_rules(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_edit_rules(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("conditions")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # --- columns and read-only panels

    @admin.display(description=_("OPD"), ordering="program__agency__order")
    def agency(self, obj):
        return obj.program.agency

    @admin.display(description=_("klaster"), ordering="program__cluster")
    def cluster(self, obj):
        return obj.program.get_cluster_display()

    @admin.display(description=_("syarat"))
    def conditions_text(self, obj):
        joiner = " %s " % pgettext("between two targeting conditions", "dan")
        return joiner.join(str(condition) for condition in obj.conditions.all()) or "–"

    @admin.display(description=_("pratinjau aturan ini"))
    def live_preview(self, obj):
        """Counts by kecamatan for the rule as saved; the script redraws it as the conditions change."""
        url = reverse("admin:programs_targetingrule_preview")
        table = _preview_table(preview_by_kecamatan(rule_q(obj))) if obj and obj.pk else ""
        return format_html(
            '<div class="rule-preview" id="rule-preview" data-url="{}">'
            '<p class="rule-preview-status" aria-live="polite">{}</p>{}</div>',
            url,
            _("Angka diperbarui otomatis saat syarat diubah (sebelum disimpan)."),
            table,
        )

    @admin.display(description=_("pratinjau seluruh program"))
    def program_preview(self, obj):
        if not obj or not obj.pk:
            return "–"
        preview = preview_by_kecamatan(program_q(obj.program))
        return format_html(
            "{}<p><a href='{}'>{}</a></p>",
            ngettext(
                "%(n)s keluarga cocok dengan salah satu aturan aktif program ini (%(m)s belum menerima bantuan).",
                "%(n)s keluarga cocok dengan salah satu aturan aktif program ini (%(m)s belum menerima bantuan).",
                preview.matching,
            )
            % {"n": preview.matching, "m": preview.without_aid},
            reverse("programs:distribute", args=[obj.program.code]),
            _("Pratinjau dan distribusikan program ini"),
        )

    @admin.display(description=_("panduan nilai"))
    def value_guide(self, obj):
        rows = []
        for value, label in ConditionField.choices:
            kind = condition_kind(value)
            operators = ", ".join(str(ConditionOperator(op).label) for op in OPERATORS_BY_KIND[kind])
            choices = condition_choices(value)
            if choices is not None:
                allowed = "; ".join(str(choice_label) for _code, choice_label in choices.choices)
            elif kind == "number":
                allowed = gettext("bilangan bulat; antara: dua angka, mis. 6;18")
            else:
                allowed = gettext("kosongkan nilai")
            rows.append((label, operators, allowed))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            "<table class='rule-guide'><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Data"), _("Operator"), _("Nilai yang boleh"), body,
        )

    # --- the live preview endpoint (GET, read-only)

    def get_urls(self):
        custom = [
            path("pratinjau/", self.admin_site.admin_view(self.preview_view), name="programs_targetingrule_preview"),
        ]
        return custom + super().get_urls()

    def preview_view(self, request):
        """Counts by kecamatan for conditions as typed (``field``, ``operator``, ``value`` repeated),
        nothing saved. Invalid conditions come back as messages, and count as nothing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        fields = request.GET.getlist("field")[:MAX_PREVIEW_CONDITIONS]
        operators = request.GET.getlist("operator")[:MAX_PREVIEW_CONDITIONS]
        values = request.GET.getlist("value")[:MAX_PREVIEW_CONDITIONS]
        conditions, errors = [], []
        for index, (field_name, operator, value) in enumerate(zip(fields, operators, values), start=1):
            if not field_name:
                continue
            condition = RuleCondition(field=field_name, operator=operator, value=value)
            try:
                condition.clean_fields(exclude=["rule"])
                condition.clean()
            except ValidationError as error:
                messages = [str(m) for ms in error.message_dict.values() for m in ms]
                errors.append(gettext("Syarat %(n)s: %(msg)s") % {"n": index, "msg": " ".join(messages)})
                continue
            conditions.append(condition)
        if errors or not conditions:
            return JsonResponse({"errors": errors or [gettext("Belum ada syarat: aturan ini tidak mencocokkan siapa pun.")], "rows": []})
        preview = preview_by_kecamatan(rule_q(TargetingRule(), conditions=conditions))
        several = has_several_regencies()
        return JsonResponse(
            {
                "errors": [],
                "rows": [{"kecamatan": r.kecamatan, "kabupaten": r.kabupaten, "matching": r.matching, "without_aid": r.without_aid}
                         for r in preview.rows],
                "matching": preview.matching,
                "without_aid": preview.without_aid,
                "labels": {"kecamatan": gettext("Kecamatan"), "matching": gettext("Keluarga cocok"),
                           "without_aid": gettext("Belum menerima bantuan"), "total": gettext("Jumlah"),
                           # Only where several regencies are loaded: the table then shows each row's.
                           **({"kabupaten": gettext("Kabupaten/kota")} if several else {})},
            }
        )
