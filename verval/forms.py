"""The verval pages' forms. Dates are typed dd/mm/yyyy."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.templatetags.portal import protect_identifier, protect_identifiers_in_text
from households.identifiers import unmask_numbers
from households.models import LIVING_CONDITION_FIELDS, Desa, Kecamatan, Relation, Sex
from households.regions import kabupaten_field, offer_kabupaten
from konut_registry.forms import day_month_year_field
from programs.candidates import KIND_LABELS, KINDS
from verval.models import MEMBER_GONE, MemberChange, PhotoKind, Presence, Verdict, VervalCase
from verval.selectors import sees_photo_kind


def _date_field(label):
    return day_month_year_field(label)


class CandidateFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis kandidat"), choices=[(k, KIND_LABELS[k]) for k in KINDS], required=False)
    kabupaten = kabupaten_field()
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


def kept_identifiers(form, name: str, typed: str, stored: str, refusal) -> str:
    """``typed``, from a box that showed ``stored`` as the user sees NIKs (masked for a role that
    sees them masked), with the masked NIKs put back as stored: sent back unchanged, or edited
    around them, the box keeps the stored digits (``households.identifiers.unmask_numbers``). A
    masked NIK it cannot put back (the stored text changed since the page opened) is ``refusal``
    on field ``name``: which NIK it stood for is lost."""
    text, lost = unmask_numbers(typed, stored or "")
    if lost:
        form.add_error(name, refusal)
    return text


class VisitForm(forms.ModelForm):
    """The visit's findings. The note shows the NIKs it quotes as ``user`` sees NIKs; a masked one
    sent back keeps the stored digits (:func:`kept_identifiers`)."""

    visited_on = _date_field(_("Tanggal kunjungan"))

    class Meta:
        model = VervalCase
        fields = ["visited_on", "presence", "verdict", *LIVING_CONDITION_FIELDS, "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_note = self.instance.note
        self.initial["note"] = protect_identifiers_in_text(self.initial.get("note") or "", user)
        self.fields["presence"].required = True
        self.fields["verdict"].required = True
        self.fields["presence"].choices = [("", "---------"), *Presence.choices]
        self.fields["verdict"].choices = [("", "---------"), *Verdict.choices]
        for name in LIVING_CONDITION_FIELDS:
            self.fields[name].required = False

    def clean_note(self):
        return kept_identifiers(self, "note", self.cleaned_data["note"], self.stored_note, _(
            "NIK yang tampil disamarkan tidak dapat disimpan: catatan berubah sejak halaman dibuka. Ketik NIK lengkap, "
            "atau hapus NIK yang disamarkan."))


MEMBER_PREFIX = "anggota-"
_MEMBER_KEY = re.compile(rf"^{MEMBER_PREFIX}([0-9]{{1,18}})$")


class MemberChangesForm(forms.Form):
    """What the visit found of each member of the family but the head (``selectors.visit_members``):
    Tetap unless the officer says otherwise. A member absent from the newest data is offered only as
    found dead (nothing else changes them), or as the visit recorded them before the data left them
    out (moved, say): a finding is cleared by the officer's choice only, never by saving the page
    again. Another finding posted for them (a page opened before an import left them out) goes on
    to the service, which names them."""

    def __init__(self, *args, members, recorded=None, **kwargs):
        """``recorded``: the changes recorded before, by member id."""
        super().__init__(*args, **kwargs)
        self.members = members
        recorded = recorded or {}
        choices = [(change.value, change.label) for change in (MemberChange.KEPT, *MEMBER_GONE)]
        for member in members:
            field = self.fields[f"{MEMBER_PREFIX}{member.pk}"] = forms.ChoiceField(
                label=member.name, choices=choices, required=False, initial=recorded.get(member.pk, MemberChange.KEPT),
            )
            if member.is_absent:
                offered = [MemberChange.DECEASED, *(c for c in MEMBER_GONE if c == recorded.get(member.pk) != MemberChange.DECEASED)]
                field.widget.choices = [(MemberChange.KEPT.value, "---------"), *((c.value, c.label) for c in offered)]

    def rows(self):
        """(member, its field) for the page."""
        return [(member, self[f"{MEMBER_PREFIX}{member.pk}"]) for member in self.members]

    def changes(self) -> dict[int, str]:
        """Member id -> change, for the service; a member the page did not show (another family's,
        one gone since) is passed on as posted, for the service to refuse rather than drop."""
        posted = {int(m[1]): self.data[key] for key in self.data if (m := _MEMBER_KEY.match(key))}
        shown = {member.pk: self.cleaned_data.get(f"{MEMBER_PREFIX}{member.pk}") or MemberChange.KEPT for member in self.members}
        return {**posted, **shown}


NEW_MEMBER_PREFIX = "baru"
_NEW_MEMBER_KEY = re.compile(rf"^{NEW_MEMBER_PREFIX}-([0-9]{{1,3}})-")
# Empty rows the visit page offers for members to add, after those recorded.
NEW_MEMBER_ROWS = 3
# Members one visit may add: more than a family card holds. The rows are numbered by the page, so a
# post could send hundreds, each NIK checked against the registry (``services.new_member_checks_refusal``).
NEW_MEMBER_MAX = 20


class NewMemberForm(forms.Form):
    """A member the registry lacks (a newborn, someone who moved in); a row left empty adds no one.
    The name is required and the NIK checked by the service (the admin's own rules).

    A row recorded before shows its NIK as the user sees NIKs elsewhere: masked for a role that sees
    them masked (an agency's operator typing in the officer's paper form). The row carries the id of
    the recorded member it shows (``recorded``): its box sent back unchanged keeps the stored NIK; a
    box changed is a new NIK, checked as one."""

    recorded = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Nama"), max_length=150, required=False)
    nik = forms.CharField(label=_("NIK (jika diketahui)"), max_length=40, required=False)
    relation = forms.ChoiceField(
        label=_("Hubungan dengan kepala keluarga"), required=False,
        # A new head is Bappeda's to record, from the family card.
        choices=[("", "---------"), *((r.value, r.label) for r in Relation if r != Relation.HEAD)],
    )
    sex = forms.ChoiceField(label=_("Jenis kelamin"), required=False, choices=[("", "---------"), *Sex.choices])
    birth_date = _date_field(_("Tanggal lahir"))

    def __init__(self, *args, stored_niks: dict[int, str] | None = None, **kwargs):
        """``stored_niks``: the NIKs of the case's recorded members to add, by their id."""
        super().__init__(*args, **kwargs)
        self.stored_niks = stored_niks or {}
        self.fields["birth_date"].required = False
        self.fields["nik"].widget.attrs["inputmode"] = "numeric"

    def has_changed(self) -> bool:
        """Whether the row was filled in: a recorded row emptied (its ``recorded`` id alone) adds no one."""
        return any(name != "recorded" for name in self.changed_data)

    def clean(self):
        data = super().clean()
        if "nik" not in data:
            return data
        refusal = _("NIK yang tampil disamarkan tidak dapat disimpan: ketik NIK lengkap, atau kosongkan bila tidak diketahui.")
        stored = self.stored_niks.get(data.get("recorded"))
        nik = data["nik"] = kept_identifiers(self, "nik", data["nik"].strip(), stored, refusal)
        if "*" in nik and not self.has_error("nik"):
            # Asterisks that are no masked NIK: no NIK either.
            self.add_error("nik", refusal)
        return data

    def values(self) -> dict | None:
        """The row's values for the service, None for a row left empty."""
        data = {name: self.cleaned_data.get(name) for name in self.fields if name != "recorded"}
        return data if any(value not in (None, "") for value in data.values()) else None


def new_member_forms(data=None, *, recorded=(), user) -> list[NewMemberForm]:
    """The rows of members to add: those ``recorded`` before, their NIK as ``user`` sees NIKs, and
    a few empty ones; posted, every row the page sent."""
    if data is not None:
        numbers = {int(m[1]) for key in data if (m := _NEW_MEMBER_KEY.match(key))}
        count = max(numbers, default=-1) + 1
        stored = {row.pk: row.nik for row in recorded if row.nik}
        return [NewMemberForm(data, prefix=f"{NEW_MEMBER_PREFIX}-{number}", stored_niks=stored) for number in range(count)]
    initial = [
        {"recorded": row.pk, **{name: getattr(row, name) for name in ("name", "relation", "sex", "birth_date")},
         "nik": protect_identifier(row.nik, user)}
        for row in recorded
    ]
    initial += [{}] * NEW_MEMBER_ROWS
    return [NewMemberForm(initial=values, prefix=f"{NEW_MEMBER_PREFIX}-{number}") for number, values in enumerate(initial)]


class PhotoForm(forms.Form):
    """A photo of the visit. The kinds offered are those ``user`` may open (``selectors.sees_photo_kind``):
    no family card for a role that sees NIKs masked. Another kind posted goes on to the service, which
    says why it is refused."""

    kind = forms.ChoiceField(label=_("Jenis foto"), choices=PhotoKind.choices)
    photo = forms.FileField(label=_("Foto"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offered = [kind for kind in PhotoKind if sees_photo_kind(user, kind)]
        self.fields["kind"].widget.choices = [(kind.value, kind.label) for kind in offered]
        # The page says why a kind is missing.
        self.withheld = len(offered) < len(PhotoKind)


class DeliberationForm(forms.Form):
    held_on = _date_field(_("Tanggal musyawarah desa"))
    outcome = forms.CharField(label=_("Hasil musyawarah"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Catatan verifikasi"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000)


class ReturnsForm(forms.Form):
    file = forms.FileField(label=_("Daftar pengembalian (.xlsx, .xls atau .csv)"))


class DistributeForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=None)
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
