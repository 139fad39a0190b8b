"""The one-aid rule as set-based checks over enrollments.

Every write path (admin, agency pages, imports, commands) saves enrollments through
``programs.services``, which hands the ids it touched to :func:`check_enrollments` inside its own
transaction. One enrollment from a form and 50,000 from an import go through the same few SQL
statements; nothing here runs per row, and nothing lives in signals or ``save()``.

The rule
    A proposed or active enrollment conflicts with another proposed or active enrollment

    * of the same household, in a different program, in the same year (rule ``one_aid``), or
    * of another household that shares a person (a NIK among its live members or as its head), in
      the same year (rule ``same_person``): one person receiving aid through two family cards. Here
      the same program twice counts too (PKH through both cards is the classic double collection).

    unless Bappeda declared the two programs compatible (``CompatiblePair``). Person programs are
    compared at household level: two children with PIP are one program, not a conflict.

Records, not errors
    A conflict is one ``Conflict`` row per pair of enrollments (``enrollment_a < enrollment_b``),
    written with ``INSERT ... SELECT ... ON CONFLICT`` on the pair's unique constraint, so re-checking
    never duplicates it and two transactions racing on the same pair both end up with it recorded.
    An approved or dismissed pair stays as it is. A *resolved* pair whose two enrollments are both
    live again (a cancelled one was reactivated) is reopened.

Cancelled or rejected enrollments never conflict. When a checked enrollment is cancelled or rejected,
its open conflicts are closed as resolved (kept enrollment: the other side, reviewer empty, reason
saying it was automatic). A completed enrollment does not raise new conflicts, but an open conflict
stays open when one side completes: the double aid was delivered and Bappeda still has to see it.

Concurrency
    Two users saving enrollments for the same household at the same moment would each not see the
    other's uncommitted row. On PostgreSQL the check therefore first locks the households involved
    (and those sharing a NIK with them), in id order, ``FOR NO KEY UPDATE`` (compatible with the key
    share lock an enrollment insert takes on its household, so no deadlock); the second transaction
    waits for the first to commit and then sees its enrollment. SQLite serialises writers anyway.

Query budget for :func:`check_enrollments`: lock (PostgreSQL only), close, insert, fetch: four
statements whatever the number of enrollments or the size of the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import Case, RawSQL, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dedup.models import CompatiblePair, Conflict, ConflictRule, ConflictStatus
from households.models import Household, Member
from programs.models import LIVE_STATUSES, Enrollment, EnrollmentStatus

# Statuses that end an enrollment's claim to aid: their open conflicts are closed automatically.
DEAD_STATUSES = (EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED)

T_ENR = Enrollment._meta.db_table
T_HH = Household._meta.db_table
T_MEM = Member._meta.db_table
T_CONFLICT = Conflict._meta.db_table
T_COMPAT = CompatiblePair._meta.db_table


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _id_set_sql() -> str:
    """A one-column derived table ``(id)`` from one parameter holding the whole id list: one bind
    parameter for 50,000 ids, where ``IN (%s, %s, ...)`` would hit SQLite's limit and bloat plans."""
    if _is_postgres():
        return "SELECT unnest(%s::bigint[]) AS id"
    return "SELECT CAST(value AS INTEGER) AS id FROM json_each(%s)"


def _id_param(ids: list[int]):
    return list(ids) if _is_postgres() else json.dumps(list(ids))


def _json_object() -> str:
    return "jsonb_build_object" if _is_postgres() else "json_object"


def _json_array() -> str:
    return "jsonb_build_array" if _is_postgres() else "json_array"


def _live_sql() -> str:
    return ", ".join(f"'{status}'" for status in LIVE_STATUSES)


def _compatible_sql(left: str, right: str) -> str:
    """True when Bappeda declared the programs of enrollments ``left`` and ``right`` compatible."""
    return (
        f"EXISTS (SELECT 1 FROM {T_COMPAT} cp WHERE "
        f"(cp.program_a_id = {left}.program_id AND cp.program_b_id = {right}.program_id) OR "
        f"(cp.program_a_id = {right}.program_id AND cp.program_b_id = {left}.program_id))"
    )


def _people_sql(household_filter: str = "") -> str:
    """(household_id, nik) of every person a household stands for: its live members with a NIK and
    its head's NIK. UNION ALL so that PostgreSQL can push a ``nik = ...`` condition into both arms
    and use their NIK indexes. Merged-away records and absent members no longer stand for anyone."""
    member_filter = f" AND m.household_id IN ({household_filter})" if household_filter else ""
    head_filter = f" AND h.id IN ({household_filter})" if household_filter else ""
    return (
        f"SELECT m.household_id AS household_id, m.nik AS nik FROM {T_MEM} m "
        f"WHERE m.nik <> '' AND m.is_absent = {_false()}{member_filter} "
        f"UNION ALL "
        f"SELECT h.id AS household_id, h.head_nik AS nik FROM {T_HH} h "
        f"WHERE h.head_nik <> '' AND h.merged_into_id IS NULL{head_filter}"
    )


def _false() -> str:
    return "false" if _is_postgres() else "0"


