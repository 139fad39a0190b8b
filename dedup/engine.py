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
statements for a form's save, whatever the size of the registry. A batch of more than
``SMALL_BATCH`` enrollments on PostgreSQL (an import) first stages itself in three temporary tables
(seven more statements, still none per row); see ``bench/bench_dedup.py`` for the figures.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import Case, RawSQL, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dedup.models import CompatiblePair, Conflict, ConflictRule, ConflictStatus
from households.models import Household, Member
from programs.models import LIVE_STATUSES, Enrollment, EnrollmentStatus

# Statuses that end an enrollment's claim to aid: their open conflicts are closed automatically.
DEAD_STATUSES = (EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED)
# Texts written into the database (decision reasons, automatic notes) are always in Indonesian,
# the registry's language, whatever language the user who triggered the write reads the UI in.
STORED_LANGUAGE = "id"

T_ENR = Enrollment._meta.db_table
T_HH = Household._meta.db_table
T_MEM = Member._meta.db_table
T_CONFLICT = Conflict._meta.db_table
T_COMPAT = CompatiblePair._meta.db_table


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _id_param(ids: list[int]) -> str:
    """The id list as one literal: ``{1,2,3}`` for PostgreSQL (cast to ``bigint[]`` in the SQL; a
    Python list would be sent as ``ARRAY[1,2,3]``, thousands of expression nodes the planner walks
    again and again), a JSON array for SQLite."""
    if _is_postgres():
        return "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    return json.dumps([int(pk) for pk in ids])


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


# Up to this many ids, PostgreSQL gets them as one ``= ANY(array)`` literal: the best plan for a
# form's save, in four statements. A larger batch (an import) goes through a temporary table.
SMALL_BATCH = 200


def _false() -> str:
    return "false" if _is_postgres() else "0"


@dataclass
class _Ids:
    """Where the enrollments to check come from, as SQL: ``predicate`` filters ``e.id`` (``{col}``
    is replaced by the column), ``subquery`` lists the ids; both take ``params`` (zero or one).
    ``tables``: for a large batch, the temporary tables (trig, trig_hh, links) already computed."""

    predicate: str
    subquery: str
    params: list
    tables: tuple[str, str, str] | None = None


def _ids_source(ids: list[int]) -> _Ids:
    if _is_postgres():
        literal = _id_param(ids)
        return _Ids("{col} = ANY(%s::bigint[])", "SELECT unnest(%s::bigint[])", [literal])
    return _Ids("{col} IN (SELECT value FROM json_each(%s))", "SELECT value FROM json_each(%s)", [_id_param(ids)])


def _people_and_links(*, member_filter: str, head_filter: str, other: str) -> tuple[str, str]:
    """SQL of ``p1`` (household_id, nik) of every person the households on the first side stand for:
    live members with a NIK and the head's NIK (records merged away and absent members stand for no
    one); and of ``links`` (h1, h2, nik): a household h1 of ``p1`` and another household h2 sharing
    a person, with one shared NIK as evidence. The second side joins the member and household tables
    directly so that the planner uses their NIK statistics and indexes."""
    people = (
        f"SELECT m.household_id AS household_id, m.nik AS nik FROM {T_MEM} m "
        f"WHERE m.nik <> '' AND m.is_absent = {_false()}{member_filter} "
        f"UNION ALL "
        f"SELECT h.id AS household_id, h.head_nik AS nik FROM {T_HH} h "
        f"WHERE h.head_nik <> '' AND h.merged_into_id IS NULL{head_filter}"
    )
    links = (
        f"SELECT l.h1 AS h1, l.h2 AS h2, MIN(l.nik) AS nik FROM ("
        f"SELECT p1.household_id AS h1, m2.household_id AS h2, p1.nik AS nik FROM p1 "
        f"JOIN {T_MEM} m2 ON m2.nik = p1.nik AND m2.is_absent = {_false()} AND m2.household_id {other} p1.household_id "
        f"UNION ALL "
        f"SELECT p1.household_id, h2.id, p1.nik FROM p1 "
        f"JOIN {T_HH} h2 ON h2.head_nik = p1.nik AND h2.merged_into_id IS NULL AND h2.id {other} p1.household_id"
        f") l GROUP BY l.h1, l.h2"
    )
    return people, links


