"""The one-aid rule as set-based checks, keyed by households.

Every write that changes who receives what, who belongs where or who is who re-checks the
households it touched, in its own transaction: enrollment saves (``programs.services`` hands the
ids it wrote to :func:`check_enrollments`), imports, household and member saves, merges, marking
absent or present, members moving family, withdrawing a compatible pair
(:func:`recheck_households`). One household from a form and 26,000 from an import go through the
same few SQL statements (``dedup.engine_sql``); nothing here runs per row, and nothing lives in
signals or ``save()``.

The rule
    An enrollment that counts as aid of its year (``programs.models.ONE_AID_STATUSES``: proposed,
    active, or completed: aid delivered and closed is still the aid received that year) conflicts
    with another one that counts

    * of the same household, in a different program, in the same year (rule ``one_aid``), or
    * of another household that shares a person (a NIK among its live members or as its head, the
      head's of a family in the newest data: ``engine_sql.head_stands``), in the same year (rule
      ``same_person``): one person receiving aid through two family cards. Here
      the same program twice counts too (PKH through both cards is the classic double collection).

    unless Bappeda declared the two programs compatible (``CompatiblePair``). Person programs are
    compared at household level: two children with PIP are one program, not a conflict.

Records, not errors
    A conflict is one ``Conflict`` row per pair of enrollments (``enrollment_a < enrollment_b``),
    written with ``INSERT ... SELECT ... ON CONFLICT`` on the pair's unique constraint, so re-checking
    never duplicates it and two transactions racing on the same pair both end up with it recorded.
    An approved or dismissed pair stays as it is while its two enrollments keep their program, year,
    household and recipient; an edit of those sets the decision aside (:func:`reopen_decisions`).
    A *resolved* pair that breaks the rule again (a cancelled enrollment reactivated, a person back
    in the family, a decided enrollment edited) is reopened.

Closing by itself
    An open conflict of a re-checked household closes as resolved when one of its enrollments is
    cancelled or rejected (the other side, if it counts as aid, is recorded as kept), or when the
    pair no longer breaks the rule (a member moved family or was marked absent, a NIK was corrected,
    a record merged away, an enrollment moved): reviewer empty, a reason saying it was automatic.
    Completing an enrollment closes nothing: the double aid was delivered and Bappeda still has to
    see it. A suspended enrollment raises no new conflict, and its open conflicts stay open while the
    pair still breaks the rule.

History
    Every conflict the engine creates, closes or reopens gets a ``ConflictEvent``: when, which kind
    of write (``Write.cause``), which import batch and whose action.

Concurrency
    Two users saving for the same household at the same moment would each not see the other's
    uncommitted row. On PostgreSQL the check therefore first locks the households involved (and
    those sharing a NIK with them), in id order, ``FOR NO KEY UPDATE`` (compatible with the key
    share lock an enrollment insert takes on its household, so no deadlock); the second transaction
    waits for the first to commit and then sees its enrollment. SQLite serialises writers anyway.

Query budget: lock (PostgreSQL only), close, relabel, insert, and one insert of history rows when
anything changed (on PostgreSQL the insert writes the history of the pairs it created or reopened
itself: one more statement only when conflicts closed or were relabelled);
:func:`check_enrollments` then reads the conflicts of its enrollments. A batch of more
than ``SMALL_BATCH`` households or enrollments on PostgreSQL (an import) first stages itself in
three temporary tables (seven more statements, settings and statistics included, still none per
row), locks by them, and stages its enrollments and links again once it holds the locks (four
more): what it staged before could miss a concurrent write it waited for. See
``bench/bench_dedup.py`` and ``bench/bench_recheck.py`` for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Q, signals
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dedup import engine_sql as sql
from dedup.engine_sql import DEAD_STATUSES, SMALL_BATCH, T_CONFLICT, T_ENR, T_HH  # noqa: F401
from dedup.models import Conflict, ConflictEvent, ConflictEventKind, ConflictRule, ConflictStatus, WriteCause
from konut_registry.chunks import chunked
from konut_registry.db import fast_aggregates
from programs.models import Enrollment

# Texts written into the database (decision reasons, automatic notes) are always in Indonesian,
# the registry's language, whatever language the user who triggered the write reads the UI in.
STORED_LANGUAGE = "id"


@dataclass(frozen=True)
class Write:
    """The write a re-check belongs to, for the conflicts' history: its kind (``WriteCause``), the
    import batch and the user, when there are."""

    cause: str = WriteCause.ENROLLMENT
    batch_id: int | None = None
    user_id: int | None = None

    @classmethod
    def of(cls, cause: str, *, batch=None, by=None) -> Write:
        return cls(cause=cause, batch_id=getattr(batch, "pk", None), user_id=getattr(by, "pk", None))


_CONFLICT_FIELDS = tuple(Conflict._meta.concrete_fields)
# Every column of a conflict, in the order of the rows :func:`conflict_instances` reads.
CONFLICT_COLUMNS = tuple(f.column for f in _CONFLICT_FIELDS)
_REASON = CONFLICT_COLUMNS.index(Conflict._meta.get_field("decision_reason").column)


def conflict_instances(rows) -> list[Conflict]:
    """``Conflict`` instances from raw rows of :data:`CONFLICT_COLUMNS`, as the ORM would load
    them (field conversions included). Tens of thousands of conflicts of a large batch: without
    ``Model.__init__``, which costs several times more than the rest, unless something listens to
    a conflict's initialisation (then through ``Model.from_db``)."""
    names = [f.attname for f in _CONFLICT_FIELDS]
    converters = [
        (i, _evidence_loader() if f.column == "evidence" else f.from_db_value)
        for i, f in enumerate(_CONFLICT_FIELDS) if hasattr(f, "from_db_value")
    ]
    db = connection.alias
    through_init = signals.pre_init.has_listeners(Conflict) or signals.post_init.has_listeners(Conflict)
    instances = []
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index], None, connection)
        if through_init:
            instances.append(Conflict.from_db(db, names, values))
            continue
        conflict = Conflict.__new__(Conflict)
        conflict.__dict__.update(zip(names, values))
        conflict._state = ModelState()
        conflict._state.adding, conflict._state.db = False, db
        instances.append(conflict)
    return instances


