"""The verval pages' forms. Dates are typed dd/mm/yyyy."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import Desa, Kabupaten, Kecamatan
from households.regions import offer_kabupaten
from households.services import LIVING_CONDITION_FIELDS
from konut_registry.forms import day_month_year_field
from programs.candidates import KIND_LABELS, KINDS
from verval.models import PhotoKind, Presence, Verdict, VervalCase


def _date_field(label):
    return day_month_year_field(label)


class CandidateFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis kandidat"), choices=[(k, KIND_LABELS[k]) for k in KINDS], required=False)
    kabupaten = forms.ModelChoiceField(
        label=_("Kabupaten/kota"), queryset=Kabupaten.objects.order_by("code"), required=False,
        empty_label=_("Semua kabupaten/kota"),
    )
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=Kecamatan.objects.order_by("code"), required=False,
        error_messages={"invalid_choice": _("Pilih kecamatan dari daftar (kecamatan kabupaten/kota yang dipilih).")},
    )
    desa = forms.ModelChoiceField(
        label=_("Desa/kelurahan"), queryset=Desa.objects.select_related("kecamatan").order_by("code"), required=False,
        error_messages={"invalid_choice": _("Pilih desa/kelurahan dari daftar (desa kabupaten/kota yang dipilih).")},
    )

    def __init__(self, *args, several_regencies: bool = False, **kwargs):
        """The kabupaten filter only when several regencies are loaded, as on the dashboard; then the
        kecamatan and villages offered are the chosen regency's (another's is refused)."""
        super().__init__(*args, **kwargs)
        regency = offer_kabupaten(self, several=several_regencies)
        if regency is not None:
            self.fields["desa"].queryset = self.fields["desa"].queryset.filter(kecamatan__kabupaten_id=regency)

    def clean_kind(self):
        return self.cleaned_data.get("kind") or KINDS[0]


class OpenCasesForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, KIND_LABELS[k]) for k in KINDS])
    household = forms.TypedMultipleChoiceField(coerce=int, required=False)
    desa = forms.ModelChoiceField(queryset=Desa.objects.all(), required=False)
    whole_village = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id may be posted; the service keeps only current candidates.
        self.fields["household"].valid_value = lambda value: True

    def clean(self):
        data = super().clean()
        if data.get("whole_village") and not data.get("desa"):
            raise forms.ValidationError(_("Pilih desa/kelurahan untuk membuka kasus seluruh desa."))
        if not data.get("whole_village") and not data.get("household"):
            raise forms.ValidationError(_("Pilih paling sedikit satu keluarga."))
        return data


class AssignForm(forms.Form):
    officer = forms.ModelChoiceField(label=_("Petugas"), queryset=None, empty_label=_("— pilih petugas —"))
    case = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, officers, case_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers
        self.fields["officer"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} · {u.agency}"
        self.fields["case"].choices = [(pk, pk) for pk in case_ids]

    def clean_case(self):
        cases = self.cleaned_data["case"]
        if not cases:
            raise forms.ValidationError(_("Centang paling sedikit satu kasus."))
        return cases


class VisitForm(forms.ModelForm):
    visited_on = _date_field(_("Tanggal kunjungan"))

    class Meta:
        model = VervalCase
        fields = ["visited_on", "presence", "verdict", *LIVING_CONDITION_FIELDS, "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presence"].required = True
        self.fields["verdict"].required = True
        self.fields["presence"].choices = [("", "---------"), *Presence.choices]
        self.fields["verdict"].choices = [("", "---------"), *Verdict.choices]
        for name in LIVING_CONDITION_FIELDS:
            self.fields[name].required = False


class PhotoForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis foto"), choices=PhotoKind.choices)
    photo = forms.FileField(label=_("Foto"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))


class DeliberationForm(forms.Form):
    held_on = _date_field(_("Tanggal musyawarah desa"))
    outcome = forms.CharField(label=_("Hasil musyawarah"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Catatan verifikasi"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000)


class ReturnsForm(forms.Form):
    file = forms.FileField(label=_("Daftar pengembalian (.xlsx atau .csv)"))


class DistributeForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
