"""Compare a parsed extract with the registry by natural keys: the ``ExtractPlan``, nothing written.

``make_plan`` reads the registry in a few queries (no per-row query) and works out, for households
and members, what to create, update, leave unchanged and mark absent. Three rules protect the
registry:
- a blank cell never wipes a stored value;
- a value corrected locally is kept: each record remembers what the source last said
  (``source_values``, see ``snapshot``); a stored value that differs from it was edited here and
  wins over the new extract (the operator gets a warning naming both values);
- nothing is deleted: a household (or member) missing from a full extract is marked ``is_absent``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import Count, Max

from households.models import Household, Member, Relation

from .aids import aid_planned
from .common import HOUSEHOLD_FIELDS, MEMBER_FIELDS, Extract, MemberRecord
from .plan import Change, ExtractPlan
from .snapshot import canonical, source_snapshot

# Stored snapshots are read this many records at a time.
SNAPSHOT_CHUNK = 1000


def _diff(*, current: dict, cur_raw: dict, record, is_absent: bool) -> tuple[list[str], bool]:
    """Fields whose incoming non-blank value differs from the stored one; whether raw values differ."""
    # Equal values are equal in canonical form too: compare plainly first (most fields, most rows).
    candidates = [
        name for name, value in record.values.items()
        if value != (stored := current.get(name)) and canonical(value) != canonical(stored)
    ]
    raw_changed = False
    if record.raw or (cur_raw and any(k in cur_raw for k in record.values)):
        merged = {**cur_raw, **record.raw}
        for name in record.values:
            merged.pop(name, None)
        raw_changed = merged != cur_raw
    return candidates, raw_changed or is_absent


# Not operator corrections: the data year and a member's family always follow the source.
_ALWAYS_TAKEN = frozenset({"source_year", "household_id"})
_MISSING = object()


def _resolve(
    changes_pending: list[tuple[int, object, dict, dict, list[str]]],
    model,
    log_warning: Callable[[object, str, str], None],
    label: Callable[[str], str],
) -> tuple[list[Change], int]:
    """Three-way merge for the candidate updates: fetch the stored snapshots in chunks, keep local
    corrections, return the real changes and how many turned out unchanged."""
    result: list[Change] = []
    unchanged = 0
    for start in range(0, len(changes_pending), SNAPSHOT_CHUNK):
        chunk = changes_pending[start : start + SNAPSHOT_CHUNK]
        snapshots = dict(model.objects.filter(pk__in=[c[0] for c in chunk]).values_list("pk", "source_values"))
        for pk, record, current, cur_raw, candidates in chunk:
            snapshot = snapshots.get(pk) or {}
            to_set = {}
            for name in candidates:
                value = record.values[name]
                stored = current.get(name)
                if name in _ALWAYS_TAKEN or canonical(stored) is None or snapshot.get(name, _MISSING) == canonical(stored):
                    to_set[name] = value
                elif snapshot.get(name) != canonical(value):
                    log_warning(
                        record, label(name),
                        f"Koreksi lokal dipertahankan: registri '{_show(stored)}', data baru '{_show(value)}'",
                    )
            new_snapshot = {**snapshot, **source_snapshot(record.values)}
            raw = {**cur_raw, **record.raw}
            for name in record.values:
                raw.pop(name, None)
            revive = current.get("is_absent", False)
            if to_set or new_snapshot != snapshot or raw != cur_raw or revive:
                if revive:
                    to_set["is_absent"] = False
                result.append(Change(pk, to_set, new_snapshot, raw, record))
            else:
                unchanged += 1
    return result, unchanged


def _show(value) -> str:
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if value is True:
        return "Ya"
    if value is False:
        return "Tidak"
    return str(value)


def make_plan(extract: Extract, *, full_extract: bool = True) -> ExtractPlan:
    """Compare ``extract`` with the registry; nothing is written."""
    plan = ExtractPlan(extract=extract, full_extract=full_extract)
    issues = extract.issues
    p3ke = extract.kind == "p3ke"
    key_field = "p3ke_id" if p3ke else "no_kk"

    # --- households
    stored_fields = ("pk", key_field, *[f for f in HOUSEHOLD_FIELDS if f != key_field], "raw_values", "is_absent", "source")
    queryset = Household.objects.filter(merged_into__isnull=True)
    queryset = queryset.filter(p3ke_id__isnull=False) if p3ke else queryset.exclude(no_kk="")
    stored: dict[str, tuple] = {}
    for row in queryset.order_by("pk").values_list(*stored_fields):
        key = row[1]
        if key in stored and not p3ke:
            # Two records with one KK: the one from this kind of extract (else the oldest) is the match.
            if row[-1] != extract.kind or stored[key][-1] == extract.kind:
                continue
        stored[key] = row
    names = stored_fields
    pending = []
    for key, record in extract.households.items():
        row = stored.get(key)
        if row is None:
            plan.household_creates.append(record)
            continue
        plan.household_ids[key] = row[0]
        current = dict(zip(names, row))
        candidates, other = _diff(current=current, cur_raw=current["raw_values"] or {}, record=record, is_absent=current["is_absent"])
        if candidates or other:
            pending.append((row[0], record, current, current["raw_values"] or {}, candidates))
        else:
            plan.households.unchanged += 1
    plan.household_changes, unchanged = _resolve(
        pending, Household, lambda r, c, m: issues.warning(r.sheet, r.row, c, m), _household_label
    )
    plan.households.unchanged += unchanged
    plan.households.created = len(plan.household_creates)
    plan.households.updated = len(plan.household_changes)
    has_household_sheet = not p3ke or any(t.kind == "keluarga" for t in extract.tables)
    # The families a full extract could mark absent, as they are now (the confirmation's measure).
    markable = queryset.filter(is_absent=False)
    if not p3ke:
        markable = markable.filter(source=extract.kind)
    current = markable.aggregate(n=Count("pk"), year=Max("source_year"))
    plan.current_households, plan.registry_year = current["n"], current["year"]
    if full_extract and has_household_sheet:
        present = set(extract.households) | set(extract.rejected_households)
        for key, row in stored.items():
            current_is_absent, source = row[-2], row[-1]
            if key in present or current_is_absent:
                continue
            if p3ke or source == extract.kind:
                plan.household_absent.append(row[0])
        plan.households.absent = len(plan.household_absent)

    # --- members: each record's household (in this extract, or already in the registry)
    records: list[MemberRecord] = extract.members
    if not extract.has_member_sheet:
        records = [h.head for h in extract.households.values() if h.head is not None]
    placed: list[tuple[MemberRecord, int | None]] = []
    for record in records:
        key = record.household_key
        household_id = plan.household_ids.get(key)
        if household_id is None and key not in extract.households:
            row = stored.get(key)
            if row is None:
                issues.error(
                    record.sheet, record.row, "ID Keluarga P3KE" if p3ke else "Nomor KK",
                    f"Keluarga {key} tidak ada di lembar keluarga maupun di registri",
                )
                continue
            household_id = plan.household_ids[key] = row[0]
        placed.append((record, household_id))
    del stored
    present_ids = set(plan.household_ids.values())
    member_fields = ("pk", "household_id", *MEMBER_FIELDS, "raw_values", "is_absent")
    by_id_individu: dict[str, tuple] = {}
    by_nik: dict[tuple[int, str], tuple] = {}
    heads: dict[int, tuple] = {}
    members_of: dict[int, list[tuple[int, bool]]] = {}
    if present_ids:
        member_qs = Member.objects.filter(household__merged_into__isnull=True)
        member_qs = member_qs.filter(household__p3ke_id__isnull=False) if p3ke else member_qs.exclude(household__no_kk="")
        for row in member_qs.order_by("pk").values_list(*member_fields):
            household_id = row[1]
            if row[3]:
                by_id_individu[row[3]] = row
            if household_id not in present_ids:
                continue
            if row[2]:
                by_nik.setdefault((household_id, row[2]), row)
            if row[10] == Relation.HEAD:
                heads.setdefault(household_id, row)
            members_of.setdefault(household_id, []).append((row[0], bool(row[-1])))

    matched: set[int] = set()
    pending = []
    for record, household_id in placed:
        row = None
        if household_id is not None:
            id_individu = record.values.get("id_individu")
            nik = record.values.get("nik")
            if id_individu and id_individu in by_id_individu:
                row = by_id_individu[id_individu]
            elif nik and (household_id, nik) in by_nik:
                row = by_nik[(household_id, nik)]
            elif not extract.has_member_sheet and record.values.get("relation") == Relation.HEAD and household_id in heads:
                row = heads[household_id]
        if row is None or row[0] in matched:
            plan.member_creates.append(record)
            continue
        matched.add(row[0])
        plan.member_ids[id(record)] = row[0]
        current = dict(zip(member_fields, row))
        if row[1] != household_id:
            record.values["household_id"] = household_id  # moved to another family in the new extract
        candidates, other = _diff(current=current, cur_raw=current["raw_values"] or {}, record=record, is_absent=current["is_absent"])
        if candidates or other:
            pending.append((row[0], record, current, current["raw_values"] or {}, candidates))
        else:
            plan.members.unchanged += 1
    plan.member_changes, unchanged = _resolve(
        pending, Member, lambda r, c, m: issues.warning(r.sheet, r.row, c, m), _member_label
    )
    plan.members.unchanged += unchanged
    plan.members.created = len(plan.member_creates)
    plan.members.updated = len(plan.member_changes)
    if extract.has_member_sheet and full_extract:
        # Members of a household in this extract that its individual sheet no longer lists.
        for key in extract.households:
            for pk, is_absent in members_of.get(plan.household_ids.get(key), ()):
                if pk not in matched and not is_absent:
                    plan.member_absent.append(pk)
        plan.members.absent = len(plan.member_absent)
    plan.enrollments_planned = aid_planned(extract)
    return plan


def _household_label(name: str) -> str:
    return str(Household._meta.get_field(name.removesuffix("_id")).verbose_name)


def _member_label(name: str) -> str:
    return str(Member._meta.get_field(name.removesuffix("_id")).verbose_name)
