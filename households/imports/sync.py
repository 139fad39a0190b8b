"""The plan: compare a parsed extract with the registry by natural keys, then write it in one go.

``make_plan`` reads the registry in a few queries (no per-row query) and works out, for households
and members, what to create, update, leave unchanged and mark absent. ``apply_plan`` writes the plan
in one transaction with bulk inserts and updates, each with its history row (who, when, which
batch), then hands what the ``Penerima ...`` columns say to ``programs.services.aid_claims_record``.

Three rules protect the registry:
- a blank cell never wipes a stored value;
- a value corrected locally is kept: each record remembers what the source last said
  (``source_values``); a stored value that differs from it was edited here and wins over the new
  extract (the operator gets a warning naming both values);
- nothing is deleted: a household (or member) missing from a full extract is marked ``is_absent``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation

from households import models as hm
from households.models import DataSource, Desa, Household, ImportBatch, Member
from konut_registry import bulkcopy
from programs.claims import AidClaim, aid_claims_count
from programs.models import EnrollmentSource
from programs.services import aid_claims_record

from .common import HOUSEHOLD_FIELDS, MEMBER_FIELDS, Context, Extract, HouseholdRecord, MemberRecord
from .values import ChoiceMap, norm

CHUNK = 2000
COPY_CHUNK = 20000
UPDATE_CHUNK = 1000

_SYNONYMS = {
    "sex": {"l": "L", "lk": "L", "laki laki": "L", "laki": "L", "pria": "L", "p": "P", "pr": "P", "wanita": "P"},
    "relation": {
        "istri": "pasangan", "suami": "pasangan", "kepala rumah tangga": "kepala", "anak kandung": "anak",
        "anak tiri": "anak", "anak angkat": "anak", "cucu": "lainnya", "orang tua": "lainnya", "mertua": "lainnya",
        "menantu": "lainnya", "famili lain": "lainnya", "family lain": "lainnya", "pembantu": "lainnya",
    },
    "dukcapil_match": {"ya": "padan", "tidak": "tidak_padan", "sudah padan": "padan", "belum padan": "tidak_padan"},
    "stunting_risk": {"berisiko stunting": "beresiko", "tidak berisiko stunting": "tidak_beresiko"},
}
_CHOICE_FIELDS = {
    "house_ownership": hm.HouseOwnership, "roof_type": hm.RoofType, "roof_quality": hm.Quality,
    "wall_type": hm.WallType, "wall_quality": hm.Quality, "floor_type": hm.FloorType, "floor_quality": hm.Quality,
    "lighting": hm.Lighting, "cooking_fuel": hm.CookingFuel, "water_source": hm.WaterSource, "toilet": hm.Toilet,
    "stunting_risk": hm.StuntingRisk, "verval_priority": hm.VervalPriority, "sex": hm.Sex, "relation": hm.Relation,
    "marital_status": hm.MaritalStatus, "occupation": hm.Occupation, "education": hm.Education,
    "dukcapil_match": hm.DukcapilMatch,
}


def build_context(*, data_year: int | None = None, today: datetime.date | None = None) -> Context:
    """Villages and choice maps from the registry. Labels are matched in their source language
    (the P3KE spelling), whatever language the operator's session uses."""
    by_code, by_names = {}, {}
    for pk, code_plain, name, kecamatan_name in Desa.objects.values_list("pk", "code_plain", "name", "kecamatan__name"):
        by_code[code_plain] = pk
        by_names[(norm(kecamatan_name), norm(name))] = pk
    with translation.override(None):
        choices = {
            name: ChoiceMap([(code, str(label)) for code, label in enum.choices], _SYNONYMS.get(name))
            for name, enum in _CHOICE_FIELDS.items()
        }
    return Context(
        desa_by_code=by_code, desa_by_names=by_names, choices=choices,
        today=today or timezone.localdate(), data_year=data_year,
    )