def _pairs_sql(*, triggered: bool) -> str:
    """SELECT of the conflicting pairs as (lo, hi, household_id, rule, year, nik, hh_lo, hh_hi).

    ``triggered``: pairs with at least one enrollment in the id-list parameter (given twice: once
    for each rule); otherwise every pair in the registry (the full scan)."""
    live = _live_sql()
    if triggered:
        trig = f"SELECT e.* FROM {T_ENR} e WHERE e.id IN ({_id_set_sql()}) AND e.status IN ({live})"
        # A pair whose two sides were both checked appears twice; DISTINCT keeps one.
        one_aid_order = ""
        trig_households = f"SELECT t0.household_id FROM {T_ENR} t0 WHERE t0.id IN ({_id_set_sql()})"
        links = (
            f"SELECT p1.household_id AS h1, p2.household_id AS h2, MIN(p1.nik) AS nik "
            f"FROM ({_people_sql(trig_households)}) p1 "
            f"JOIN ({_people_sql()}) p2 ON p2.nik = p1.nik AND p2.household_id <> p1.household_id "
            f"GROUP BY p1.household_id, p2.household_id"
        )
        distinct = "DISTINCT "
    else:
        trig = f"SELECT e.* FROM {T_ENR} e WHERE e.status IN ({live})"
        one_aid_order = " AND o.id > t.id"
        links = (
            f"SELECT p1.household_id AS h1, p2.household_id AS h2, MIN(p1.nik) AS nik "
            f"FROM ({_people_sql()}) p1 "
            f"JOIN ({_people_sql()}) p2 ON p2.nik = p1.nik AND p2.household_id > p1.household_id "
            f"GROUP BY p1.household_id, p2.household_id"
        )
        distinct = ""
    lo = "CASE WHEN t.id < o.id THEN t.id ELSE o.id END"
    hi = "CASE WHEN t.id < o.id THEN o.id ELSE t.id END"
    hh_lo = "CASE WHEN t.id < o.id THEN t.household_id ELSE o.household_id END"
    hh_hi = "CASE WHEN t.id < o.id THEN o.household_id ELSE t.household_id END"
    one_aid = (
        f"SELECT {lo} AS lo, {hi} AS hi, t.household_id AS household_id, '{ConflictRule.ONE_AID}' AS rule, "
        f"t.year AS year, '' AS nik, t.household_id AS hh_lo, t.household_id AS hh_hi "
        f"FROM ({trig}) t JOIN {T_ENR} o ON o.household_id = t.household_id AND o.year = t.year "
        f"AND o.program_id <> t.program_id AND o.status IN ({live}){one_aid_order} "
        f"WHERE NOT {_compatible_sql('t', 'o')}"
    )
    same_person = (
        f"SELECT {lo} AS lo, {hi} AS hi, {hh_lo} AS household_id, '{ConflictRule.SAME_PERSON}' AS rule, "
        f"t.year AS year, l.nik AS nik, {hh_lo} AS hh_lo, {hh_hi} AS hh_hi "
        f"FROM ({trig}) t JOIN ({links}) l ON l.h1 = t.household_id "
        f"JOIN {T_ENR} o ON o.household_id = l.h2 AND o.year = t.year AND o.status IN ({live}) "
        f"WHERE (o.program_id = t.program_id OR NOT {_compatible_sql('t', 'o')})"
    )
    return f"SELECT {distinct}* FROM ({one_aid} UNION ALL {same_person}) pairs"


def _insert_sql(*, triggered: bool) -> str:
    """INSERT the pairs; an existing pair is left alone unless it was resolved and both of its
    enrollments are live again, in which case it is reopened with a note of the earlier decision."""
    obj, arr = _json_object(), _json_array()
    evidence = (
        f"CASE WHEN p.rule = '{ConflictRule.SAME_PERSON}' "
        f"THEN {obj}('year', p.year, 'nik', p.nik, 'household_ids', {arr}(p.hh_lo, p.hh_hi)) "
        f"ELSE {obj}('year', p.year) END"
    )
    reopened = _("Dibuka kembali: kedua kepesertaan aktif lagi. Keputusan sebelumnya: ").replace("'", "''")
    return (
        f"INSERT INTO {T_CONFLICT} (household_id, enrollment_a_id, enrollment_b_id, rule, status, evidence, "
        f"decision_reason, created_at) "
        f"SELECT p.household_id, p.lo, p.hi, p.rule, '{ConflictStatus.OPEN}', {evidence}, '', %s "
        f"FROM ({_pairs_sql(triggered=triggered)}) p WHERE 1 = 1 "
        f"ON CONFLICT (enrollment_a_id, enrollment_b_id) DO UPDATE SET status = '{ConflictStatus.OPEN}', "
        f"decision_reason = '{reopened}' || {T_CONFLICT}.decision_reason, reviewed_by_id = NULL, "
        f"reviewed_at = NULL, kept_enrollment_id = NULL "
        f"WHERE {T_CONFLICT}.status = '{ConflictStatus.RESOLVED}' "
        f"RETURNING id, decision_reason"
    )


