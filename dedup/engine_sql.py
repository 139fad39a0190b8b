"""The SQL of the one-aid engine (``dedup.engine``): where the households to re-check come from, the
pairs that break the rule, and whether a recorded pair still breaks it. Text builders only; the
engine runs the statements.

Every statement starts from ``trig_hh``, the households to re-check, and ``trig``, their enrollments
that count as aid (``ONE_AID_STATUSES``: proposed, active, completed); ``links`` pairs a household of
``trig_hh`` with every other household sharing a person (a NIK among its live members or as its
head, when the family is in the newest data: :func:`head_stands`) with it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.db import connection

from dedup.models import CompatiblePair, Conflict, ConflictRule, ConflictStatus
from households.models import Household, Member
from konut_registry.db import pg_array
from programs.models import ONE_AID_STATUSES, Enrollment, EnrollmentStatus

# Statuses that end an enrollment's claim to aid: their open conflicts are closed automatically.
DEAD_STATUSES = (EnrollmentStatus.CANCELLED, EnrollmentStatus.REJECTED)

T_ENR = Enrollment._meta.db_table
T_HH = Household._meta.db_table
T_MEM = Member._meta.db_table
T_CONFLICT = Conflict._meta.db_table
T_COMPAT = CompatiblePair._meta.db_table

# Up to this many ids, PostgreSQL gets them as one ``= ANY(array)`` literal: the best plan for a
# form's save, in a handful of statements. A larger batch (an import) goes through temporary tables.
SMALL_BATCH = 200
# A staged batch holding at least one household in this many of the registry's finds the NIKs two
# households share in one pass over everyone first, and looks up only its people holding one of them;
# a smaller one looks up each of its people through the indexes.
WIDE_BATCH_SHARE = 10


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def id_param(ids: list[int]) -> str:
    """The id list as one literal: ``{1,2,3}`` for PostgreSQL (cast to ``bigint[]`` in the SQL; a
    Python list would be sent as ``ARRAY[1,2,3]``, thousands of expression nodes the planner walks
    again and again), a JSON array for SQLite."""
    if is_postgres():
        return pg_array(ids, numbers=True)
    return json.dumps([int(pk) for pk in ids])


def ids_subquery() -> str:
    """A subquery listing the ids of one :func:`id_param` literal, column ``id``."""
    if is_postgres():
        return "SELECT unnest(%s::bigint[]) AS id"
    return "SELECT value AS id FROM json_each(%s)"


def json_object() -> str:
    return "jsonb_build_object" if is_postgres() else "json_object"


def json_array() -> str:
    return "jsonb_build_array" if is_postgres() else "json_array"


def false() -> str:
    return "false" if is_postgres() else "0"


def head_stands(alias: str) -> str:
    """SQL: the head's NIK on household record ``alias`` stands for a person, for the one-aid rule
    and the identity scan alike: the record is not merged away, and the family is in the newest data.

    An absent family keeps the head's NIK it was last given, as a record of what the data said; it
    is no proof that the head still belongs to it. A head who left for another family (a verval
    approval moves them there, a later extract lists them there) holds the NIK there alone, and
    Bappeda would otherwise be sent, by both queues, to decide about a family that is no longer in
    the data, for a person it already knows where to find. The absent family's members still stand
    for themselves while they are not marked absent (a head still living in it is one of them), so
    no person who really is in two families is lost."""
    return f"{alias}.merged_into_id IS NULL AND {alias}.is_absent = {false()}"


def sql_text(text: str) -> str:
    """``text`` as an SQL string literal inside a statement run with parameters."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def aid_sql() -> str:
    """The statuses in which an enrollment counts as aid of its year (``ONE_AID_STATUSES``), as SQL."""
    return ", ".join(f"'{status}'" for status in ONE_AID_STATUSES)


def dead_sql() -> str:
    return ", ".join(f"'{status}'" for status in DEAD_STATUSES)


def compatible_sql(left: str, right: str) -> str:
    """True when Bappeda declared the programs of enrollments ``left`` and ``right`` compatible."""
    return (
        f"EXISTS (SELECT 1 FROM {T_COMPAT} cp WHERE "
        f"(cp.program_a_id = {left}.program_id AND cp.program_b_id = {right}.program_id) OR "
        f"(cp.program_a_id = {right}.program_id AND cp.program_b_id = {left}.program_id))"
    )