def _canon(value):
    """Comparable form of a stored or incoming value (also the form kept in ``source_values``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    absent: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "absent": self.absent}


@dataclass(slots=True)
class Change:
    """An update of one stored record: the fields to set, its new snapshot and raw values."""

    pk: int
    fields: dict
    snapshot: dict
    raw: dict
    record: object


@dataclass
class Plan:
    extract: Extract
    households: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)
    household_ids: dict[str, int] = field(default_factory=dict)  # natural key -> stored pk
    household_creates: list[HouseholdRecord] = field(default_factory=list)
    household_changes: list[Change] = field(default_factory=list)
    household_absent: list[int] = field(default_factory=list)
    member_creates: list[MemberRecord] = field(default_factory=list)
    member_changes: list[Change] = field(default_factory=list)
    member_absent: list[int] = field(default_factory=list)
    member_ids: dict[int, int] = field(default_factory=dict)  # id(record) -> stored pk
    head_member_ids: dict[str, int] = field(default_factory=dict)  # household key -> head member pk
    full_extract: bool = True
    enrollments_planned: int = 0

    @property
    def errors(self):
        return self.extract.issues.errors

    @property
    def warnings(self):
        return self.extract.issues.warnings

    @property
    def has_changes(self) -> bool:
        return bool(
            self.household_creates or self.household_changes or self.household_absent
            or self.member_creates or self.member_changes or self.member_absent
        )

    def summary(self) -> dict:
        issues = self.extract.issues
        return {
            "households": self.households.as_dict(),
            "members": self.members.as_dict(),
            "errors": len(issues.errors),
            "warnings": len(issues.warnings),
            "error_rows": len(issues.error_rows),
            "warning_rows": len(issues.warning_rows),
            "rows": self.extract.total_rows,
            "data_year": self.extract.data_year,
            "enrollments_planned": self.enrollments_planned,
        }


def _diff(*, current: dict, cur_raw: dict, record, is_absent: bool) -> tuple[list[str], bool]:
    """Fields whose incoming non-blank value differs from the stored one; whether raw values differ."""
    # Equal values are equal in canonical form too: compare plainly first (most fields, most rows).
    candidates = [
        name for name, value in record.values.items()
        if value != (stored := current.get(name)) and _canon(value) != _canon(stored)
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
    for start in range(0, len(changes_pending), UPDATE_CHUNK):
        chunk = changes_pending[start : start + UPDATE_CHUNK]
        snapshots = dict(model.objects.filter(pk__in=[c[0] for c in chunk]).values_list("pk", "source_values"))
        for pk, record, current, cur_raw, candidates in chunk:
            snapshot = snapshots.get(pk) or {}
            to_set = {}
            for name in candidates:
                value = record.values[name]
                stored = current.get(name)
                if name in _ALWAYS_TAKEN or _canon(stored) is None or snapshot.get(name, _MISSING) == _canon(stored):
                    to_set[name] = value
                elif snapshot.get(name) != _canon(value):
                    log_warning(
                        record, label(name),
                        f"Koreksi lokal dipertahankan: registri '{_show(stored)}', data baru '{_show(value)}'",
                    )
            new_snapshot = {**snapshot, **{k: _canon(v) for k, v in record.values.items()}}
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


def make_plan(extract: Extract, *, full_extract: bool = True) -> Plan:
    """Compare ``extract`` with the registry; nothing is written."""
    plan = Plan(extract=extract, full_extract=full_extract)
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
            # Two records with one KK: the DTKS-sourced one (else the oldest) is the match.
            if row[-1] != DataSource.DTKS or stored[key][-1] == DataSource.DTKS:
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
    if full_extract and has_household_sheet:
        present = set(extract.households) | set(extract.rejected_households)
        for key, row in stored.items():
            current_is_absent, source = row[-2], row[-1]
            if key in present or current_is_absent:
                continue
            if p3ke or source == DataSource.DTKS:
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
            if row[10] == hm.Relation.HEAD:
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
            elif not extract.has_member_sheet and record.values.get("relation") == hm.Relation.HEAD and household_id in heads:
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
    plan.enrollments_planned = aid_claims_count(claims=_planned_claims(extract), year=extract.data_year)
    return plan


def _planned_claims(extract: Extract) -> list[AidClaim]:
    """The ``Penerima ...`` claims of an extract not yet written, households named by their natural
    key and people by their record (a family row's claim names the family's head)."""
    claims = []
    for key, record in extract.households.items():
        claims += [AidClaim(household=key, member="head", aid=aid) for aid in record.recipients]
    for record in extract.members:
        if record.recipients:
            person = "head" if record.values.get("relation") == hm.Relation.HEAD else id(record)
            claims += [AidClaim(household=record.household_key, member=person, aid=aid) for aid in record.recipients]
    return claims


def _household_label(name: str) -> str:
    return str(Household._meta.get_field(name.removesuffix("_id")).verbose_name)


def _member_label(name: str) -> str:
    return str(Member._meta.get_field(name.removesuffix("_id")).verbose_name)


# --- writing


def _history_reason(batch: ImportBatch | None) -> str:
    return f"Impor batch #{batch.pk}" if batch is not None and batch.pk else "Impor"


def apply_plan(
    plan: Plan,
    *,
    batch: ImportBatch | None,
    by=None,
    progress: Callable[[int], None] | None = None,
):
    """Write the plan in one transaction; a failure anywhere writes nothing. Returns the
    ``BulkEnrollmentResult`` of what the ``Penerima ...`` columns claim."""
    from simple_history.utils import bulk_create_with_history

    reason = _history_reason(batch)
    source = DataSource.P3KE if plan.extract.kind == "p3ke" else DataSource.DTKS
    now = timezone.now()
    tick = progress or (lambda n: None)

    with transaction.atomic():
        # Households: create
        key_ids = plan.household_ids
        fast = bulkcopy.available()
        user_id = getattr(by, "pk", None)
        batch_id = batch.pk if batch is not None else None
        for start in range(0, len(plan.household_creates), COPY_CHUNK if fast else CHUNK):
            chunk = plan.household_creates[start : start + (COPY_CHUNK if fast else CHUNK)]
            if fast:
                rows = [
                    {
                        **record.values, "source": source, "raw_values": record.raw, "last_batch_id": batch_id,
                        "source_values": {k: _canon(v) for k, v in record.values.items()},
                    }
                    for record in chunk
                ]
                ids = bulkcopy.insert_with_history(Household, rows, user_id=user_id, reason=reason, now=now)
            else:
                objects = [
                    Household(
                        **record.values, source=source, raw_values=record.raw, last_batch=batch,
                        source_values={k: _canon(v) for k, v in record.values.items()},
                    )
                    for record in chunk
                ]
                created = bulk_create_with_history(objects, Household, batch_size=CHUNK, default_user=by, default_change_reason=reason)
                ids = [obj.pk for obj in created]
            for record, pk in zip(chunk, ids):
                key_ids[record.key] = pk
            tick(len(chunk))
        # Households: update, mark absent
        _write_changes(plan.household_changes, Household, batch, by, reason, now, tick)
        _mark_absent(plan.household_absent, Household, batch, by, reason, now, tick)

        # Members
        member_ids = plan.member_ids
        for start in range(0, len(plan.member_creates), COPY_CHUNK if fast else CHUNK):
            chunk = plan.member_creates[start : start + (COPY_CHUNK if fast else CHUNK)]
            rows = []
            for record in chunk:
                values = {k: v for k, v in record.values.items() if k != "household_id"}
                rows.append(
                    {
                        **values, "household_id": key_ids[record.household_key], "raw_values": record.raw,
                        "last_batch_id": batch_id, "source_values": {k: _canon(v) for k, v in values.items()},
                    }
                )
            if fast:
                ids = bulkcopy.insert_with_history(Member, rows, user_id=user_id, reason=reason, now=now)
            else:
                created = bulk_create_with_history(
                    [Member(**row) for row in rows], Member, batch_size=CHUNK, default_user=by, default_change_reason=reason
                )
                ids = [obj.pk for obj in created]
            for record, pk in zip(chunk, ids):
                member_ids[id(record)] = pk
            tick(len(chunk))
        _write_changes(plan.member_changes, Member, batch, by, reason, now, tick)
        _mark_absent(plan.member_absent, Member, batch, by, reason, now, tick)

        return aid_claims_record(
            claims=_recorded_claims(plan), year=plan.extract.data_year,
            source=EnrollmentSource.P3KE if plan.extract.kind == "p3ke" else EnrollmentSource.DTKS, batch=batch, by=by,
        )


def _write_changes(changes: list[Change], model, batch, by, reason, now, tick) -> None:
    from simple_history.utils import bulk_update_with_history

    for start in range(0, len(changes), UPDATE_CHUNK):
        chunk = changes[start : start + UPDATE_CHUNK]
        objects = model.objects.in_bulk([c.pk for c in chunk])
        names = {"source_values", "raw_values", "last_batch", "updated_at"}
        touched = []
        for change in chunk:
            obj = objects[change.pk]
            for name, value in change.fields.items():
                setattr(obj, name, value)
                names.add(name)
            obj.source_values = change.snapshot
            obj.raw_values = change.raw
            obj.last_batch = batch
            obj.updated_at = now
            touched.append(obj)
        if bulkcopy.available():
            bulkcopy.update_with_history(model, touched, sorted(names), user_id=getattr(by, "pk", None), reason=reason, now=now)
        else:
            bulk_update_with_history(
                touched, model, fields=sorted(names), batch_size=500, default_user=by, default_change_reason=reason
            )
        tick(len(chunk))


def _mark_absent(pks: list[int], model, batch, by, reason, now, tick) -> None:
    from simple_history.utils import bulk_update_with_history

    for start in range(0, len(pks), UPDATE_CHUNK):
        objects = list(model.objects.in_bulk(pks[start : start + UPDATE_CHUNK]).values())
        for obj in objects:
            obj.is_absent = True
            obj.last_batch = batch
            obj.updated_at = now
        if bulkcopy.available():
            bulkcopy.update_with_history(
                model, objects, ["is_absent", "last_batch", "updated_at"], user_id=getattr(by, "pk", None), reason=reason, now=now
            )
        else:
            bulk_update_with_history(
                objects, model, fields=["is_absent", "last_batch", "updated_at"], batch_size=500,
                default_user=by, default_change_reason=reason,
            )
        tick(len(objects))


def _recorded_claims(plan: Plan) -> list[AidClaim]:
    """The ``Penerima ...`` claims of a written plan, by household and member id. A family row's
    claim names the family's head: from this extract, else from the registry."""
    extract = plan.extract
    key_ids = plan.household_ids
    member_ids = plan.member_ids
    heads: dict[int, int] = {}
    records = extract.members if extract.has_member_sheet else [h.head for h in extract.households.values() if h.head]
    for record in records:
        if record.values.get("relation") == hm.Relation.HEAD and id(record) in member_ids:
            heads.setdefault(key_ids.get(record.household_key), member_ids[id(record)])
    missing_heads = [
        key_ids[key] for key, record in extract.households.items() if record.recipients and key_ids[key] not in heads
    ]
    for start in range(0, len(missing_heads), 5000):
        for household_id, pk in Member.objects.filter(
            household_id__in=missing_heads[start : start + 5000], relation=hm.Relation.HEAD
        ).values_list("household_id", "pk"):
            heads.setdefault(household_id, pk)
    claims = []
    for key, record in extract.households.items():
        household_id = key_ids[key]
        claims += [AidClaim(household=household_id, member=heads.get(household_id), aid=aid) for aid in record.recipients]
    for record in extract.members:
        if record.recipients and id(record) in member_ids:
            household_id, member_id = key_ids[record.household_key], member_ids[id(record)]
            claims += [AidClaim(household=household_id, member=member_id, aid=aid) for aid in record.recipients]
    return claims
