"""Which records an identity scan limited to some households must read (``dedup.identity``).

A duplicate of a household is found from its own records and those of the households that share
something with it: a NIK (a live member's or the head's), the No KK, the head's birth day in its
village (the heads' names are then compared), or a birth date of one of its people (the
similar-member comparison). Read with their people and compared as the whole scan compares them,
these give the very findings the whole scan gives for the scoped households, in the same order; the
registry's other records are never read.
"""

from __future__ import annotations

import datetime
import json

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from dedup.engine_sql import T_HH, T_MEM, false, id_param, ids_subquery, is_postgres
from households.identifiers import IdentifierError, parse_nik
from households.models import Household, Member, Relation
from konut_registry.db import pg_array


def ids_in(ids) -> RawSQL:
    """``pk__in=`` these ids, as one array (or JSON) parameter whatever their number."""
    return RawSQL(ids_subquery(), [id_param(sorted(ids))])


def _texts(values) -> list:
    """Dates as ISO text (PostgreSQL's and SQLite's date form); other values as they are."""
    return [value.isoformat() if isinstance(value, datetime.date) else value for value in values]


def _values_in(values, sql_type: str) -> RawSQL:
    """``field__in=`` these texts or dates, as one parameter: a PostgreSQL array literal or a JSON
    array (thousands of separate parameters would pass SQLite's limit)."""
    return RawSQL(*_rows_subquery([(value,) for value in sorted(set(_texts(values)))], [("value", sql_type)]))


def _rows_subquery(rows, columns: list[tuple[str, str]]) -> tuple[str, list]:
    """A subquery of these rows (tuples, one value a column), columns named and typed as ``columns``
    (``(name, PostgreSQL type)``): one parameter a column on PostgreSQL, one JSON array on SQLite."""
    if is_postgres():
        parts = [f"unnest(%s::{sql_type}[]) AS {name}" for name, sql_type in columns]
        return "SELECT " + ", ".join(parts), [pg_array(_texts(column)) for column in zip(*rows)]
    parts = [f"json_extract(value, '$[{index}]') AS {name}" for index, (name, _) in enumerate(columns)]
    return "SELECT " + ", ".join(parts) + " FROM json_each(%s)", [json.dumps([_texts(row) for row in rows])]


def live_households():
    return Household.objects.filter(merged_into__isnull=True)


def live_members():
    return Member.objects.filter(is_absent=False, household__merged_into__isnull=True)


def neighbourhood(scope: set[int]) -> tuple[set[int], set[datetime.date]]:
    """The live households of ``scope`` and every live household a duplicate of one of them can be
    with (over-inclusive: the comparison decides), and the birth dates of the scope's people."""
    scoped = list(live_households().filter(pk__in=ids_in(scope)).order_by().values_list("pk", "desa_id", "head_name", "head_nik", "no_kk"))
    around = {row[0] for row in scoped}
    if not around:
        return around, set()
    niks = {row[3] for row in scoped if row[3]}
    births: set[datetime.date] = set()
    scope_members = list(
        live_members().filter(household_id__in=ids_in(around)).order_by().values_list("household_id", "nik", "birth_date", "relation")
    )
    for _, nik, birth, _ in scope_members:
        if nik:
            niks.add(nik)
        if birth:
            births.add(birth)
    kks = {row[4] for row in scoped if row[4]}
    if kks:
        around.update(live_households().filter(no_kk__in=_values_in(kks, "text")).order_by().values_list("pk", flat=True))
    if niks:
        around.update(live_households().filter(head_nik__in=_values_in(niks, "text")).order_by().values_list("pk", flat=True))
        around.update(live_members().filter(nik__in=_values_in(niks, "text")).order_by().values_list("household_id", flat=True))
    # Heads: the households of the scope's villages whose head was born on a day one of the scope's
    # heads was (their names are compared with the rest).
    around.update(_same_head_day(_head_days(scoped, scope_members)))
    return around, births


def _head_days(scoped, scope_members) -> set[tuple[int, datetime.date]]:
    """(village, day) of every birth date the scope's heads can have in the comparison of heads:
    a head member's (or the member holding the head's NIK), and the one the head's NIK encodes."""
    village = {pk: desa_id for pk, desa_id, _, _, _ in scoped}
    head_niks = {pk: head_nik for pk, _, _, head_nik, _ in scoped}
    days = set()
    for household_id, nik, birth, relation in scope_members:
        if birth and (relation == Relation.HEAD or (nik and nik == head_niks[household_id])):
            days.add((village[household_id], birth))
    for pk, desa_id, _, head_nik, _ in scoped:
        if head_nik:
            try:
                days.add((desa_id, parse_nik(head_nik).birth_date))
            except IdentifierError:
                pass
    return days


def _nik_days(day: datetime.date) -> tuple[str, str]:
    """Digits 7-12 of a NIK of a man and of a woman born on ``day`` (``DDMMYY``, women's day + 40)."""
    rest = f"{day.month:02d}{day.year % 100:02d}"
    return f"{day.day:02d}{rest}", f"{day.day + 40:02d}{rest}"


def _same_head_day(days: set[tuple[int, datetime.date]]) -> set[int]:
    """The live households of these villages whose head member (or the member holding the head's
    NIK) was born on that day there, or whose head's NIK says so: the database joins the days."""
    if not days:
        return set()
    by_member, member_params = _rows_subquery(sorted(days), [("desa_id", "bigint"), ("birth", "date")])
    codes = sorted({(desa_id, code) for desa_id, day in days for code in _nik_days(day)})
    by_nik, nik_params = _rows_subquery(codes, [("desa_id", "bigint"), ("code", "text")])
    sql = (
        f"SELECT m.household_id FROM {T_MEM} m JOIN {T_HH} h ON h.id = m.household_id "
        f"JOIN ({by_member}) k ON k.desa_id = h.desa_id AND k.birth = m.birth_date "
        f"WHERE h.merged_into_id IS NULL AND m.is_absent = {false()} AND (m.relation = %s OR m.nik = h.head_nik) "
        f"UNION SELECT h.id FROM {T_HH} h JOIN ({by_nik}) k ON k.desa_id = h.desa_id AND substr(h.head_nik, 7, 6) = k.code "
        f"WHERE h.merged_into_id IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*member_params, Relation.HEAD.value, *nik_params])
        return {row[0] for row in cursor.fetchall()}


def scoped_querysets(scope: set[int]):
    """(households, members) to read for a scan limited to ``scope``, in the whole scan's order:
    the households around the scope with all their people, and everyone born on a day one of the
    scope's people was born (they are compared by name with them)."""
    around, births = neighbourhood(scope)
    members = Q(household_id__in=ids_in(around))
    if births:
        members |= Q(birth_date__in=_values_in(births, "date"))
    return live_households().filter(pk__in=ids_in(around)), live_members().filter(members)