@dataclass
class Source:
    """The households to re-check, as SQL: ``households`` selects their ids (column
    ``household_id``) with ``params``. ``tables``: for a large batch, the temporary tables (trig,
    trig_hh, links) already computed. ``enrollment_ids``: the enrollments a save handed over, whose
    households these are (None when the caller named households)."""

    households: str
    params: list
    tables: tuple[str, str, str] | None = None
    enrollment_ids: list[int] | None = None
    # A staged batch: whether its links are found through the NIKs shared registry-wide (a batch
    # that is a good part of the registry), as :func:`restage` does them again.
    wide: bool = False


def households_source(household_ids: list[int]) -> Source:
    return Source(f"SELECT DISTINCT s.id AS household_id FROM ({ids_subquery()}) s", [id_param(household_ids)])


def enrollments_source(enrollment_ids: list[int]) -> Source:
    return Source(
        f"SELECT DISTINCT e.household_id AS household_id FROM {T_ENR} e WHERE e.id IN (SELECT s.id FROM ({ids_subquery()}) s)",
        [id_param(enrollment_ids)],
        enrollment_ids=enrollment_ids,
    )


def mixed_source(enrollment_ids: list[int], household_ids: list[int]) -> Source:
    """The households of these enrollments and these households."""
    if not household_ids:
        return enrollments_source(enrollment_ids)
    if not enrollment_ids:
        return households_source(household_ids)
    enrollments = enrollments_source(enrollment_ids)
    return Source(
        f"{enrollments.households} UNION SELECT s.id AS household_id FROM ({ids_subquery()}) s",
        [*enrollments.params, id_param(household_ids)],
        enrollment_ids=enrollment_ids,
    )


def people_and_links(*, member_filter: str, head_filter: str, other: str) -> tuple[str, str]:
    """SQL of ``p1`` (household_id, nik) of every person the households on the first side stand for:
    live members with a NIK and the head's NIK (records merged away and absent members stand for no
    one, nor does an absent family's head NIK: :func:`head_stands`); and of ``links`` (h1, h2, nik): a household h1 of ``p1`` and another household h2 sharing
    a person, with one shared NIK as evidence. The second side joins the member and household tables
    directly so that the planner uses their NIK statistics and indexes."""
    people = (
        f"SELECT m.household_id AS household_id, m.nik AS nik FROM {T_MEM} m "
        f"WHERE m.nik <> '' AND m.is_absent = {false()}{member_filter} "
        f"UNION ALL "
        f"SELECT h.id AS household_id, h.head_nik AS nik FROM {T_HH} h "
        f"WHERE h.head_nik <> '' AND {head_stands('h')}{head_filter}"
    )
    links = (
        f"SELECT l.h1 AS h1, l.h2 AS h2, MIN(l.nik) AS nik FROM ("
        f"SELECT p1.household_id AS h1, m2.household_id AS h2, p1.nik AS nik FROM p1 "
        f"JOIN {T_MEM} m2 ON m2.nik = p1.nik AND m2.is_absent = {false()} AND m2.household_id {other} p1.household_id "
        f"UNION ALL "
        f"SELECT p1.household_id, h2.id, p1.nik FROM p1 "
        f"JOIN {T_HH} h2 ON h2.head_nik = p1.nik AND {head_stands('h2')} AND h2.id {other} p1.household_id"
        f") l GROUP BY l.h1, l.h2"
    )
    return people, links


