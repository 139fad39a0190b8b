"""The identity scan of the whole registry (``dedup_scan``, the identity page) or of some of its
households (the families an import wrote), in flat memory.

The database groups the registry by key and hands the groups over in key order through a
server-side cursor, :data:`CHUNK_ROWS` rows at a time: the records holding a NIK held by two
households or more, by NIK; the records holding a No KK held twice, by No KK; the households, by
village (their heads' names are compared there); the people, by birth date (their names are
compared there). Each group is compared by the rules ``dedup.identity`` describes, and the pairs it
gives are written, :data:`WRITE_ROWS` at a time, to a temporary table of candidates. The database
then settles what depends on more than one group by the order the registry is read in
(``Member``'s and ``Household``'s own ordering): a pair sharing several NIKs keeps the members of the first NIK met and its first five
NIKs; a pair of similar people met on several birth dates keeps its best score, the first met of
equal ones; a similar pair that shares a NIK or a head is no finding of its own. The findings come
back in order, a chunk at a time (on PostgreSQL, ``scan_identities`` lets the database settle and
record them itself, the same rows). Neither every person nor every finding is ever held at once.
With a scope, only the groups holding one of its households are read (each whole), only its people
are compared with the others of their birth date, and only the pairs with one of them are kept.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, groupby
from operator import itemgetter

from django.db import connection
from django.db.models import BigIntegerField, BooleanField, F, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from dedup.engine_sql import T_HH, T_MEM, false, head_stands, is_postgres
from dedup.identity_compare import MAX_EVIDENCE, close_pairs, name_forms
from dedup.models import IdentityKind, IdentityMatch, IdentityStatus
from dedup.names import normalize_name
from households.identifiers import IdentifierError, parse_nik
from households.models import FAMILY_CARD_ORDER, Household, Member, Relation
from konut_registry import bulkcopy

# Rows fetched from the database at a time, and candidate rows or findings written at a time.
CHUNK_ROWS = 20000
WRITE_ROWS = 5000

_CANDIDATES = "dedup_identity_candidates"
_SCOPE = "dedup_identity_scope"
_SHARED_NIKS = "dedup_identity_shared_niks"
_KINDS = [IdentityKind.SAME_NIK, IdentityKind.SAME_KK, IdentityKind.SAME_HEAD, IdentityKind.SIMILAR_MEMBER]
NIK, KK, HEAD, SIMILAR = range(4)
# A NIK no live member holds (a head's alone) comes after every NIK a member holds.
_HEADS_AFTER = 10**12


def live_households():
    return Household.objects.filter(merged_into__isnull=True)


def live_members():
    return Member.objects.filter(is_absent=False, household__merged_into__isnull=True)


def _stream(sql: str, params) -> Iterator[tuple]:
    """The rows of a query, :data:`CHUNK_ROWS` at a time (PostgreSQL: a server-side cursor)."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK_ROWS):
            yield from chunk


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def _date(value) -> datetime.date | None:
    """A date column read through a plain cursor (SQLite gives its text)."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _member_order():
    """``Member``'s ordering (its household by the household's ordering), for a window."""
    return [
        F("household__desa__code").asc(), F("household__head_name").asc(), F("household_id").asc(),
        FAMILY_CARD_ORDER.asc(), F("birth_date").asc(), F("id").asc(),
    ]


def _household_order():
    return [F("desa__code").asc(), F("head_name").asc(), F("id").asc()]


_CANDIDATE_COLUMNS = [
    "kind", "a", "b", "member_a", "member_b", "score", "rank", "evidence", "first_desa", "first_head", "first_household",
    "first_card", "first_member",
]


class _Candidates:
    """The temporary table of candidate pairs: (kind, a, b, member_a, member_b, score, rank,
    evidence); ``rank`` orders the candidates of one pair as the in-memory scan met them."""

    def __init__(self, cursor, *, scoped: bool):
        self.cursor = cursor
        # With a scope, only the groups holding one of its households are read (whole).
        self.scoped = scoped
        self.rows: list = []
        self.copy = is_postgres()
        self.first, self.first_text = None, ""
        cursor.execute(f"DROP TABLE IF EXISTS {_CANDIDATES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_CANDIDATES} (kind smallint, a bigint, b bigint, member_a bigint, "
            f"member_b bigint, score smallint, rank bigint, evidence text, "
            # Similar people: the registry's order of the first person of their birth date.
            f"first_desa text, first_head text, first_household bigint, first_card smallint, first_member bigint)"
        )

    def add(self, row: tuple, first: tuple = (None,) * 5) -> None:
        if self.copy:
            # PostgreSQL: the row as COPY reads it; a birth date's place, the same for all its
            # pairs, made once.
            if first is not self.first:
                self.first, self.first_text = first, "\t".join([bulkcopy.copy_text(value) for value in first])
            self.rows.append("\t".join([bulkcopy.copy_text(value) for value in row]) + "\t" + self.first_text + "\n")
        else:
            self.rows.append(row + first)
        if len(self.rows) >= WRITE_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.copy:
            bulkcopy.copy_lines(_CANDIDATES, _CANDIDATE_COLUMNS, self.rows)
        else:
            self.cursor.executemany(f"INSERT INTO {_CANDIDATES} VALUES ({', '.join(['%s'] * 13)})", self.rows)
        self.rows = []


def _same_nik(out: _Candidates) -> None:
    """One NIK (a live member's or a head's) in two households: per NIK, each household's first
    member holding it (in the registry's order; none for a head's NIK no member of it holds). The
    head's NIK of an absent family is kept on its record but matched through its members only, as
    the one-aid rule links families (``engine_sql.head_stands`` says why)."""
    # The NIKs held by two households or more, grouped once into a table of their own (counted, so
    # that the reads below join it by hash rather than look each NIK up).
    out.cursor.execute(f"DROP TABLE IF EXISTS {_SHARED_NIKS}")
    out.cursor.execute(
        f"CREATE TEMPORARY TABLE {_SHARED_NIKS} AS SELECT x.nik FROM ("
        f"SELECT m.nik AS nik, m.household_id AS hid FROM {T_MEM} m JOIN {T_HH} h ON h.id = m.household_id "
        f"WHERE h.merged_into_id IS NULL AND m.is_absent = {false()} AND m.nik <> ''{_of_scope(out, 'm.nik', _SCOPE_NIKS)} "
        f"UNION ALL SELECT h.head_nik, h.id FROM {T_HH} h WHERE {head_stands('h')} AND h.head_nik <> ''"
        f"{_of_scope(out, 'h.head_nik', _SCOPE_NIKS)}) x "
        f"GROUP BY x.nik HAVING MIN(x.hid) < MAX(x.hid)"
    )
    if is_postgres():
        out.cursor.execute(f"ANALYZE {_SHARED_NIKS}")
    shared = RawSQL(f"SELECT nik FROM {_SHARED_NIKS}", [])
    members = live_members().filter(nik__in=shared).annotate(pos=Window(RowNumber(), order_by=_member_order()))
    heads = live_households().filter(head_nik__in=shared, is_absent=False).annotate(  # ``head_stands``
        none=Cast(Value(None), BigIntegerField()), pos=Window(RowNumber(), order_by=_household_order()),
    )
    members_sql, members_params = _sql(members.order_by().values_list("nik", "household_id", "pk", "pos"))
    heads_sql, heads_params = _sql(heads.order_by().values_list("head_nik", "pk", "none", "pos"))
    sql = (
        f"SELECT u.* FROM (SELECT a.*, 0 AS src FROM ({members_sql}) a "
        f"UNION ALL SELECT b.*, 1 AS src FROM ({heads_sql}) b) u ORDER BY 1, 5, 4"
    )
    for nik, rows in groupby(_stream(sql, (*members_params, *heads_params)), key=itemgetter(0)):
        holders: dict[int, int | None] = {}
        rank = None
        for _, household_id, member_id, pos, src in rows:
            if rank is None:
                rank = src * _HEADS_AFTER + pos
            holders.setdefault(household_id, member_id)
        for a, b in combinations(sorted(holders), 2):
            out.add((NIK, a, b, holders[a], holders[b], 100, rank, nik))
    out.cursor.execute(f"DROP TABLE {_SHARED_NIKS}")


def _same_kk(out: _Candidates) -> None:
    sql = (
        f"SELECT h.no_kk, h.id FROM {T_HH} h WHERE h.merged_into_id IS NULL AND h.no_kk IN ("
        f"SELECT no_kk FROM {T_HH} WHERE no_kk <> '' AND merged_into_id IS NULL{_of_scope(out, 'no_kk', _SCOPE_KKS)} "
        f"GROUP BY no_kk HAVING COUNT(*) > 1) ORDER BY 1, 2"
    )
    for no_kk, rows in groupby(_stream(sql, ()), key=itemgetter(0)):
        evidence = json.dumps({"no_kk": no_kk})
        for a, b in combinations([row[1] for row in rows], 2):
            out.add((KK, a, b, None, None, 100, 0, evidence))


def _head_birth(head_nik: str, member_birth) -> datetime.date | None:
    if member_birth is not None:
        return _date(member_birth)
    if head_nik:
        try:
            return parse_nik(head_nik).birth_date
        except IdentifierError:
            return None
    return None


def _same_head(out: _Candidates) -> None:
    """Two heads with one normalised name and birth date in one village, village by village. A
    head's birth date: the first member (in the card's order) who is the head or holds the head's
    NIK, with a birth date; else the one the head's NIK encodes."""
    card = " ".join(f"WHEN %s THEN {rank}" for rank, _ in enumerate(Relation))
    sql = (
        f"SELECT h.desa_id, h.id, h.head_name, h.head_nik, m.birth_date FROM {T_HH} h LEFT JOIN {T_MEM} m "
        f"ON m.household_id = h.id AND m.is_absent = {false()} AND m.birth_date IS NOT NULL "
        f"AND (m.relation = %s OR (m.nik <> '' AND m.nik = h.head_nik)) "
        f"WHERE h.merged_into_id IS NULL AND h.head_name <> ''{_of_scope(out, 'h.desa_id', _SCOPE_VILLAGES)} "
        f"ORDER BY h.desa_id, h.id, CASE m.relation {card} ELSE {len(Relation)} END, m.birth_date, m.id"
    )
    params = [Relation.HEAD.value, *(relation.value for relation in Relation)]
    for _desa, rows in groupby(_stream(sql, params), key=itemgetter(0)):
        village = []
        for pk, candidates in groupby(rows, key=itemgetter(1)):
            _, _, name, head_nik, birth = next(candidates)
            village.append((pk, name, _head_birth(head_nik, birth)))
        per_day: dict[datetime.date, int] = defaultdict(int)
        for _, _, birth in village:
            if birth:
                per_day[birth] += 1
        groups: dict[tuple, list[int]] = defaultdict(list)
        for pk, name, birth in village:
            if birth and per_day[birth] >= 2 and (name := _normalized(name)):
                groups[(name, birth)].append(pk)
        for (name, birth), holders in groups.items():
            evidence = json.dumps({"name": name, "birth_date": birth.isoformat()})
            for a, b in combinations(sorted(holders), 2):
                out.add((HEAD, a, b, None, None, 100, 0, evidence))


