"""The import mappings in the admin: which header of a kind of file is which field, which value of a
choice column is which choice. Bappeda adds a row for what a preview lists as unmapped (the
preview links here with the header or value filled in); every later file of that kind uses it.
The built-in rows come from ``load_reference``. Changes are kept in the history ("Riwayat").

A built-in row is never deleted, and its header (or value) is never renamed: the shipped rows are
read under the stored ones for every file (``imports.context``: a registry whose ``load_reference``
predates a new shipped row still reads it), and ``load_reference`` creates what is missing, so a
deleted built-in came back and its header was read all the same. Keeping a deleted one deleted would
need a record of the deletion that both consult; instead the row stays, and its target is what
Bappeda edits: "(kolom dikenal, tidak dipakai)" stops a header, another choice or "Kosong" a value.
``load_reference`` never overwrites an existing row, so that edit is kept, and loading stays
idempotent.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from konut_registry.admin_history import ReadOnlyHistoryAdmin

from households.imports.columns import AID_PREFIX, builtin_rows
from households.imports.context import CHOICE_FIELDS, aid_fields
from households.imports.reader import normalize_header
from households.imports.values import AID_VALUE_CODES, AID_VALUE_FIELD, norm
from households.models import ColumnMapping, ValueMapping, import_choice_label, import_field_label


_field_label = import_field_label


def _layout_fields() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for layout, _header, target in builtin_rows():
        if target:
            fields.setdefault(layout, set()).add(target)
    return fields


class ColumnMappingForm(forms.ModelForm):
    field = forms.ChoiceField(label=_("kolom registri"), required=False)

    class Meta:
        model = ColumnMapping
        fields = ("layout", "header", "field")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = sorted({f for names in _layout_fields().values() for f in names}, key=_field_label)
        aid = [(name, _("Bantuan: %(program)s") % {"program": program}) for name, program in aid_fields()]
        self.fields["field"].choices = [
            ("", _("(kolom dikenal, tidak dipakai)")),
            (_("Data keluarga dan anggota"), [(name, f"{_field_label(name)} ({name})") for name in known]),
            (_("Kolom bantuan (Penerima/Bansos/PBI)"), aid),
        ]
        self.fields["header"].help_text = _("Judul kolom seperti di berkas; huruf besar/kecil, tanda baca dan spasi diabaikan.")

    def clean_header(self):
        header = normalize_header(self.cleaned_data["header"])
        if not header:
            raise forms.ValidationError(_("Judul kolom kosong."))
        return header

    def clean(self):
        data = super().clean()
        _builtin_key_kept(self, "layout", "header")
        layout, target = data.get("layout"), data.get("field")
        if layout and target and not target.startswith(AID_PREFIX) and target not in _layout_fields().get(layout, set()):
            self.add_error("field", _("Kolom registri ini tidak dipakai untuk jenis tabel tersebut."))
        header = data.get("header")
        other = layout and header and ColumnMapping.objects.filter(layout=layout, header=header).exclude(pk=self.instance.pk).first()
        if other:
            message = _(
                "Judul kolom '%(header)s' sudah dipetakan untuk %(layout)s, ke %(target)s%(builtin)s. Ubah pemetaan yang "
                "ada itu, jangan menambah yang baru."
            ) % {
                "header": other.header, "layout": other.get_layout_display(),
                "target": _field_label(other.field) if other.field else _("(kolom dikenal, tidak dipakai)"),
                "builtin": _(" (pemetaan bawaan)") if other.builtin else "",
            }
            self.add_error("header", _existing(message, "admin:households_columnmapping_change", other.pk))
        return data


class ValueMappingForm(forms.ModelForm):
    field = forms.ChoiceField(label=_("kolom registri"))
    code = forms.ChoiceField(label=_("pilihan"), required=False)

    class Meta:
        model = ValueMapping
        fields = ("kind", "field", "value", "code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        aid_label = _("Kolom bantuan (Penerima/Bansos/PBI)")
        self.fields["field"].choices = [(name, _field_label(name)) for name in CHOICE_FIELDS] + [(AID_VALUE_FIELD, aid_label)]
        self.fields["code"].choices = [("", _("Kosong (tanpa nilai)"))] + [
            (_field_label(name), [(code, label) for code, label in enum.choices]) for name, enum in CHOICE_FIELDS.items()
        ] + [(aid_label, [("ya", _("Ya")), ("tidak", _("Tidak"))])]
        self.fields["kind"].help_text = _("Kosongkan agar berlaku untuk semua jenis impor.")
        self.fields["value"].help_text = _("Nilai seperti di berkas; huruf besar/kecil dan spasi diabaikan.")

    def clean_value(self):
        value = norm(self.cleaned_data["value"])
        if not value:
            raise forms.ValidationError(_("Nilai kosong."))
        return value

    def clean(self):
        data = super().clean()
        _builtin_key_kept(self, "kind", "field", "value")
        name, code = data.get("field"), data.get("code")
        if name in CHOICE_FIELDS and code and code not in CHOICE_FIELDS[name].values:
            self.add_error("code", _("Pilihan ini bukan pilihan kolom %(field)s.") % {"field": _field_label(name)})
        elif name == AID_VALUE_FIELD and code not in AID_VALUE_CODES:
            self.add_error("code", _("Pilihan ini bukan pilihan kolom %(field)s.") % {"field": _("Kolom bantuan (Penerima/Bansos/PBI)")})
        kind, value = data.get("kind"), data.get("value")
        other = name and value and ValueMapping.objects.filter(kind=kind or "", field=name, value=value).exclude(pk=self.instance.pk).first()
        if other:
            message = _(
                "Nilai '%(value)s' kolom %(field)s sudah dipetakan untuk %(kind)s, ke %(code)s%(builtin)s. Ubah pemetaan "
                "yang ada itu, jangan menambah yang baru."
            ) % {
                "value": other.value, "field": _field_label(other.field),
                "kind": other.get_kind_display() if other.kind else _("semua jenis impor"),
                "code": import_choice_label(other.field, other.code) if other.code else _("Kosong (tanpa nilai)"),
                "builtin": _(" (pemetaan bawaan)") if other.builtin else "",
            }
            self.add_error("value", _existing(message, "admin:households_valuemapping_change", other.pk))
        return data


def _builtin_key_kept(form, *names: str) -> None:
    """A built-in row keeps what it matches: renamed, the shipped header or value would still be read
    (module docstring); another one is a new mapping."""
    if not form.instance.builtin:
        return
    for name in names:
        if name in form.cleaned_data and form.cleaned_data[name] != getattr(form.instance, name):
            form.add_error(name, _(
                "Ini pemetaan bawaan: yang dipetakannya tidak dapat diubah. Untuk judul kolom atau nilai lain, tambahkan "
                "pemetaan baru."
            ))


def _existing(message: str, view: str, pk: int):
    """A duplicate's message with a link to the mapping it repeats."""
    return forms.ValidationError(format_html('{} <a href="{}">{}</a>', message, reverse(view, args=[pk]), _("Buka pemetaan itu")))