def _people_and_links_by_index(households: str) -> tuple[str, str]:
    """PostgreSQL's form of :func:`people_and_links` for a staged batch (same rows): each
    household's people, and each person's other households, looked up one by one through the
    household and NIK indexes (``LATERAL ... OFFSET 0`` keeps the planner from turning them into a
    sort or hash of every member of the registry, which costs several times more for a few thousand
    households of an import)."""
    people = (
        f"SELECT hh.household_id AS household_id, m.nik AS nik FROM {households} hh JOIN LATERAL ("
        f"SELECT m.nik FROM {T_MEM} m WHERE m.household_id = hh.household_id AND m.nik <> '' AND NOT m.is_absent "
        f"OFFSET 0) m ON true "
        f"UNION ALL "
        f"SELECT h.id, h.head_nik FROM {T_HH} h WHERE h.id IN (SELECT household_id FROM {households}) "
        f"AND h.head_nik <> '' AND {head_stands('h')}"
    )
    links = (
        f"SELECT l.h1 AS h1, l.h2 AS h2, MIN(l.nik) AS nik FROM ("
        f"SELECT p1.household_id AS h1, o.household_id AS h2, p1.nik AS nik FROM p1 JOIN LATERAL ("
        f"SELECT m2.household_id FROM {T_MEM} m2 WHERE m2.nik = p1.nik AND NOT m2.is_absent "
        f"AND m2.household_id <> p1.household_id OFFSET 0) o ON true "
        f"UNION ALL "
        f"SELECT p1.household_id, o.id, p1.nik FROM p1 JOIN LATERAL ("
        f"SELECT h2.id FROM {T_HH} h2 WHERE h2.head_nik = p1.nik AND {head_stands('h2')} "
        f"AND h2.id <> p1.household_id OFFSET 0) o ON true"
        f") l GROUP BY l.h1, l.h2"
    )
    return people, links


def _people_and_links_of_shared(cursor, households: str, table: str, *, create: bool = True) -> tuple[str, str]:
    """PostgreSQL's form of :func:`people_and_links` for a batch that is a good part of the registry
    (a first import, a province's yearly distribution; same rows): the NIKs that two households or
    more stand for are found by grouping everyone once, and only the batch's people holding one of
    those few, staged in ``table`` with statistics, are looked up through the NIK indexes. Joining
    every person of the batch to every member and head by NIK hashed or sorted both sides in full
    for the handful that match. A link needs a NIK of two households: none is lost."""
    everyone = people_and_links(member_filter="", head_filter="", other="<>")[0]
    shared = f"SELECT s.nik FROM ({everyone}) s GROUP BY s.nik HAVING MIN(s.household_id) <> MAX(s.household_id)"
    batch_people = people_and_links(
        member_filter=f" AND m.household_id IN (SELECT household_id FROM {households})",
        head_filter=f" AND h.id IN (SELECT household_id FROM {households})",
        other="<>",
    )[0]
    select = f"SELECT p.household_id AS household_id, p.nik AS nik FROM ({batch_people}) p WHERE p.nik IN ({shared})"
    if create:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {select}")
    else:
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(f"INSERT INTO {table} {select}")
    # Its real size: planned on a guess of a third of the batch's people, the lookups below cost
    # enough for PostgreSQL to compile them (JIT, a second and more).
    cursor.execute(f"ANALYZE {table}")
    return f"SELECT household_id, nik FROM {table}", _people_and_links_by_index(households)[1]


def _analyze_if_unknown(cursor, households: str) -> tuple[int, float]:
    """ANALYZE the households and members when their statistics do not yet know this batch's
    households. An import writes them in the same transaction, which autovacuum cannot see until
    commit; planned on an empty registry's statistics, the links below scan every member per
    household (a first Konut import: 54 s instead of under 2 s). ANALYZE counts this transaction's
    own rows. Only the columns the links join and filter on are analysed (the households and
    members have some forty others, which a full ANALYZE would sort through for nothing: most of
    its time on a first import). A re-sync of a known registry skips it."""
    cursor.execute(f"SELECT count(*) FROM {households}")
    batch = cursor.fetchone()[0]
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [T_HH])
    known = cursor.fetchone()[0]
    if known < 2 * batch:
        cursor.execute(f"ANALYZE {T_HH} (id, head_nik, merged_into_id, is_absent), {T_MEM} (household_id, nik, is_absent)")
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [T_HH])
        known = cursor.fetchone()[0]
    return batch, known


