"""Identity duplicates: two household records that are one family, or hold one person.

Families split across two Kartu Keluarga collect aid twice; central extracts repeat a family under
two IDs. Four findings, each an ``IdentityMatch`` row per (kind, household pair) for Bappeda to merge
or dismiss:

``same_nik``        one NIK (a live member's, or the head's) in two households;
``same_kk``         one No KK on two household records;
``same_head``       in one village, two heads with the same normalised name and birth date;
``similar_member``  two people in different households with the same birth date and near-identical
                    names (rapidfuzz on names normalised by :mod:`dedup.names`, score >= 90), whose
                    NIKs are not already the same (that is ``same_nik``).

The whole scan (or one of half the registry or more: a first import) streams the registry group by
group from the database in flat memory (``identity_stream``); names are compared within a birth
date with ``rapidfuzz.process.cdist`` (``identity_compare``). Findings are written in batches with
``bulk_create(ignore_conflicts=True)`` on the unique (kind, household_a, household_b): a second scan
adds nothing, and a dismissed or merged pair is never raised again. Records merged away
(``merged_into`` set) and absent members take no part. A scan limited to fewer households (after a
re-sync, the families it wrote) reads only what a duplicate of theirs can involve
(``identity_scope``), compares it in memory here, and gives, for them, exactly the rows the whole
scan gives.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, transaction
from django.db.models import Count

from dedup import identity_stream
from dedup.identity_compare import MAX_EVIDENCE, close_pairs
from dedup.identity_scope import live_households, scoped_querysets
from dedup.models import IdentityKind, IdentityMatch, IdentityStatus
from dedup.names import normalize_name
from households.identifiers import IdentifierError, parse_nik
from households.models import Relation

# A scan limited to at least this share of the registry's households (a first import) streams it:
# finding what surrounds them would cost more than it saves.
WHOLE_READ_SHARE = 0.5
# A scan of at least this many households streams the groups holding them too: their surroundings,
# read into memory, would hold much of the registry's people (those born on their people's days:
# 700,000 families, 4,000 of them spread over the province, 500 MB; streamed, as fast and flat).
STREAMED_SCOPE = 1000


@dataclass
class IdentityScanResult:
    new: int = 0
    by_kind: dict = field(default_factory=dict)
    open_total: int = 0

    def as_dict(self) -> dict:
        return {"new": self.new, "new_by_kind": self.by_kind, "open_total": self.open_total}


@dataclass
class _Person:
    pk: int | None
    household_id: int
    nik: str
    name: str
    birth_date: datetime.date | None
    sex: str = ""


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _rows(queryset):
    """The rows of a ``values_list`` queryset, in its order. On PostgreSQL straight from the cursor
    (these columns need no conversion): the ORM's per-row work is most of reading a registry."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=20000)
        return
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(20000):
            yield from chunk


def _load(scope: set[int]):
    """The households a duplicate of one of ``scope``'s can involve and the people in them, read
    once (``identity_scope``)."""
    household_qs, member_qs = scoped_querysets(scope)
    households = {
        pk: {"desa_id": desa_id, "head_name": head_name, "head_nik": head_nik, "no_kk": no_kk}
        for pk, desa_id, head_name, head_nik, no_kk in _rows(
            household_qs.values_list("pk", "desa_id", "head_name", "head_nik", "no_kk")
        )
    }
    people: list[_Person] = []
    head_birth: dict[int, datetime.date] = {}
    for pk, household_id, nik, name, birth, relation, sex in _rows(
        member_qs.values_list("pk", "household_id", "nik", "name", "birth_date", "relation", "sex")
    ):
        people.append(_Person(pk, household_id, nik or "", name, birth, sex or ""))
        info = households.get(household_id)
        if birth and info and (relation == Relation.HEAD or (nik and nik == info["head_nik"])):
            head_birth.setdefault(household_id, birth)
    return households, people, head_birth