def _evidence_loader():
    """The evidence field's ``from_db_value`` for many rows: a batch's one_aid conflicts all carry
    the same few texts (``{"year": 2024}``), decoded once each; every instance still gets a dict
    of its own (a copy: their values are plain numbers and strings)."""
    decode = Conflict._meta.get_field("evidence").from_db_value
    flat: dict[str, dict] = {}

    def load(value, expression, conn):
        known = flat.get(value) if isinstance(value, str) else None
        if known is not None:
            return dict(known)
        decoded = decode(value, expression, conn)
        if isinstance(decoded, dict) and all(isinstance(v, (int, str)) for v in decoded.values()):
            flat[value] = dict(decoded)
        return decoded

    return load


@dataclass
class RecheckResult:
    """The conflicts a re-check created, reopened and closed, and the open ones it relabelled (ids)."""

    new: set[int] = field(default_factory=set)
    reopened: set[int] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    relabelled: set[int] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.reopened or self.closed or self.relabelled)


def _close_sql(source: sql.Source | None, pairs: str | None = None) -> str:
    """UPDATE closing the open conflicts of the re-checked households' enrollments (any status)
    that have a dead side or no longer break the rule; RETURNING their ids."""
    with override(STORED_LANGUAGE):  # stored text: always Indonesian, whatever the user reads
        dead_note = sql.sql_text(_("Otomatis: salah satu kepesertaan dibatalkan atau ditolak."))
        stale_note = sql.sql_text(
            _("Otomatis: pasangan ini tidak lagi melanggar aturan satu bantuan (keluarga atau anggotanya berubah).")
        )
    c = T_CONFLICT
    dead = f"EXISTS (SELECT 1 FROM {T_ENR} d WHERE d.id IN ({c}.enrollment_a_id, {c}.enrollment_b_id) AND d.status IN ({sql.dead_sql()}))"

    def counted(column):
        return f"EXISTS (SELECT 1 FROM {T_ENR} k WHERE k.id = {c}.{column} AND k.status IN ({sql.aid_sql()}))"

    kept = (
        f"CASE WHEN {dead} THEN (CASE WHEN {counted('enrollment_a_id')} THEN {c}.enrollment_a_id "
        f"WHEN {counted('enrollment_b_id')} THEN {c}.enrollment_b_id ELSE NULL END) ELSE NULL END"
    )
    prefix, scope = "", ""
    if source is not None and source.tables:
        # A staged batch (thousands of households): from the open conflicts, each side looked up by
        # its key and its household in the staged batch's hash; listing every enrollment of the
        # batch's households first would cost more.
        households = source.tables[1]
        scope = (
            f" AND {c}.id IN (SELECT c2.id FROM {c} c2 JOIN {T_ENR} s "
            f"ON s.id IN (c2.enrollment_a_id, c2.enrollment_b_id) "
            f"JOIN {households} b ON b.household_id = s.household_id WHERE c2.status = '{ConflictStatus.OPEN}')"
        )
    elif source is not None:
        prefix = f"WITH trig_hh AS ({source.households}) "
        scoped = f"SELECT s.id FROM {T_ENR} s WHERE s.household_id IN (SELECT household_id FROM trig_hh)"
        scope = f" AND ({c}.enrollment_a_id IN ({scoped}) OR {c}.enrollment_b_id IN ({scoped}))"
    if pairs is not None:
        # The full scan on PostgreSQL: the open conflicts that close, found by one pass with the
        # breaching pairs hashed, instead of the rule re-checked conflict by conflict.
        closing = f"{c}.id IN (SELECT c2.id FROM {c} c2 WHERE c2.status = '{ConflictStatus.OPEN}' AND {sql.scan_closing_sql('c2', pairs)})"
    else:
        closing = f"({dead} OR NOT {sql.still_breaches_sql(c)})"
    return (
        f"{prefix}UPDATE {c} SET status = '{ConflictStatus.RESOLVED}', reviewed_at = %s, reviewed_by_id = NULL, "
        f"kept_enrollment_id = {kept}, decision_reason = CASE WHEN {dead} THEN {dead_note} ELSE {stale_note} END "
        f"WHERE {c}.status = '{ConflictStatus.OPEN}'{scope} AND {closing} "
        f"RETURNING {c}.id"
    )