def temp_source(source: Source, cursor) -> Source:
    """A large batch on PostgreSQL (an import): the households, their aid (enrollments that count) and the
    households linked to them are computed once into temporary tables with statistics (ANALYZE), so
    that every statement reads them instead of recomputing them, with plans sized for their real row
    counts. The tables are dropped at commit."""
    suffix = uuid.uuid4().hex[:16]
    trig, households, links = f"dedup_trig_{suffix}", f"dedup_hh_{suffix}", f"dedup_links_{suffix}"
    cursor.execute(f"CREATE TEMPORARY TABLE {households} ON COMMIT DROP AS {source.households}", source.params)
    batch, known = _analyze_if_unknown(cursor, households)
    # Statistics of the batch before anything joins it: a batch of thousands is then joined by hash.
    cursor.execute(f"ANALYZE {households}")
    staged = Source(
        f"SELECT household_id FROM {households}", [], tables=(trig, households, links),
        enrollment_ids=source.enrollment_ids, wide=batch * WIDE_BATCH_SHARE >= known,
    )
    _stage(staged, cursor, create=True)
    return staged


def snapshot(cursor) -> str:
    """Which transactions the registry shows committed now (PostgreSQL's ``pg_current_snapshot``),
    for :func:`committed_since`. This transaction's own id is taken first, so that being given one
    later does not read as another's commit."""
    cursor.execute("SELECT pg_current_xact_id()")
    cursor.execute("SELECT pg_current_snapshot()::text")
    return cursor.fetchone()[0]


def committed_since(before: str, cursor) -> bool:
    """Whether a transaction ended since ``before`` (:func:`snapshot`): one then in progress is no
    longer, or one begun since has ended (the snapshot's xmax moved on). An aborted one counts too:
    the answer errs towards staging again."""
    cursor.execute(
        "SELECT pg_snapshot_xmax(%s::pg_snapshot) <> pg_snapshot_xmax(pg_current_snapshot()) "
        "OR EXISTS (SELECT 1 FROM pg_snapshot_xip(%s::pg_snapshot) x "
        "WHERE x NOT IN (SELECT pg_snapshot_xip(pg_current_snapshot())))",
        [before, before],
    )
    return cursor.fetchone()[0]


def restage(staged: Source, cursor) -> None:
    """A staged batch's aid and links again, once its households are locked: what was
    staged before the lock misses what a concurrent write committed while this one waited for it
    (two lists of the same families saved at once would each judge by a copy without the other's
    aid). The statements after the lock read the registry as committed then, as a small batch's do."""
    trig, links = staged.tables[0], staged.tables[2]
    cursor.execute(f"TRUNCATE {trig}, {links}")
    _stage(staged, cursor, create=False)


def _stage(staged: Source, cursor, *, create: bool) -> None:
    """Fill (``create``: create) a staged batch's aid (enrollments that count) and links, with statistics."""
    trig, households, links = staged.tables
    enrollments = (
        f"SELECT e.id, e.household_id, e.program_id, e.year FROM {T_ENR} e "
        f"WHERE e.household_id IN (SELECT household_id FROM {households}) AND e.status IN ({aid_sql()})"
    )
    cursor.execute(f"CREATE TEMPORARY TABLE {trig} ON COMMIT DROP AS {enrollments}" if create else f"INSERT INTO {trig} {enrollments}")
    cursor.execute(f"ANALYZE {trig}")
    if staged.wide:
        people, links_sql = _people_and_links_of_shared(cursor, households, f"{households}_people", create=create)
    else:
        people, links_sql = _people_and_links_by_index(households)
    linked = f"WITH p1 AS MATERIALIZED ({people}) {links_sql}"
    cursor.execute(f"CREATE TEMPORARY TABLE {links} ON COMMIT DROP AS {linked}" if create else f"INSERT INTO {links} {linked}")
    cursor.execute(f"ANALYZE {links}")


