"""Poverty pockets: every village with households, ranked by the shares of its households lacking
safe water, an own toilet, a decent house, and its stunting-risk households without safe water."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count

from agencies.models import User
from households.models import Desa
from programs.dashboard.scope import DashboardFilters, scoped_households
from programs.dashboard.memo import compute_now
from programs.indicators import no_own_toilet_q, stunting_risk_q, today, unfit_house_q, unsafe_water_q

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


class Village(NamedTuple):
    id: int
    name: str
    code: str
    kecamatan_id: int
    kecamatan: str
    kabupaten_id: int
    kabupaten: str


def villages() -> dict[int, Village]:
    """The loaded villages with their kecamatan's and regency's names, by id (2,285 in a province,
    read as plain rows). Grouped counts group by the village id alone (a hash on one integer) and
    take the names from here."""
    rows = Desa.objects.order_by().values_list(
        "id", "name", "code", "kecamatan_id", "kecamatan__name", "kecamatan__kabupaten_id", "kecamatan__kabupaten__name"
    )
    return {row[0]: Village(*row) for row in rows}


def pocket_counts(user: User, filters: DashboardFilters, as_of: datetime.date | None) -> list[tuple[int, ...]]:
    """(village id, households, and the four indicators' counts) per village: one grouped query."""
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
        .values_list("desa_id", "households", *POCKET_INDICATORS)
    )
    return list(rows)


def poverty_pockets(
    user: User, filters: DashboardFilters, *, as_of: datetime.date | None = None, order: str = "score", remember=compute_now,
) -> list[PocketRow]:
    """Every village with households, with its indicator counts, ranked by ``order`` (``score`` or
    one of ``POCKET_INDICATORS``), highest share first."""
    as_of = as_of or today()
    counts = remember("pockets", lambda: pocket_counts(user, filters, as_of), as_of=as_of.isoformat())
    places = villages()
    result = []
    for desa_id, households, unsafe_water, no_toilet, unfit_house, stunting_unsafe_water in counts:
        desa = places[desa_id]
        result.append(
            PocketRow(
                desa.id, desa.name, desa.code, desa.kecamatan_id, desa.kecamatan,
                households, unsafe_water, no_toilet, unfit_house, stunting_unsafe_water, desa.kabupaten_id, desa.kabupaten,
            )
        )
    if order in POCKET_INDICATORS:
        key = lambda r: (-r.share(order), -getattr(r, order), r.code)  # noqa: E731
    else:
        key = lambda r: (-r.score, -r.households, r.code)  # noqa: E731
    return sorted(result, key=key)