def _evidence_sql() -> str:
    """A pair's evidence (of ``pairs_sql``'s row ``p``): its year, and for the same person through two
    families the NIK and the two households."""
    obj, arr = sql.json_object(), sql.json_array()
    return (
        f"CASE WHEN p.rule = '{ConflictRule.SAME_PERSON}' "
        f"THEN {obj}('year', p.year, 'nik', p.nik, 'household_ids', {arr}(p.hh_lo, p.hh_hi)) "
        f"ELSE {obj}('year', p.year) END"
    )


def _relabel_sql(source: sql.Source | None, pairs: str | None = None) -> str:
    """UPDATE the open conflicts whose pair still breaks the rule, but by another rule, with other
    evidence or in another household than recorded (a same-person pair whose two families were
    merged is now a one-aid pair of one family): they take the rule, evidence and household of the
    pair as it is now; RETURNING their ids. The insert that follows leaves open conflicts alone."""
    c = T_CONFLICT
    evidence = _evidence_sql()
    if sql.is_postgres():
        evidence_differs = f"{c}.evidence IS DISTINCT FROM {evidence}"
    else:
        evidence_differs = f"json({c}.evidence) IS NOT json({evidence})"
    selected = pairs if pairs is not None else f"({sql.pairs_sql(triggered=source is not None)})"
    return (
        f"{sql.with_sql(source) if pairs is None else ''}"
        f"UPDATE {c} SET rule = p.rule, evidence = {evidence}, household_id = p.household_id "
        f"FROM {selected} p "
        f"WHERE {c}.enrollment_a_id = p.lo AND {c}.enrollment_b_id = p.hi AND {c}.status = '{ConflictStatus.OPEN}' "
        f"AND ({c}.rule <> p.rule OR {c}.household_id <> p.household_id OR {evidence_differs}) "
        f"RETURNING {c}.id"
    )


