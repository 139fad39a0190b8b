"""Sequence helpers of the bulk paths. ``chunked``: lists of ``size`` items from any iterable, the
last one shorter: how the import compares the registry a thousand records at a time and how the
exports read their rows (``itertools.batched`` from Python 3.12, as lists). ``picker``: the items at
some positions of a sequence, picked in one C call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def picker(indexes: Sequence[int]) -> Callable[[Sequence], tuple]:
    """A function giving the items of a sequence at ``indexes`` as a tuple, whatever their number
    (``itemgetter`` gives a bare item for one index)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    indexes = tuple(indexes)
    return lambda items: tuple(items[i] for i in indexes)
