"""What the dashboard counts: its filters, the years it offers, and the households and enrollments
a user may see under those filters (scoped by ``agencies.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import Agency, User
from agencies.selectors import visible_enrollments, visible_households
from households.models import Household, Kabupaten, Kecamatan
from programs.dashboard.memo import compute_now
from programs.indicators import current_household_q, current_households


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

    @classmethod
    def from_key(cls, key: list | tuple) -> DashboardFilters:
        """The filters of ``key`` (what the background recount is given)."""
        year, kecamatan, cluster, agency, kabupaten = key
        return cls(
            year=year, cluster=cluster,
            kecamatan=Kecamatan.objects.get(pk=kecamatan) if kecamatan else None,
            agency=Agency.objects.get(pk=agency) if agency else None,
            kabupaten=Kabupaten.objects.get(pk=kabupaten) if kabupaten else None,
        )

    @property
    def key(self) -> tuple:
        """The filters as plain values (part of a remembered figure's key)."""
        return (
            self.year, self.kecamatan.pk if self.kecamatan else None, self.cluster or None,
            self.agency.pk if self.agency else None, self.kabupaten.pk if self.kabupaten else None,
        )


def enrollment_years(user: User, *, remember=None) -> list[int]:
    """Years with enrollments the user may see, newest first, always including this year (the
    years with enrollments kept by ``remember``, a ``memo.Remember``: a scan of every enrollment)."""
    keep = remember.general if remember is not None else compute_now
    years = set(keep("years", lambda: _enrollment_years(user)))
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def _enrollment_years(user: User) -> list[int]:
    return list(visible_enrollments(user).order_by().values_list("year", flat=True).distinct())


def default_year(user: User) -> int:
    """The latest year with visible enrollments that is not in the future, else this year. Next
    year's plans, or a mistyped year (2035 for 2025), would open the dashboard on a year without
    this year's figures and conflicts; they stay one choice away in the year filter."""
    this_year = timezone.localdate().year
    latest = (
        visible_enrollments(user).filter(year__lte=this_year).order_by("-year").values_list("year", flat=True).first()
    )
    return latest or this_year


def scoped_households(user: User, filters: DashboardFilters) -> QuerySet[Household]:
    households = visible_households(user) & current_households()
    return households.filter(filters.place_q()).order_by()


def scoped_enrollments(user: User, filters: DashboardFilters):
    """The year's enrollments of current households (as the household list counts them)."""
    enrollments = visible_enrollments(user).filter(
        filters.place_q("household__"), current_household_q("household__"), year=filters.year
    )
    if filters.cluster:
        enrollments = enrollments.filter(program__cluster=filters.cluster)
    if filters.agency is not None:
        enrollments = enrollments.filter(program__agency=filters.agency)
    return enrollments.order_by()