def _lock_households(ids: list[int]) -> None:
    """Serialise concurrent checks that touch the same households (see the module docstring)."""
    if not _is_postgres() or not connection.features.has_select_for_update:
        return
    trig_households = f"SELECT e.household_id FROM {T_ENR} e WHERE e.id IN ({_id_set_sql()})"
    sql = (
        f"SELECT h.id FROM {T_HH} h WHERE h.id IN ("
        f"{trig_households} UNION "
        f"SELECT p2.household_id FROM ({_people_sql(trig_households)}) p1 "
        f"JOIN ({_people_sql()}) p2 ON p2.nik = p1.nik"
        f") ORDER BY h.id FOR NO KEY UPDATE"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_id_param(ids)] * sql.count("%s"))


def _close_dead(id_filter) -> int:
    """Close the open conflicts of enrollments (matching ``id_filter``) that are cancelled or
    rejected; the other side, if still live, is recorded as the one kept."""
    dead = Enrollment.objects.filter(status__in=DEAD_STATUSES)
    if id_filter is not None:
        dead = dead.filter(id__in=id_filter)
    other_live_a = Exists(Enrollment.objects.filter(pk=OuterRef("enrollment_a_id"), status__in=LIVE_STATUSES))
    other_live_b = Exists(Enrollment.objects.filter(pk=OuterRef("enrollment_b_id"), status__in=LIVE_STATUSES))
    return (
        Conflict.objects.filter(status=ConflictStatus.OPEN)
        .filter(Q(enrollment_a__in=dead.values("pk")) | Q(enrollment_b__in=dead.values("pk")))
        .update(
            status=ConflictStatus.RESOLVED,
            reviewed_at=timezone.now(),
            reviewed_by=None,
            decision_reason=_("Otomatis: salah satu kepesertaan dibatalkan atau ditolak."),
            kept_enrollment=Case(
                When(other_live_a, then=F("enrollment_a_id")),
                When(other_live_b, then=F("enrollment_b_id")),
                default=None,
            ),
        )
    )


def _insert(*, triggered: bool, ids: list[int] | None = None) -> tuple[set[int], set[int]]:
    """Run the INSERT; return (ids of new conflicts, ids of reopened ones). A new row has an empty
    decision reason; a reopened one always carries the "Dibuka kembali" note."""
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = _insert_sql(triggered=triggered)
    # Placeholders in textual order: created_at, then the same id list wherever the pairs need it.
    id_param = _id_param(ids) if triggered else None
    params = [stamp] + [id_param] * (sql.count("%s") - 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    new, reopened = set(), set()
    for pk, reason in rows:
        (reopened if reason else new).add(pk)
    return new, reopened


def check_enrollments(enrollment_ids) -> list[Conflict]:
    """Check these enrollments against the one-aid rule, in the caller's transaction.

    Returns the open conflicts that involve them, with ``created_now`` set on each: True for a
    conflict this check created or reopened, False for one that was already open. Closes the open
    conflicts of those that are cancelled or rejected. Four statements whatever the batch size.
    """
    ids = sorted({int(pk) for pk in enrollment_ids if pk is not None})
    if not ids:
        return []
    _lock_households(ids)
    id_filter = RawSQL(_id_set_sql(), [_id_param(ids)])
    _close_dead(id_filter)
    new, reopened = _insert(triggered=True, ids=ids)
    fresh = new | reopened
    conflicts = list(
        Conflict.objects.filter(status=ConflictStatus.OPEN)
        .filter(
            Q(enrollment_a_id__in=RawSQL(_id_set_sql(), [_id_param(ids)]))
            | Q(enrollment_b_id__in=RawSQL(_id_set_sql(), [_id_param(ids)]))
        )
        .select_related("household", "enrollment_a__program", "enrollment_b__program")
        .order_by("id")
    )
    for conflict in conflicts:
        conflict.created_now = conflict.pk in fresh
    return conflicts


@dataclass
class ScanResult:
    """What a full re-check found: conflicts created, reopened, closed, and those already open."""

    new: int = 0
    reopened: int = 0
    closed: int = 0
    existing_open: int = 0
    open_total: int = 0
    open_by_rule: dict = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "new": self.new,
            "reopened": self.reopened,
            "closed": self.closed,
            "existing_open": self.existing_open,
            "open_total": self.open_total,
            "open_by_rule": self.open_by_rule,
        }


@transaction.atomic
def scan_all() -> ScanResult:
    """Re-check the whole registry (``manage.py dedup_scan``). Idempotent: a second run finds
    nothing new. Concurrent saves run their own checks, so the scan takes no locks."""
    result = ScanResult()
    result.closed = _close_dead(None)
    new, reopened = _insert(triggered=False)
    result.new, result.reopened, result.new_ids = len(new), len(reopened), sorted(new)
    counts = _open_counts()
    result.open_by_rule = counts
    result.open_total = sum(counts.values())
    result.existing_open = result.open_total - result.new - result.reopened
    return result


def _open_counts() -> dict[str, int]:
    rows = Conflict.objects.filter(status=ConflictStatus.OPEN).values("rule").annotate(n=Count("id")).order_by("rule")
    return {row["rule"]: row["n"] for row in rows}
