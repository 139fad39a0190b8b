"""Lists of ``size`` items from any iterable, the last one shorter: how the import compares the
registry a thousand records at a time and how the exports read their rows (``itertools.batched``
from Python 3.12, as lists)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
