"""DTKS and DTSEN re-sync: a family read exactly as its stored records were is skipped as unchanged.

Pure Python. A family spans several rows (one per person) grouped by No KK, and its household is
built from all of them (the head's row, the first row's address): the household is unchanged only
when every one of its rows is, and no row was added or removed. So the household keeps the chained
hash of its family's rows (``rowhash.family_chain``) and each member the hash of its own row.

``FamilyRows`` hands a table's rows on a family (a run of rows with one No KK) at a time. A family
whose chained hash is its stored household's, each row hashed as a stored member of that household
was (no formula cell, no ID seen earlier in the file), is counted unchanged without being read:
``SkippedRow``s for the household and its members, their IDs noted for the duplicate checks of
the rows after them. The rows of every other family are handed on to be read as usual, in file
order. A family whose rows are not all together (a row with its No KK further down) cannot be
judged from one run: ``Ungrouped`` is raised, and the caller reads the file again without skipping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .cells import read_recipients, skipped_nik
from .common import NO_RECIPIENTS, Extract, RowReader
from .rowhash import KnownRows, SkippedRow, family_chain
from .values import id_text


class Ungrouped(Exception):
    """A family skipped as unchanged has another row further down the file."""


class FamilyRows:
    """The rows of one table for the parser: ``rows()`` yields ``(row, cells, row hash)`` of the
    rows to read, and records the families skipped as unchanged in ``extract``. ``id_rows`` and
    ``nik_rows`` are the parser's first rows of each ID DTKS and NIK (``table_no`` is this table's
    number in them); ``is_read(key)`` says whether a family already has rows read (then its later
    rows are read too)."""

    def __init__(
        self, table, reader: RowReader, column_index: dict[int, str], known: KnownRows | None, extract: Extract,
        row_hash: Callable[[object], int], id_rows: dict, nik_rows: dict, is_read: Callable[[str], bool], *,
        table_no: int = 0,
    ) -> None:
        self.table, self.reader, self.known, self.extract, self.row_hash = table, reader, known, extract, row_hash
        self.table_no = table_no
        self.id_rows, self.nik_rows, self.is_read = id_rows, nik_rows, is_read
        self.kk_index = next(index for index, key in column_index.items() if key == "no_kk")
        self.formula_rows = {row for row, _ in table.formula_cells}
        self.skipped = 0  # rows counted unchanged
        self._read: set[str] = set()

    def rows(self) -> Iterator[tuple[int, list, int]]:
        run_key, run = None, []
        skipped = self.extract.skipped_households
        for row, cells in self.table.rows:
            key = id_text(cells[self.kk_index])
            if key != run_key:
                yield from self._flush(run_key, run)
                run_key, run = key, []
            if key in skipped:
                raise Ungrouped(key)
            digest = self.row_hash(cells)
            if self._candidate(key):
                run.append((row, cells, digest))
            else:
                self._read.add(key)
                yield row, cells, digest
        yield from self._flush(run_key, run)

    def _candidate(self, key: str) -> bool:
        """Whether ``key``'s rows may be skipped: a present household stored with a family hash,
        none of whose rows was read yet."""
        if self.known is None or not key or key in self._read or self.is_read(key):
            return False
        stored = self.known.households.get(key)
        return stored is not None and not stored[1] and stored[3] is not None

    def _flush(self, key: str | None, run: list) -> Iterator[tuple[int, list, int]]:
        if not run or self._skip(key, run):
            return
        self._read.add(key)
        yield from run

    def _skip(self, key: str, run: list) -> bool:
        """Record the family ``run`` as unchanged when it is; whether it was."""
        household_pk, _, _, stored_hash, _ = self.known.households[key]
        chain = None
        for _, _, digest in run:
            chain = family_chain(chain, digest)
        if chain != stored_hash:
            return False
        members, reader = self.known.members, self.reader
        found, digests, ids, niks = [], set(), set(), set()
        for row, cells, digest in run:
            member = members.get(digest)
            if row in self.formula_rows or row in self.table.refused or member is None or member[1] != household_pk or digest in digests:
                return False
            reader.load(row, cells)
            dtks_id = id_text(reader.get("dtks_id"), 40)
            nik = skipped_nik(reader.get("nik"), member[3])
            if (dtks_id and (dtks_id in self.id_rows or dtks_id in ids)) or (nik and (nik in self.nik_rows or nik in niks)):
                return False  # a repeated ID: read as usual, to be refused or warned about
            ids.add(dtks_id)
            niks.add(nik)
            digests.add(digest)
            found.append((row, cells, digest, dtks_id, nik))
        sheet = self.table.name
        for row, cells, digest, dtks_id, nik in found:
            pk, _, is_head, _ = self.known.take(digest)
            reader.load(row, cells)  # its aid cells, read only now: a family read as usual warns once
            self.extract.skipped_members.append(SkippedRow(key, sheet, row, pk, read_recipients(reader), is_head))
            if dtks_id:
                self.id_rows[dtks_id] = (self.table_no, row)
            if nik:
                self.nik_rows[nik] = (key, self.table_no, row)
        self.extract.skipped_households[key] = SkippedRow(key, sheet, run[0][0], household_pk, NO_RECIPIENTS)
        self.skipped += len(run)
        return True