def _insert_sql(source: sql.Source | None, returning: str = "id, decision_reason", pairs: str | None = None) -> str:
    """INSERT the pairs; an existing pair is left alone unless it was resolved, in which case it is
    reopened with a note of the earlier decision, under the rule, evidence and household it breaks
    the rule with now (an open one has them already: ``_relabel_sql``)."""
    evidence = _evidence_sql()
    # One whole sentence for translators; the earlier decision is spliced in by SQL at the placeholder.
    with override(STORED_LANGUAGE):  # stored text: always Indonesian, whatever the user reads
        reopened = _("Dibuka kembali: pasangan ini melanggar aturan satu bantuan lagi. Keputusan sebelumnya: %(previous)s")
    before, after = (sql.sql_text(part) for part in reopened.split("%(previous)s", 1))
    selected = pairs if pairs is not None else f"({sql.pairs_sql(triggered=source is not None)})"
    return (
        f"{sql.with_sql(source) if pairs is None else ''}"
        f"INSERT INTO {T_CONFLICT} (household_id, enrollment_a_id, enrollment_b_id, rule, status, evidence, "
        f"decision_reason, dismissed_by_pair, created_at) "
        f"SELECT p.household_id, p.lo, p.hi, p.rule, '{ConflictStatus.OPEN}', {evidence}, '', {sql.false()}, %s "
        f"FROM {selected} p WHERE 1 = 1 "
        f"ON CONFLICT (enrollment_a_id, enrollment_b_id) DO UPDATE SET status = '{ConflictStatus.OPEN}', "
        # The pair as it breaks the rule now: a same-person pair merged into one family is one_aid.
        f"rule = excluded.rule, evidence = excluded.evidence, household_id = excluded.household_id, "
        f"decision_reason = {before} || {T_CONFLICT}.decision_reason || {after}, reviewed_by_id = NULL, "
        f"reviewed_at = NULL, kept_enrollment_id = NULL "
        f"WHERE {T_CONFLICT}.status = '{ConflictStatus.RESOLVED}' "
        f"RETURNING {returning}"
    )


def _lock_households(cursor, source: sql.Source) -> None:
    """Serialise concurrent checks that touch the same households (see the module docstring)."""
    if not sql.is_postgres() or not connection.features.has_select_for_update:
        return
    cursor.execute(
        f"{sql.with_sql(source)}"
        f"SELECT h.id FROM {T_HH} h WHERE h.id IN (SELECT household_id FROM trig_hh UNION SELECT h2 FROM links) "
        f"ORDER BY h.id FOR NO KEY UPDATE OF h",
        sql.with_params(source),
    )


# The columns of a history row the re-check's write gives (cause, batch, user, time), as placeholders
# of the statements writing them, with their parameters (``_event_params``).
_EVENT_PLACEHOLDERS = "%s, %s, %s, %s"


def _event_params(write: Write, now) -> list:
    return [write.cause, write.batch_id, write.user_id, connection.ops.adapt_datetimefield_value(now)]


def _insert_recorded_sql(insert: str, columns: str) -> str:
    """PostgreSQL: the ``insert`` (``_insert_sql``) and the history rows of the pairs it created or
    reopened in one statement (a data-modifying WITH), returning what the insert returns. A pair's
    decision reason tells the two apart: empty for a new one, the earlier decision for a reopened one."""
    return (
        f"WITH ins AS ({insert}), ev AS (INSERT INTO {ConflictEvent._meta.db_table} "
        f"(conflict_id, kind, cause, batch_id, by_id, at) "
        f"SELECT i.id, CASE WHEN i.decision_reason = '' THEN '{ConflictEventKind.CREATED}' "
        f"ELSE '{ConflictEventKind.REOPENED}' END, {_EVENT_PLACEHOLDERS} FROM ins i) "
        f"SELECT {columns} FROM ins"
    )


def _record(result: RecheckResult, write: Write, now, *, inserted_recorded: bool = False) -> None:
    """One history row per conflict the re-check created, reopened, closed or relabelled: one
    INSERT ... SELECT over the id lists, whatever their length. ``inserted_recorded``: the created
    and reopened ones have theirs already (``_insert_recorded_sql``)."""
    kinds = ((result.closed, ConflictEventKind.CLOSED), (result.relabelled, ConflictEventKind.RELABELLED))
    if not inserted_recorded:
        kinds = ((result.new, ConflictEventKind.CREATED), (result.reopened, ConflictEventKind.REOPENED), *kinds)
    if not any(ids for ids, _kind in kinds):
        return
    parts, params = [], []
    for ids, kind in kinds:
        if ids:
            parts.append(f"SELECT s.id AS id, '{kind}' AS kind FROM ({sql.ids_subquery()}) s")
            params.append(sql.id_param(sorted(ids)))
    table = ConflictEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (conflict_id, kind, cause, batch_id, by_id, at) "
            f"SELECT e.id, e.kind, {_EVENT_PLACEHOLDERS} FROM ({' UNION ALL '.join(parts)}) e",
            # Placeholders in textual order: the four constants, then the id lists.
            [*_event_params(write, now), *params],
        )


