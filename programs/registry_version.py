"""The registry's version: a short text that changes with every committed write to what the pages
count, read in one cheap query. The household list and the dashboard keep their heavy counts with
the version they were counted at (``KeptCounts`` below), so a count is shown as current only while
nothing it depends on has changed.

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
a kept count is also counted again after ``MAX_AGE``.

``KeptCounts`` keeps the heavy counts in the database (``programs.models.KeptFigure``, shared by
every web process and the background worker) with the version they were counted at. After a write,
a count that was quick the last time is counted again at once (``inline_budget_s``: the seconds a
request may spend on them, by how long each took the last time; the rest of a page's target is
rendering). A slow one is shown from its last count when the page allows it (``stale_ok``): the
page then says when the figures it shows were counted and that a recount is running, and asks the
worker for it (``recount_requested``). A count whose recount was asked for more than
``RECOUNT_GRACE`` ago and is still not done (no worker running, a long import ahead of it in the
queue) is counted by the request itself. ``fresh=True`` (a page's "hitung ulang sekarang", offered
with the last counts) counts now what predates the registry's last write; a count of the current
version is already what counting now would give, so asking again costs nothing. A slow count is
made by one request at a time (``counting_since``): while one counts it, the others show its last
count, labelled as being counted again.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from dedup.models import Conflict, ConflictEvent, IdentityMatch
from households.models import Household, Member
from programs.models import EligibilityRule, Enrollment, KeptFigure, Program

T = TypeVar("T")

# A recount asked of the worker and not done after this long is done by the next request.
RECOUNT_GRACE = datetime.timedelta(minutes=5)
# A kept count older than this is counted again even if the registry version did not move: it bounds
# what a write past the history (a manual SQL repair) could leave behind.
MAX_AGE = datetime.timedelta(hours=6)
# A slow figure is counted by one request at a time ("hitung ulang sekarang" pressed by many users,
# or a recount the worker left undone): the others show its last count. A request still counting
# after this long is taken to have died.
COUNTING_HORIZON = datetime.timedelta(minutes=5)
# How long a process keeps a current count in its own memory (Django's cache) besides the database.
LOCAL_SECONDS = 10 * 60
# Kept counts nobody asked for in this long are deleted by the background recounts (filters tried once).
FORGET_AFTER = datetime.timedelta(days=7)


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


class KeptCounts:
    """One request's kept counts, sharing one version read (see the module's docstring). Afterwards
    ``computed_at`` is the time of the oldest count shown and ``stale`` whether any of them predates
    the registry's last write."""

    def __init__(self, *, using: str = "default", stale_ok: bool = False, fresh: bool = False, inline_budget_s: float = 0.2):
        self.using = using
        self.inline_budget_s = inline_budget_s
        self.stale_ok, self.fresh = stale_ok, fresh
        self._version: str | None | bool = False  # False: not read yet
        self.computed_at: datetime.datetime | None = None
        self.stale = False
        self._stale_keys: list[str] = []
        self._inline_s = 0.0

    @property
    def version(self) -> str | None:
        """Read before anything it keys is counted, so that a count is never older than its key."""
        if self._version is False:
            self._version = registry_version(self.using)
        return self._version

    def get(self, key: str, compute: Callable[[], T], *, as_of: str = "") -> T:
        """``compute()``, or the count kept under ``key`` (a digest of what is counted). ``as_of``:
        the day a count depends on besides the registry (the dashboard's under-fives): a count of
        another day is as stale as one of another registry version. Tuples read back as lists."""
        if self.version is None:
            return compute()
        version = f"{self.version}|{as_of}"
        # This process's own memory first: an unchanged registry costs no query.
        local = f"konut:kept:{key}:{hashlib.sha256(version.encode()).hexdigest()}"
        hit = cache.get(local)
        if hit is not None and timezone.now() - hit[0] < MAX_AGE:
            self._shown(hit[0])
            return hit[1]
        kept = KeptFigure.objects.using(self.using).filter(key=key).first()
        if kept is not None and kept.version == version and timezone.now() - kept.computed_at < MAX_AGE:
            cache.set(local, (kept.computed_at, kept.value), LOCAL_SECONDS)
            self._shown(kept.computed_at)
            return kept.value
        # Asked for figures counted now (``fresh``): a count of the current version is that already.
        if kept is not None and not self.fresh and self._may_show_stale(kept):
            self.stale = True
            if kept.recount_requested_at is None:
                self._stale_keys.append(key)
            self._shown(kept.computed_at)
            return kept.value
        claimed = self._claim(kept) if kept is not None and self.stale_ok and kept.seconds > self.inline_budget_s else None
        if claimed is False:
            # Another page is counting this figure now: its last count, labelled, until that one is kept.
            self.stale = True
            self._shown(kept.computed_at)
            return kept.value
        started = time.perf_counter()
        try:
            value = compute()
        except BaseException:
            if claimed:
                KeptFigure.objects.using(self.using).filter(pk=kept.pk, counting_since=claimed).update(counting_since=None)
            raise
        seconds = time.perf_counter() - started
        self._inline_s += seconds
        now = timezone.now()
        KeptFigure.objects.using(self.using).bulk_create(
            [KeptFigure(key=key, version=version, computed_at=now, seconds=seconds, value=value)],
            update_conflicts=True, unique_fields=["key"],
            update_fields=["version", "computed_at", "seconds", "value", "recount_requested_at", "counting_since"],
        )
        value = _as_stored(value)
        cache.set(local, (now, value), LOCAL_SECONDS)
        self._shown(now)
        return value

    def _may_show_stale(self, kept: KeptFigure) -> bool:
        if not self.stale_ok or self._inline_s + kept.seconds <= self.inline_budget_s:
            return False
        return kept.recount_requested_at is None or timezone.now() - kept.recount_requested_at < RECOUNT_GRACE

    def _claim(self, kept: KeptFigure) -> datetime.datetime | bool:
        """Mark the slow figure ``kept`` as being counted by this request; its mark (the time), or
        False when another request is counting it (a mark older than ``COUNTING_HORIZON`` is one
        whose request died: taken over)."""
        now = timezone.now()
        taken = (
            KeptFigure.objects.using(self.using)
            .filter(Q(counting_since__isnull=True) | Q(counting_since__lt=now - COUNTING_HORIZON), pk=kept.pk)
            .update(counting_since=now)
        )
        return now if taken else False

    def _shown(self, at: datetime.datetime) -> None:
        if self.computed_at is None or at < self.computed_at:
            self.computed_at = at

    def recount_requested(self) -> bool:
        """Mark the stale counts shown as asked for; True when this request is the one to ask the
        worker (no other request asked since they were last counted)."""
        if not self._stale_keys:
            return False
        asked = KeptFigure.objects.using(self.using).filter(
            key__in=self._stale_keys, recount_requested_at__isnull=True
        ).update(recount_requested_at=timezone.now())
        return asked > 0


def forget_unused(using: str = "default") -> int:
    """Delete the kept counts not counted for ``FORGET_AFTER``; how many."""
    deleted, _ = KeptFigure.objects.using(using).filter(computed_at__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


def _as_stored(value):
    """``value`` as it reads back from the store: tuples as lists, the way JSON keeps them."""
    if isinstance(value, (list, tuple)):
        return [_as_stored(item) for item in value]
    return value
