"""Write an ``ExtractPlan``: households and members in bulk, each write with its history row.

Who, when and which batch go into the history (``simple_history``); on PostgreSQL new records and
updates go through COPY (``konut_registry.bulkcopy``), elsewhere through ``bulk_create_with_history``
and ``bulk_update_with_history``. Nothing is deleted: a record missing from a full extract is marked
``is_absent``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from households.models import DataSource, Household, ImportBatch, Member
from konut_registry import bulkcopy
from konut_registry.chunks import chunked

from . import aids
from .snapshot import merged_sources, source_snapshot

if TYPE_CHECKING:
    from .plan import Change, ExtractPlan
    from .rowhash import KnownRows

logger = logging.getLogger(__name__)

CHUNK = 2000
COPY_CHUNK = 5000  # also the progress step of the write on PostgreSQL
UPDATE_CHUNK = 1000


# Why a family held without a No KK took the file's (``attach``): its history says so.
RECOGNISED_REASON = "dikenali dari NIK kepala keluarga, No KK dari berkas"


def _history_reason(batch: ImportBatch | None) -> str:
    return f"Impor batch #{batch.pk}" if batch is not None and batch.pk else "Impor"


def write_records(plan: ExtractPlan, *, batch: ImportBatch | None, by, tick: Callable[[int], None]) -> None:
    """Write the plan's households, then its members: new ones in bulk (COPY on PostgreSQL), then
    the updates, then the absent marks, each with its history row. Fills in the new ids in
    ``plan.household_ids`` and the member records' ``pk``, every household written or whose members were
    in ``plan.touched_households`` (a moved member's old family too), and the members who moved to
    another family in ``plan.moved_members``. The new households written already while the file was
    read (``plan.households_ahead``) are not written again. The caller holds the transaction."""
    touched = plan.touched_households
    reason = _history_reason(batch)
    now = timezone.now()

    # Households: create
    key_ids = plan.household_ids
    fast = bulkcopy.available()
    user_id = getattr(by, "pk", None)
    batch_id = batch.pk if batch is not None else None
    creates = plan.household_creates
    ahead = plan.households_ahead
    if ahead is not None:
        if not ahead.covers(creates):
            raise RuntimeError("The households written ahead are not the plan's new households.")
        creates = ()
        key_ids.update(ahead.ids)
        touched.update(ahead.ids.values())
        tick(len(ahead.ids))
    for chunk, ids in _create_households(creates, DataSource(plan.extract.kind), batch=batch, by=by, reason=reason, now=now):
        for record, pk in zip(chunk, ids):
            key_ids[record.key] = pk
        touched.update(ids)
        tick(len(chunk))
    # Households: update, mark absent
    recognised = plan.households_recognised
    plain, by_nik = [], []
    for change in plan.household_changes:
        (by_nik if change.pk in recognised else plain).append(change)
    _write_changes(plain, Household, batch, by, reason, now, tick)
    _write_changes(by_nik, Household, batch, by, f"{reason}: {RECOGNISED_REASON}", now, tick)
    _mark_absent(plan.household_absent, Household, batch, by, reason, now, tick)
    touched.update(change.pk for change in plan.household_changes)
    touched.update(plan.household_absent)

    # Members, chunk by chunk as the comparison left them (read again from where they are kept):
    # the new ones, then the updates; then the absent marks. The aid claims of the records (written
    # or unchanged, each with its id now) are noted for ``aids.aid_record`` as they pass.
    # (pk, NIK, household) of each new member whose NIK is also a member's marked absent below.
    gone_niks = _niks(plan.member_absent)
    rows_created: list[tuple[int, str, int]] = []
    upcoming = plan.member_chunks(COPY_CHUNK if fast else CHUNK)
    ahead: list = []  # the next chunk, once read

    def read_next() -> None:
        ahead.append(next(upcoming, None))

    read_next()
    while (current := ahead.pop()) is not None:
        records, chunk, changes = current
        household_ids = [key_ids[record.household_key] for record in chunk]
        # Each row built as it is written (on PostgreSQL, while the rows before it are); the next
        # chunk read from where it is kept before the last row: while PostgreSQL still writes the
        # rows sent before it, not while it waits for them.
        rows = _reading_ahead((
            {
                **values, "household_id": household_id, "raw_values": record.raw,
                "last_batch_id": batch_id, "source_values": source_snapshot(values),
                "source_row_hash": record.row_hash,
            }
            for record, household_id in zip(chunk, household_ids)
            for values in ({k: v for k, v in record.values.items() if k != "household_id"},)
        ), len(chunk), read_next)
        if not chunk:
            ids = []
        elif fast:
            ids = bulkcopy.insert_with_history(Member, rows, count=len(chunk), user_id=user_id, reason=reason, now=now)
        else:
            created = bulk_create_with_history(
                [Member(**row) for row in rows], Member, batch_size=CHUNK, default_user=by, default_change_reason=reason
            )
            ids = [obj.pk for obj in created]
        for record, pk, household_id in zip(chunk, ids, household_ids):
            record.pk = pk
            if gone_niks:
                nik = record.get("nik")
                if nik in gone_niks:
                    rows_created.append((pk, nik, household_id))
        touched.update(household_ids)
        tick(len(chunk))
        _write_changes(changes, Member, batch, by, reason, now, tick, households=touched, moved=plan.moved_members)
        aids.note_members(plan, records)
        if not ahead:  # no row to create in this chunk, none to read the next one before
            read_next()
    gone: list[tuple[int, str, int]] = []
    _mark_absent(plan.member_absent, Member, batch, by, reason, now, tick, households=touched, gone=gone)
    plan.member_successors.update(_successors(gone, rows_created))


def _reading_ahead(rows, count: int, read: Callable[[], None]) -> Iterator[dict]:
    """``rows`` (``count`` of them), calling ``read`` just before the last one is given."""
    for number, row in enumerate(rows, 1):
        if number == count:
            read()
        yield row


def _create_households(records, source: DataSource, *, batch, by, reason: str, now) -> Iterator[tuple[list, list[int]]]:
    """Create the households of ``records`` with their history, a chunk at a time: ``(chunk, ids)``."""
    fast = bulkcopy.available()
    user_id = getattr(by, "pk", None)
    batch_id = batch.pk if batch is not None else None
    for chunk in chunked(records, COPY_CHUNK if fast else CHUNK):
        if fast:
            # Each row built as COPY reads it: while PostgreSQL writes the rows before it.
            rows = (
                {
                    **values, "source": source, "raw_values": record.raw, "last_batch_id": batch_id,
                    "source_values": source_snapshot(values), "source_row_hash": record.row_hash,
                }
                for record in chunk
                for values in (record.values,)
            )
            ids = bulkcopy.insert_with_history(Household, rows, count=len(chunk), user_id=user_id, reason=reason, now=now)
        else:
            objects = []
            for record in chunk:
                values = record.values
                objects.append(Household(
                    **values, source=source, raw_values=record.raw, last_batch=batch,
                    source_values=source_snapshot(values), source_row_hash=record.row_hash,
                ))
            created = bulk_create_with_history(objects, Household, batch_size=CHUNK, default_user=by, default_change_reason=reason)
            ids = [obj.pk for obj in created]
        yield chunk, ids


class HouseholdsAhead:
    """The new families of a P3KE extract, written in the import's transaction as soon as the
    household sheet is read, while a forked process still reads the individual sheet
    (``Context.households_read``): the database writes them while the rows of the members are
    checked. Only the families whose key the registry does not hold (the comparison's households
    to create, chosen by key alone, as ``compare.make_plan`` chooses them from the same records and
    stored keys); nothing is compared or updated ahead. Outside a transaction (a preview) nothing is
    written. A failure rolls back to before it and leaves the households to ``write_records``, which
    meets it again and fails the import as it always did."""

    def __init__(self, *, kind: str, batch: ImportBatch | None, by) -> None:
        self.kind, self.batch, self.by = kind, batch, by
        self.ids: dict[str, int] = {}  # natural key -> new pk
        self._written = None

    def __call__(self, extract, known: KnownRows | None, progress: Callable[[int], None] | None = None) -> None:
        """``progress`` is called with 0 after each chunk: the rows the forked process read meanwhile
        are counted (``p3ke_fork.WithChildRows``)."""
        if known is None or not connection.in_atomic_block:
            return
        new, _stored = extract.households.partition(known.households)
        now = timezone.now()
        ids: dict[str, int] = {}
        try:
            with transaction.atomic():  # a savepoint
                reason = _history_reason(self.batch)
                for chunk, pks in _create_households(new, DataSource(self.kind), batch=self.batch, by=self.by, reason=reason, now=now):
                    ids.update(zip((record.key for record in chunk), pks))
                    if progress is not None:
                        progress(0)
        except Exception:  # noqa: BLE001 - written again by ``write_records``, whose failure the batch tells
            logger.exception("Writing the new households ahead failed")
            return
        self.ids, self._written = ids, new

    @property
    def written(self) -> bool:
        return self._written is not None

    def covers(self, creates) -> bool:
        """Whether ``creates`` (the plan's households to create, a ``spool.Selection``) are the
        households written here."""
        return self._written is not None and self._written.same(creates)


def _niks(member_pks: list[int]) -> set[str]:
    """The NIKs of these members (in chunks)."""
    found: set[str] = set()
    for chunk in chunked(member_pks, UPDATE_CHUNK):
        found.update(Member.objects.filter(pk__in=chunk).exclude(nik="").values_list("nik", flat=True))
    return found


def _successors(gone: list[tuple[int, str, int]], created: list[tuple[int, str, int]]) -> dict[int, int]:
    """{old member: new member} for a person (by NIK) whose record left one family (marked absent)
    while a new record was created in another: the file did not carry the person's own id, so the
    same person came in as a new record. Only unambiguous NIKs (one record each way)."""
    def by_nik(records):
        found: dict[str, list[tuple[int, int]]] = {}
        for pk, nik, household_id in records:
            if nik:
                found.setdefault(nik, []).append((pk, household_id))
        return found

    old, new = by_nik(gone), by_nik(created)
    return {
        old[nik][0][0]: new[nik][0][0]
        for nik in old.keys() & new.keys()
        if len(old[nik]) == 1 and len(new[nik]) == 1 and old[nik][0][1] != new[nik][0][1]
    }


def _write_changes(changes: list[Change], model, batch, by, reason, now, tick, *, households=None, moved=None) -> None:
    """Update the changed records. For members, ``households`` collects their households (old and
    new) and ``moved`` the members whose family changed."""
    for chunk in chunked(changes, UPDATE_CHUNK):
        objects = model.objects.in_bulk([c.pk for c in chunk])
        names = {"source_values", "raw_values", "source_row_hash", "last_batch", "updated_at"}
        touched = []
        for change in chunk:
            obj = objects[change.pk]
            if households is not None:
                households.add(obj.household_id)
                new_household = change.fields.get("household_id", obj.household_id)
                if new_household != obj.household_id:
                    moved.add(obj.pk)
                    households.add(new_household)
            for name, value in change.fields.items():
                setattr(obj, name, value)
                names.add(name)
            record = change.record
            values, raw = change.sources()
            obj.source_values, obj.raw_values = merged_sources(values, raw, obj.source_values or {}, obj.raw_values or {})
            if not change.filled_only:  # the stored hash stays the newer row's (``compare._keep_hash``)
                obj.source_row_hash = record.row_hash  # None from a file read without row hashes
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


def _mark_absent(pks: list[int], model, batch, by, reason, now, tick, *, households=None, gone=None) -> None:
    """Mark the records absent. For members, ``households`` collects their households and ``gone``
    (pk, NIK, household) of each."""
    for chunk in chunked(pks, UPDATE_CHUNK):
        objects = list(model.objects.in_bulk(chunk).values())
        for obj in objects:
            if households is not None:
                households.add(obj.household_id)
                gone.append((obj.pk, obj.nik, obj.household_id))
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


def store_row_hashes(plan: ExtractPlan) -> None:
    """Keep the row hash of each unchanged record whose stored one differs (``rowhash``): bookkeeping
    of the import, not a change of the record, so neither its history nor its batch changes."""
    for model, pairs in ((Household, plan.household_hashes), (Member, plan.member_hashes)):
        for chunk in chunked(pairs, UPDATE_CHUNK):
            model.objects.bulk_update([model(pk=pk, source_row_hash=row_hash) for pk, row_hash in chunk], ["source_row_hash"])
