"""What the source last said about a record (``source_values``), in comparable form.

Each household and member keeps the values its last extract gave (``source_values``). A stored value
that differs from that snapshot was corrected here, and a new extract does not overwrite it: the
comparison (``compare``) reads snapshots, the writing (``write``) stores them.
"""

from __future__ import annotations

import datetime


def canonical(value):
    """Comparable form of a stored or incoming value (also the form kept in ``source_values``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# Values that ``canonical`` keeps as they are (unless empty): tested inline, one call fewer per value.
_AS_IS = frozenset({str, int, bool, float})


def source_snapshot(values: dict) -> dict:
    """The ``source_values`` of a record created from ``values``."""
    return {
        name: value if value.__class__ in _AS_IS and value != "" else canonical(value)
        for name, value in values.items()
    }


def merged_sources(values, raw: dict, snapshot: dict, cur_raw: dict) -> tuple[dict, dict]:
    """A stored record's new ``source_values`` and ``raw_values`` once a file's ``values`` and
    ``raw`` (the values no choice list knew) are taken in: a field the file now gives leaves the raw values."""
    new_snapshot = {**snapshot, **source_snapshot(values)}
    merged = {**cur_raw, **raw}
    for name in values:
        merged.pop(name, None)
    return new_snapshot, merged
