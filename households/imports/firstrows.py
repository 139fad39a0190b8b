"""The first row of each ID Individu and NIK on an individual sheet: the duplicate checks' memory.

Pure Python. The reading of a province's individual sheet keeps, for millions of rows, the first
row of each ID Individu and NIK (and the NIK's family), while the records themselves go to disk
(``spool``). Each entry is kept as small as Python allows: an ID or NIK that is a plain number is
keyed by the number (half the memory of its text); a row is an int, negative while the row is not
kept (refused, or still being checked), and a NIK's family and row are packed into one int when
the family ID is a plain number (else a ``(family, row)`` pair).
"""

from __future__ import annotations

_ROW_BITS = 32
_ROW_MASK = (1 << _ROW_BITS) - 1


def slot(value: str) -> int | str:
    """An ID as a dictionary key: the number where the text is one (no leading zero, ASCII digits,
    so that the number gives the text back), else the text."""
    return int(value) if value.isascii() and value.isdigit() and value[0] != "0" else value


class FirstRows:
    """``ids``: ID Individu -> signed row; ``niks``: NIK -> the family and signed row, packed.
    Both are keyed by ``slot``: a row loop that has an ID's slot reads and writes them directly
    (``ids[key]``, ``niks[key]`` through ``pack`` and ``unpack``)."""

    __slots__ = ("ids", "niks")

    def __init__(self) -> None:
        self.ids: dict[int | str, int] = {}
        self.niks: dict[int | str, int | tuple[str, int]] = {}

    def refuse(self, rows: set[int]) -> None:
        """The kept rows among ``rows`` are refused after all: their entries say so."""
        ids, niks = self.ids, self.niks
        for value, first in ids.items():
            if first in rows:
                ids[value] = -first
        for value, packed in niks.items():
            family, first = unpack(packed)
            if first in rows:
                niks[value] = pack(family, -first)


def pack(family: str, row: int) -> int | tuple[str, int]:
    number = slot(family)
    if not isinstance(number, int):
        return (family, row)
    packed = number << _ROW_BITS | abs(row)
    return packed if row > 0 else -packed


def refused(packed: int | tuple[str, int]) -> int | tuple[str, int]:
    """``pack(family, -row)`` of ``packed = pack(family, row)``, without packing again."""
    return -packed if packed.__class__ is int else (packed[0], -packed[1])


def unpack(value: int | tuple[str, int]) -> tuple[str, int]:
    if isinstance(value, tuple):
        return value
    packed = abs(value)
    row = packed & _ROW_MASK
    return str(packed >> _ROW_BITS), (row if value > 0 else -row)
