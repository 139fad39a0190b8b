"""The import mappings in the admin: which header of a kind of file is which field, which value of a
choice column is which choice. Bappeda adds a row for what a preview lists as unmapped (the
preview links here with the header or value filled in); every later file of that kind uses it.
The built-in rows come from ``load_reference``. Changes are kept in the history ("Riwayat").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from konut_registry.admin_history import ReadOnlyHistoryAdmin

from households.imports.columns import AID_PREFIX, builtin_rows
from households.imports.context import CHOICE_FIELDS, aid_fields
from households.imports.reader import normalize_header
from households.imports.values import AID_VALUE_CODES, AID_VALUE_FIELD, norm
from households.models import ColumnMapping, Household, Member, ValueMapping


# The fields of the layouts that are no field of a household or member: place names and codes of
# the file, and a recipient list's enrollment columns.
_OTHER_LABELS = {
    "provinsi": _("Provinsi"), "kabupaten": _("Kabupaten/kota"), "kecamatan": _("Kecamatan"),
    "region_code": _("Kode Kemdagri"), "region_code_prov": _("Kode Kemdagri: bagian provinsi (2 angka)"),
    "region_code_kab": _("Kode Kemdagri: bagian kabupaten/kota (2 angka)"),
    "region_code_kec": _("Kode Kemdagri: bagian kecamatan (2 angka)"),
    "region_code_desa": _("Kode Kemdagri: bagian desa/kelurahan (4 angka)"), "participant": _("Peserta (NIK atau No KK)"), "program": _("Program"),
    "year": _("Tahun"), "period": _("Periode/tahap"), "status": _("Status penyaluran"), "amount": _("Nilai (Rp)"),
    "delivered_on": _("Tanggal penyaluran"), "note": _("Catatan"),
}


def _field_label(name: str) -> str:
    """The field's name as the registry shows it (``NIK``, ``No KK``: the first letter raised only)."""
    for model in (Household, Member):
        try:
            return capfirst(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            continue
    return str(_OTHER_LABELS.get(name) or capfirst(name.replace("_", " ")))


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
        layout, target = data.get("layout"), data.get("field")
        if layout and target and not target.startswith(AID_PREFIX) and target not in _layout_fields().get(layout, set()):
            self.add_error("field", _("Kolom registri ini tidak dipakai untuk jenis tabel tersebut."))
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
        name, code = data.get("field"), data.get("code")
        if name in CHOICE_FIELDS and code and code not in CHOICE_FIELDS[name].values:
            self.add_error("code", _("Pilihan ini bukan pilihan kolom %(field)s.") % {"field": _field_label(name)})
        elif name == AID_VALUE_FIELD and code not in AID_VALUE_CODES:
            self.add_error("code", _("Pilihan ini bukan pilihan kolom %(field)s.") % {"field": _("Kolom bantuan (Penerima/Bansos/PBI)")})
        return data


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


@admin.register(ColumnMapping)
class ColumnMappingAdmin(_BappedaOnly, ReadOnlyHistoryAdmin):
    form = ColumnMappingForm
    list_display = ("header", "layout", "field", "builtin")
    list_filter = ("layout", "builtin")
    search_fields = ("header", "field")


@admin.register(ValueMapping)
class ValueMappingAdmin(_BappedaOnly, ReadOnlyHistoryAdmin):
    form = ValueMappingForm
    list_display = ("value", "field", "code", "kind", "builtin")
    list_filter = ("field", "kind", "builtin")
    search_fields = ("value", "code")