def with_sql(source: Source | None) -> str:
    """The common table expressions the lock and the insert start from, computed once each:

    ``trig_hh`` the households to re-check (every household with aid for the full scan);
    ``trig``    their enrollments that count as aid (``ONE_AID_STATUSES``);
    ``links``   (h1, h2, nik): a household of ``trig_hh`` and another one sharing a person.

    For a large batch they are the temporary tables of :func:`temp_source`, read in place.
    """
    aid = aid_sql()
    if source is not None and source.tables:
        trig, households, links = source.tables
        return (
            f"WITH trig AS NOT MATERIALIZED (SELECT id, household_id, program_id, year FROM {trig}), "
            f"trig_hh AS NOT MATERIALIZED (SELECT household_id FROM {households}), "
            f"links AS NOT MATERIALIZED (SELECT h1, h2, nik FROM {links}) "
        )
    columns = "e.id, e.household_id, e.program_id, e.year"
    if source is not None:
        households = source.households
        trig = (
            f"SELECT {columns} FROM {T_ENR} e WHERE e.household_id IN (SELECT household_id FROM trig_hh) "
            f"AND e.status IN ({aid})"
        )
        people, links = people_and_links(
            member_filter=" AND m.household_id IN (SELECT household_id FROM trig_hh)",
            head_filter=" AND h.id IN (SELECT household_id FROM trig_hh)",
            other="<>",
        )
        links_ctes = f"p1 AS MATERIALIZED ({people}), links AS MATERIALIZED ({links})"
    else:
        households = f"SELECT DISTINCT e.household_id AS household_id FROM {T_ENR} e WHERE e.status IN ({aid})"
        trig = f"SELECT {columns} FROM {T_ENR} e WHERE e.status IN ({aid})"
        links_ctes = _shared_links_sql()
    return f"WITH trig_hh AS MATERIALIZED ({households}), trig AS MATERIALIZED ({trig}), {links_ctes} "


def _shared_links_sql() -> str:
    """The full scan's ``links`` (each linked pair of households once, lower id first, the lowest
    shared NIK as evidence: the rows :func:`people_and_links` gives with every household on the
    first side), as common table expressions: the NIKs that two households or more stand for, found
    by grouping everyone once, then the households holding those few. Joining every person to every
    member and head by NIK cost about half as much again at province scale (2.8 million people)."""
    people = people_and_links(member_filter="", head_filter="", other=">")[0]
    return (
        f"people AS ({people}), "
        f"shared AS MATERIALIZED (SELECT nik FROM people GROUP BY nik HAVING MIN(household_id) <> MAX(household_id)), "
        f"held AS MATERIALIZED (SELECT DISTINCT household_id, nik FROM people WHERE nik IN (SELECT nik FROM shared)), "
        f"links AS MATERIALIZED (SELECT a.household_id AS h1, b.household_id AS h2, MIN(a.nik) AS nik "
        f"FROM held a JOIN held b ON b.nik = a.nik AND b.household_id > a.household_id "
        f"GROUP BY a.household_id, b.household_id)"
    )


def with_params(source: Source | None) -> list:
    return list(source.params) if source is not None and not source.tables else []


def pairs_sql(*, triggered: bool, enrollments: str = T_ENR) -> str:
    """SELECT of the conflicting pairs as (lo, hi, household_id, rule, year, nik, hh_lo, hh_hi),
    over the CTEs of :func:`with_sql`. ``enrollments``: where the linked households' aid is read
    (the registry's enrollments; a forecast's as they would stand, :func:`forecast_sql`)."""
    aid = aid_sql()
    # ``trig`` holds every enrollment of its households that counts as aid, so both sides of a one_aid pair are
    # in it: the pair is read from ``trig`` alone (not from every enrollment of the registry), once
    # (o.id > t.id). A same_person pair of two checked households appears twice; DISTINCT keeps one
    # (the full scan takes each once: links ordered h1 < h2).
    distinct = "DISTINCT " if triggered else ""
    lo = "CASE WHEN t.id < o.id THEN t.id ELSE o.id END"
    hi = "CASE WHEN t.id < o.id THEN o.id ELSE t.id END"
    hh_lo = "CASE WHEN t.id < o.id THEN t.household_id ELSE o.household_id END"
    hh_hi = "CASE WHEN t.id < o.id THEN o.household_id ELSE t.household_id END"
    one_aid = (
        f"SELECT t.id AS lo, o.id AS hi, t.household_id AS household_id, '{ConflictRule.ONE_AID}' AS rule, "
        f"t.year AS year, '' AS nik, t.household_id AS hh_lo, t.household_id AS hh_hi "
        f"FROM trig t JOIN trig o ON o.household_id = t.household_id AND o.year = t.year "
        f"AND o.program_id <> t.program_id AND o.id > t.id "
        f"WHERE NOT {compatible_sql('t', 'o')}"
    )
    same_person = (
        f"SELECT {distinct}{lo} AS lo, {hi} AS hi, {hh_lo} AS household_id, '{ConflictRule.SAME_PERSON}' AS rule, "
        f"t.year AS year, l.nik AS nik, {hh_lo} AS hh_lo, {hh_hi} AS hh_hi "
        f"FROM trig t JOIN links l ON l.h1 = t.household_id "
        f"JOIN {enrollments} o ON o.household_id = l.h2 AND o.year = t.year AND o.status IN ({aid}) "
        f"WHERE (o.program_id = t.program_id OR NOT {compatible_sql('t', 'o')})"
    )
    return f"SELECT * FROM ({one_aid} UNION ALL {same_person}) pairs"