class _BappedaOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_bappeda

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


class _BuiltinKept:
    """Deleting a built-in mapping is refused, one by one or among the selected, with the way to stop
    using it (``stop_using``); nothing is deleted then (module docstring)."""

    stop_using = ""

    def _refusal(self, rows) -> str:
        names = ", ".join(str(row) for row in rows)
        return ngettext(
            "Pemetaan bawaan tidak dapat dihapus: %(names)s. %(stop)s",
            "Pemetaan bawaan tidak dapat dihapus: %(names)s. %(stop)s",
            len(rows),
        ) % {"names": names, "stop": self.stop_using}

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.builtin:
            self.message_user(request, self._refusal([obj]), messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _function, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_unless_builtin, name, description)
        return actions


def _delete_unless_builtin(modeladmin, request, queryset):
    builtin = list(queryset.filter(builtin=True))
    if builtin:
        modeladmin.message_user(request, modeladmin._refusal(builtin), messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


class _FieldFilter(admin.SimpleListFilter):
    """The mappings' fields by their labels (the URL keeps the field's key)."""

    title = _("kolom registri")
    parameter_name = "field"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).exclude(field="").order_by().values_list("field", flat=True).distinct()
        return sorted(((name, _field_label(name)) for name in names), key=lambda pair: pair[1].lower())

    def queryset(self, request, queryset):
        return queryset.filter(field=self.value()) if self.value() else queryset


def _labelled(names, term: str) -> list[str]:
    """The field keys among ``names`` whose label holds ``term``."""
    term = term.strip().lower()
    return [name for name in names if term and term in _field_label(name).lower()]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(_BappedaOnly, _BuiltinKept, ReadOnlyHistoryAdmin):
    form = ColumnMappingForm
    stop_using = _('Agar judul kolom itu tidak dibaca lagi, ubah kolom registrinya menjadi "(kolom dikenal, tidak dipakai)".')
    list_display = ("header", "layout", "field_label", "builtin")
    list_filter = ("layout", _FieldFilter, "builtin")
    search_fields = ("header", "field")

    @admin.display(description=_("kolom registri"), ordering="field")
    def field_label(self, obj):
        return _field_label(obj.field) if obj.field else _("(kolom dikenal, tidak dipakai)")

    def get_search_results(self, request, queryset, search_term):
        """A header as the preview shows it (``JNS_ATAP``) is found as it is stored (``jns atap``); a
        field by its label (``atap``: Jenis atap)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            names = set(queryset.order_by().values_list("field", flat=True).distinct())
            header = normalize_header(search_term)
            found = found | queryset.filter(field__in=_labelled(names, search_term))
            if header:
                found = found | queryset.filter(header__icontains=header)
        return found, duplicates


@admin.register(ValueMapping)
class ValueMappingAdmin(_BappedaOnly, _BuiltinKept, ReadOnlyHistoryAdmin):
    form = ValueMappingForm
    stop_using = _('Agar nilai itu tidak dibaca sebagai pilihannya, ubah pilihannya, misalnya menjadi "Kosong (tanpa nilai)".')
    list_display = ("value", "field_label", "code_label", "kind", "builtin")
    list_filter = (_FieldFilter, "kind", "builtin")
    search_fields = ("value", "code")

    @admin.display(description=_("kolom registri"), ordering="field")
    def field_label(self, obj):
        return _field_label(obj.field)

    @admin.display(description=_("pilihan"), ordering="code")
    def code_label(self, obj):
        return import_choice_label(obj.field, obj.code)

    def get_search_results(self, request, queryset, search_term):
        """A value as the file writes it (``Milik  Sendiri``) is found as it is stored; a field by its label."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            names = set(queryset.order_by().values_list("field", flat=True).distinct())
            found = found | queryset.filter(field__in=_labelled(names, search_term)) | queryset.filter(value__icontains=norm(search_term))
        return found, duplicates
