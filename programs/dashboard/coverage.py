"""The dashboard's enrollment figures: households and enrollments by program, agency and cluster,
and the open conflicts and identity duplicates.

A household counts once per program (agency, cluster) and status however many of its members a
person program enrolls. Each table is one scan of the year's enrollments, grouped first per
household and program (agency, cluster), with a flag per status, then per program: the distinct
households are rows of the first grouping, and no ``COUNT(DISTINCT)`` sorts the year's
enrollments once per status and once more for the totals.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Value, When

from agencies.models import User
from agencies.selectors import visible_agencies, visible_enrollments, visible_households, visible_programs
from dedup.models import Conflict, ConflictStatus, IdentityMatch, IdentityStatus
from programs.dashboard.memo import compute_now
from programs.dashboard.scope import DashboardFilters, scoped_enrollments
from programs.indicators import current_household_q
from programs.models import Cluster, EnrollmentStatus

STATUSES = [value for value, _label in EnrollmentStatus.choices]


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


# One group's counts: households per status (in ``STATUSES`` order), households, enrollments.
GroupCounts = tuple[tuple[int, ...], int, int]


def coverage_counts(enrollments, group: str) -> dict[object, GroupCounts]:
    """The enrollments' counts per value of ``group`` (a path from ``Enrollment``): one query."""
    flags = {
        f"s{index}": Max(Case(When(status=status, then=Value(1)), default=Value(0), output_field=IntegerField()))
        for index, status in enumerate(STATUSES)
    }
    per_household = enrollments.order_by().values(hh=F("household_id"), g=F(group)).annotate(n=Count("*"), **flags)
    try:
        inner, params = per_household.query.sql_with_params()
    except EmptyResultSet:  # enrollments that cannot match (``.none()``): nothing to count
        return {}
    sums = ", ".join(f"SUM(t.s{index})" for index in range(len(STATUSES)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.g, COUNT(*), SUM(t.n), {sums} FROM ({inner}) t GROUP BY t.g", params)
        rows = cursor.fetchall()
    return {row[0]: (tuple(int(n) for n in row[3:]), int(row[1]), int(row[2])) for row in rows}


def _fill(rows: dict[object, CoverageRow], counts: dict[object, GroupCounts]) -> list[CoverageRow]:
    for key, (by_status, households, enrollments) in counts.items():
        if key in rows:
            row = rows[key]
            row.by_status = dict(zip(STATUSES, by_status))
            row.households, row.enrollments = households, enrollments
    return list(rows.values())


def _counts(user: User, filters: DashboardFilters, group: str, remember) -> dict[object, GroupCounts]:
    # Kept as a list of pairs: JSON would turn the program and agency ids, as keys, into text.
    pairs = remember(f"coverage:{group}", lambda: list(coverage_counts(scoped_enrollments(user, filters), group).items()))
    return {key: (tuple(by_status), households, enrollments) for key, (by_status, households, enrollments) in pairs}


def coverage_by_program(user: User, filters: DashboardFilters, *, remember=compute_now) -> list[CoverageRow]:
    programs = visible_programs(user).select_related("agency")
    if filters.cluster:
        programs = programs.filter(cluster=filters.cluster)
    if filters.agency is not None:
        programs = programs.filter(agency=filters.agency)
    rows = {
        p.pk: CoverageRow(p.code, p.name, agency_code=p.agency.code, agency_name=str(p.agency), cluster=p.cluster)
        for p in programs.order_by("cluster", "agency__order", "name")
    }
    return _fill(rows, _counts(user, filters, "program_id", remember))


def coverage_by_agency(user: User, filters: DashboardFilters, *, remember=compute_now) -> list[CoverageRow]:
    agencies = visible_agencies(user)
    if filters.agency is not None:
        agencies = agencies.filter(pk=filters.agency.pk)
    if filters.cluster:
        agencies = agencies.filter(programs__cluster=filters.cluster).distinct()
    rows = {a.pk: CoverageRow(a.code, a.short_name or a.name, agency_code=a.code) for a in agencies.order_by("order", "name")}
    return _fill(rows, _counts(user, filters, "program__agency_id", remember))


def coverage_by_cluster(user: User, filters: DashboardFilters, *, remember=compute_now) -> list[CoverageRow]:
    rows = {
        value: CoverageRow(value, str(label), cluster=value)
        for value, label in Cluster.choices
        if not filters.cluster or value == filters.cluster
    }
    return _fill(rows, _counts(user, filters, "program__cluster", remember))


# --- Conflicts and identity duplicates --------------------------------------------------------------


@dataclass
class ConflictSummary:
    open_conflicts: int = 0
    conflict_households: int = 0
    open_identity: int = 0
    # Open conflicts whose families are all gone from the latest data (absent, merged away): still
    # open in the review queue, left out of the counts above as of the household list they open.
    absent_conflicts: int = 0


def conflict_summary(user: User, filters: DashboardFilters, *, remember=compute_now) -> ConflictSummary:
    """Open one-aid conflicts of the year (both enrollments visible to an agency user only if one of
    them is theirs) and open identity duplicates among the households the user may see, of current
    households alone, as the household list shows them."""
    return ConflictSummary(*remember("conflicts", lambda: _conflict_counts(user, filters)))


def _conflict_counts(user: User, filters: DashboardFilters) -> tuple[int, int, int, int]:
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
    # A same-person pair of two families (of two regencies, in a province) counts under either
    # family's place, and each family of the place counts, as the household list flags it.
    conflicts = conflicts.order_by()
    in_place = {
        family: filters.place_q(f"{family}__") & current_household_q(f"{family}__") for family in Conflict.FAMILIES
    }
    current = reduce(operator.or_, in_place.values())
    # The conflicts of the place whose families are all gone still wait in the review queue: counted
    # apart, in the same query, for the page to name them.
    place = reduce(operator.or_, (filters.place_q(f"{family}__") for family in Conflict.FAMILIES))
    counts = conflicts.filter(place).aggregate(n=Count("pk", filter=current), gone=Count("pk", filter=~current))
    conflicts = conflicts.filter(current)
    families = [conflicts.filter(q).values(family) for family, q in in_place.items()]
    n, h = counts["n"], families[0].union(*families[1:]).count()

    households = visible_households(user).filter(filters.place_q(), current_household_q()).order_by()
    identity = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).filter(
        Exists(households.filter(pk=OuterRef("household_a_id"))) | Exists(households.filter(pk=OuterRef("household_b_id")))
    )
    return n, h, identity.order_by().count(), counts["gone"]

