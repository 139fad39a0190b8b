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

from django.db.models import Count, Max, Q

from households.models import Household, Member, Relation
from konut_registry.chunks import chunked

from .aids import aid_planned
from .common import HOUSEHOLD_FIELDS, MEMBER_FIELDS, Extract, MemberRecord
from .plan import Change, ExtractPlan
from .snapshot import canonical, merged_sources

# The registry is read this many records at a time: only the stored rows of the records being
# compared are held, whatever the size of the file or of the registry.
CHUNK = 1000


def _diff(*, current: dict, cur_raw: dict, values, raw: dict, is_absent: bool) -> tuple[list[str], bool]:
    """Fields whose incoming non-blank value differs from the stored one; whether raw values differ."""
    # Equal values are equal in canonical form too: compare plainly first (most fields, most rows).
    candidates = [
        name for name, value in values.items()
        if value != (stored := current.get(name)) and canonical(value) != canonical(stored)
    ]
    raw_changed = False
    if raw or (cur_raw and any(k in cur_raw for k in values)):
        merged = {**cur_raw, **raw}
        for name in values:
            merged.pop(name, None)
        raw_changed = merged != cur_raw
    return candidates, raw_changed or is_absent


# Not operator corrections: the data year and a member's family always follow the source.
_ALWAYS_TAKEN = frozenset({"source_year", "household_id"})
_MISSING = object()


