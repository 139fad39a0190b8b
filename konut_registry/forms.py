"""Form fields the apps' pages share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# A browser's own date picker (``<input type="date">``) shows the date in the order of the browser's
# language: mm/dd/yyyy in an English browser, against the registry's dd/mm/yyyy. Dates are typed
# as text instead, in the one order every page shows them.
DATE_FORMAT = "%d/%m/%Y"
DATE_INPUT_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}


def day_month_year_field(label, **kwargs) -> forms.DateField:
    """A date typed and shown as dd/mm/yyyy in a text box; ``kwargs`` as ``DateField`` takes them
    (``error_messages`` are added to the invalid-date one)."""
    error_messages = {"invalid": _("Tulis tanggal sebagai dd/mm/yyyy, mis. 05/01/2026."), **kwargs.pop("error_messages", {})}
    return forms.DateField(
        label=label, input_formats=[DATE_FORMAT], error_messages=error_messages,
        widget=forms.DateInput(format=DATE_FORMAT, attrs=dict(DATE_INPUT_ATTRS)), **kwargs,
    )
