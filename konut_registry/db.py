"""Database helpers that several parts of the registry share and that know no model."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def fast_aggregates():
    """Run the enclosed aggregate queries with PostgreSQL's JIT compiler off.

    The dashboard's and the previews' grouped counts over 100,000 households execute in tens of
    milliseconds, but their plan cost is above ``jit_above_cost``, and compiling them took 1-4 s
    (measured in ``bench/bench_dashboard.py``). ``SET LOCAL`` confines the switch to this transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def pg_array(values, *, numbers: bool = False) -> str:
    """``values`` as one PostgreSQL array literal for ``%s::type[]`` (``{1,2,NULL}``,
    ``{"a","b"}``): one parameter whatever their number, parsed by the server in one pass (a
    Python list goes as ``ARRAY[...]``, an expression node per value). ``numbers``: written as
    integers, else as quoted texts; ``None`` is NULL."""
    if numbers:
        return "{" + ",".join("NULL" if v is None else str(int(v)) for v in values) + "}"
    return "{" + ",".join(
        "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
    ) + "}"
