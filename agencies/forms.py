"""Forms of the portal's actions. They parse and check what a user typed; the services decide."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from konut_registry.forms import day_month_year_field
from konut_registry.numbers import thousands
from programs.models import Program, TargetUnit, validate_amount, validate_delivery_date, validate_enrollment_year


class RupiahInput(forms.TextInput):
    """A rupiah amount shown with thousands separators (``1.250.000``), as it is typed back."""

    def format_value(self, value):
        if isinstance(value, int):
            return thousands(value)
        return super().format_value(value)


class RupiahField(forms.Field):
    """An amount in rupiah as people type it: ``1250000``, ``1.250.000``, ``Rp 1.250.000``; at most
    an enrollment's limit (:func:`programs.models.validate_amount`)."""

    default_validators = [validate_amount]
    default_error_messages = {
        "invalid": _("Tulis nilai dalam rupiah tanpa desimal, mis. 1.250.000."),
        "min_value": _("Nilai bantuan harus lebih dari Rp 0."),
    }

    widget = RupiahInput

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        value = str(value)
        if len(value) > 30:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        text = re.sub(r"(?i)^rp\.?", "", value.strip()).strip().replace(" ", "")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")
        if text.endswith(",00"):
            text = text[:-3]
        if not text.isdigit():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        number = int(text)
        if number <= 0:
            raise ValidationError(self.error_messages["min_value"], code="min_value")
        return number


class RecordedField(forms.Field):
    """What the page showed as recorded on an enrollment when it was opened, its amount and latest
    delivery day (``600000|2024-03-15``; empty parts for none), carried back hidden with the
    delivery form: the service refuses a delivery whose page no longer shows what is recorded (a
    double click, a reload after a slow save, a stage someone else recorded meanwhile). None when
    the form did not carry it."""

    widget = forms.HiddenInput

    @staticmethod
    def of(enrollment) -> str:
        amount = "" if enrollment.amount is None else str(enrollment.amount)
        return f"{amount}|{enrollment.delivered_on.isoformat() if enrollment.delivered_on else ''}"

    def to_python(self, value) -> tuple[int | None, datetime.date | None] | None:
        amount, separator, day = str(value or "").partition("|")
        if not separator or len(amount) > 30:
            return None
        try:
            return (int(amount) if amount else None, datetime.date.fromisoformat(day) if day else None)
        except ValueError:
            return None


class IdListField(forms.Field):
    """Many ids posted under one name (the list's checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Pilihan keluarga tidak valid.")}

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(not 0 < pk < 2**63 for pk in ids):  # beyond a database id: the driver would overflow
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan penolakan"), max_length=1000, strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Alasan penolakan wajib diisi.")},
    )


class DeliverForm(forms.Form):
    """One delivery of an active enrollment's aid: the day (dd/mm/yyyy, typed as the verval pages
    take dates) and the amount in rupiah (shown and typed as 1.250.000)."""

    delivered_on = day_month_year_field(
        _("Tanggal penyaluran"), validators=[validate_delivery_date],
        error_messages={"required": _("Tanggal penyaluran wajib diisi.")},
    )
    amount = RupiahField(
        label=_("Nilai bantuan (Rp)"),
        widget=RupiahInput(attrs={"inputmode": "numeric", "placeholder": "1.250.000"}),
        error_messages={"required": _("Nilai bantuan wajib diisi.")},
    )
    recorded = RecordedField(required=False)


class DistributeForm(forms.Form):
    """Bappeda: propose the chosen (or all filtered) households to one program for one year."""

    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.none(), to_field_name="code",
        empty_label=_("Pilih program"),
        error_messages={"required": _("Pilih program tujuan."), "invalid_choice": _("Program tidak dikenal.")},
    )
    year = forms.IntegerField(
        label=_("Tahun"), min_value=2000, max_value=2100, validators=[validate_enrollment_year],
        error_messages={"required": _("Isi tahun program."), "invalid": _("Tahun tidak valid.")},
    )
    household = IdListField(required=False)
    everything = forms.BooleanField(label=_("Semua keluarga hasil filter"), required=False)
    filters = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = (
            Program.objects.filter(target_unit=TargetUnit.HOUSEHOLD, active=True)
            .select_related("agency")
            .order_by("agency__order", "name")
        )
        self.fields["program"].label_from_instance = lambda p: f"{p.agency} · {p.name}"
        self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        # Ids are checked against the registry by the service; here they only need to be integers.
        cleaned = super().clean()
        if not cleaned.get("everything") and not cleaned.get("household"):
            raise ValidationError(_("Pilih minimal satu keluarga, atau centang semua keluarga hasil filter."))
        return cleaned