def _rows_sql(rows: list[tuple], columns: tuple[tuple[str, str], ...]) -> tuple[str, list]:
    """A subquery listing ``rows`` (tuples of ``columns``' values; ``columns``: (name, PostgreSQL
    type) each), with its parameters: one array per column for PostgreSQL, one JSON text for SQLite."""
    if is_postgres():
        arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
        names = ", ".join(name for name, _kind in columns)
        values = list(zip(*rows)) if rows else [()] * len(columns)
        params = [pg_array(column, numbers=kind != "text") for column, (_name, kind) in zip(values, columns)]
        return f"SELECT * FROM unnest({arrays}) AS v({names})", params
    picked = ", ".join(f"json_extract(v.value, '$[{index}]') AS {name}" for index, (name, _kind) in enumerate(columns))
    return f"SELECT {picked} FROM json_each(%s) v", [json.dumps([list(row) for row in rows])]


def forecast_sql(planned: list[tuple], restated: list[tuple]) -> tuple[str, list]:
    """SELECT of the pairs a re-check would create or reopen (``pairs_sql`` with the insert's own
    test of what is recorded) if the enrollments ``planned`` ((id, household, program, year,
    status) each, ids below zero: not written yet) were written and those of ``restated`` ((id,
    status) each) took their new status, over the enrollments as they would then stand
    (``future``), with its parameters. Rows: (lo, hi, rule, year, household of lo, household of
    hi). Nothing is written."""
    planned_sql, planned_params = _rows_sql(
        planned, (("id", "bigint"), ("household_id", "bigint"), ("program_id", "bigint"), ("year", "int"), ("status", "text"))
    )
    restated_sql, restated_params = _rows_sql(restated, (("id", "bigint"), ("status", "text")))
    people, links = people_and_links(
        member_filter=" AND m.household_id IN (SELECT household_id FROM trig_hh)",
        head_filter=" AND h.id IN (SELECT household_id FROM trig_hh)",
        other="<>",
    )
    future = (
        f"SELECT e.id AS id, e.household_id AS household_id, e.program_id AS program_id, e.year AS year, "
        f"COALESCE(r.status, e.status) AS status FROM {T_ENR} e LEFT JOIN restated r ON r.id = e.id "
        f"WHERE e.household_id IN (SELECT household_id FROM trig_hh UNION SELECT h2 FROM links) "
        f"UNION ALL SELECT id, household_id, program_id, year, status FROM planned"
    )
    statement = (
        f"WITH planned AS MATERIALIZED ({planned_sql}), restated AS MATERIALIZED ({restated_sql}), "
        f"trig_hh AS MATERIALIZED (SELECT household_id FROM planned UNION "
        f"SELECT e.household_id FROM {T_ENR} e WHERE e.id IN (SELECT id FROM restated)), "
        f"p1 AS MATERIALIZED ({people}), links AS MATERIALIZED ({links}), future AS MATERIALIZED ({future}), "
        f"trig AS MATERIALIZED (SELECT id, household_id, program_id, year FROM future "
        f"WHERE household_id IN (SELECT household_id FROM trig_hh) AND status IN ({aid_sql()})) "
        f"SELECT p.lo, p.hi, p.rule, p.year, p.hh_lo, p.hh_hi "
        f"FROM ({pairs_sql(triggered=True, enrollments='future')}) p "
        # Recorded and not resolved (open, approved, dismissed): the insert leaves the pair alone.
        f"LEFT JOIN {T_CONFLICT} c ON c.enrollment_a_id = p.lo AND c.enrollment_b_id = p.hi "
        f"WHERE c.id IS NULL OR c.status = '{ConflictStatus.RESOLVED}' ORDER BY p.lo, p.hi"
    )
    return statement, [*planned_params, *restated_params]


