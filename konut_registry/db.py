"""Database helpers that several parts of the registry share and that know no model."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction


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


def new_value_errors(instance, errors: dict) -> dict:
    """Of a form's ``errors`` (field name -> error), those of values the save changes: a value the
    record already stored, from before a rule existed, is not refused again, so that the record
    stays open to other corrections. The stored values are read once, and only when there are
    errors (a form that passes costs no query)."""
    if not errors or instance.pk is None or instance._state.adding:
        return errors
    stored = type(instance)._base_manager.filter(pk=instance.pk).values(*errors).first() or {}
    return {name: error for name, error in errors.items() if stored.get(name) != getattr(instance, name)}


# Deleting households or members, and recording identity matches, take this PostgreSQL advisory
# lock (any constant, other than the import's): ``identity_records_locked``.
IDENTITY_RECORDS_LOCK_KEY = 7409_0002


@contextmanager
def identity_records_locked(using: str | None = None):
    """A transaction holding, to its end, the lock that an identity scan and a deletion of
    households or members take: the later one waits for the first to commit. The database does
    not check what an identity match points at (``dedup.models.IdentityMatch``): a household deleted
    while a scan records its matches would leave them pointing at nothing. After the wait, the
    deletion finds the scan's matches and takes them with it, or the scan no longer finds the
    record. Entered before a deletion collects what goes with the record. SQLite serialises writers
    itself."""
    with transaction.atomic(using=using):
        db = connections[using or DEFAULT_DB_ALIAS]
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IDENTITY_RECORDS_LOCK_KEY])
        yield
