"""The Bappeda dashboard's figures: every one an aggregate computed in SQL, scoped by
``agencies.selectors`` (Bappeda and leadership see everything, an agency user only what is theirs).

Household figures (desil, reach, poverty pockets) count current households (see
``programs.indicators.current_households``) and follow the kabupaten and kecamatan filters; the
cluster and agency filters narrow the enrollment figures (programs, agencies, clusters, conflicts).
"Reached" means a proposed or active enrollment in any program (``indicators.live_aid_q``),
whatever the year, as the household list's ``aid=any`` does. The year filter applies to enrollments
and conflicts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, User
from agencies.selectors import (
    sees_everything,
    visible_agencies,
    visible_enrollments,
    visible_households,
    visible_programs,
)
from dedup.models import Conflict, ConflictStatus, IdentityMatch, IdentityStatus
from households.models import Desa, Household, Kabupaten, Kecamatan, Member
from programs.models import Cluster, EnrollmentStatus
from konut_registry.db import fast_aggregates
from programs.indicators import (
    current_households,
    live_aid_q,
    no_own_toilet_q,
    stunting_risk_q,
    unfit_house_q,
    unsafe_water_q,
)

STATUSES = [value for value, _label in EnrollmentStatus.choices]


@dataclass(frozen=True)
class DashboardFilters:
    year: int
    kecamatan: Kecamatan | None = None
    cluster: str | None = None
    agency: Agency | None = None
    kabupaten: Kabupaten | None = None  # offered when more than one regency is loaded

    def place_q(self, household: str = "") -> Q:
        """The place filters on the household at path ``household`` ('' for a Household itself)."""
        q = Q()
        if self.kabupaten is not None:
            q &= Q(**{f"{household}desa__kecamatan__kabupaten": self.kabupaten})
        if self.kecamatan is not None:
            q &= Q(**{f"{household}desa__kecamatan": self.kecamatan})
        return q


def enrollment_years(user: User) -> list[int]:
    """Years with enrollments the user may see, newest first, always including this year."""
    years = set(visible_enrollments(user).order_by().values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def default_year(user: User) -> int:
    """The latest year with visible enrollments, else this year."""
    latest = visible_enrollments(user).order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def scoped_households(user: User, filters: DashboardFilters) -> QuerySet[Household]:
    households = visible_households(user) & current_households()
    return households.filter(filters.place_q()).order_by()


def scoped_enrollments(user: User, filters: DashboardFilters):
    enrollments = visible_enrollments(user).filter(filters.place_q("household__"), year=filters.year)
    if filters.cluster:
        enrollments = enrollments.filter(program__cluster=filters.cluster)
    if filters.agency is not None:
        enrollments = enrollments.filter(program__agency=filters.agency)
    return enrollments.order_by()


# --- Headline: the registry by desil ----------------------------------------------------------------


@dataclass
class DesilRow:
    desil: int | None
    households: int = 0
    people: int = 0


def households_by_desil(user: User, filters: DashboardFilters) -> list[DesilRow]:
    """Households and people (non-absent members) per desil; an unknown desil last. Two queries."""
    households = scoped_households(user, filters)
    rows: dict[int | None, DesilRow] = {}
    for row in households.values("desil").annotate(n=Count("pk")):
        rows.setdefault(row["desil"], DesilRow(row["desil"])).households = row["n"]
    if sees_everything(user):
        # Everyone's households: join on the same conditions instead of a semi-join on the list.
        members = Member.objects.filter(
            filters.place_q("household__"), household__is_absent=False, household__merged_into__isnull=True
        )
    else:
        members = Member.objects.filter(household__in=households.values("pk"))
    people = (
        members.filter(is_absent=False)
        .order_by()
        .values("household__desil")
        .annotate(n=Count("pk"))
    )
    for row in people:
        rows.setdefault(row["household__desil"], DesilRow(row["household__desil"])).people = row["n"]
    return sorted(rows.values(), key=lambda r: (r.desil is None, r.desil or 0))


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


def desil1_reach_by_desa(user: User, filters: DashboardFilters) -> list[ReachRow]:
    """Desil-1 households per village and how many of them receive aid: one grouped query."""
    rows = (
        scoped_households(user, filters)
        .filter(desil=1)
        .values("desa_id")
        .annotate(total=Count("pk"), reached=Count("pk", filter=live_aid_q()))
    )
    villages = _villages()
    result = []
    for r in rows:
        desa = villages[r["desa_id"]]
        kabupaten = desa.kecamatan.kabupaten
        result.append(ReachRow(
            desa.pk, desa.name, desa.kecamatan_id, desa.kecamatan.name, r["total"], r["reached"], kabupaten.pk, kabupaten.name
        ))
    return sorted(result, key=lambda r: (-r.unreached, r.kecamatan, r.name))


def _villages() -> dict[int, Desa]:
    """The loaded villages (170 in Konawe Utara) with their kecamatan and regency, by id. Grouped
    counts group by the village id alone (a hash on one integer) and take the names from here."""
    return Desa.objects.select_related("kecamatan__kabupaten").in_bulk()


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


# --- Enrollments by program, agency and cluster -----------------------------------------------------


@dataclass
class CoverageRow:
    """One program, agency or cluster: households per enrollment status, households in any status,
    and enrollments (a person program can enroll several members of one household)."""

    key: str
    name: str
    agency_code: str = ""
    agency_name: str = ""
    cluster: str = ""
    by_status: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})
    households: int = 0
    enrollments: int = 0

    @property
    def live(self) -> int:
        return self.by_status[EnrollmentStatus.PROPOSED] + self.by_status[EnrollmentStatus.ACTIVE]


def _coverage(enrollments, key: str, rows: dict[str, CoverageRow]) -> list[CoverageRow]:
    for row in enrollments.values(key, "status").annotate(h=Count("household", distinct=True)):
        if row[key] in rows:
            rows[row[key]].by_status[row["status"]] = row["h"]
    for row in enrollments.values(key).annotate(h=Count("household", distinct=True), n=Count("pk")):
        if row[key] in rows:
            rows[row[key]].households = row["h"]
            rows[row[key]].enrollments = row["n"]
    return list(rows.values())


def coverage_by_program(user: User, filters: DashboardFilters) -> list[CoverageRow]:
    programs = visible_programs(user).select_related("agency")
    if filters.cluster:
        programs = programs.filter(cluster=filters.cluster)
    if filters.agency is not None:
        programs = programs.filter(agency=filters.agency)
    rows = {
        p.code: CoverageRow(p.code, p.name, agency_code=p.agency.code, agency_name=str(p.agency), cluster=p.cluster)
        for p in programs.order_by("cluster", "agency__order", "name")
    }
    return _coverage(scoped_enrollments(user, filters), "program__code", rows)


def coverage_by_agency(user: User, filters: DashboardFilters) -> list[CoverageRow]:
    agencies = visible_agencies(user)
    if filters.agency is not None:
        agencies = agencies.filter(pk=filters.agency.pk)
    if filters.cluster:
        agencies = agencies.filter(programs__cluster=filters.cluster).distinct()
    rows = {a.code: CoverageRow(a.code, a.short_name or a.name, agency_code=a.code) for a in agencies.order_by("order", "name")}
    return _coverage(scoped_enrollments(user, filters), "program__agency__code", rows)


def coverage_by_cluster(user: User, filters: DashboardFilters) -> list[CoverageRow]:
    rows = {
        value: CoverageRow(value, str(label), cluster=value)
        for value, label in Cluster.choices
        if not filters.cluster or value == filters.cluster
    }
    return _coverage(scoped_enrollments(user, filters), "program__cluster", rows)


# --- Conflicts and identity duplicates --------------------------------------------------------------


@dataclass
class ConflictSummary:
    open_conflicts: int = 0
    conflict_households: int = 0
    open_identity: int = 0


def conflict_summary(user: User, filters: DashboardFilters) -> ConflictSummary:
    """Open one-aid conflicts of the year (both enrollments visible to an agency user only if one of
    them is theirs) and open identity duplicates among the households the user may see."""
    enrollments = visible_enrollments(user).filter(year=filters.year)
    if filters.cluster:
        enrollments = enrollments.filter(program__cluster=filters.cluster)
    if filters.agency is not None:
        enrollments = enrollments.filter(program__agency=filters.agency)
    # Each open conflict (or identity duplicate) looks its two sides up by primary key: an IN over
    # all the year's enrollments (or every visible household), ORed, is a subplan PostgreSQL cannot
    # hash at province scale and rescans for every conflict.
    enrollments = enrollments.order_by()
    conflicts = Conflict.objects.filter(status=ConflictStatus.OPEN).filter(
        Exists(enrollments.filter(pk=OuterRef("enrollment_a_id"))) | Exists(enrollments.filter(pk=OuterRef("enrollment_b_id")))
    )
    conflicts = conflicts.filter(filters.place_q("household__"))
    counts = conflicts.order_by().aggregate(n=Count("pk"), h=Count("household", distinct=True))

    households = visible_households(user).filter(filters.place_q()).order_by()
    identity = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).filter(
        Exists(households.filter(pk=OuterRef("household_a_id"))) | Exists(households.filter(pk=OuterRef("household_b_id")))
    )
    return ConflictSummary(counts["n"], counts["h"], identity.order_by().count())


# --- Poverty pockets ----------------------------------------------------------------------------------

POCKET_INDICATORS = ("unsafe_water", "no_toilet", "unfit_house", "stunting_unsafe_water")


@dataclass
class PocketRow:
    """A village and its households lacking safe water, an own toilet, a decent house, and its
    stunting-risk households without safe water (the PU agency's field list)."""

    id: int
    name: str
    code: str
    kecamatan_id: int
    kecamatan: str
    households: int = 0
    unsafe_water: int = 0
    no_toilet: int = 0
    unfit_house: int = 0
    stunting_unsafe_water: int = 0
    kabupaten_id: int = 0
    kabupaten: str = ""

    def share(self, indicator: str) -> float:
        return round(100 * getattr(self, indicator) / self.households, 1) if self.households else 0.0

    @property
    def score(self) -> float:
        """The mean of the four shares: the default ranking."""
        return round(sum(self.share(name) for name in POCKET_INDICATORS) / len(POCKET_INDICATORS), 1)


def poverty_pockets(
    user: User, filters: DashboardFilters, *, as_of: datetime.date | None = None, order: str = "score"
) -> list[PocketRow]:
    """Every village with households, with its indicator counts (one grouped query), ranked by
    ``order`` (``score`` or one of ``POCKET_INDICATORS``), highest share first."""
    rows = (
        scoped_households(user, filters)
        .values("desa_id")
        .annotate(
            households=Count("pk"),
            unsafe_water=Count("pk", filter=unsafe_water_q()),
            no_toilet=Count("pk", filter=no_own_toilet_q()),
            unfit_house=Count("pk", filter=unfit_house_q()),
            stunting_unsafe_water=Count("pk", filter=unsafe_water_q() & stunting_risk_q(as_of)),
        )
    )
    villages = _villages()
    result = []
    for r in rows:
        desa = villages[r["desa_id"]]
        result.append(
            PocketRow(
                desa.pk, desa.name, desa.code, desa.kecamatan_id, desa.kecamatan.name,
                r["households"], r["unsafe_water"], r["no_toilet"], r["unfit_house"], r["stunting_unsafe_water"],
                desa.kecamatan.kabupaten_id, desa.kecamatan.kabupaten.name,
            )
        )
    if order in POCKET_INDICATORS:
        key = lambda r: (-r.share(order), -getattr(r, order), r.code)  # noqa: E731
    else:
        key = lambda r: (-r.score, -r.households, r.code)  # noqa: E731
    return sorted(result, key=key)


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
    several_regencies: bool = False,
) -> Dashboard:
    with fast_aggregates():
        reach_desa = desil1_reach_by_desa(user, filters)
        return Dashboard(
            filters=filters,
            desil=households_by_desil(user, filters),
            reach_desa=reach_desa,
            reach_kecamatan=reach_by_kecamatan(reach_desa),
            programs=coverage_by_program(user, filters),
            agencies=coverage_by_agency(user, filters),
            clusters=coverage_by_cluster(user, filters),
            conflicts=conflict_summary(user, filters),
            pockets=poverty_pockets(user, filters, as_of=as_of, order=pocket_order),
            several_regencies=several_regencies,
        )
