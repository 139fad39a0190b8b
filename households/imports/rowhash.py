"""Row hashes: a re-sync of a file skips the rows the registry already took in unchanged.

Each record an import writes keeps the hash of the file row it was read from (``source_row_hash``).
The hash covers the row's cells as read and the layout they were read in: the kind of import, the
table's column -> field map, the data year and the parsing options that change what is stored
(value synonyms, villages, loaded regions) and ``VERSION``. A row whose hash equals its stored
record's (not absent, not merged) would be read into the same values and compared as unchanged:
the parser counts it without validating it (``SkippedRow``), and the comparison leaves it alone.
A DTKS or DTSEN household is read from all its family's rows: it keeps the chained hash of those
rows (``family_chain``), and its members their own rows' hashes.

Pure Python: the stored hashes (``KnownRows``) are read from the registry by ``compare.known_rows``.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

# Bump when parsing would store something else from the same cells, or the cells are hashed
# otherwise: every row is read again once.
VERSION = 5


def signature(*parts) -> bytes:
    """A digest of what, besides a row's cells, decides what the row is stored as."""
    return hashlib.blake2b(repr((VERSION, *parts)).encode(), digest_size=32).digest()


def table_hasher(signature: bytes, layout: str, column_index: dict[int, str], *extra) -> Callable[[object], int]:
    """The row hash of one table: ``row_hash(cells)``, a signed 64-bit int (a ``BigIntegerField``),
    the same in every process (no Python ``hash``)."""
    key = hashlib.blake2b(repr((layout, sorted(column_index.items()), *extra)).encode(), key=signature, digest_size=32)
    base = hashlib.blake2b(key=key.digest(), digest_size=8)

    def row_hash(cells) -> int:
        digest = base.copy()
        digest.update(cell_bytes(cells))
        return int.from_bytes(digest.digest(), "big", signed=True)

    return row_hash


def cell_bytes(cells) -> bytes:
    """A row's cells as bytes that tell every value and its type apart: ``marshal`` (a third of
    ``repr``'s time; format 2 writes no back-references, so equal cells give equal bytes whatever
    objects hold them), ``repr`` for a row with a cell marshal cannot write (a date)."""
    try:
        return b"m" + marshal.dumps(cells, 2)
    except ValueError:
        return b"r" + repr(cells).encode()


def family_chain(previous: int | None, row_hash: int) -> int:
    """The hash of a family spread over several rows (DTKS, DTSEN: one row per person): chained
    over its rows' hashes in file order, so a changed, added, removed or moved row changes it. The
    rows' hashes already carry the table's layout and the parsing options (``table_hasher``)."""
    data = (previous or 0).to_bytes(8, "big", signed=True) + row_hash.to_bytes(8, "big", signed=True)
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


class SkippedRow(NamedTuple):
    """A file row skipped as unchanged: what the import still needs of it. Its record's ``pk``
    (a household's, or a member's), the aid its ``Penerima ...`` columns claim (recorded again, as
    for any unchanged row), and for a member whether the registry holds it as the family's head.
    A tuple: a forked reader's rows come back as plain tuples and are made into these in C, tens of
    thousands at once (``p3ke_fork.collect``)."""

    household_key: str
    sheet: str
    row: int
    pk: int
    recipients: frozenset
    is_head: bool = False


@dataclass
class KnownRows:
    """The registry's records as a re-sync needs them, without their fields: each household key's
    ``(pk, is_absent, source, row hash, regency)``; each present member's row hash -> ``(pk, household_id,
    is_head, nik)``, and ``(pk, household_id)`` of a present member whose hash another
    member holds too (``shadowed``)."""

    households: dict[str, tuple[int, bool, str, int | None, int]] = field(default_factory=dict)
    members: dict[int, tuple[int, int, bool, str]] = field(default_factory=dict)
    shadowed: list[tuple[int, int]] = field(default_factory=list)
    # The member hashes a row took (``take``), in order: a forked reader sends them to its parent.
    taken: list[int] = field(default_factory=list)
    # The families a full extract could mark absent, by regency and data year
    # (``{regency: [(data year, families)]}``), counted as the households are read.
    markable: dict[int, list[tuple[int | None, int]]] = field(default_factory=dict)
    # The keys of records merged into another (``Household.merged_into``) that no present record
    # holds, each to the merged record's pk: in ``households`` they stand for the family kept.
    merged: dict[str, int] = field(default_factory=dict)
    _keys: dict[int, str] | None = field(default=None, repr=False)

    def take(self, row_hash: int) -> tuple[int, int, bool, str]:
        """The stored member of ``row_hash``, taken by a row skipped as unchanged: no longer among
        the members no row took (``untaken_members``)."""
        self.taken.append(row_hash)
        return self.members.pop(row_hash)

    def taken_elsewhere(self, row_hashes) -> None:
        """The member hashes another process's rows took (its ``taken``)."""
        members = self.members
        for row_hash in row_hashes:
            members.pop(row_hash, None)

    def unchanged_household(self, key: str, row_hash: int) -> int | None:
        """The pk of the present household ``key`` when it was stored from a row with this hash."""
        stored = self.households.get(key)
        if stored is None or stored[1] or stored[3] != row_hash:
            return None
        return stored[0]

    def household_key(self, pk: int) -> str | None:
        """The key of a stored household, by its pk."""
        if self._keys is None:
            self._keys = {row[0]: key for key, row in self.households.items() if key not in self.merged}
        return self._keys.get(pk)

    def untaken_members(self):
        """``(pk, household_id)`` of the present members with a hash that no row took."""
        yield from ((row[0], row[1]) for row in self.members.values())
        yield from self.shadowed
