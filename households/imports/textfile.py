"""Text tables (``.csv``, ``.txt``): the encoding and the separator, found from the content.

Pure Python. Offices send UTF-8 (with or without a byte-order mark) or Windows-1252 (what Excel
saves as "CSV" on an Indonesian Windows), separated by ``,`` ``;`` ``|`` or a tab (SIKS-NG exports
use ``|``). The separator is the one that splits the first lines into the same number of fields
most often; title lines above the header do not count against it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator

SEPARATORS = (",", ";", "|", "\t")
_SAMPLE_LINES = 60


def decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - latin-1 decodes any byte


def sniff_separator(text: str) -> str:
    """The separator whose most common field count (above one) covers the most sample lines,
    wider tables winning ties."""
    lines = [line for line in text.splitlines()[:_SAMPLE_LINES] if line.strip()]
    best, best_score = ",", (0, 0)
    for separator in SEPARATORS:
        counts = Counter(len(fields) for fields in csv.reader(lines, delimiter=separator))
        counts.pop(1, None)
        if not counts:
            continue
        width, lines_with = max(counts.items(), key=lambda item: (item[1], item[0]))
        score = (lines_with, width)
        if score > best_score:
            best, best_score = separator, score
    return best


def text_rows(text: str) -> Iterator[tuple[int, list]]:
    """``(line number, fields)`` of a decoded text table."""
    reader = csv.reader(io.StringIO(text), delimiter=sniff_separator(text))
    for index, cells in enumerate(reader):
        yield index + 1, cells