def _recheck(source: sql.Source | None, write: Write, rows: list | None = None, *, locked: bool = False) -> RecheckResult:
    """``rows``: a list to receive the created and reopened conflicts' rows (every column, in
    :data:`CONFLICT_COLUMNS` order), for a caller that returns them without reading them again.
    ``locked``: the caller has locked the households already."""
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    result = RecheckResult()
    with connection.cursor() as cursor:
        if source is not None and not locked:
            _lock_households(cursor, source)
        pairs = sql.scan_pairs_table(cursor) if source is None and sql.is_postgres() else None
        close_params = source.params if source is not None and not source.tables else []
        cursor.execute(_close_sql(source, pairs), [*close_params, stamp])
        result.closed = {row[0] for row in cursor.fetchall()}
        insert_params = [] if pairs is not None else sql.with_params(source)
        cursor.execute(_relabel_sql(source, pairs), insert_params)
        result.relabelled = {row[0] for row in cursor.fetchall()}
        # What the insert returns, and where in it the decision reason that tells a reopened pair is.
        if rows is None:
            insert, columns, reason = _insert_sql(source, pairs=pairs), "id, decision_reason", 1
        else:
            returning = ", ".join(f"{T_CONFLICT}.{column}" for column in CONFLICT_COLUMNS)
            insert, columns, reason = _insert_sql(source, returning), ", ".join(CONFLICT_COLUMNS), _REASON
        params = [*insert_params, stamp]
        # PostgreSQL writes the history rows of what the insert created or reopened in its statement.
        recorded = sql.is_postgres()
        if recorded:
            insert = _insert_recorded_sql(insert, columns)
            params += _event_params(write, now)
        cursor.execute(insert, params)
        returned = cursor.fetchall()
        if rows is not None:
            rows.extend(returned)
        for row in returned:
            (result.reopened if row[reason] else result.new).add(row[0])
    # Closed and opened again in one re-check cannot happen (a pair closes only when it no longer
    # breaks the rule); a reopened pair is never in ``closed``.
    _record(result, write, now, inserted_recorded=recorded)
    return result


def _run(source: sql.Source, write: Write, size: int, rows: list | None = None) -> RecheckResult:
    if sql.is_postgres() and size > SMALL_BATCH:
        # The temporary tables live until commit; the savepoint keeps a failure from leaving them.
        with transaction.atomic(), connection.cursor() as cursor:
            # A large re-check joins thousands of people on their NIK: in memory (not an on-disk
            # sort) and without JIT compiling, which costs more than these joins take. SET LOCAL:
            # until the caller's transaction ends, nowhere else.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            before = sql.snapshot(cursor)
            staged = sql.temp_source(source, cursor)
            # Locked by what was staged (the households and those linked to them), then staged
            # again if another write committed meanwhile (one that held the locks has by now):
            # the copy staged before may miss its aid.
            _lock_households(cursor, staged)
            if sql.committed_since(before, cursor):
                sql.restage(staged, cursor)
            return _recheck(staged, write, rows, locked=True)
    return _recheck(source, write, rows)


def recheck_households(household_ids, *, write: Write) -> RecheckResult:
    """Re-check every enrollment that counts as aid of these households (and of the households
    sharing a person with them) against the one-aid rule, in the caller's transaction: new breaches are recorded,
    resolved pairs that break the rule again are reopened, and open conflicts of these households
    that no longer hold close by themselves. The write that changed the households names itself in
    ``write`` for the conflicts' history."""
    ids = sorted({int(pk) for pk in household_ids if pk is not None})
    if not ids:
        return RecheckResult()
    return _run(sql.households_source(ids), write, len(ids))