def _resolve(record, current: dict, log_warning: Callable[[object, str, str], None], label: Callable[[str], str]):
    """Three-way merge of one stored record (``current``: its fields, ``raw_values``, ``is_absent``
    and ``source_values``) with the record read from the file: keep local corrections; the
    ``Change``, or None when nothing would change. The write works out the new snapshot and raw
    values again from the record as it is then (``snapshot.merged_sources``)."""
    values = record.values
    cur_raw = current["raw_values"] or {}
    candidates, other = _diff(current=current, cur_raw=cur_raw, values=values, raw=record.raw, is_absent=current["is_absent"])
    if not candidates and not other:
        return None
    snapshot = current["source_values"] or {}
    to_set = {}
    for name in candidates:
        value = values[name]
        stored = current.get(name)
        if name in _ALWAYS_TAKEN or canonical(stored) is None or snapshot.get(name, _MISSING) == canonical(stored):
            to_set[name] = value
        elif snapshot.get(name) != canonical(value):
            log_warning(
                record, label(name),
                f"Koreksi lokal dipertahankan: registri '{_show(stored)}', data baru '{_show(value)}'",
            )
    new_snapshot, raw = merged_sources(values, record.raw, snapshot, cur_raw)
    revive = current.get("is_absent", False)
    if to_set or new_snapshot != snapshot or raw != cur_raw or revive:
        if revive:
            to_set["is_absent"] = False
        return Change(current["pk"], to_set, record)
    return None


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

    # --- households: each stored key's record (pk, absent, source), then the stored fields chunk by chunk
    queryset = Household.objects.filter(merged_into__isnull=True)
    queryset = queryset.filter(p3ke_id__isnull=False) if p3ke else queryset.exclude(no_kk="")
    stored: dict[str, tuple[int, bool, str]] = {}
    for pk, key, is_absent, source in queryset.order_by("pk").values_list("pk", key_field, "is_absent", "source").iterator(5000):
        if key in stored and not p3ke:
            # Two records with one KK: the one from this kind of extract (else the oldest) is the match.
            if source != extract.kind or stored[key][2] == extract.kind:
                continue
        stored[key] = (pk, is_absent, source)
    stored_fields = ("pk", key_field, *[f for f in HOUSEHOLD_FIELDS if f != key_field], "raw_values", "is_absent", "source_values")
    warn = lambda r, c, m: issues.warning(r.sheet, r.row, c, m)  # noqa: E731
    key_ids = plan.household_ids
    for chunk in chunked(extract.households.items(), CHUNK):
        matched = []
        for key, record in chunk:
            row = stored.get(key)
            if row is None:
                plan.household_creates.append(record)
            else:
                key_ids[key] = row[0]
                matched.append((row[0], record))
        if not matched:
            continue
        rows = {row[0]: row for row in Household.objects.filter(pk__in=[pk for pk, _ in matched]).values_list(*stored_fields)}
        for pk, record in matched:
            change = _resolve(record, dict(zip(stored_fields, rows[pk])), warn, _household_label)
            if change is None:
                plan.households.unchanged += 1
            else:
                plan.household_changes.append(change)
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
        households, rejected = extract.households, extract.rejected_households
        for key, (pk, current_is_absent, source) in stored.items():
            if key in households or key in rejected or current_is_absent:
                continue
            if p3ke or source == extract.kind:
                plan.household_absent.append(pk)
        plan.households.absent = len(plan.household_absent)

    # --- members: each record's household (in this extract, or already in the registry), then the
    # stored members that may match a chunk of records: by ID Individu, or in the record's family.
    records: list[MemberRecord] = extract.members
    if not extract.has_member_sheet:
        records = [h.head for h in extract.households.values() if h.head is not None]
    member_fields = ("pk", "household_id", *MEMBER_FIELDS, "raw_values", "is_absent", "source_values")
    member_qs = Member.objects.filter(household__merged_into__isnull=True)
    member_qs = member_qs.filter(household__p3ke_id__isnull=False) if p3ke else member_qs.exclude(household__no_kk="")
    matched_pks: set[int] = set()
    for chunk in chunked(records, CHUNK):
        placed = []
        for record in chunk:
            key = record.household_key
            household_id = key_ids.get(key)
            if household_id is None and key not in extract.households:
                row = stored.get(key)
                if row is None:
                    issues.error(
                        record.sheet, record.row, "ID Keluarga P3KE" if p3ke else "Nomor KK",
                        f"Keluarga {key} tidak ada di lembar keluarga maupun di registri",
                    )
                    continue
                household_id = key_ids[key] = row[0]
            placed.append((record, household_id))
        by_id_individu, by_nik, heads = _stored_members(member_qs, member_fields, placed) if stored else ({}, {}, {})
        for record, household_id in placed:
            row = None
            if household_id is not None:
                id_individu = record.get("id_individu")
                nik = record.get("nik")
                if id_individu and id_individu in by_id_individu:
                    row = by_id_individu[id_individu]
                elif nik and (household_id, nik) in by_nik:
                    row = by_nik[(household_id, nik)]
                elif not extract.has_member_sheet and record.get("relation") == Relation.HEAD and household_id in heads:
                    row = heads[household_id]
            if row is None or row[0] in matched_pks:
                plan.member_creates.append(record)
                continue
            matched_pks.add(row[0])
            record.pk = row[0]
            if row[1] != household_id:
                record.set("household_id", household_id)  # moved to another family in the new extract
            change = _resolve(record, dict(zip(member_fields, row)), warn, _member_label)
            if change is None:
                plan.members.unchanged += 1
            else:
                plan.member_changes.append(change)
    del stored
    plan.members.created = len(plan.member_creates)
    plan.members.updated = len(plan.member_changes)
    if extract.has_member_sheet and full_extract:
        # Members of a household in this extract that its individual sheet no longer lists.
        ids = [key_ids[key] for key in extract.households if key in key_ids]
        for chunk in chunked(ids, CHUNK):
            for pk in member_qs.filter(household_id__in=chunk, is_absent=False).order_by("household_id", "pk").values_list("pk", flat=True):
                if pk not in matched_pks:
                    plan.member_absent.append(pk)
        plan.members.absent = len(plan.member_absent)
    plan.enrollments_planned = aid_planned(extract)
    return plan


def _stored_members(member_qs, fields: tuple[str, ...], placed) -> tuple[dict, dict, dict]:
    """The stored members a chunk of records may match: by ID Individu (any family), by (family,
    NIK) and the head of each family, as the registry holds them (the oldest first)."""
    id_individus = [v for record, _ in placed if (v := record.get("id_individu"))]
    household_ids = {household_id for _, household_id in placed if household_id is not None}
    by_id_individu: dict[str, tuple] = {}
    by_nik: dict[tuple[int, str], tuple] = {}
    heads: dict[int, tuple] = {}
    if not household_ids:
        return by_id_individu, by_nik, heads
    rows = member_qs.filter(Q(household_id__in=household_ids) | Q(id_individu__in=id_individus))
    for row in rows.order_by("pk").values_list(*fields):
        household_id = row[1]
        if row[3]:
            by_id_individu[row[3]] = row
        if household_id not in household_ids:
            continue
        if row[2]:
            by_nik.setdefault((household_id, row[2]), row)
        if row[10] == Relation.HEAD:
            heads.setdefault(household_id, row)
    return by_id_individu, by_nik, heads


def _household_label(name: str) -> str:
    return str(Household._meta.get_field(name.removesuffix("_id")).verbose_name)


def _member_label(name: str) -> str:
    return str(Member._meta.get_field(name.removesuffix("_id")).verbose_name)
