"""The household list's filters (django-filter), shared by the list page, the export and the print page.

The GET parameters are a contract other pages link to (the dashboard): ``agency`` (agency code),
``kabupaten`` (Kabupaten id), ``kecamatan`` (Kecamatan id), ``desa`` (Desa id), ``desil``,
``program`` (program code), ``year``, ``status`` (enrollment status), ``conflict=1``, ``aid=none``
or ``aid=any`` with ``aid_year`` (the year "reached by aid" is counted for, ``indicators.reached_q``;
without it, the latest year with enrollments), ``q``, ``sort`` (and ``page``). A search by number
never travels in an address: the views keep it in the session and carry ``cari`` (its token).

Choices are built from two small queries (villages with their kecamatan and regency, programs with
their agency) plus one for the agencies when the user may switch, so that validating a choice never
costs another query: the list page keeps a fixed number of queries. The kabupaten filter exists only
when more than one regency is loaded (a province); it then narrows the kecamatan and village choices.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.choices import flatten_choices
from django.utils.translation import gettext_lazy as _

from agencies.listcounts import ListMemo
from agencies.models import Agency, User
from agencies.selectors import (
    enrollment_condition,
    full_identifier,
    household_search,
    open_conflict_exists,
    portal_agency,
    search_text_kept,
    sees_everything,
    visible_agencies,
    visible_households,
    visible_programs,
    with_enrollment,
)
from agencies.services import identifier_search_record
from konut_registry.numbers import identifier_digits
from agencies.widgets import PlainSelect
from households.models import Desa, Household
from dedup.models import IdentityMatch, IdentityStatus
from programs import indicators
from programs.models import Cluster, EnrollmentStatus

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
# The years an enrollment may have (the enrollment table's check constraint): one outside the list's
# usual span, asked for by a dashboard link, is offered rather than refused.
ENROLLMENT_YEARS = range(2000, 2101)
# Filters that choose no rows: an invalid sort falls back to the default order.
NOT_NARROWING = {"sort"}
# The housing, water and stunting conditions a dashboard link names (hidden filters without a value to show).
CONDITIONS = ("water", "toilet", "house", "stunting")


def _villages() -> list[SimpleNamespace]:
    """Every village with its kecamatan and regency, as light records sharing one object per
    kecamatan and regency (a province has 2,285 villages: model instances cost a tenth of a second
    of every page). Ordered by kecamatan name, then village name."""
    rows = Desa.objects.order_by("kecamatan__name", "name").values_list(
        "pk", "name", "kecamatan_id", "kecamatan__name", "kecamatan__kabupaten_id", "kecamatan__kabupaten__code",
        "kecamatan__kabupaten__name",
    )
    regencies: dict[int, SimpleNamespace] = {}
    kecamatans: dict[int, SimpleNamespace] = {}
    villages = []
    for pk, name, kecamatan_id, kecamatan_name, kabupaten_id, kabupaten_code, kabupaten_name in rows:
        kabupaten = regencies.get(kabupaten_id)
        if kabupaten is None:
            kabupaten = regencies[kabupaten_id] = SimpleNamespace(pk=kabupaten_id, code=kabupaten_code, name=kabupaten_name)
        kecamatan = kecamatans.get(kecamatan_id)
        if kecamatan is None:
            kecamatan = kecamatans[kecamatan_id] = SimpleNamespace(
                pk=kecamatan_id, name=kecamatan_name, kabupaten_id=kabupaten_id, kabupaten=kabupaten
            )
        villages.append(SimpleNamespace(pk=pk, name=name, kecamatan_id=kecamatan_id, kecamatan=kecamatan))
    return villages


def _year_choices(requested: str = "") -> list[tuple[str, str]]:
    this_year = datetime.date.today().year
    years = set(range(FIRST_YEAR, this_year + 2))
    if requested.isdigit() and int(requested) in ENROLLMENT_YEARS:
        years.add(int(requested))
    return [(str(year), str(year)) for year in sorted(years, reverse=True)]


class HouseholdFilter(django_filters.FilterSet):
    agency = django_filters.ChoiceFilter(label=_("OPD"), empty_label=_("Semua OPD"), method="filter_none")
    kabupaten = django_filters.ChoiceFilter(
        label=_("Kabupaten/kota"), empty_label=_("Semua kabupaten/kota"), method="filter_kabupaten", widget=PlainSelect
    )
    kecamatan = django_filters.ChoiceFilter(
        label=_("Kecamatan"), empty_label=_("Semua kecamatan"), method="filter_kecamatan", widget=PlainSelect
    )
    desa = django_filters.ChoiceFilter(
        label=_("Desa/kelurahan"), empty_label=_("Semua desa"), method="filter_desa", widget=PlainSelect
    )
    desil = django_filters.ChoiceFilter(
        label=_("Desil"), empty_label=_("Semua desil"), choices=[(str(d), str(d)) for d in range(1, 11)], method="filter_desil"
    )
    program = django_filters.ChoiceFilter(
        label=_("Program"), empty_label=_("Semua program"), method="filter_none", widget=PlainSelect
    )
    year = django_filters.ChoiceFilter(label=_("Tahun"), empty_label=_("Semua tahun"), choices=_year_choices, method="filter_none")
    status = django_filters.ChoiceFilter(
        label=_("Status"), empty_label=_("Semua status"), choices=EnrollmentStatus.choices, method="filter_none"
    )
    conflict = django_filters.ChoiceFilter(
        label=_("Konflik"), empty_label=_("Semua"), choices=[("1", _("Ada konflik satu bantuan terbuka"))],
        method="filter_conflict",
    )
    aid = django_filters.ChoiceFilter(
        label=_("Bantuan"), empty_label=_("Semua"),
        choices=[("none", _("Belum tersentuh bantuan")), ("any", _("Sudah tersentuh bantuan"))], method="filter_aid",
    )
    # The year of "belum/sudah tersentuh bantuan" (aid completed that year counts): the dashboard's year.
    aid_year = django_filters.ChoiceFilter(label=_("Tahun bantuan"), choices=_year_choices, method="filter_none",
                                           widget=forms.HiddenInput)
    cluster = django_filters.ChoiceFilter(label=_("Klaster"), empty_label=_("Semua klaster"), choices=Cluster.choices,
                                          method="filter_none")
    need = django_filters.ChoiceFilter(
        label=_("Kondisi"), empty_label=_("Semua kondisi"), method="filter_need",
        choices=[
            ("water", _("Tanpa air minum layak")), ("toilet", _("Tanpa jamban sendiri")),
            ("house", _("Rumah tidak layak huni")), ("stunting", _("Berisiko stunting")),
        ],
    )
    duplicate = django_filters.ChoiceFilter(
        label=_("Duplikat"), empty_label=_("Semua"), choices=[("1", _("Ada duplikat identitas terbuka"))],
        method="filter_duplicate",
    )
    absent = django_filters.ChoiceFilter(
        label=_("Data terbaru"), empty_label=_("Hanya yang ada di data terbaru"),
        choices=[("1", _("Termasuk yang tidak ada di data terbaru"))], method="filter_none",
    )
    # Dashboard links name housing and water conditions with these parameters (see programs/dashboard/presenters.py).
    # Their labels name them when a link gives one a value it does not know (``invalid_filters``).
    water = django_filters.ChoiceFilter(label=_("Tanpa air minum layak"), choices=[("unsafe", "unsafe")],
                                        method="filter_water", widget=forms.HiddenInput)
    toilet = django_filters.ChoiceFilter(label=_("Tanpa jamban sendiri"), choices=[("none", "none")],
                                         method="filter_toilet", widget=forms.HiddenInput)
    house = django_filters.ChoiceFilter(label=_("Rumah tidak layak huni"), choices=[("unfit", "unfit")],
                                        method="filter_house", widget=forms.HiddenInput)
    stunting = django_filters.ChoiceFilter(label=_("Berisiko stunting"), choices=[("1", "1")],
                                           method="filter_stunting", widget=forms.HiddenInput)
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

    def __init__(
        self, data=None, *, user: User, memo: ListMemo | None = None, record_searches: bool = True, **kwargs
    ):
        self.user = user
        # A masked role's full-NIK searches count against its hourly limit whenever it asked for
        # them (GET or HEAD), not when the worker counts its list again.
        self.record_searches = record_searches
        self.search_refused_until = None  # set when a masked role's NIK search is over the limit
        self.memo = memo or ListMemo(Household)  # counts, totals and name searches kept per registry version
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
        self._desa = _villages()
        regencies = {desa.kecamatan.kabupaten_id: desa.kecamatan.kabupaten for desa in self._desa}
        self.several_regencies = len(regencies) > 1
        if self.several_regencies:
            self.filters["kabupaten"].extra["choices"] = [
                (str(k.pk), k.name) for k in sorted(regencies.values(), key=lambda k: k.code)
            ]
            self._desa = self._in_requested_regency(self._desa, regencies)
        else:
            del self.filters["kabupaten"]
        self.filters["kecamatan"].extra["choices"] = self._kecamatan_choices()
        self.filters["desa"].extra["choices"] = self._desa_choices()
        self.filters["program"].extra["choices"] = self._program_choices()
        self.filters["year"].extra["choices"] = _year_choices(str((self.data or {}).get("year") or ""))
        self.filters["aid_year"].extra["choices"] = _year_choices(str((self.data or {}).get("aid_year") or ""))

    # --- choices, from the rows loaded once in __init__

    def _in_requested_regency(self, villages: list[Desa], regencies: dict) -> list[Desa]:
        """The villages of the regency asked for, or all of them when none (or an unknown one) is."""
        requested = str((self.data or {}).get("kabupaten") or "")
        if requested.isdigit() and int(requested) in regencies:
            return [desa for desa in villages if desa.kecamatan.kabupaten_id == int(requested)]
        return villages

    def _kecamatan_choices(self):
        seen = {}
        for desa in self._desa:
            seen.setdefault(desa.kecamatan_id, desa.kecamatan)
        ordered = sorted(seen.values(), key=lambda k: k.name)
        if not self.several_regencies:
            return [(str(k.pk), k.name) for k in ordered]
        groups: dict[str, list] = {}
        for kecamatan in sorted(ordered, key=lambda k: k.kabupaten.code):
            groups.setdefault(kecamatan.kabupaten.name, []).append((str(kecamatan.pk), kecamatan.name))
        return list(groups.items()) if len(groups) > 1 else next(iter(groups.values()))

    def _desa_choices(self):
        groups: dict[str, list] = {}
        for desa in self._desa:
            kecamatan = desa.kecamatan
            group = f"{kecamatan.name} ({kecamatan.kabupaten.name})" if self.several_regencies else kecamatan.name
            groups.setdefault(group, []).append((str(desa.pk), desa.name))
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

    @property
    def invalid_filters(self) -> list[str]:
        """The labels of the filters given a value this user cannot choose (another agency's program,
        an unknown village, a mistyped link). Their rows cannot be told apart from the others, so
        the list shows none, and the export, the print page and distribution refuse: dropping the
        filter would hand out the whole list under a filter that seems applied."""
        if not self.is_bound:
            return []
        fields = self.form.fields
        return [
            str(fields[name].label or name) if name in fields else str(name)
            for name in self.errors
            if name not in NOT_NARROWING
        ]

    @property
    def chosen_places(self) -> list[str]:
        """The names of the regency, kecamatan and village chosen, broadest first (the export's file
        name), from the villages loaded for the choices."""
        levels = {"kabupaten": lambda d: d.kecamatan.kabupaten, "kecamatan": lambda d: d.kecamatan, "desa": lambda d: d}
        names = []
        for name, place_of in levels.items():
            chosen = self.cleaned(name)
            place = next((place_of(d) for d in self._desa if str(place_of(d).pk) == chosen), None) if chosen else None
            if place is not None:
                names.append(place.name)
        return names

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
        condition = enrollment_condition(
            agency=self.scope_agency,
            program_id=program.pk if program else None,
            year=int(year) if year else None,
            status=self.cleaned("status"),
        )
        cluster = self.cleaned("cluster")
        return condition & Q(program__cluster=cluster) if cluster else condition

    @property
    def has_enrollment_filters(self) -> bool:
        return any(self.cleaned(name) for name in ("program", "year", "status", "cluster"))

    def totals_condition(self) -> Q:
        """The enrollments the totals count when no household-level filter applies: the enrollment
        condition, on households of the latest data (as the list shows them)."""
        current = Q(household__merged_into__isnull=True)
        if not self.cleaned("absent"):
            current &= Q(household__is_absent=False)
        return self.enrollment_q() & current

    @property
    def has_household_filters(self) -> bool:
        """Filters on the household itself (place, decile, conflicts, aid, search), beyond the scope."""
        return any(
            self.cleaned(name)
            for name in ("kabupaten", "kecamatan", "desa", "desil", "conflict", "aid", "q", "need", "duplicate",
                         *CONDITIONS)
        )

    def active_filters(self) -> dict[str, str]:
        """The valid, non-empty filters as given, a full NIK or No KK searched masked (for the
        export log and the print page's filter line: neither keeps the number)."""
        if not self.is_bound:
            return {}
        self.errors
        return {
            name: search_text_kept(str(value)) for name, value in self.form.cleaned_data.items() if value not in (None, "")
        }

    def active_filter_labels(self) -> list[str]:
        """The active filters as the print page names them, in the page's language: each filter's
        label and the label of its chosen value (``Kecamatan: Asera``, ``Status: Aktif``), a
        search as kept (:meth:`active_filters`), the year of "reached by aid" (``Tahun bantuan:
        2024``), and a dashboard link's condition (``water``...), which has no value to show, by
        its label alone."""
        shown = []
        for name, value in self.active_filters().items():
            field = self.form.fields[name]
            if name in CONDITIONS:
                shown.append(str(field.label))  # water=unsafe: its label says it all
                continue
            choices = dict(flatten_choices(getattr(field, "choices", ())))
            shown.append(f"{field.label}: {choices.get(value, value)}")
        return shown

    @property
    def searched_identifier(self) -> str | None:
        """The full NIK or No KK searched (``q``), if it is one."""
        text = self.cleaned("q")
        return full_identifier(text) if text else None

    @property
    def sort_key(self) -> str:
        key = self.cleaned("sort")
        return key if key in SORTS else DEFAULT_SORT

    # --- filtering

    def filter_queryset(self, queryset: QuerySet[Household]) -> QuerySet[Household]:
        if self.invalid_filters:
            return queryset.none()
        if not self.cleaned("absent"):
            # Like the dashboard: households of the latest data (not absent, not merged away).
            queryset = queryset.filter(indicators.current_household_q())
        else:
            queryset = queryset.filter(merged_into__isnull=True)
        queryset = super().filter_queryset(queryset)
        agency = self.scope_agency
        if self.has_enrollment_filters or (agency is not None and self.may_switch_agency):
            queryset = with_enrollment(queryset, self.enrollment_q())
        return queryset.order_by(*SORTS[self.sort_key][1])

    def filter_none(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_kabupaten(self, queryset, name, value):
        return queryset.filter(desa__kecamatan__kabupaten_id=int(value))

    def filter_kecamatan(self, queryset, name, value):
        return queryset.filter(desa__kecamatan_id=int(value))

    def filter_desa(self, queryset, name, value):
        return queryset.filter(desa_id=int(value))

    def filter_desil(self, queryset, name, value):
        return queryset.filter(desil=int(value))

    def filter_conflict(self, queryset, name, value):
        return queryset.filter(open_conflict_exists())

    def filter_aid(self, queryset, name, value):
        year = self.cleaned("aid_year")
        reached = indicators.reached_q(int(year) if year else None)
        return queryset.filter(reached if value == "any" else ~reached)

    def filter_need(self, queryset, name, value):
        return getattr(self, f"filter_{value}")(queryset, value, value)

    def filter_water(self, queryset, name, value):
        return queryset.filter(indicators.unsafe_water_q())

    def filter_toilet(self, queryset, name, value):
        return queryset.filter(indicators.no_own_toilet_q())

    def filter_house(self, queryset, name, value):
        return queryset.filter(indicators.unfit_house_q())

    def filter_stunting(self, queryset, name, value):
        return queryset.filter(indicators.stunting_risk_q())

    def filter_duplicate(self, queryset, name, value):
        open_matches = IdentityMatch.objects.filter(status=IdentityStatus.OPEN)
        return queryset.filter(
            Exists(open_matches.filter(household_a=OuterRef("pk"))) | Exists(open_matches.filter(household_b=OuterRef("pk")))
        )

    def filter_search(self, queryset, name, value):
        digits = full_identifier(value)
        if digits is not None and not self.user.can_see_full_nik:
            self.search_refused_until = identifier_search_record(
                user=self.user, digits=digits, record=self.record_searches
            )
            if self.search_refused_until is not None:
                return queryset.none()
        return household_search(
            queryset, value, partial_identifiers=self.user.can_see_full_nik, remember=self.memo.remembered
        )

    @property
    def search_notice(self) -> str:
        """Why a short number found no NIK or No KK, for roles that see them masked."""
        if self.search_refused_until is not None:
            return _(
                "Batas pencarian NIK/No KK tercapai: paling banyak %(limit)s nomor berbeda dalam %(minutes)s menit. "
                "Nomor baru dapat dicari lagi pukul %(time)s."
            ) % {
                "limit": settings.IDENTIFIER_SEARCH_LIMIT, "minutes": settings.IDENTIFIER_SEARCH_WINDOW_MINUTES,
                "time": timezone.localtime(self.search_refused_until).strftime("%H:%M"),
            }
        text = self.cleaned("q")
        digits = identifier_digits(text) if text else None
        if digits is None or len(digits) == 16 or self.user.can_see_full_nik:
            return ""
        return _("NIK dan No KK dicari dengan ke-16 angkanya; angka yang lebih pendek hanya mencocokkan ID Keluarga P3KE.")