def _same_nik(households, people) -> dict[tuple[int, int], dict]:
    by_nik: dict[str, dict[int, int | None]] = defaultdict(dict)
    for person in people:
        if person.nik:
            by_nik[person.nik].setdefault(person.household_id, person.pk)
    for pk, info in households.items():
        if info["head_nik"]:
            by_nik[info["head_nik"]].setdefault(pk, None)
    found: dict[tuple[int, int], dict] = {}
    for nik, holders in by_nik.items():
        if len(holders) < 2:
            continue
        for a, b in combinations(sorted(holders), 2):
            entry = found.setdefault((a, b), {"member_a": holders[a], "member_b": holders[b], "niks": []})
            if len(entry["niks"]) < MAX_EVIDENCE:
                entry["niks"].append(nik)
    return found


def _same_kk(households) -> dict[tuple[int, int], dict]:
    # A limited scan read every holder of its households' No KK: the ones held once pair with none.
    by_kk: dict[str, list[int]] = defaultdict(list)
    for pk, info in households.items():
        if info["no_kk"]:
            by_kk[info["no_kk"]].append(pk)
    found = {}
    for no_kk, holders in by_kk.items():
        for a, b in combinations(sorted(holders), 2):
            found[(a, b)] = {"no_kk": no_kk}
    return found


def _head_birth_date(household_id, info, head_birth) -> datetime.date | None:
    if household_id in head_birth:
        return head_birth[household_id]
    if info["head_nik"]:
        try:
            return parse_nik(info["head_nik"]).birth_date
        except IdentifierError:
            return None
    return None


def _same_head(households, head_birth) -> dict[tuple[int, int], dict]:
    # Two heads can only match in one village on one birth date: the names of heads alone on
    # theirs are never normalised (most of the registry).
    births: dict[int, datetime.date] = {}
    per_day: dict[tuple, int] = defaultdict(int)
    for pk, info in households.items():
        birth = _head_birth_date(pk, info, head_birth)
        if birth and info["head_name"]:
            births[pk] = birth
            per_day[(info["desa_id"], birth)] += 1
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, info in households.items():
        birth = births.get(pk)
        if birth is None or per_day[(info["desa_id"], birth)] < 2:
            continue
        name = normalize_name(info["head_name"])
        if name:
            groups[(info["desa_id"], name, birth)].append(pk)
    found = {}
    for (_desa, name, birth), holders in groups.items():
        for a, b in combinations(sorted(holders), 2):
            found[(a, b)] = {"name": name, "birth_date": birth.isoformat()}
    return found


def _similar_members(people, skip_pairs, focus: set[int] | None = None) -> dict[tuple[int, int], dict]:
    """Pairs of people in different households, same birth date, names scoring >= the threshold;
    with ``focus``, only the pairs with someone of those households."""
    by_birth: dict[datetime.date, list[_Person]] = defaultdict(list)
    for person in people:
        if person.birth_date and person.name:
            by_birth[person.birth_date].append(person)
    found: dict[tuple[int, int], dict] = {}
    cache: dict[str, str] = {}

    def normalized(name: str) -> str:
        if name not in cache:
            cache[name] = normalize_name(name)
        return cache[name]

    for birth, group in by_birth.items():
        if len(group) < 2 or len({p.household_id for p in group}) < 2:
            continue
        rows = None
        if focus is not None:
            rows = [k for k, person in enumerate(group) if person.household_id in focus]
            if not rows:
                continue
        names = [normalized(p.name) for p in group]
        for i, j, score in zip(*close_pairs(names, rows)):
            first, second = group[i], group[j]
            if first.household_id == second.household_id or not names[i]:
                continue
            if first.nik and first.nik == second.nik:
                continue
            if first.sex and second.sex and first.sex != second.sex:
                continue
            key = _ordered(first.household_id, second.household_id)
            if key in skip_pairs:
                continue
            if first.household_id > second.household_id:
                first, second = second, first
                i, j = j, i
            if key in found and found[key]["score"] >= score:
                continue
            found[key] = {
                "score": score,
                "member_a": first.pk,
                "member_b": second.pk,
                "names": [first.name, second.name],
                "normalized": [names[i], names[j]],
                "birth_date": birth.isoformat(),
            }
    return found


