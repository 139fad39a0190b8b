"""Forms of the dashboard and the distribution page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.filters import ENROLLMENT_YEARS
from agencies.selectors import visible_agencies
from households.models import Kecamatan
from households.regions import kabupaten_field, offer_kabupaten
from programs.models import Cluster, validate_enrollment_year

POCKET_ORDERS = [
    ("score", _("Skor gabungan (rata-rata keempat persentase)")),
    ("unsafe_water", _("Tanpa air minum layak")),
    ("no_toilet", _("Tanpa jamban sendiri")),
    ("unfit_house", _("Rumah tidak layak huni")),
    ("stunting_unsafe_water", _("Berisiko stunting tanpa air minum layak")),
]


# Fields that choose no figures: an invalid pocket order falls back to the combined score.
NOT_NARROWING = {"urut"}


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (all optional). A filter given a value the user cannot choose (a
    mistyped link, another agency, an agency's id for its code) is named by ``invalid_filters``: the
    page then shows no figures and the exports refuse, as the household list does."""

    year = forms.TypedChoiceField(label=_("Tahun"), coerce=int, required=False)
    kabupaten = kabupaten_field()
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=Kecamatan.objects.order_by("code"), required=False, empty_label=_("Semua kecamatan")
    )
    cluster = forms.ChoiceField(label=_("Klaster"), required=False, choices=[("", _("Semua klaster")), *Cluster.choices])
    agency = forms.ModelChoiceField(
        label=_("OPD"), queryset=None, required=False, to_field_name="code", empty_label=_("Semua OPD")
    )
    urut = forms.ChoiceField(label=_("Urutkan kantong kemiskinan"), required=False, choices=POCKET_ORDERS)

    def __init__(self, *args, user, years: list[int], several_regencies: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A year without enrollments (a link kept from last year, next year's plans) is offered, not
        # refused: its figures are true zeros. Only a value no enrollment can have is invalid.
        requested = str((self.data or {}).get("year") or "")
        if requested.isdigit() and int(requested) in ENROLLMENT_YEARS and int(requested) not in years:
            years = sorted([*years, int(requested)], reverse=True)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["agency"].queryset = visible_agencies(user).order_by("order", "name")
        offer_kabupaten(self, several=several_regencies)

    @property
    def invalid_filters(self) -> list[str]:
        """The labels of the filters whose value is refused (none for an unbound form)."""
        if not self.is_bound:
            return []
        return [str(self.fields[name].label) for name in self.errors if name in self.fields and name not in NOT_NARROWING]


class DistributeForm(forms.Form):
    """The distribution page's choices; ``kabupaten`` (the families of one regency only) is offered
    only when several regencies are loaded."""

    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100, validators=[validate_enrollment_year])
    kabupaten = kabupaten_field()
    include_aided = forms.BooleanField(
        label=_("Sertakan keluarga yang sudah menerima bantuan"),
        required=False,
        help_text=_("Aturan satu bantuan tetap diperiksa: bantuan kedua akan ditandai sebagai konflik untuk ditinjau."),
    )
    limit = forms.IntegerField(
        label=_("Batas jumlah (opsional)"), min_value=1, required=False,
        help_text=_("Paling banyak sekian usulan dalam sekali distribusi, di bawah sisa kuota program."),
    )

    def __init__(self, *args, several_regencies: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not several_regencies:
            del self.fields["kabupaten"]
