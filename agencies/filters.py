"""The household list's filters (django-filter), shared by the list page, the export and the print page.

The GET parameters are a contract other pages link to (the dashboard): ``agency`` (agency code),
``kecamatan`` (Kecamatan id), ``desa`` (Desa id), ``desil``, ``program`` (program code), ``year``,
``status`` (enrollment status), ``conflict=1``, ``aid=none``, ``q``, ``sort`` (and ``page``).

Choices are built from two small queries (villages with their kecamatan, programs with their
agency) plus one for the agencies when the user may switch, so that validating a choice never costs
another query: the list page keeps a fixed number of queries.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, User
from agencies.selectors import (
    enrollment_condition,
    household_search,
    open_conflict_exists,
    portal_agency,
    sees_everything,
    visible_agencies,
    visible_households,
    visible_programs,
    with_enrollment,
    without_live_aid,
)
from households.models import Desa, Household
from programs.models import EnrollmentStatus

# sort value -> (label, ordering). Every ordering ends on the primary key so pages never overlap.
SORTS = {
    "desa": (_("Desa"), ("desa__code", "head_name", "id")),
    "kecamatan": (_("Kecamatan"), ("desa__kecamatan__code", "desa__code", "head_name", "id")),
    "nama": (_("Nama A-Z"), ("head_name", "id")),
    "-nama": (_("Nama Z-A"), ("-head_name", "-id")),
    "desil": (_("Desil termiskin dahulu"), ("desil", "head_name", "id")),
    "-desil": (_("Desil tertinggi dahulu"), ("-desil", "head_name", "id")),
    "terbaru": (_("Terbaru ditambahkan"), ("-id",)),
}
DEFAULT_SORT = "desa"
FIRST_YEAR = 2018


def _year_choices() -> list[tuple[str, str]]:
    this_year = datetime.date.today().year
    return [(str(year), str(year)) for year in range(this_year + 1, FIRST_YEAR - 1, -1)]


class HouseholdFilter(django_filters.FilterSet):
    agency = django_filters.ChoiceFilter(label=_("OPD"), empty_label=_("Semua OPD"), method="filter_none")
    kecamatan = django_filters.ChoiceFilter(label=_("Kecamatan"), empty_label=_("Semua kecamatan"), method="filter_kecamatan")
    desa = django_filters.ChoiceFilter(label=_("Desa/kelurahan"), empty_label=_("Semua desa"), method="filter_desa")
    desil = django_filters.ChoiceFilter(
        label=_("Desil"), empty_label=_("Semua desil"), choices=[(str(d), str(d)) for d in range(1, 8)], method="filter_desil"
    )
    program = django_filters.ChoiceFilter(label=_("Program"), empty_label=_("Semua program"), method="filter_none")
    year = django_filters.ChoiceFilter(label=_("Tahun"), empty_label=_("Semua tahun"), choices=_year_choices, method="filter_none")
    status = django_filters.ChoiceFilter(
        label=_("Status"), empty_label=_("Semua status"), choices=EnrollmentStatus.choices, method="filter_none"
    )
    conflict = django_filters.ChoiceFilter(
        label=_("Konflik"), empty_label=_("Semua"), choices=[("1", _("Ada konflik satu bantuan terbuka"))],
        method="filter_conflict",
    )
    aid = django_filters.ChoiceFilter(
        label=_("Bantuan"), empty_label=_("Semua"), choices=[("none", _("Belum tersentuh bantuan"))], method="filter_aid"
    )
    q = django_filters.CharFilter(
        label=_("Cari"), method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": _("Nama, NIK atau No KK"), "type": "search"}),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Urutkan"), empty_label=None, choices=[(key, label) for key, (label, _order) in SORTS.items()],
        method="filter_none",
    )

    class Meta:
        model = Household
        fields: list[str] = []

    def __init__(self, data=None, *, user: User, **kwargs):
        self.user = user
        kwargs.setdefault("queryset", visible_households(user))
        super().__init__(data, **kwargs)
        self.may_switch_agency = sees_everything(user)
        self._agencies: dict[str, Agency] = {}
        if self.may_switch_agency:
            self._agencies = {agency.code: agency for agency in visible_agencies(user).order_by("order", "name")}
            self.filters["agency"].extra["choices"] = [(code, str(a)) for code, a in self._agencies.items()]
        else:
            del self.filters["agency"]
        self._programs = {p.code: p for p in visible_programs(user).select_related("agency").order_by("agency__order", "name")}
        self._desa = list(Desa.objects.select_related("kecamatan").order_by("kecamatan__name", "name"))
        self.filters["kecamatan"].extra["choices"] = self._kecamatan_choices()
        self.filters["desa"].extra["choices"] = self._desa_choices()
        self.filters["program"].extra["choices"] = self._program_choices()

    # --- choices, from the rows loaded once in __init__

    def _kecamatan_choices(self):
        seen = {}
        for desa in self._desa:
            seen.setdefault(desa.kecamatan_id, desa.kecamatan.name)
        return [(str(pk), name) for pk, name in sorted(seen.items(), key=lambda item: item[1])]

    def _desa_choices(self):
        groups: dict[str, list] = {}
        for desa in self._desa:
            groups.setdefault(desa.kecamatan.name, []).append((str(desa.pk), desa.name))
        return list(groups.items())

    def _program_choices(self):
        requested = self._requested_agency()
        groups: dict[str, list] = {}
        for program in self._programs.values():
            if requested is not None and program.agency_id != requested.pk:
                continue
            groups.setdefault(str(program.agency), []).append((program.code, program.name))
        if len(groups) == 1:
            return next(iter(groups.values()))
        return list(groups.items())

    def _requested_agency(self) -> Agency | None:
        code = (self.data or {}).get("agency") if self.may_switch_agency else None
        return portal_agency(self.user, self._agencies.get(code) if code else None)

    # --- what the rest of the portal reads

    @property
    def scope_agency(self) -> Agency | None:
        """The agency this list is about (``None``: every agency, for Bappeda and leadership)."""
        if not self.may_switch_agency:
            return portal_agency(self.user, None)
        code = self.cleaned("agency")
        return self._agencies.get(code) if code else None

    def cleaned(self, name: str):
        if not self.is_bound or name not in self.filters:
            return None
        self.errors  # validate once
        return self.form.cleaned_data.get(name) or None

    @property
    def selected_program(self):
        code = self.cleaned("program")
        return self._programs.get(code) if code else None

    def enrollment_q(self) -> Q:
        """The enrollments a row shows and counts: the agency scope and the program/year/status filters."""
        program = self.selected_program
        year = self.cleaned("year")
        return enrollment_condition(
            agency=self.scope_agency,
            program_id=program.pk if program else None,
            year=int(year) if year else None,
            status=self.cleaned("status"),
        )

    @property
    def has_enrollment_filters(self) -> bool:
        return any(self.cleaned(name) for name in ("program", "year", "status"))

    @property
    def has_household_filters(self) -> bool:
        """Filters on the household itself (place, decile, conflicts, aid, search), beyond the scope."""
        return any(self.cleaned(name) for name in ("kecamatan", "desa", "desil", "conflict", "aid", "q"))

    def active_filters(self) -> dict[str, str]:
        """The valid, non-empty filters as given (for the export log and links)."""
        if not self.is_bound:
            return {}
        self.errors
        return {name: str(value) for name, value in self.form.cleaned_data.items() if value not in (None, "")}

    @property
    def sort_key(self) -> str:
        key = self.cleaned("sort")
        return key if key in SORTS else DEFAULT_SORT

    # --- filtering

    def filter_queryset(self, queryset: QuerySet[Household]) -> QuerySet[Household]:
        queryset = super().filter_queryset(queryset)
        agency = self.scope_agency
        if self.has_enrollment_filters or (agency is not None and self.may_switch_agency):
            queryset = with_enrollment(queryset, self.enrollment_q())
        return queryset.order_by(*SORTS[self.sort_key][1])

    def filter_none(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_kecamatan(self, queryset, name, value):
        return queryset.filter(desa__kecamatan_id=int(value))

    def filter_desa(self, queryset, name, value):
        return queryset.filter(desa_id=int(value))

    def filter_desil(self, queryset, name, value):
        return queryset.filter(desil=int(value))

    def filter_conflict(self, queryset, name, value):
        return queryset.filter(open_conflict_exists())

    def filter_aid(self, queryset, name, value):
        return without_live_aid(queryset)

    def filter_search(self, queryset, name, value):
        return household_search(queryset, value)
