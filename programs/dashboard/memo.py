"""The dashboard's heavy counts, remembered until the registry changes.

At province scale (700,000 families, two million enrollments) the counts take seconds even as
single grouped scans, and Bappeda opens the page far more often than the registry changes. Each
count is kept in Django's cache under a key made of its name, its arguments and the registry
version (``programs.registry_version``): any committed write through the registry's
services, imports, admin or engine changes it, so the next request computes the counts afresh.
Inside a transaction that has written itself (no version) every count is computed. Only counts are remembered, by ids: names and the order of the
rows are read on every request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.core.cache import cache

from agencies.models import User
from agencies.selectors import sees_everything
from programs.registry_version import registry_version

if TYPE_CHECKING:
    from programs.dashboard.scope import DashboardFilters

T = TypeVar("T")

# A remembered count is dropped after this long even if the registry did not change: it bounds what
# a write past the history (a manual SQL repair) could leave behind.
TIMEOUT_S = 6 * 60 * 60


def user_scope(user: User) -> tuple:
    """Who sees the same figures: everyone who sees everything alike, an agency's users alike."""
    if sees_everything(user):
        return ("all",)
    if user.is_agency_user and user.agency_id:
        return ("agency", user.agency_id)
    return ("none",)


_UNREAD = object()


def remembered(name: str, args: tuple, compute: Callable[[], T], *, version: str | None | object = _UNREAD) -> T:
    """``compute()``, or its value from the cache when it was computed for the same ``args`` at the
    same registry version. ``version``: the caller's ``registry_version()``, to read it once for
    several counts (``None``: compute)."""
    version = registry_version() if version is _UNREAD else version
    if version is None:
        return compute()
    digest = hashlib.sha256(repr((name, args, version)).encode()).hexdigest()
    key = f"konut:dasbor:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT_S)
    return value


def compute_now(name: str, compute: Callable[[], T]) -> T:
    """Compute a count afresh: what the selectors do unless given a ``Remember``."""
    return compute()


class Remember:
    """Keeps one request's counts for a user's scope and filters: ``remember(name, compute)``. The
    registry version is read once, when the request starts."""

    def __init__(self, user: User, filters: DashboardFilters):
        self.args = (user_scope(user), filters.key)
        self.version = registry_version()

    def __call__(self, name: str, compute: Callable[[], T]) -> T:
        return remembered(name, self.args, compute, version=self.version)

    def general(self, name: str, compute: Callable[[], T]) -> T:
        """A count that depends on the user's scope but not on the filters."""
        return remembered(name, self.args[:1], compute, version=self.version)
