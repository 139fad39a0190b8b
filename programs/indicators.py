"""The registry's poverty indicators, each defined once as a ``Q`` over ``Household``.

The dashboard counts them, rule conditions select on them (``programs.targeting``), and the agency
portal's household list filters on them (its ``water=unsafe``, ``toilet=none``, ``house=unfit``,
``stunting=1`` and ``aid=none``/``aid=any`` parameters), so that every page means the same households
by the same words. Each is a ``Q`` so that a count is one SQL query, never a Python loop.

- *tanpa air minum layak* (no safe drinking water): ``water_source`` in
  ``households.models.UNSAFE_WATER_SOURCES`` (unprotected well, surface water, rain water, other);
- *tanpa jamban sendiri* (no own toilet): a recorded toilet value other than ``Toilet.OWN``
  (shared, other, "Kosong"); a blank (never recorded) value is unknown and not counted;
- *rumah tidak layak huni* (house unfit to live in): earth or bamboo floor, bamboo wall, thatch or
  bamboo roof, or a roof, wall or floor P3KE rates poor quality (``Quality.POOR``);
- *berisiko stunting* (stunting risk): P3KE's *Resiko Stunting* of the household is "Beresiko
  Stunting", or a (non-absent) member is under five years old on the reference date;
- *sudah tersentuh bantuan* (reached by aid) in a year: what the one-aid rule counts as aid against
  another one that year: a proposed or active enrollment in any program, whatever its year
  (``programs.models.LIVE_STATUSES``: aid still under way), or one of that year completed
  (``ONE_AID_STATUSES``: a house built this year is this year's aid). Its negation is "belum
  tersentuh bantuan", the families a distribution of that year may still send aid to without a
  conflict. Without a year: the latest year with enrollments that is not in the future
  (:func:`aid_year_expression`), the year the dashboard opens on.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from households.models import (
    UNSAFE_WATER_SOURCES,
    FloorType,
    Household,
    Member,
    Quality,
    RoofType,
    StuntingRisk,
    Toilet,
    WallType,
)
from programs.models import LIVE_STATUSES, ONE_AID_STATUSES, Enrollment

UNFIT_FLOORS = (FloorType.EARTH, FloorType.BAMBOO)
UNFIT_WALLS = (WallType.BAMBOO,)
UNFIT_ROOFS = (RoofType.THATCH, RoofType.BAMBOO)
UNDER_FIVE_YEARS = 5


def today() -> datetime.date:
    return timezone.localdate()


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def current_household_q(household: str = "") -> Q:
    """The household at path ``household`` ('' for a Household itself) is in the latest data: not
    absent from the last full extract, not merged away. The household list shows these alone (unless
    asked for absent ones), so every figure that links to it counts these alone."""
    return Q(**{f"{household}is_absent": False, f"{household}merged_into__isnull": True})


def current_households() -> QuerySet[Household]:
    """Households in the latest data (:func:`current_household_q`)."""
    return Household.objects.filter(current_household_q())


def unsafe_water_q() -> Q:
    return Q(water_source__in=UNSAFE_WATER_SOURCES)


def no_own_toilet_q() -> Q:
    return ~Q(toilet=Toilet.OWN) & ~Q(toilet="")


def unfit_house_q() -> Q:
    return (
        Q(floor_type__in=UNFIT_FLOORS)
        | Q(wall_type__in=UNFIT_WALLS)
        | Q(roof_type__in=UNFIT_ROOFS)
        | Q(roof_quality=Quality.POOR)
        | Q(wall_quality=Quality.POOR)
        | Q(floor_quality=Quality.POOR)
    )


def _under_five(as_of: datetime.date) -> Q:
    return Q(birth_date__gt=years_before(as_of, UNDER_FIVE_YEARS), birth_date__lte=as_of)


def stunting_risk_q(as_of: datetime.date | None = None) -> Q:
    # An uncorrelated subquery on the members' birth-date index, which PostgreSQL hashes once,
    # rather than an EXISTS per household.
    under_five = Member.objects.filter(_under_five(as_of or today()), is_absent=False).values("household_id")
    return Q(stunting_risk=StuntingRisk.AT_RISK) | Q(pk__in=under_five)


def aid_year_expression():
    """The year "reached by aid" means when none is named: the latest year with enrollments that is
    not in the future, else this year (as ``programs.dashboard.scope.default_year`` for Bappeda), as
    SQL, so that a count stays one query."""
    this_year = today().year
    latest = Enrollment.objects.filter(year__lte=this_year).order_by("-year").values("year")[:1]
    return Coalesce(Subquery(latest), Value(this_year))


def reached_q(year: int | None = None, household: str = "pk") -> Q:
    """"Sudah tersentuh bantuan" in ``year`` (see the module's docstring): live aid of any year, or
    aid of ``year`` completed; ``year`` ``None``: :func:`aid_year_expression`. ``household`` as in
    :func:`live_aid_q`."""
    of_year = aid_year_expression() if year is None else year
    aid = Enrollment.objects.filter(
        Q(status__in=LIVE_STATUSES) | Q(status__in=ONE_AID_STATUSES, year=of_year), household=OuterRef(household)
    )
    return Q(Exists(aid))


def not_reached_q(year: int | None = None, household: str = "pk") -> Q:
    """"Belum tersentuh bantuan" in ``year``: no aid the one-aid rule would count against a new one."""
    return ~reached_q(year, household)


def live_aid_q(household: str = "pk") -> Q:
    """The household has a proposed or active enrollment (any program, any year): aid still under
    way, which an absence or a verval verdict stops (for "reached by aid", see :func:`reached_q`).

    ``household`` names the household's id in the filtered model: ``"pk"`` over ``Household``,
    ``"household"`` over ``Member``."""
    return Q(Exists(Enrollment.objects.filter(household=OuterRef(household), status__in=LIVE_STATUSES)))
