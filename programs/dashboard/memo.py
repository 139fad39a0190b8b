"""The dashboard's heavy counts, kept until the registry changes, and shown from their last count
while a slow recount runs.

At province scale (700,000 families, two million enrollments) the counts take seconds each even as
single grouped scans, 17-25 s for the whole page, and Bappeda opens the page far more often than the
registry changes. Each count is kept in the database (``programs.models.KeptFigure``, shared by every
web process and the background worker) under a key made of its name and arguments, with the registry
version (``programs.registry_version``) it was counted at: any committed write through the
registry's services, imports, admin or engine changes the version.

After a write, a count that was quick the last time (``INLINE_BUDGET_S`` for the whole request) is
counted again at once. A slow one is shown from its last count when the page allows it
(``stale_ok``): the page then says when the figures it shows were counted and that a recount is
running, and asks the worker for it (``programs.dashboard.tasks``). A figure whose recount was asked
for more than ``RECOUNT_GRACE`` ago and is still not done (no worker running, a long import ahead of
it in the queue) is counted by the request itself: a figure is never older than that without saying
so, nor older than that at all. ``fresh=True`` (the page's "hitung ulang sekarang") counts everything
now. Inside a transaction that has written itself (no version) every count is computed and nothing
is kept. Only counts are kept, by ids: names and the order of the rows are read on every request.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q
from django.utils import timezone

from agencies.models import User
from agencies.selectors import sees_everything
from programs.models import KeptFigure
from programs.registry_version import registry_version

if TYPE_CHECKING:
    from programs.dashboard.scope import DashboardFilters

T = TypeVar("T")

# Counts a request may redo itself after a write, in seconds (by how long each took the last time):
# the rest of the page's one-second target is rendering.
INLINE_BUDGET_S = 0.4
# A recount asked of the worker and not done after this long is done by the next request.
RECOUNT_GRACE = datetime.timedelta(minutes=5)
# A kept count older than this is counted again even if the registry version did not move: it bounds
# what a write past the history (a manual SQL repair) could leave behind.
MAX_AGE = datetime.timedelta(hours=6)
# Kept counts nobody asked for in this long are deleted by the background recount (filters tried once).
FORGET_AFTER = datetime.timedelta(days=7)


def user_scope(user: User) -> tuple:
    """Who sees the same figures: everyone who sees everything alike, an agency's users alike."""
    if sees_everything(user):
        return ("all",)
    if user.is_agency_user and user.agency_id:
        return ("agency", user.agency_id)
    return ("none",)


def figure_key(name: str, args: tuple) -> str:
    return hashlib.sha256(repr((name, args)).encode()).hexdigest()


def _store(key: str, version: str, value, seconds: float) -> datetime.datetime:
    """Keep ``value`` as counted at ``version``, clearing any pending recount request."""
    now = timezone.now()
    KeptFigure.objects.bulk_create(
        [KeptFigure(key=key, version=version, computed_at=now, seconds=seconds, value=value)],
        update_conflicts=True, unique_fields=["key"],
        update_fields=["version", "computed_at", "seconds", "value", "recount_requested_at"],
    )
    return now


class Remember:
    """Keeps one request's counts for a user's scope and filters: ``remember(name, compute)``. The
    registry version is read once, when the request starts. Afterwards ``computed_at`` is the time
    of the oldest count shown, ``stale`` whether any of them predates the registry's last write, and
    ``stale_keys`` the ones the worker should count again (``recount_requested``)."""

    def __init__(self, user: User, filters: DashboardFilters | None = None, *, stale_ok: bool = False, fresh: bool = False):
        self.scope = user_scope(user)
        self.filters_key = filters.key if filters is not None else None
        self.version = registry_version()
        self.stale_ok, self.fresh = stale_ok, fresh
        self.computed_at: datetime.datetime | None = None
        self.stale = False
        self.stale_keys: list[str] = []
        self.inline_s = 0.0

    def for_filters(self, filters: DashboardFilters) -> Remember:
        """The filters, once known (the years offered are read before them)."""
        self.filters_key = filters.key
        return self

    def __call__(self, name: str, compute: Callable[[], T], *, as_of: str = "") -> T:
        """``as_of``: the day a count depends on besides the registry (the pockets' under-fives): a
        count of another day is as stale as one of another registry version."""
        return self.remembered(name, (self.scope, self.filters_key), compute, as_of=as_of)

    def general(self, name: str, compute: Callable[[], T]) -> T:
        """A count that depends on the user's scope but not on the filters."""
        return self.remembered(name, (self.scope,), compute)

    def remembered(self, name: str, args: tuple, compute: Callable[[], T], *, as_of: str = "") -> T:
        """``compute()``, or its kept value (see the module's docstring)."""
        if self.version is None:
            return compute()
        key, version = figure_key(name, args), f"{self.version}|{as_of}"
        kept = None if self.fresh else KeptFigure.objects.filter(key=key).first()
        if kept is not None and kept.version == version and timezone.now() - kept.computed_at < MAX_AGE:
            self._shown(kept.computed_at)
            return kept.value
        if kept is not None and self._may_show_stale(kept):
            self.stale = True
            if kept.recount_requested_at is None:
                self.stale_keys.append(key)
            self._shown(kept.computed_at)
            return kept.value
        started = time.perf_counter()
        value = compute()
        seconds = time.perf_counter() - started
        self.inline_s += seconds
        self._shown(_store(key, version, value, seconds))
        # What the page shows is what the next request reads: JSON (tuples become lists).
        return _as_stored(value)

    def _may_show_stale(self, kept: KeptFigure) -> bool:
        if not self.stale_ok or self.inline_s + kept.seconds <= INLINE_BUDGET_S:
            return False
        return kept.recount_requested_at is None or timezone.now() - kept.recount_requested_at < RECOUNT_GRACE

    def _shown(self, at: datetime.datetime) -> None:
        if self.computed_at is None or at < self.computed_at:
            self.computed_at = at

    def recount_requested(self) -> bool:
        """Mark the stale figures as asked for; True when this request is the one to ask the worker
        (no other request asked since they were last counted)."""
        if not self.stale_keys:
            return False
        asked = KeptFigure.objects.filter(
            Q(recount_requested_at__isnull=True), key__in=self.stale_keys
        ).update(recount_requested_at=timezone.now())
        return asked > 0


def forget_unused() -> int:
    """Delete the kept counts not counted for ``FORGET_AFTER``; how many."""
    deleted, _ = KeptFigure.objects.filter(computed_at__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


def _as_stored(value):
    """``value`` as it reads back from the store: tuples as lists, the way JSON keeps them."""
    if isinstance(value, (list, tuple)):
        return [_as_stored(item) for item in value]
    return value


def compute_now(name: str, compute: Callable[[], T], **_context) -> T:
    """Compute a count afresh: what the selectors do unless given a ``Remember``."""
    return compute()