def each_identity_match(consume: Callable[[list[IdentityMatch]], None], households: Collection[int] | None = None) -> None:
    """Every identity duplicate in the registry, handed to ``consume`` as lists of unsaved
    ``IdentityMatch`` rows. With ``households``, only the duplicates of those households (with any
    record of the registry). The whole registry, or :data:`STREAMED_SCOPE` households or more (a
    first import, a large re-sync), is streamed group by group (``identity_stream``: flat memory,
    chunk by chunk); fewer households are read with their surroundings alone and compared in
    memory. Either gives, for the households, the rows the whole scan gives."""
    scope = None if households is None else set(households)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The registry is read in the family-card order: sorted in memory, not on disk.
                # SET LOCAL: until the caller's transaction ends.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
                # The whole scan reads through server-side cursors: plan them to read everything
                # (by default a cursor's plan favours its first rows: index scans, nested loops).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        if scope is None or len(scope) >= STREAMED_SCOPE or len(scope) >= WHOLE_READ_SHARE * live_households().count():
            identity_stream.each_identity_match(consume, scope)
        else:
            consume(_find_around(scope))


def find_identity_matches(households: Collection[int] | None = None) -> list[IdentityMatch]:
    """Every identity duplicate in the registry (of ``households`` only, when given), as a list of
    unsaved ``IdentityMatch`` rows (for a check or a test: ``scan_identities`` writes them as they
    come)."""
    matches: list[IdentityMatch] = []
    each_identity_match(matches.extend, households)
    return matches


def _find_around(scope: set[int]) -> list[IdentityMatch]:
    """The duplicates of a few households, read with what surrounds them (``identity_scope``)."""
    households_, people, head_birth = _load(scope)

    def wanted(pairs: dict) -> dict:
        # What a limited read sees of the other records' own duplicates is partial: left out.
        return {key: value for key, value in pairs.items() if key[0] in scope or key[1] in scope}

    matches: list[IdentityMatch] = []
    # A limited read holds people of other households only for their names and birth dates: their
    # NIKs are none of the scope's (the households holding those were read whole).
    holders = [person for person in people if person.household_id in households_]
    same_nik = wanted(_same_nik(households_, holders))
    for (a, b), entry in same_nik.items():
        matches.append(IdentityMatch(
            kind=IdentityKind.SAME_NIK, household_a_id=a, household_b_id=b,
            member_a_id=entry["member_a"], member_b_id=entry["member_b"], score=100, evidence={"niks": entry["niks"]},
        ))
    for (a, b), evidence in wanted(_same_kk(households_)).items():
        matches.append(IdentityMatch(kind=IdentityKind.SAME_KK, household_a_id=a, household_b_id=b, score=100, evidence=evidence))
    same_head = wanted(_same_head(households_, head_birth))
    for (a, b), evidence in same_head.items():
        matches.append(IdentityMatch(kind=IdentityKind.SAME_HEAD, household_a_id=a, household_b_id=b, score=100, evidence=evidence))
    # A pair already explained by one NIK or one head needs no second, fuzzier finding.
    skip = set(same_nik) | set(same_head)
    for (a, b), entry in _similar_members(people, skip, focus=scope).items():
        matches.append(IdentityMatch(
            kind=IdentityKind.SIMILAR_MEMBER, household_a_id=a, household_b_id=b,
            member_a_id=entry.pop("member_a"), member_b_id=entry.pop("member_b"), score=entry.pop("score"), evidence=entry,
        ))
    return matches


def scan_identities(households: Collection[int] | None = None) -> IdentityScanResult:
    """Find identity duplicates (of ``households`` only, when given) and record the new ones;
    existing rows keep their status."""
    before = _counts_by_kind()
    each_identity_match(lambda batch: IdentityMatch.objects.bulk_create(batch, batch_size=5000, ignore_conflicts=True), households)
    after = _counts_by_kind()
    result = IdentityScanResult()
    result.by_kind = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in IdentityKind.values}
    result.new = sum(result.by_kind.values())
    result.open_total = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).count()
    return result


def _counts_by_kind() -> dict[str, int]:
    return dict(IdentityMatch.objects.order_by().values_list("kind").annotate(n=Count("id")))
