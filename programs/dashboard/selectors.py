"""The Bappeda dashboard's figures: every one an aggregate computed in SQL, scoped by
``agencies.selectors`` (Bappeda and leadership see everything, an agency user only what is theirs).

The figures linked to the household list count current households alone, as that list shows
them (``programs.indicators.current_household_q``). Household figures (desil, reach, poverty
pockets) follow the kabupaten and kecamatan filters; the cluster and agency filters narrow the
enrollment figures (programs, agencies, clusters, conflicts).
"Reached" in the year of the filters means what the one-aid rule counts as aid that year
(``indicators.reached_q``): a proposed or active enrollment in any program, whatever its year, or
one of that year completed, as the household list's ``aid=any`` with ``aid_year`` does. The year
filter applies to that, to enrollments and to conflicts.

The filters and scoping live in ``scope``, the enrollment and conflict figures in ``coverage``, the
poverty pockets in ``pockets``; this module names them all. ``dashboard()`` (and the xlsx export)
remember the counts until the registry changes (``memo``); each selector called alone counts afresh.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count

from agencies.models import User
from agencies.selectors import sees_everything, visible_households
from households.models import Household, Kecamatan, Member
from konut_registry.db import fast_aggregates
from programs.dashboard.coverage import (  # noqa: F401 (the dashboard's figures, by one name)
    STATUSES,
    ConflictSummary,
    CoverageRow,
    conflict_summary,
    coverage_by_agency,
    coverage_by_cluster,
    coverage_by_program,
)
from programs.dashboard.memo import Remember, compute_now
from programs.dashboard.pockets import POCKET_INDICATORS, PocketRow, poverty_pockets, villages  # noqa: F401
from programs.dashboard.scope import (  # noqa: F401
    DashboardFilters,
    default_year,
    enrollment_years,
    scoped_enrollments,
    scoped_households,
)
from programs.candidates import KIND_LABELS, CandidateCount, candidate_counts
from programs.indicators import current_household_q, reached_q


# --- Headline: the registry by desil ----------------------------------------------------------------


@dataclass
class DesilRow:
    desil: int | None
    households: int = 0
    people: int = 0


def households_by_desil(user: User, filters: DashboardFilters, *, remember=compute_now) -> list[DesilRow]:
    """Households and people (non-absent members) per desil; an unknown desil last. Two queries."""
    households, people = remember("desil", lambda: _desil_counts(user, filters))
    rows: dict[int | None, DesilRow] = {}
    for desil, n in households:
        rows.setdefault(desil, DesilRow(desil)).households = n
    for desil, n in people:
        rows.setdefault(desil, DesilRow(desil)).people = n
    return sorted(rows.values(), key=lambda r: (r.desil is None, r.desil or 0))


def _desil_counts(user: User, filters: DashboardFilters) -> tuple[list, list]:
    households = scoped_households(user, filters)
    counts = list(households.values("desil").annotate(n=Count("pk")).values_list("desil", "n"))
    if sees_everything(user):
        # Everyone's households: join on the same conditions instead of a semi-join on the list.
        members = Member.objects.filter(filters.place_q("household__"), current_household_q("household__"))
    else:
        members = Member.objects.filter(household__in=households.values("pk"))
    people = members.filter(is_absent=False).order_by().values("household__desil").annotate(n=Count("pk"))
    return counts, list(people.values_list("household__desil", "n"))


# --- Desil 1 reach ("belum tersentuh bantuan") --------------------------------------------------------


@dataclass
class ReachRow:
    id: int
    name: str
    kecamatan_id: int
    kecamatan: str
    total: int = 0
    reached: int = 0
    kabupaten_id: int = 0
    kabupaten: str = ""

    @property
    def unreached(self) -> int:
        return self.total - self.reached

    @property
    def share_reached(self) -> float | None:
        return round(100 * self.reached / self.total, 1) if self.total else None


def desil1_reach_by_desa(user: User, filters: DashboardFilters, *, remember=compute_now) -> list[ReachRow]:
    """Desil-1 households per village and how many of them receive aid: one grouped query."""
    counts = remember("reach", lambda: _reach_counts(user, filters))
    places = villages()
    result = []
    for desa_id, total, reached in counts:
        desa = places[desa_id]
        result.append(ReachRow(
            desa.id, desa.name, desa.kecamatan_id, desa.kecamatan, total, reached, desa.kabupaten_id, desa.kabupaten
        ))
    return sorted(result, key=lambda r: (-r.unreached, r.kecamatan, r.name))


def _reach_counts(user: User, filters: DashboardFilters) -> list[tuple[int, int, int]]:
    rows = (
        scoped_households(user, filters)
        .filter(desil=1)
        .values("desa_id")
        .annotate(total=Count("pk"), reached=Count("pk", filter=reached_q(filters.year)))
        .values_list("desa_id", "total", "reached")
    )
    return list(rows)


def reach_by_kecamatan(desa_rows: list[ReachRow]) -> list[ReachRow]:
    """Roll the village rows up to their kecamatan, in kecamatan code order."""
    totals: dict[int, ReachRow] = {}
    for row in desa_rows:
        item = totals.setdefault(row.kecamatan_id, ReachRow(
            row.kecamatan_id, row.kecamatan, row.kecamatan_id, row.kecamatan,
            kabupaten_id=row.kabupaten_id, kabupaten=row.kabupaten,
        ))
        item.total += row.total
        item.reached += row.reached
    order = {pk: index for index, pk in enumerate(Kecamatan.objects.order_by("code").values_list("pk", flat=True))}
    return sorted(totals.values(), key=lambda r: order.get(r.id, 0))


def reach_by_kabupaten(kecamatan_rows: list[ReachRow]) -> list[ReachRow]:
    """Roll the kecamatan rows up to their regency, in regency code order (rows keep kecamatan order)."""
    totals: dict[int, ReachRow] = {}
    for row in kecamatan_rows:
        item = totals.setdefault(row.kabupaten_id, ReachRow(
            row.kabupaten_id, row.kabupaten, 0, "", kabupaten_id=row.kabupaten_id, kabupaten=row.kabupaten
        ))
        item.total += row.total
        item.reached += row.reached
    return list(totals.values())


# --- Verval candidates ---------------------------------------------------------------------------------


def verval_counts(user: User, filters: DashboardFilters, *, remember: Remember | None = None) -> list[CandidateCount]:
    """The verval candidates of each kind among the user's households in the filters' kabupaten and
    kecamatan, as the candidate list under the same place shows them (the cluster, agency and year
    filters do not apply: a candidate is a family, not an enrollment). The labels follow the
    language of each request."""
    place = filters.place_q()
    if sees_everything(user):
        base = Household.objects.filter(place) if place else None
    else:
        base = visible_households(user).filter(place)

    def compute():
        return [(c.kind, c.count) for c in candidate_counts(base=base)]

    counts = remember("verval", compute) if remember is not None else compute()
    return [CandidateCount(kind, str(KIND_LABELS[kind]), count) for kind, count in counts]


# --- Everything the page shows ------------------------------------------------------------------------


@dataclass
class Dashboard:
    filters: DashboardFilters
    desil: list[DesilRow]
    reach_desa: list[ReachRow]
    reach_kecamatan: list[ReachRow]
    programs: list[CoverageRow]
    agencies: list[CoverageRow]
    clusters: list[CoverageRow]
    conflicts: ConflictSummary
    pockets: list[PocketRow]
    # Several regencies loaded: the page adds the by-kabupaten reach and a kabupaten column.
    several_regencies: bool = False

    @property
    def reach_kabupaten(self) -> list[ReachRow]:
        return reach_by_kabupaten(self.reach_kecamatan)

    @property
    def total_households(self) -> int:
        return sum(r.households for r in self.desil)

    @property
    def total_people(self) -> int:
        return sum(r.people for r in self.desil)

    @property
    def desil1_total(self) -> int:
        return sum(r.total for r in self.reach_kecamatan)

    @property
    def desil1_reached(self) -> int:
        return sum(r.reached for r in self.reach_kecamatan)

    @property
    def desil1_unreached(self) -> int:
        return self.desil1_total - self.desil1_reached

    @property
    def desil1_share_reached(self) -> float | None:
        return round(100 * self.desil1_reached / self.desil1_total, 1) if self.desil1_total else None


def dashboard(
    user: User, filters: DashboardFilters, *, as_of: datetime.date | None = None, pocket_order: str = "score",
    several_regencies: bool = False, remember: Remember | None = None,
) -> Dashboard:
    """Every figure of the page; the counts are remembered until the registry changes (``memo``)."""
    with fast_aggregates():
        remember = remember or Remember(user, filters)
        reach_desa = desil1_reach_by_desa(user, filters, remember=remember)
        return Dashboard(
            filters=filters,
            desil=households_by_desil(user, filters, remember=remember),
            reach_desa=reach_desa,
            reach_kecamatan=reach_by_kecamatan(reach_desa),
            programs=coverage_by_program(user, filters, remember=remember),
            agencies=coverage_by_agency(user, filters, remember=remember),
            clusters=coverage_by_cluster(user, filters, remember=remember),
            conflicts=conflict_summary(user, filters, remember=remember),
            pockets=poverty_pockets(user, filters, as_of=as_of, order=pocket_order, remember=remember),
            several_regencies=several_regencies,
        )
