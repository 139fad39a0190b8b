"""The registry's version: a short text that changes with every committed write to what the pages
count, read in one cheap query. The household list and the dashboard keep their heavy counts in
Django's cache under keys that include it, so a count is reused only while nothing it depends on has
changed.

It is made of:

- the largest id of the tables every write path adds a row to, in the transaction that writes: the
  history of households, members, enrollments, programs, eligibility limits, conflicts and identity
  duplicates, the conflict events, and the identity duplicates themselves (the identity scan writes
  them without history). The services, the admin, the imports (through COPY, with history rows) and
  the one-aid engine all do; and
- on PostgreSQL, the transaction ids still running in this database (``pg_stat_activity``; in the
  whole cluster when the database role may not see other roles' sessions). Two transactions can
  commit in the other order than they took their ids: a count taken between the two commits sees the
  larger id without the smaller one's rows. The later commit then changes the version by leaving
  this list. SQLite has one writer at a time, so its ids are committed in order.

``None`` means "do not reuse a count": on PostgreSQL, when this connection's own transaction has
written (its rows are visible to it alone). Reference data (villages, kecamatan) carries no history;
the caches also expire their entries after a while.
"""

from __future__ import annotations

from django.db import connections

from dedup.models import Conflict, ConflictEvent, IdentityMatch
from households.models import Household, Member
from programs.models import EligibilityRule, Enrollment, Program


def _version_tables() -> list[tuple[str, str]]:
    """(table, primary key column) whose largest id moves with every write the counts depend on."""
    tracked = (Household, Member, Enrollment, Program, EligibilityRule, Conflict, IdentityMatch)
    models = [model.history.model for model in tracked] + [ConflictEvent, IdentityMatch]
    return [(model._meta.db_table, model._meta.pk.column) for model in models]


def registry_version(using: str = "default") -> str | None:
    """The version of the registry seen by the connection ``using``, or ``None`` (see above)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    largest = ", ".join(f"(SELECT max({quote(pk)}) FROM {quote(table)})" for table, pk in _version_tables())
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {largest}")
            ids = cursor.fetchone()
        return f"{connection.settings_dict['NAME']}||{','.join(str(value or 0) for value in ids)}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_current_xact_id_if_assigned() IS NOT NULL, "
            # Other roles' sessions show no transaction id without this right: then every
            # transaction running in the cluster counts (correct, only more often recounted).
            "CASE WHEN pg_has_role('pg_read_all_stats', 'USAGE') THEN ARRAY(SELECT backend_xid::text "
            "FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL) "
            "ELSE ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot())::text) END, "
            f"{largest}"
        )
        own_writes, running, *ids = cursor.fetchone()
    if own_writes:
        return None
    return f"{connection.settings_dict['NAME']}|{','.join(sorted(running))}|{','.join(str(value or 0) for value in ids)}"