def _temp_ids_source(ids: list[int]) -> _Ids:
    """A large batch on PostgreSQL (an import): the checked live enrollments, their households and
    the households linked to them by a shared NIK are computed once into temporary tables with
    statistics (ANALYZE), so that the lock and the insert read them instead of recomputing them,
    with plans sized for their real row counts. The tables are dropped at commit."""
    suffix = uuid.uuid4().hex[:16]
    trig, households, links = f"dedup_trig_{suffix}", f"dedup_hh_{suffix}", f"dedup_links_{suffix}"
    people, links_sql = _people_and_links(
        member_filter=f" AND m.household_id IN (SELECT household_id FROM {households})",
        head_filter=f" AND h.id IN (SELECT household_id FROM {households})",
        other="<>",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {trig} ON COMMIT DROP AS "
            f"SELECT e.id, e.household_id, e.program_id, e.year FROM {T_ENR} e "
            f"WHERE e.id IN (SELECT unnest(%s::bigint[])) AND e.status IN ({_live_sql()})",
            [_id_param(ids)],
        )
        cursor.execute(f"CREATE TEMPORARY TABLE {households} ON COMMIT DROP AS SELECT DISTINCT household_id FROM {trig}")
        cursor.execute(f"ANALYZE {trig}, {households}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {links} ON COMMIT DROP AS WITH p1 AS MATERIALIZED ({people}) {links_sql}"
        )
        cursor.execute(f"ANALYZE {links}")
    return _Ids(
        "{col} IN (SELECT unnest(%s::bigint[]))", "SELECT unnest(%s::bigint[])", [_id_param(ids)],
        tables=(trig, households, links),
    )


def _with_sql(source: _Ids | None) -> str:
    """The common table expressions every statement starts from, computed once each:

    ``trig``    the enrollments to check that are live (every live one for the full scan);
    ``trig_hh`` their households;
    ``links``   (h1, h2, nik): a household of ``trig_hh`` and another one sharing a person.

    For a large batch they are the temporary tables of :func:`_temp_ids_source`, read in place.
    """
    live = _live_sql()
    if source is not None and source.tables:
        trig, households, links = source.tables
        return (
            f"WITH trig AS NOT MATERIALIZED (SELECT id, household_id, program_id, year FROM {trig}), "
            f"trig_hh AS NOT MATERIALIZED (SELECT household_id FROM {households}), "
            f"links AS NOT MATERIALIZED (SELECT h1, h2, nik FROM {links}) "
        )
    columns = "e.id, e.household_id, e.program_id, e.year"
    if source is not None:
        trig = f"SELECT {columns} FROM {T_ENR} e WHERE {source.predicate.format(col='e.id')} AND e.status IN ({live})"
        people, links = _people_and_links(
            member_filter=" AND m.household_id IN (SELECT household_id FROM trig_hh)",
            head_filter=" AND h.id IN (SELECT household_id FROM trig_hh)",
            other="<>",
        )
    else:
        trig = f"SELECT {columns} FROM {T_ENR} e WHERE e.status IN ({live})"
        # Every household is on the first side too: each linked pair once, lower id first.
        people, links = _people_and_links(member_filter="", head_filter="", other=">")
    return (
        f"WITH trig AS MATERIALIZED ({trig}), "
        f"trig_hh AS MATERIALIZED (SELECT DISTINCT household_id FROM trig), "
        f"p1 AS MATERIALIZED ({people}), "
        f"links AS MATERIALIZED ({links}) "
    )


