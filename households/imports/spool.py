"""Records kept in a temporary file in compact chunks instead of one list in memory.

Pure Python. A province's individual sheet holds millions of rows: kept as objects, its member
records alone would take gigabytes. ``RecordSpool`` pickles them ``CHUNK`` at a time (the parts
``MemberRecord.packed`` takes, the shared field-name tuples and aid sets once per chunk) into an
unnamed temporary file, and gives them back in file order, chunk by chunk, as often as asked:
the comparison reads them once, the write once more. A row refused after its record was kept (a
later duplicate of its ID) is left out when read (``dropped``), as the list's filter did.
``HouseholdSpool`` keeps a household sheet's records the same way, as a mapping by family key.

``Spool`` is the plain sequence of pickled items under it; the plan keeps its per-chunk decisions
in one too. A forked child appends to the file it inherited (the file offset is shared, the
parent reads only once the child is done) and tells the parent its counts (``state``).
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .common import NO_RAW, NO_RECIPIENTS, HouseholdRecord, MemberRecord, packed_values, shared_recipients

# Records per pickled chunk: large enough that pickling costs little per record, small enough
# that a chunk of objects (about 600 bytes a record) stays a few megabytes.
CHUNK = 5_000


class Spool:
    """Items appended to an unnamed temporary file and read back in order; reading does not
    disturb appending (each reader keeps its own position). The file is made at the first item,
    or at once with ``shared`` (a child forked afterwards writes into it)."""

    def __init__(self, *, shared: bool = False) -> None:
        self._file = None
        self.items = 0
        if shared:
            self._handle()

    def _handle(self):
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="konut-import-")
        return self._file

    def put(self, item) -> None:
        handle = self._handle()
        handle.seek(0, 2)
        pickle.dump(item, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.items += 1

    def __iter__(self) -> Iterator:
        if not self.items:
            return
        handle = self._file
        handle.flush()
        position = 0
        for _ in range(self.items):
            handle.seek(position)
            item = pickle.load(handle)
            position = handle.tell()
            yield item

    def sync(self) -> None:
        """Hand what was written to the file itself (a child ends without flushing its buffers)."""
        if self._file is not None:
            self._file.flush()


class RecordSpool:
    """Member records in a ``Spool``, chunk by chunk; iterating gives ``MemberRecord``s again (a
    fresh object each time: what a reader sets on one is not kept). Each table's records are a
    part of their own (``begin``): a row number names one record within its part, even when two
    files hold a sheet of the same name. ``shared``: see ``Spool``."""

    def __init__(self, *, shared: bool = False) -> None:
        self._spool = Spool(shared=shared)
        self._buffer: list[tuple] = []
        self._part = 0
        self._sheet = ""
        self.count = 0  # records appended, dropped ones included
        self.dropped: set[tuple[int, int]] = set()  # (part, row) of the records left out

    def begin(self, sheet: str) -> None:
        """The records of another table follow."""
        self.flush()
        self._part += 1
        self._sheet = sheet

    def append(self, record: MemberRecord) -> None:
        self._buffer.append(
            (record.household_key, record.row, record._names, record._data, record.raw, record.recipients, record.row_hash)
        )
        self.count += 1
        if len(self._buffer) >= CHUNK:
            self.flush()

    def add(self, household_key: str, row: int, values: dict, raw: dict, recipients, row_hash: int) -> None:
        """Append the record ``MemberRecord(household_key, <this table>, row, values, raw, recipients)``
        with its row hash, without making it (a row loop's records go nowhere else)."""
        names, data = packed_values(values)
        self._buffer.append((household_key, row, names, data, raw or NO_RAW, recipients or NO_RECIPIENTS, row_hash))
        self.count += 1
        if len(self._buffer) >= CHUNK:
            self.flush()

    def extend(self, records: Iterable[MemberRecord]) -> None:
        """Append the (kept) records of other tables, each table a part of its own."""
        sheet = None
        for record in records:
            if record.sheet != sheet:
                sheet = record.sheet
                self.begin(sheet)
            self.append(record)

    def drop(self, rows: Iterable[int]) -> None:
        """Leave out the records of these rows of the current table."""
        self.dropped.update((self._part, row) for row in rows)

    def flush(self) -> None:
        if self._buffer:
            self._spool.put((self._part, self._sheet, self._buffer))
            self._buffer = []

    def state(self) -> tuple[int, int, int, set[tuple[int, int]]]:
        """What a child tells its parent about the spool it wrote: items, last part, records, dropped rows."""
        self.flush()
        self._spool.sync()
        return self._spool.items, self._part, self.count, self.dropped

    def adopt(self, state: tuple[int, int, int, set[tuple[int, int]]]) -> None:
        """Take the counts of what a child wrote into this spool's file."""
        self._spool.items, self._part, self.count, self.dropped = state

    def chunks(self) -> Iterator[list[MemberRecord]]:
        """The kept records, one chunk at a time, in the order they were appended."""
        for _part, records in self.parts():
            yield records

    def parts(self) -> Iterator[tuple[int, list[MemberRecord]]]:
        """``chunks``, each with the part (the table) its records belong to, for ``drop_in``."""
        self.flush()
        for part, sheet, parts in self._spool:
            dropped = {row for dropped_part, row in self.dropped if dropped_part == part}
            yield part, [
                MemberRecord.packed(key, sheet, row, names, data, raw or NO_RAW, shared_recipients(recipients), row_hash)
                for key, row, names, data, raw, recipients, row_hash in parts
                if row not in dropped
            ]

    def drop_in(self, part: int, row: int) -> None:
        """Leave out the record of ``row`` of the table ``part`` (as ``parts`` gives it)."""
        self.dropped.add((part, row))

    def __iter__(self) -> Iterator[MemberRecord]:
        for chunk in self.chunks():
            yield from chunk


class HouseholdSpool:
    """A P3KE household sheet's records by family key, kept on disk as the member records are: in
    memory only each key with the position of its record, and per position the record's sheet,
    row and the aid its row claims (one shared set); the records are pickled ``CHUNK`` at a time
    and read back in order, a fresh ``HouseholdRecord`` each time (what a reader sets on one is not
    kept; ``set_all`` sets a value on every record). It answers what the import asks of
    ``common.HouseholdRecords``; a key stored again or popped (a duplicate family) leaves its
    earlier record out. The heads read from the household sheet are kept with their family until
    ``drop_heads`` (an individual sheet came)."""

    def __init__(self) -> None:
        self._spool = Spool()
        self._buffer: list[tuple] = []
        self._index: dict[str, int] = {}  # key -> position of its record
        self._keys: list[str] = []  # the one string of each key: records read back share it
        self._sheets: list[str] = []
        self._rows = array("q")  # no int object per row
        self._recipients: list = []
        self._set: dict = {}
        self._heads = True
        # The villages of the records put, and where each tuple of names holds ``desa_id`` (``desa_ids``).
        self._desa_ids: set = set()
        self._desa_at: dict[tuple, int] = {}
        # Each record's head NIK as a number (0: none), for ``head_nik``; where each tuple of names holds it.
        self._head_niks = array("q")
        self._head_at: dict[tuple, int] = {}

    # --- writing
    def __setitem__(self, key: str, record: HouseholdRecord) -> None:
        head = record.head
        if head is not None and self._heads:
            head = (head._names, head._data, head.raw, head.row_hash)
        else:
            head = None
        self._put(key, record.sheet, record.row, record._names, record._data, record.raw, record.recipients, record.row_hash, head)

    def add(self, key: str, sheet: str, row: int, values: dict, raw: dict, recipients, row_hash: int, head_values: dict, head_raw: dict) -> None:
        """Store ``HouseholdRecord(key, sheet, row, values, raw, recipients, head)`` with its row hash,
        its head ``MemberRecord(key, sheet, row, head_values, head_raw, NO_RECIPIENTS)`` with the
        same hash, without making either (a row loop's records go nowhere else)."""
        head = (*packed_values(head_values), head_raw or NO_RAW, row_hash) if self._heads else None
        self._put(key, sheet, row, *packed_values(values), raw, recipients, row_hash, head)

    def _put(self, key: str, sheet: str, row: int, names: tuple, data: tuple, raw, recipients, row_hash, head) -> None:
        self._buffer.append((key, row, names, data, raw, recipients, row_hash, head))
        self._index[key] = len(self._rows)
        self._keys.append(key)
        self._sheets.append(sheet)
        self._rows.append(row)
        self._recipients.append(recipients)
        at = self._desa_at.get(names)
        if at is None:
            at = self._desa_at[names] = names.index("desa_id") if "desa_id" in names else -1
        if at >= 0:
            self._desa_ids.add(data[at])
        at = self._head_at.get(names)
        if at is None:
            at = self._head_at[names] = names.index("head_nik") if "head_nik" in names else -1
        head_nik = data[at] if at >= 0 else None
        self._head_niks.append(int(head_nik) if head_nik and head_nik.isdigit() else 0)
        if len(self._buffer) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._spool.put(self._buffer)
            self._buffer = []

    def pop(self, key: str, default=None):
        """Leave out the record of ``key``; return its place (``.sheet``, ``.row``), or ``default``."""
        position = self._index.pop(key, None)
        if position is None:
            return default
        return Place(self._sheets[position], self._rows[position])

    def place(self, key: str) -> Place | None:
        """The place (``.sheet``, ``.row``) of the record of ``key``, None without one."""
        position = self._index.get(key)
        return None if position is None else Place(self._sheets[position], self._rows[position])

    def head_nik(self, key: str) -> str | None:
        """The head NIK of the record of ``key``, without reading it; None without one (or no record)."""
        position = self._index.get(key)
        if position is None or not self._head_niks[position]:
            return None
        return f"{self._head_niks[position]:016d}"

    def desa_ids(self) -> set:
        """The villages of the records, without reading them (a record left out may leave its village)."""
        return self._desa_ids

    def set_all(self, name: str, value) -> None:
        """Every record is read with ``name`` set to ``value``."""
        self._set[name] = value

    def drop_heads(self) -> None:
        """The heads read from the household sheet are not needed (members come from an individual sheet)."""
        self._heads = False

    # --- reading
    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def recipients(self) -> Iterator[tuple[str, frozenset]]:
        """``(key, programs)`` of each record whose row claims aid, without reading the records."""
        found = self._recipients
        for key, position in self._index.items():
            if found[position]:
                yield key, found[position]

    def records(self, chosen=None) -> Iterator[HouseholdRecord]:
        """The records in the order they were stored (those ``chosen(position)`` names, if given)."""
        self._flush()
        index, keys, sheets, changes, heads = self._index, self._keys, self._sheets, self._set, self._heads
        position, plans = 0, {}
        for parts in self._spool:
            for _key, row, names, data, raw, recipients, row_hash, head in parts:
                key = keys[position]
                if index.get(key) == position and (chosen is None or chosen(position)):
                    sheet = sheets[position]
                    if head is not None and heads:
                        head_names, head_data, head_raw, head_hash = head
                        head = MemberRecord.packed(
                            key, sheet, row, head_names, head_data, head_raw or NO_RAW, NO_RECIPIENTS, head_hash
                        )
                    else:
                        head = None
                    if changes:
                        names, data = _changed(names, data, changes, plans)
                    yield HouseholdRecord.packed(
                        key, sheet, row, names, data, raw or NO_RAW, shared_recipients(recipients), row_hash, head
                    )
                position += 1

    def values(self) -> Iterator[HouseholdRecord]:
        return self.records()

    def partition(self, known) -> tuple[Selection, Selection]:
        """The records whose key is not in ``known`` (to create) and those whose key is, chosen by
        key alone: none is read (a first import compares none of its records)."""
        new, matched = Selection(self), Selection(self)
        for key, position in self._index.items():
            (matched if key in known else new)._choose(position)
        return new, matched


def _changed(names: tuple, data: tuple, changes: dict, plans: dict) -> tuple[tuple, tuple]:
    """``names`` and ``data`` with ``changes`` set, as ``HouseholdRecord.set`` would (a new name
    last); ``plans`` keeps where each change goes for each tuple of names (a handful per file)."""
    plan = plans.get(names)
    if plan is None:
        merged = dict.fromkeys(names)
        merged.update(changes)
        new_names = tuple(merged)
        plan = plans[names] = (new_names, len(new_names) - len(names), [(new_names.index(n), v) for n, v in changes.items()])
    new_names, added, places = plan
    values = [*data, *(None,) * added]
    for index, value in places:
        values[index] = value
    return new_names, tuple(values)


class Place(NamedTuple):
    sheet: str
    row: int


class Selection:
    """Some of a ``HouseholdSpool``'s records (the comparison's households to create), read back
    from it in order: one byte a record in memory, not the records."""

    def __init__(self, spool: HouseholdSpool) -> None:
        self._spool = spool
        self._chosen = bytearray()
        self._count = 0

    def _choose(self, position: int) -> None:
        if position >= len(self._chosen):
            self._chosen.extend(bytes(position + 1 - len(self._chosen)))
        if not self._chosen[position]:
            self._chosen[position] = 1
            self._count += 1

    def __len__(self) -> int:
        return self._count

    def same(self, other: Selection) -> bool:
        """Whether ``other`` chooses the same records of the same spool."""
        return self._spool is other._spool and self._chosen.rstrip(b"\0") == other._chosen.rstrip(b"\0")

    def __iter__(self) -> Iterator[HouseholdRecord]:
        if self._count:
            chosen = self._chosen
            yield from self._spool.records(lambda position: position < len(chosen) and chosen[position])