_NAMES: dict[str, tuple[str, str, str, int]] = {}


def _normalized(name: str) -> str:
    """``normalize_name``, remembered (:func:`_forms`)."""
    return _forms(name)[0]


def _forms(name: str) -> tuple[str, str, str, int]:
    """``normalize_name`` and what the comparison reads of it (``name_forms``), remembered for the
    names met again (at most :data:`CHUNK_ROWS` * 10)."""
    forms = _NAMES.get(name)
    if forms is None:
        if len(_NAMES) >= CHUNK_ROWS * 10:
            _NAMES.clear()
        forms = _NAMES[name] = name_forms(normalize_name(name))
    return forms


def _similar_members(out: _Candidates) -> None:
    """People of different households born on one day with near-identical names, day by day; each
    day's best pair of people for a pair of households (the first met of equal scores), with where
    the day is first met in the registry's order (its first person's place in ``Member``'s)."""
    people = live_members().filter(birth_date__isnull=False).exclude(name="").annotate(card=FAMILY_CARD_ORDER)
    if out.scoped:
        # The days someone of the scope was born; only the scope's people are compared with the rest.
        people = people.filter(birth_date__in=RawSQL(_SCOPE_DAYS, [])).annotate(
            focus=RawSQL(f"EXISTS (SELECT 1 FROM {_SCOPE} s WHERE s.id = {T_MEM}.household_id)", [], output_field=BooleanField())
        )
    else:
        people = people.annotate(focus=Value(True))
    sql, params = _sql(people.order_by("birth_date", *_member_order()).values_list(
        "birth_date", "pk", "household_id", "nik", "name", "sex", "household__desa__code", "household__head_name", "card",
        "focus",
    ))
    for birth, rows in groupby(_stream(sql, params), key=itemgetter(0)):
        group = list(rows)
        if len(group) < 2 or len({row[2] for row in group}) < 2:
            continue
        focus = None
        if out.scoped:
            focus = [k for k, row in enumerate(group) if row[9]]
            if not focus:
                continue
        _, first_member, first_household, _, _, _, desa, head, card, _ = group[0]
        met_first = (desa, head, first_household, card, first_member)
        forms = [_forms(row[4]) for row in group]
        names = [form[0] for form in forms]
        found: dict[tuple[int, int], tuple] = {}
        # Two different known sexes are not one person: those pairs are not even compared.
        for i, j, score in zip(*close_pairs(names, focus, [row[5] for row in group], forms)):
            first, second = group[i], group[j]
            if first[2] == second[2] or not names[i]:
                continue
            if first[3] and first[3] == second[3]:
                continue
            if first[2] > second[2]:
                first, second, i, j = second, first, j, i
            key = (first[2], second[2])
            if key in found and found[key][0] >= score:
                continue
            found[key] = (score, first[1], second[1], [first[4], second[4]], [names[i], names[j]])
        day = _date(birth).isoformat()
        for (a, b), (score, member_a, member_b, raw, normalized) in found.items():
            evidence = json.dumps({"names": raw, "normalized": normalized, "birth_date": day})
            out.add((SIMILAR, a, b, member_a, member_b, score, 0, evidence), met_first)