def _pairs_sql(*, triggered: bool) -> str:
    """SELECT of the conflicting pairs as (lo, hi, household_id, rule, year, nik, hh_lo, hh_hi),
    over the CTEs of :func:`_with_sql`."""
    live = _live_sql()
    # With a checked batch, a pair whose two sides were both checked appears twice; DISTINCT keeps
    # one. The full scan takes each pair once (o.id > t.id; links ordered h1 < h2).
    one_aid_order = "" if triggered else " AND o.id > t.id"
    distinct = "DISTINCT " if triggered else ""
    lo = "CASE WHEN t.id < o.id THEN t.id ELSE o.id END"
    hi = "CASE WHEN t.id < o.id THEN o.id ELSE t.id END"
    hh_lo = "CASE WHEN t.id < o.id THEN t.household_id ELSE o.household_id END"
    hh_hi = "CASE WHEN t.id < o.id THEN o.household_id ELSE t.household_id END"
    one_aid = (
        f"SELECT {lo} AS lo, {hi} AS hi, t.household_id AS household_id, '{ConflictRule.ONE_AID}' AS rule, "
        f"t.year AS year, '' AS nik, t.household_id AS hh_lo, t.household_id AS hh_hi "
        f"FROM trig t JOIN {T_ENR} o ON o.household_id = t.household_id AND o.year = t.year "
        f"AND o.program_id <> t.program_id AND o.status IN ({live}){one_aid_order} "
        f"WHERE NOT {_compatible_sql('t', 'o')}"
    )
    same_person = (
        f"SELECT {lo} AS lo, {hi} AS hi, {hh_lo} AS household_id, '{ConflictRule.SAME_PERSON}' AS rule, "
        f"t.year AS year, l.nik AS nik, {hh_lo} AS hh_lo, {hh_hi} AS hh_hi "
        f"FROM trig t JOIN links l ON l.h1 = t.household_id "
        f"JOIN {T_ENR} o ON o.household_id = l.h2 AND o.year = t.year AND o.status IN ({live}) "
        f"WHERE (o.program_id = t.program_id OR NOT {_compatible_sql('t', 'o')})"
    )
    return f"SELECT {distinct}* FROM ({one_aid} UNION ALL {same_person}) pairs"


def _insert_sql(source: _Ids | None) -> str:
    """INSERT the pairs; an existing pair is left alone unless it was resolved and both of its
    enrollments are live again, in which case it is reopened with a note of the earlier decision."""
    obj, arr = _json_object(), _json_array()
    evidence = (
        f"CASE WHEN p.rule = '{ConflictRule.SAME_PERSON}' "
        f"THEN {obj}('year', p.year, 'nik', p.nik, 'household_ids', {arr}(p.hh_lo, p.hh_hi)) "
        f"ELSE {obj}('year', p.year) END"
    )
    # Stored text: always in Indonesian, whatever language the user who triggered the check reads.
    # One whole sentence for translators; the earlier decision is spliced in by SQL at the placeholder.
    with override(STORED_LANGUAGE):
        reopened = _("Dibuka kembali: kedua kepesertaan aktif lagi. Keputusan sebelumnya: %(previous)s")
    before, after = (part.replace("'", "''") for part in reopened.split("%(previous)s", 1))
    return (
        f"{_with_sql(source)}"
        f"INSERT INTO {T_CONFLICT} (household_id, enrollment_a_id, enrollment_b_id, rule, status, evidence, "
        f"decision_reason, created_at) "
        f"SELECT p.household_id, p.lo, p.hi, p.rule, '{ConflictStatus.OPEN}', {evidence}, '', %s "
        f"FROM ({_pairs_sql(triggered=source is not None)}) p WHERE 1 = 1 "
        f"ON CONFLICT (enrollment_a_id, enrollment_b_id) DO UPDATE SET status = '{ConflictStatus.OPEN}', "
        f"decision_reason = '{before}' || {T_CONFLICT}.decision_reason || '{after}', reviewed_by_id = NULL, "
        f"reviewed_at = NULL, kept_enrollment_id = NULL "
        f"WHERE {T_CONFLICT}.status = '{ConflictStatus.RESOLVED}' "
        f"RETURNING id, decision_reason"
    )


def _lock_households(source: _Ids) -> None:
    """Serialise concurrent checks that touch the same households (see the module docstring)."""
    if not _is_postgres() or not connection.features.has_select_for_update:
        return
    sql = (
        f"{_with_sql(source)}"
        f"SELECT h.id FROM {T_HH} h WHERE h.id IN (SELECT household_id FROM trig_hh UNION SELECT h2 FROM links) "
        f"ORDER BY h.id FOR NO KEY UPDATE OF h"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [] if source.tables else source.params)


