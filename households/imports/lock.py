"""One import that writes at a time: a PostgreSQL advisory lock around planning and writing."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

# Imports that write take this PostgreSQL advisory lock (any constant; one lock for the registry).
IMPORT_LOCK_KEY = 7409_0001


@contextmanager
def import_lock():
    """Imports that write run one at a time, from reading the registry to the commit: two imports
    of the same file started together would each plan against the registry without the other's
    rows and then both write (families twice, or a unique-key failure). A session lock, so it
    spans the planning and the write transaction, and ends with the connection if a worker dies.
    SQLite needs none here: it serialises writers, and the development setup runs one worker."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])
