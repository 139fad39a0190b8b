"""A DTKS or DTSEN family the registry holds without a No KK (from P3KE) is recognised by its NIKs.

A P3KE extract gives no No KK: its families are held under their ID Keluarga P3KE, with ``no_kk``
"". DTSEN (the single national data since 2025) and DTKS are keyed by No KK, so by key alone each of
those families would come in a second time, one identity duplicate per family for Bappeda to merge.
A family of such a file whose No KK the registry does not hold is the stored family without a No
KK (not merged away) whose head has its head's NIK (the family's head NIK, or a present member
related as its head), or, when the file marks no head, that holds one of its members' NIKs as a
present member: when exactly one such family exists and no other family of the file is recognised
as it. Head to head: a son the file shows as the head of his own new family (pecah KK) is not his
parents' family, which holds him as a child (recognising it would give his No KK to his parents'
family and mark them absent from it); his parents' family, recognised by its head, no longer lists
him, and he is marked absent from it as any member a file leaves out. A family recognised by its
members' NIKs is not recognised when one of them is in another family of the file (a family the
file splits is no longer one family). A recognised family takes the file's No KK and is compared
as any matched family; every other case is created as before, and the identity scan flags it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from households.models import Household, Member, Relation
from konut_registry.chunks import chunked

from .common import Extract, HouseholdRecord

# NIKs asked of the registry at a time.
CHUNK = 1000


def recognised(extract: Extract, creates: list[HouseholdRecord], taken: set[int]) -> dict[str, int]:
    """``{file key: stored household}`` of the families of ``creates`` (the file's families whose No
    KK the registry does not hold) that are a family the registry holds without a No KK; ``taken``:
    the households the file already lists under a key of theirs."""
    if not creates or not _unkeyed().exists():
        return {}
    wanted, headless = _identifying_niks(extract, creates)
    heads, holders = _holders({nik for niks in wanted.values() for nik in niks})
    chosen: dict[str, int] = {}
    for key, niks in wanted.items():
        of = holders if key in headless else heads
        found = {pk for nik in niks for pk in of.get(nik, ())}
        if len(found) == 1 and not found & taken:
            chosen[key] = found.pop()
    # A household two of the file's families would be is neither's.
    claimed = defaultdict(list)
    for key, pk in chosen.items():
        claimed[pk].append(key)
    chosen = {key: pk for key, pk in chosen.items() if len(claimed[pk]) == 1}
    # Head to head, the family is its head's whoever left it: a son the file shows in a KK of his own
    # (pecah KK) is a member it no longer lists, marked absent from it as any such member. Only a
    # family recognised by its members' NIKs (no head in the file) is not one the file splits.
    split = _split(extract, {key: pk for key, pk in chosen.items() if key in headless})
    return {key: pk for key, pk in chosen.items() if pk not in split}


def _unkeyed():
    """The families an extract keyed by No KK cannot find by key: those without one, not merged away."""
    return Household.objects.filter(no_kk="", merged_into__isnull=True)


def _identifying_niks(extract: Extract, creates: list[HouseholdRecord]) -> tuple[dict[str, set[str]], set[str]]:
    """Each family's NIKs it is recognised by: its head's, or when the file marks no head, its
    members'; and the keys of the families without a head."""
    wanted: dict[str, set[str]] = {}
    headless = set()
    for record in creates:
        head = record.head
        if head is not None and head.get("relation") == Relation.HEAD and head.get("nik"):
            wanted[record.key] = {head.get("nik")}
        else:
            headless.add(record.key)
            wanted[record.key] = set()
    if headless:
        for member in extract.members:
            if member.household_key in headless and (nik := member.get("nik")):
                wanted[member.household_key].add(nik)
    return wanted, headless


def _holders(niks: Iterable[str]) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """The families without a No KK whose head has each NIK (their head NIK, or a present member
    related as head), and those holding it at all (as a present member or as their head NIK)."""
    heads: dict[str, set[int]] = defaultdict(set)
    found: dict[str, set[int]] = defaultdict(set)
    members = Member.objects.filter(is_absent=False, household__in=_unkeyed())
    for chunk in chunked(sorted(niks), CHUNK):
        for nik, pk, relation in members.filter(nik__in=chunk).values_list("nik", "household_id", "relation"):
            found[nik].add(pk)
            if relation == Relation.HEAD:
                heads[nik].add(pk)
        for nik, pk in _unkeyed().filter(head_nik__in=chunk).values_list("head_nik", "pk"):
            found[nik].add(pk)
            heads[nik].add(pk)
    return heads, found


def _split(extract: Extract, chosen: dict[str, int]) -> set[int]:
    """The households of ``chosen`` holding a NIK that the file puts in another family than the one
    recognised as them (read or skipped as unchanged)."""
    if not chosen:
        return set()
    key_of = {pk: key for key, pk in chosen.items()}
    held: dict[str, set[int]] = defaultdict(set)
    for chunk in chunked(sorted(key_of), CHUNK):
        rows = Member.objects.filter(household_id__in=chunk, is_absent=False).exclude(nik="").values_list("nik", "household_id")
        for nik, pk in rows:
            held[nik].add(pk)
        for nik, pk in Household.objects.filter(pk__in=chunk).exclude(head_nik="").values_list("head_nik", "pk"):
            held[nik].add(pk)
    split = set()
    for member in extract.members:
        for pk in held.get(member.get("nik"), ()):
            if key_of[pk] != member.household_key:
                split.add(pk)
    if extract.skipped_members:
        skipped = {row.pk: row.household_key for row in extract.skipped_members}
        for chunk in chunked(sorted(held), CHUNK):
            for pk, nik in Member.objects.filter(nik__in=chunk).values_list("pk", "nik"):
                if pk in skipped:
                    split.update(household for household in held[nik] if key_of[household] != skipped[pk])
    return split
