"""The dashboard's heavy counts, kept until the registry changes, and shown from their last count
while a slow recount runs.

At province scale (700,000 families, two million enrollments) the counts take seconds each even as
single grouped scans, 17-25 s for the whole page, and Bappeda opens the page far more often than the
registry changes. Each count is kept (``programs.registry_version.KeptCounts``) under a key made of
its name and arguments. After a write the page shows the slow ones from their last count, says when
that was, and asks the worker (``programs.dashboard.tasks``) to count them again; the exports always
count at the registry's version. Only counts are kept, by ids: names and the order of the rows are
read on every request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from agencies.models import User
from agencies.selectors import sees_everything
from programs.registry_version import KeptCounts, registry_version

if TYPE_CHECKING:
    from programs.dashboard.scope import DashboardFilters

T = TypeVar("T")

# Counts the dashboard may redo itself after a write, in seconds (by how long each took the last
# time): the rest of its one second is rendering.
INLINE_BUDGET_S = 0.25


def user_scope(user: User) -> tuple:
    """Who sees the same figures: everyone who sees everything alike, an agency's users alike."""
    if sees_everything(user):
        return ("all",)
    if user.is_agency_user and user.agency_id:
        return ("agency", user.agency_id)
    return ("none",)


class Remember(KeptCounts):
    """Keeps one request's counts for a user's scope and filters: ``remember(name, compute)``. The
    page passes ``stale_ok=True`` (slow counts from their last count after a write, labelled); the
    exports and the background recount count whatever is past."""

    def __init__(self, user: User, filters: DashboardFilters | None = None, *, stale_ok: bool = False, fresh: bool = False):
        super().__init__(stale_ok=stale_ok, fresh=fresh, inline_budget_s=INLINE_BUDGET_S)
        self.scope = user_scope(user)
        self.filters_key = filters.key if filters is not None else None
        self._version = registry_version(self.using)  # read now, before anything it keys is counted

    def for_filters(self, filters: DashboardFilters) -> Remember:
        """The filters, once known (the years offered are read before them)."""
        self.filters_key = filters.key
        return self

    def __call__(self, name: str, compute: Callable[[], T], *, as_of: str = "") -> T:
        return self.get(_key(name, (self.scope, self.filters_key)), compute, as_of=as_of)

    def general(self, name: str, compute: Callable[[], T]) -> T:
        """A count that depends on the user's scope but not on the filters."""
        return self.get(_key(name, (self.scope,)), compute)


# Part of every kept count's key, raised when what the counts mean changes, so that counts kept
# under the old meaning are counted again rather than shown. 2: enrollments, conflicts and identity
# duplicates of current households only, as the lists the figures link to. 3: the conflicts of
# families gone from the data counted apart; the verval candidates under the place filters.
COUNTS_MEANING = 3


def _key(name: str, args: tuple) -> str:
    return hashlib.sha256(repr(("dasbor", COUNTS_MEANING, name, args)).encode()).hexdigest()


def compute_now(name: str, compute: Callable[[], T], **_context) -> T:
    """Compute a count afresh: what the selectors do unless given a ``Remember``."""
    return compute()
