"""django-import-export's export form with the columns named the way the admin speaks.

The add-on labels each column checkbox from the resource's attribute name ("Head Nik
(nik_kepala_keluarga)"). Here a column takes the label its resource declares in ``export_labels``,
else the verbose name of the model field the attribute leads to, followed by the column's name in
the file in code type: "NIK kepala keluarga (``nik_kepala_keluarga``)".
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html
from django.utils.text import capfirst
from import_export.forms import SelectableFieldsExportForm


def verbose_name_of(model, path: str) -> str | None:
    """The verbose name of the field ``path`` (``household__head_nik``) leads to from ``model``."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else None


class LabelledExportForm(SelectableFieldsExportForm):
    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        column = field.column_name if field is not None and field.column_name else field_name
        label = getattr(resource, "export_labels", {}).get(field_name)
        if label is None:
            attribute = field.attribute if field is not None and field.attribute else field_name
            label = verbose_name_of(resource._meta.model, attribute) or field_name.replace("_", " ")
        label = capfirst(str(label))
        if label.lower() == column.lower():
            return label
        return format_html("{} (<code>{}</code>)", label, column)
