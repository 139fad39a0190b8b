"""django-import-export's export form with the columns named the way the admin speaks.

The add-on labels each column checkbox from the resource's attribute name ("Head Nik
(nik_kepala_keluarga)"). Here a column takes the label its resource declares in ``export_labels``,
else the verbose name of the model field the attribute leads to, followed by the column's name in
the file in code type: "NIK kepala keluarga (``nik_kepala_keluarga``)".

An export-only resource (nothing reads its file back in) takes ``LabelledColumnsResource``: its file
is for people, so its columns carry those labels too ("NIK kepala keluarga", "Year" in English) and
a choice its label ("Aktif", not ``active``). Resources that import their own export keep the codes.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.text import capfirst
from import_export.forms import SelectableFieldsExportForm


def model_field_of(model, path: str):
    """The model field ``path`` (``household__head_nik``) leads to from ``model``, else None."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def verbose_name_of(model, path: str) -> str | None:
    """The verbose name of the field ``path`` (``household__head_nik``) leads to from ``model``."""
    field = model_field_of(model, path)
    return str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else None


def column_label(resource, field_name: str) -> str:
    """The column's label in the active language: the resource's ``export_labels``, else the verbose
    name of the model field its attribute leads to, capitalised."""
    field = resource.fields.get(field_name)
    label = getattr(resource, "export_labels", {}).get(field_name)
    if label is None:
        attribute = field.attribute if field is not None and field.attribute else field_name
        label = verbose_name_of(resource._meta.model, attribute) or field_name.replace("_", " ")
    return capfirst(str(label))


class LabelledColumnsResource:
    """Put before ``resources.ModelResource`` on an export-only resource: the file's header is each
    column's label (``column_label``) and a field with choices writes its label."""

    columns_are_labels = True

    def get_export_headers(self, selected_fields=None):
        names = {id(field): name for name, field in self.fields.items()}
        return [column_label(self, names[id(field)]) for field in self.get_export_fields(selected_fields) if field]

    def export_field(self, field, instance, **kwargs):
        model_field = model_field_of(self._meta.model, field.attribute) if field.attribute else None
        if model_field is not None and getattr(model_field, "choices", None):
            value = field.get_value(instance)
            return "" if value in (None, "") else str(dict(model_field.flatchoices).get(value, value))
        return super().export_field(field, instance, **kwargs)


class LabelledExportForm(SelectableFieldsExportForm):
    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        column = field.column_name if field is not None and field.column_name else field_name
        label = column_label(resource, field_name)
        if getattr(resource, "columns_are_labels", False) or label.lower() == column.lower():
            return label
        return format_html("{} (<code>{}</code>)", label, column)
