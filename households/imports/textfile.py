"""Text tables (``.csv``, ``.txt``): the encoding and the separator, found from the content.

Pure Python. Offices send UTF-8 (with or without a byte-order mark) or Windows-1252 (what Excel
saves as "CSV" on an Indonesian Windows), or UTF-16 (Excel's "Unicode Text"), separated by ``,``
``;`` ``|`` or a tab (SIKS-NG exports use ``|``). A file pasted together from both of the first two
(two villages' files, one saved by Excel) is read line by line, each line in its own encoding. The
separator is the one that splits the first lines into the same number of fields most often; title
lines above the header do not count against it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator

SEPARATORS = (",", ";", "|", "\t")
_SAMPLE_LINES = 60


# A character UTF-8 writes in two to four bytes: seen in a file that is not UTF-8 throughout, the
# file mixes encodings (Windows-1252 text almost never holds one).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def is_utf16(head: bytes) -> bool:
    """Whether a text file opens with UTF-16's byte-order mark (its ASCII then holds NUL bytes)."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode(data: bytes) -> str | None:
    if is_utf16(data):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        return "".join(_single_byte(line) for line in data.splitlines(keepends=True)).removeprefix("\ufeff")
    return _single_byte(data)


def _single_byte(data: bytes) -> str:
    """``data`` as UTF-8 when it is, else as Windows-1252 (else Latin-1, which decodes any byte)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


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
    """``(line number, fields)`` of a decoded text table, its lines ended as Windows (CR LF), Linux (LF)
    or the classic Mac (CR alone: Excel's "CSV (Macintosh)") ends them."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text))
    for index, cells in enumerate(reader):
        yield index + 1, cells