def reopen_decisions(enrollment_ids, *, write: Write) -> set[int]:
    """Set aside Bappeda's decisions (an exception approved, a pair dismissed) on the conflicts of
    these enrollments, which changed program, year, household or recipient since: a decision was
    made for the two enrollments as they were. Each such conflict is closed as resolved (its
    reason kept), so that the re-check that follows the write reopens it, for review again, when
    the pair still breaks the rule. Returns the conflicts set aside."""
    ids = sorted({int(pk) for pk in enrollment_ids})
    decided = list(
        Conflict.objects.filter(Q(enrollment_a_id__in=ids) | Q(enrollment_b_id__in=ids))
        .filter(status__in=(ConflictStatus.APPROVED, ConflictStatus.DISMISSED))
        .values_list("pk", flat=True)
    )
    if decided:
        Conflict.objects.filter(pk__in=decided).update(status=ConflictStatus.RESOLVED)
        _record(RecheckResult(closed=set(decided)), write, timezone.now())
    return set(decided)


def check_enrollments(enrollment_ids, *, write: Write | None = None) -> list[Conflict]:
    """Re-check the households of these enrollments (see :func:`recheck_households`).

    Returns the open conflicts that involve these enrollments, with ``created_now`` set on each:
    True for a conflict this check created or reopened, False for one that was already open; and
    ``reopened_now``: True for one it reopened (a decided conflict that holds again).
    """
    return check_enrollments_and_households(enrollment_ids, (), write=write)[1]


def check_enrollments_and_households(
    enrollment_ids, household_ids, *, write: Write | None = None, enrollment_households=None
) -> tuple[RecheckResult, list[Conflict]]:
    """One re-check of the households of these enrollments and of these households (a bulk write
    that also moved people); returns what it changed and the open conflicts that involve these
    enrollments or that it created or reopened, ``created_now`` set as in :func:`check_enrollments`.

    ``enrollment_households``: the households of these enrollments, when the caller has just
    created them (a bulk write): no look-up, and no conflict can have involved them before this
    re-check, so those it created are all there is to return."""
    ids = sorted({int(pk) for pk in enrollment_ids if pk is not None})
    households = sorted({int(pk) for pk in household_ids if pk is not None})
    if not ids and not households:
        return RecheckResult(), []
    size = len(ids) + len(households)
    large = sql.is_postgres() and size > SMALL_BATCH
    rows: list | None = [] if large else None
    if enrollment_households is not None:
        # The caller just wrote these enrollments and names their households: no look-up.
        known = {int(pk) for pk in enrollment_households if pk is not None}
        source = sql.households_source(sorted(known.union(households)))
    else:
        source = sql.mixed_source(ids, households)
    result = _run(source, write or Write(), size, rows)
    fresh = result.new | result.reopened
    if large:
        conflicts = conflict_instances(rows)
        if enrollment_households is None:
            conflicts += _other_open_conflicts(ids, fresh)
        conflicts.sort(key=lambda conflict: conflict.pk)
    else:
        conflicts = _involved_conflicts(ids, fresh)
    for conflict in conflicts:
        conflict.created_now = conflict.pk in fresh
        conflict.reopened_now = conflict.pk in result.reopened
    return result, conflicts


def _involved_conflicts(ids: list[int], fresh: set[int]) -> list[Conflict]:
    """A form's few conflicts: the open conflicts that involve these enrollments or that the
    re-check created or reopened, shown with their household and programs."""
    subquery = f"SELECT s.id FROM ({sql.ids_subquery()}) s"
    involved = Q(pk__in=RawSQL(subquery, [sql.id_param(sorted(fresh))]))
    if ids:
        params = [sql.id_param(ids)]
        involved |= Q(enrollment_a_id__in=RawSQL(subquery, params)) | Q(enrollment_b_id__in=RawSQL(subquery, params))
    return list(
        Conflict.objects.filter(status=ConflictStatus.OPEN)
        .filter(involved)
        .select_related("household", "enrollment_a__program", "enrollment_b__program")
        .order_by("id")
    )