def _close_dead(id_filter) -> int:
    """Close the open conflicts of enrollments (matching ``id_filter``) that are cancelled or
    rejected; the other side, if still live, is recorded as the one kept."""
    dead = Enrollment.objects.filter(status__in=DEAD_STATUSES)
    if id_filter is not None:
        dead = dead.filter(id__in=id_filter)
    with override(STORED_LANGUAGE):  # stored text: always Indonesian, whatever the user reads
        note = _("Otomatis: salah satu kepesertaan dibatalkan atau ditolak.")
    other_live_a = Exists(Enrollment.objects.filter(pk=OuterRef("enrollment_a_id"), status__in=LIVE_STATUSES))
    other_live_b = Exists(Enrollment.objects.filter(pk=OuterRef("enrollment_b_id"), status__in=LIVE_STATUSES))
    return (
        Conflict.objects.filter(status=ConflictStatus.OPEN)
        .filter(Q(enrollment_a__in=dead.values("pk")) | Q(enrollment_b__in=dead.values("pk")))
        .update(
            status=ConflictStatus.RESOLVED,
            reviewed_at=timezone.now(),
            reviewed_by=None,
            decision_reason=note,
            kept_enrollment=Case(
                When(other_live_a, then=F("enrollment_a_id")),
                When(other_live_b, then=F("enrollment_b_id")),
                default=None,
            ),
        )
    )


def _insert(source: _Ids | None) -> tuple[set[int], set[int]]:
    """Run the INSERT; return (ids of new conflicts, ids of reopened ones). A new row has an empty
    decision reason; a reopened one always carries the "Dibuka kembali" note."""
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = _insert_sql(source)
    # Placeholders in textual order: the id list (in the WITH clause, when checking), created_at.
    params = [*(source.params if source is not None and not source.tables else []), stamp]
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
    conflicts of those that are cancelled or rejected. Four statements for up to ``SMALL_BATCH``
    enrollments, eleven for a larger batch on PostgreSQL; never one per enrollment.
    """
    ids = sorted({int(pk) for pk in enrollment_ids if pk is not None})
    if not ids:
        return []
    if _is_postgres() and len(ids) > SMALL_BATCH:
        # The temporary table lives until commit; the savepoint keeps a failure from leaving it.
        with transaction.atomic():
            return _check(_temp_ids_source(ids))
    return _check(_ids_source(ids))


def _check(source: _Ids) -> list[Conflict]:
    _lock_households(source)
    _close_dead(RawSQL(source.subquery, source.params))
    new, reopened = _insert(source)
    fresh = new | reopened
    open_conflicts = Conflict.objects.filter(status=ConflictStatus.OPEN)
    if source.tables is None:
        # A page's few conflicts, shown with their household and programs.
        conflicts = list(
            open_conflicts.filter(
                Q(enrollment_a_id__in=RawSQL(source.subquery, source.params))
                | Q(enrollment_b_id__in=RawSQL(source.subquery, source.params))
            )
            .select_related("household", "enrollment_a__program", "enrollment_b__program")
            .order_by("id")
        )
    else:
        # A large batch (an import, a distribution) is counted, and at most a few of its conflicts
        # are shown: no related objects (six model instances for each of tens of thousands of rows
        # would cost most of the check). One side at a time, as a UNION: an OR of two IN over
        # hundreds of thousands of ids is a subplan PostgreSQL cannot hash and rescans per conflict.
        by_a = open_conflicts.filter(enrollment_a_id__in=RawSQL(source.subquery, source.params)).order_by()
        by_b = open_conflicts.filter(enrollment_b_id__in=RawSQL(source.subquery, source.params)).order_by()
        conflicts = list(by_a.union(by_b).order_by("id"))
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
    new, reopened = _insert(None)
    result.new, result.reopened, result.new_ids = len(new), len(reopened), sorted(new)
    counts = _open_counts()
    result.open_by_rule = counts
    result.open_total = sum(counts.values())
    result.existing_open = result.open_total - result.new - result.reopened
    return result


def _open_counts() -> dict[str, int]:
    rows = Conflict.objects.filter(status=ConflictStatus.OPEN).values("rule").annotate(n=Count("id")).order_by("rule")
    return {row["rule"]: row["n"] for row in rows}