def _share_a_person(left: str, right: str) -> str:
    """True when households ``left`` and ``right`` (SQL expressions) stand for one person: the same
    NIK among their live members or as their heads, as ``links`` counts it."""
    f = false()
    return (
        f"EXISTS (SELECT 1 FROM {T_MEM} m1 JOIN {T_MEM} m2 ON m2.nik = m1.nik WHERE m1.household_id = {left} "
        f"AND m2.household_id = {right} AND m1.nik <> '' AND m1.is_absent = {f} AND m2.is_absent = {f}) "
        f"OR EXISTS (SELECT 1 FROM {T_MEM} m1 JOIN {T_HH} h2 ON h2.head_nik = m1.nik WHERE m1.household_id = {left} "
        f"AND h2.id = {right} AND m1.nik <> '' AND m1.is_absent = {f} AND {head_stands('h2')}) "
        f"OR EXISTS (SELECT 1 FROM {T_HH} h1 JOIN {T_MEM} m2 ON m2.nik = h1.head_nik WHERE h1.id = {left} "
        f"AND m2.household_id = {right} AND h1.head_nik <> '' AND {head_stands('h1')} AND m2.is_absent = {f}) "
        f"OR EXISTS (SELECT 1 FROM {T_HH} h1 JOIN {T_HH} h2 ON h2.head_nik = h1.head_nik WHERE h1.id = {left} "
        f"AND h2.id = {right} AND h1.head_nik <> '' AND {head_stands('h1')} AND {head_stands('h2')})"
    )


def still_breaches_sql(conflict: str) -> str:
    """True when the recorded pair of ``conflict`` (a table name or alias) still breaks the rule as
    the registry stands, whatever the two enrollments' statuses: one household and two programs, or
    two households sharing a person (the same program counts too), in one year, and not a compatible
    pair. A member who moved family, a NIK corrected, a record merged away end the breach."""
    return (
        f"EXISTS (SELECT 1 FROM {T_ENR} ea JOIN {T_ENR} eb ON eb.id = {conflict}.enrollment_b_id "
        f"WHERE ea.id = {conflict}.enrollment_a_id AND ea.year = eb.year AND ("
        f"(ea.household_id = eb.household_id AND ea.program_id <> eb.program_id AND NOT {compatible_sql('ea', 'eb')}) "
        f"OR (ea.household_id <> eb.household_id AND (ea.program_id = eb.program_id OR NOT {compatible_sql('ea', 'eb')}) "
        f"AND ({_share_a_person('ea.household_id', 'eb.household_id')}))))"
    )


def scan_pairs_table(cursor) -> str:
    """The full scan on PostgreSQL: every pair that breaks the rule, computed once into a temporary
    table (dropped at commit) that both the close and the insert read. Returns its name."""
    table = f"dedup_pairs_{uuid.uuid4().hex[:16]}"
    cursor.execute(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {with_sql(None)}{pairs_sql(triggered=False)}")
    cursor.execute(f"ANALYZE {table}")
    return table


def scan_closing_sql(conflict: str, pairs: str) -> str:
    """True when the open conflict ``conflict`` (alias) should close, read against the full scan's
    ``pairs`` table (:func:`scan_pairs_table`): a dead side; or two sides that count as aid and are
    not a breaching pair any more (the pairs list every breach between such enrollments, so this is
    :func:`still_breaches_sql` for them, answered from one hash); or, for a side neither counted nor
    dead (a suspended aid), the pair no longer breaking the rule (:func:`still_breaches_sql`)."""
    aid, dead = aid_sql(), dead_sql()
    return (
        f"EXISTS (SELECT 1 FROM {T_ENR} ea JOIN {T_ENR} eb ON eb.id = {conflict}.enrollment_b_id "
        f"WHERE ea.id = {conflict}.enrollment_a_id AND ("
        f"ea.status IN ({dead}) OR eb.status IN ({dead}) "
        f"OR (ea.status IN ({aid}) AND eb.status IN ({aid}) AND NOT "
        f"(({conflict}.enrollment_a_id, {conflict}.enrollment_b_id) IN (SELECT p.lo, p.hi FROM {pairs} p))) "
        f"OR (NOT (ea.status IN ({aid}) AND eb.status IN ({aid})) AND NOT {still_breaches_sql(conflict)})))"
    )