def _scope_table(cursor, scope: set[int]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {_SCOPE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {_SCOPE} (id bigint PRIMARY KEY)")
    ids = sorted(scope)
    for start in range(0, len(ids), WRITE_ROWS):
        batch = [(pk,) for pk in ids[start:start + WRITE_ROWS]]
        if is_postgres():
            from psycopg2.extras import execute_values

            execute_values(cursor.cursor, f"INSERT INTO {_SCOPE} VALUES %s", batch, page_size=WRITE_ROWS)
        else:
            cursor.executemany(f"INSERT INTO {_SCOPE} VALUES (%s)", batch)
    if is_postgres():
        cursor.execute(f"ANALYZE {_SCOPE}")


# What the scope's households hold: every group holding one of these is read whole (the others are
# none of the scope's). Over-inclusive where a scope household was merged away: that costs a read.
_SCOPE_NIKS = (
    f"SELECT m.nik FROM {T_MEM} m JOIN {_SCOPE} s ON s.id = m.household_id WHERE m.nik <> '' "
    f"UNION SELECT h.head_nik FROM {T_HH} h JOIN {_SCOPE} s ON s.id = h.id WHERE h.head_nik <> ''"
)
_SCOPE_KKS = f"SELECT h.no_kk FROM {T_HH} h JOIN {_SCOPE} s ON s.id = h.id"
_SCOPE_VILLAGES = f"SELECT h.desa_id FROM {T_HH} h JOIN {_SCOPE} s ON s.id = h.id"
_SCOPE_DAYS = f"SELECT m.birth_date FROM {T_MEM} m JOIN {_SCOPE} s ON s.id = m.household_id WHERE m.birth_date IS NOT NULL"


def _of_scope(out: _Candidates, column: str, values: str) -> str:
    return f" AND {column} IN ({values})" if out.scoped else ""


def _kept(scope: bool) -> str:
    """The candidates that are findings: a similar pair that shares a NIK or a head is none of its
    own; with a scope, only the pairs with one of its households."""
    in_scope = f" AND (c.a IN (SELECT id FROM {_SCOPE}) OR c.b IN (SELECT id FROM {_SCOPE}))" if scope else ""
    return (
        f"(c.kind <> {SIMILAR} OR NOT EXISTS (SELECT 1 FROM {_CANDIDATES} s "
        f"WHERE s.a = c.a AND s.b = c.b AND s.kind IN ({NIK}, {HEAD}))){in_scope}"
    )


# A pair's candidates in the order the in-memory scan met them: the first is the finding.
_PAIR_ORDER = (
    "c.score DESC, c.rank, c.first_desa, c.first_head, c.first_household, c.first_card, c.first_member"
)


def _findings(scope: bool) -> Iterator[IdentityMatch]:
    """The candidates settled pair by pair, in (kind, pair) order."""
    sql = (
        f"SELECT c.kind, c.a, c.b, c.member_a, c.member_b, c.score, c.evidence FROM {_CANDIDATES} c "
        f"WHERE {_kept(scope)} ORDER BY c.kind, c.a, c.b, {_PAIR_ORDER}"
    )
    for (kind, a, b), rows in groupby(_stream(sql, ()), key=itemgetter(0, 1, 2)):
        first = next(rows)
        _, _, _, member_a, member_b, score, evidence = first
        if kind == NIK:
            niks = [evidence] + [row[6] for _, row in zip(range(MAX_EVIDENCE - 1), rows)]
            evidence = {"niks": niks}
        else:
            evidence = json.loads(evidence)
        yield IdentityMatch(
            kind=_KINDS[kind], household_a_id=a, household_b_id=b, member_a_id=member_a, member_b_id=member_b,
            score=score, evidence=evidence,
        )


def _record(cursor, scope: bool) -> None:
    """PostgreSQL: the candidates settled pair by pair as :func:`_findings` settles them, and
    written straight into ``IdentityMatch`` in (kind, pair) order, an existing pair left as it is
    (as ``bulk_create(ignore_conflicts=True)`` leaves it), but for one closed by an earlier scan,
    which takes the members, score and evidence found now (:func:`_refresh_found_again`). At province scale a
    quarter of a million findings: no model instance, no JSON made and read again in Python."""
    kinds = ", ".join(f"'{kind}'" for kind in _KINDS)
    cursor.execute(
        f"INSERT INTO {IdentityMatch._meta.db_table} (kind, household_a_id, household_b_id, member_a_id, member_b_id, "
        f"score, evidence, status, decision_reason, created_at) "
        f"SELECT (ARRAY[{kinds}])[p.kind + 1], p.a, p.b, p.member_a, p.member_b, p.score, "
        f"CASE WHEN p.kind = {NIK} THEN jsonb_build_object('niks', p.niks) ELSE p.evidence::jsonb END, %s, '', %s "
        f"FROM (SELECT s.kind, s.a, s.b, MAX(s.member_a) FILTER (WHERE s.nth = 1) AS member_a, "
        f"MAX(s.member_b) FILTER (WHERE s.nth = 1) AS member_b, MAX(s.score) FILTER (WHERE s.nth = 1) AS score, "
        f"MAX(s.evidence) FILTER (WHERE s.nth = 1) AS evidence, "
        # A pair sharing several NIKs: its first MAX_EVIDENCE NIKs, in the order met.
        f"jsonb_agg(s.evidence ORDER BY s.nth) FILTER (WHERE s.kind = {NIK} AND s.nth <= {MAX_EVIDENCE}) AS niks "
        f"FROM (SELECT c.kind, c.a, c.b, c.member_a, c.member_b, c.score, c.evidence, "
        f"ROW_NUMBER() OVER (PARTITION BY c.kind, c.a, c.b ORDER BY {_PAIR_ORDER}) AS nth "
        f"FROM {_CANDIDATES} c WHERE {_kept(scope)}) s GROUP BY s.kind, s.a, s.b) p "
        f"ORDER BY p.kind, p.a, p.b "
        # A pair the scan closed earlier and finds again takes what it is found by now (opened again
        # by ``identity.scan_identities``); every other existing pair is left as it is.
        f"ON CONFLICT (kind, household_a_id, household_b_id) DO UPDATE SET member_a_id = EXCLUDED.member_a_id, "
        f"member_b_id = EXCLUDED.member_b_id, score = EXCLUDED.score, evidence = EXCLUDED.evidence "
        f"WHERE {IdentityMatch._meta.db_table}.status = %s",
        [IdentityStatus.OPEN.value, timezone.now(), IdentityStatus.CLOSED.value],
    )


@dataclass
class ScanChanges:
    """What the recorded findings no longer or again hold, by id: the open pairs the scan no longer
    finds (``stale``), and the pairs it closed earlier and finds again (``found_again``). Pairs
    Bappeda decided (merged, dismissed) are in neither, nor are the open pairs of a record merged
    away (``dedup.membership.merged_duplicates_settle`` hands them over)."""

    stale: list[int] = field(default_factory=list)
    found_again: list[int] = field(default_factory=list)


def each_identity_match(
    consume: Callable[[list[IdentityMatch]], None] | None, scope: Iterable[int] | None = None, *, changes: bool = False,
) -> ScanChanges | None:
    """Every identity duplicate of the registry (with ``scope``, those with one of these
    households), handed to ``consume`` :data:`WRITE_ROWS` unsaved ``IdentityMatch`` rows at a
    time; with ``consume`` None (PostgreSQL), recorded by the database itself as ``bulk_create``
    with ``ignore_conflicts`` records them (:func:`_record`). Run inside a transaction.

    With ``changes`` (a scan that records its findings), the :class:`ScanChanges` of the recorded
    pairs (of the scope's households, with a scope: the scan finds all of theirs), a closed pair
    found again taking what it is found by now."""
    try:
        return _each_identity_match(consume, scope, changes)
    finally:
        _NAMES.clear()  # a web or worker process keeps nothing of the scan, finished or failed


def _each_identity_match(
    consume: Callable[[list[IdentityMatch]], None], scope: Iterable[int] | None, changes: bool,
) -> ScanChanges | None:
    found = None
    with connection.cursor() as cursor:
        if scope is not None:
            _scope_table(cursor, set(scope))
        candidates = _Candidates(cursor, scoped=scope is not None)
        for find in (_same_nik, _same_kk, _same_head, _similar_members):
            find(candidates)
        candidates.flush()
        cursor.execute(f"CREATE INDEX {_CANDIDATES}_pair ON {_CANDIDATES} (a, b, kind)")
        if is_postgres():
            cursor.execute(f"ANALYZE {_CANDIDATES}")
        again: dict[tuple, int] = {}
        if changes:
            found, again = _changes(cursor, scope is not None)
        if consume is None:
            _record(cursor, scope is not None)
        else:
            batch: list[IdentityMatch] = []
            for match in _findings(scope is not None):
                batch.append(match)
                if len(batch) >= WRITE_ROWS:
                    consume(batch)
                    _refresh_found_again(batch, again)
                    batch = []
            if batch:
                consume(batch)
                _refresh_found_again(batch, again)
        cursor.execute(f"DROP TABLE {_CANDIDATES}")
        if scope is not None:
            cursor.execute(f"DROP TABLE {_SCOPE}")
    return found


# A recorded pair's kind as the candidates number it.
_KIND_NUMBER = "CASE m.kind " + " ".join(f"WHEN '{kind}' THEN {number}" for number, kind in enumerate(_KINDS)) + " END"


def _changes(cursor, scope: bool) -> tuple[ScanChanges, dict[tuple, int]]:
    """The recorded pairs the findings (the candidates settled, :func:`_kept`) no longer or again
    hold, with a scope of the scope's households only; and the pairs found again by (kind,
    household_a, household_b). One pass over the recorded pairs, each looked up in the candidates
    by its (a, b, kind) index."""
    table = IdentityMatch._meta.db_table
    found = (
        f"EXISTS (SELECT 1 FROM {_CANDIDATES} c WHERE c.a = m.household_a_id AND c.b = m.household_b_id "
        f"AND c.kind = {_KIND_NUMBER} AND {_kept(scope)})"
    )
    of_scope = (
        f" AND (m.household_a_id IN (SELECT id FROM {_SCOPE}) OR m.household_b_id IN (SELECT id FROM {_SCOPE}))"
        if scope else ""
    )
    merged_away = (
        f"EXISTS (SELECT 1 FROM {T_HH} h WHERE h.id IN (m.household_a_id, m.household_b_id) "
        f"AND h.merged_into_id IS NOT NULL)"
    )
    cursor.execute(
        f"SELECT m.id FROM {table} m WHERE m.status = %s{of_scope} AND NOT {found} AND NOT {merged_away} ORDER BY m.id",
        [IdentityStatus.OPEN.value],
    )
    stale = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        f"SELECT m.id, m.kind, m.household_a_id, m.household_b_id FROM {table} m "
        f"WHERE m.status = %s{of_scope} AND {found} ORDER BY m.id",
        [IdentityStatus.CLOSED.value],
    )
    again = {(kind, a, b): pk for pk, kind, a, b in cursor.fetchall()}
    return ScanChanges(stale=stale, found_again=sorted(again.values())), again


def _refresh_found_again(batch: list[IdentityMatch], again: dict[tuple, int]) -> None:
    """A closed pair found again takes what it is found by now: its members, score and evidence
    (on PostgreSQL, :func:`_record`'s insert does it)."""
    if not again:
        return
    fresh = []
    for match in batch:
        pk = again.get((match.kind, match.household_a_id, match.household_b_id))
        if pk is not None:
            fresh.append(IdentityMatch(
                pk=pk, member_a_id=match.member_a_id, member_b_id=match.member_b_id, score=match.score,
                evidence=match.evidence,
            ))
    if fresh:
        IdentityMatch.objects.bulk_update(fresh, ["member_a", "member_b", "score", "evidence"])