def _other_open_conflicts(ids: list[int], fresh: set[int]) -> list[Conflict]:
    """A large batch (PostgreSQL): the open conflicts that involve these enrollments and that the
    re-check did not create or reopen (those came back from its insert). No related objects: a
    large batch is counted, and at most a few of its conflicts are shown. ``= ANY`` of a constant
    array is hashed by PostgreSQL, so one pass over the open conflicts answers it."""
    if not ids:
        return []
    columns = ", ".join(f"c.{column}" for column in CONFLICT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {T_CONFLICT} c WHERE c.status = %s "
            f"AND (c.enrollment_a_id = ANY(%s::bigint[]) OR c.enrollment_b_id = ANY(%s::bigint[])) "
            f"AND NOT (c.id = ANY(%s::bigint[]))",
            [ConflictStatus.OPEN, sql.id_param(ids), sql.id_param(ids), sql.id_param(sorted(fresh) or [0])],
        )
        return conflict_instances(cursor.fetchall())


@dataclass(frozen=True, slots=True)
class ForecastPair:
    """A conflict a write would raise: its rule and year, and its two enrollments as ``(id,
    household, program)``, ``first`` the one the write adds or changes (an id below zero for one
    not written yet: ``-1`` the first of the planned ones), ``second`` the other."""

    rule: str
    year: int
    first: tuple[int, int, int]
    second: tuple[int, int, int]


def forecast_conflicts(*, planned, restated=()) -> list[ForecastPair]:
    """The conflicts writing ``planned`` enrollments (``(household, program, year, status)`` each)
    and giving those of ``restated`` (``(enrollment id, status)`` each) their new status would
    create or reopen, in the one re-check of their households such a write runs
    (:func:`check_enrollments_and_households`), found without writing anything: the engine's own
    pairs (``engine_sql.pairs_sql``) over the enrollments as they would then stand, less the pairs
    already recorded and not resolved. One statement, none per enrollment. The caller hands over
    only the enrollments the write would create (not those held already or refused)."""
    planned = [(-index, *row) for index, row in enumerate(planned, start=1)]
    restated = [(int(pk), status) for pk, status in restated]
    if not planned and not restated:
        return []
    touched = {pk for pk, _status in restated}
    statement, params = sql.forecast_sql(planned, restated)
    # A list of thousands joins them by NIK: without JIT compiling, which costs more than the joins.
    with fast_aggregates(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    # The programs of the pairs' enrollments: the planned ones' from the list, the others' read.
    programs = {pk: program for pk, _household, program, _year, _status in planned}
    held = sorted({int(pk) for row in rows for pk in row[:2] if int(pk) > 0})
    for chunk in chunked(held, 5000):
        programs.update(Enrollment.objects.filter(pk__in=chunk).values_list("pk", "program_id"))
    pairs = []
    for lo, hi, rule, year, lo_household, hi_household in rows:
        a = (int(lo), int(lo_household), programs[int(lo)])
        b = (int(hi), int(hi_household), programs[int(hi)])
        first, second = (a, b) if a[0] < 0 or a[0] in touched or not (b[0] < 0 or b[0] in touched) else (b, a)
        pairs.append(ForecastPair(rule=rule, year=int(year), first=first, second=second))
    return pairs


# Memory for each hash of the full scan on PostgreSQL (a province: 2 million people by NIK).
SCAN_WORK_MEM = "256MB"


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
def scan_all(*, write: Write | None = None) -> ScanResult:
    """Re-check the whole registry (``manage.py dedup_scan``). Idempotent: a second run finds
    nothing new. Concurrent saves run their own checks, so the scan takes no locks."""
    if sql.is_postgres():
        with connection.cursor() as cursor:
            # Joins over every member and enrollment of the registry: in memory, not in batches on
            # disk, and without JIT compiling. SET LOCAL: until this transaction ends.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"SET LOCAL work_mem = '{SCAN_WORK_MEM}'")
    found = _recheck(None, write or Write(cause=WriteCause.SCAN))
    result = ScanResult(new=len(found.new), reopened=len(found.reopened), closed=len(found.closed), new_ids=sorted(found.new))
    counts = _open_counts()
    result.open_by_rule = counts
    result.open_total = sum(counts.values())
    result.existing_open = result.open_total - result.new - result.reopened
    return result


def _open_counts() -> dict[str, int]:
    rows = Conflict.objects.filter(status=ConflictStatus.OPEN).values("rule").annotate(n=Count("id")).order_by("rule")
    return {row["rule"]: row["n"] for row in rows}
