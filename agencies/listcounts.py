"""The household list's count and totals, remembered while the registry has not changed.

At province scale (700,000 families, 2 million enrollments) counting an agency's households and
summing its enrollments by status reads most of both tables, seconds per page, while the rows of a
page come from an index in milliseconds. The count and the totals depend only on the filters and on
the registry, so they are kept in Django's cache under a key made of the query and the registry
version (``programs.registry_version``), read once per page: a commit after it was read
changes it, and the next page counts again. Inside a transaction that has written itself nothing is
cached or reused. Reference data (villages, kecamatan) carries no history: entries also expire after
``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import router
from django.db.models import QuerySet
from django.utils.functional import cached_property

from programs.registry_version import registry_version

CACHE_SECONDS = 10 * 60
_PREFIX = "konut:daftar-keluarga:"


def _key(version: str, kind: str, queryset: QuerySet, extra: str = "") -> str:
    if not queryset.query.is_sliced and not queryset.query.combinator:
        queryset = queryset.order_by()  # one count whatever the sort
    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(f"{version}\n{kind}\n{sql}\n{params!r}\n{extra}".encode()).hexdigest()
    return _PREFIX + digest


class ListMemo:
    """What one list request may take from the cache, sharing one version read: the version is read
    before anything it keys is computed, so a value is never older than its key."""

    def __init__(self, model):
        self.using = router.db_for_read(model)
        self._version: str | None | bool = False  # False: not read yet

    @property
    def version(self) -> str | None:
        if self._version is False:
            self._version = registry_version(self.using)
        return self._version

    def remembered(self, kind: str, compute: Callable[[], object], *, queryset: QuerySet, extra: str = ""):
        """``compute()``, or its value from the cache for the same query and registry version."""
        version = self.version
        if version is None:
            return compute()
        try:
            key = _key(version, kind, queryset, extra)
        except EmptyResultSet:  # a query that cannot match (a search that found no one): nothing to count
            return compute()
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, CACHE_SECONDS)
        return value

    def count(self, queryset: QuerySet) -> int:
        return self.remembered("count", queryset.count, queryset=queryset)


class ListPaginator(Paginator):
    """A paginator whose count comes from ``count()`` (``ListMemo.count``) and whose pages past the middle are read from
    the other end: the last page of 190,000 households is the first 50 rows of the reversed order
    (an index walk) instead of 190,000 rows sorted and skipped. Every list ordering ends on the
    primary key, so the reversed order is exactly the same rows backwards."""

    def __init__(self, object_list: QuerySet, per_page: int, *, count: Callable[[], int]):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count - top:
            return self._get_page(self.object_list[bottom:top], number, self)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)
