"""The household list's count and totals, kept while the registry has not changed, and shown from
their last count while a slow recount runs.

At province scale (700,000 families, 2 million enrollments) counting an agency's households and
summing its enrollments by status reads most of both tables, seconds per page, while the rows of a
page come from an index in milliseconds. The count and the totals depend only on the filters and on
the registry, so they are kept (``programs.registry_version.KeptCounts``, in the database, shared by
every web process and the worker) under a key made of the query. After a write, the list (with
``stale_ok``) shows a slow count from its last count, says when that was, and asks the worker
(``agencies.tasks``) to count again; the rows of the page are always read now. Pages past the middle
are read from the other end: with a count that is behind by a few households, those pages are as
many rows off, as the label says. A name search's household ids decide which rows show, so they are
never shown stale: they stay in Django's cache under the version, for ``CACHE_SECONDS``.
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

from agencies.selectors import household_list_totals, household_list_totals_query
from programs.registry_version import KeptCounts

CACHE_SECONDS = 10 * 60
_PREFIX = "konut:daftar-keluarga:"
# Counts the list may redo itself after a write, in seconds (by how long each took the last time):
# the rest of its 300 ms is the page.
INLINE_BUDGET_S = 0.1
# What may be shown from its last count (a search's ids may not: they choose the rows).
_MAY_BE_STALE = {"counts"}


def _digest(kind: str, queryset: QuerySet, extra: str = "") -> str:
    if not queryset.query.is_sliced and not queryset.query.combinator:
        queryset = queryset.order_by()  # one count whatever the sort
    sql, params = queryset.query.sql_with_params()
    return hashlib.sha256(f"daftar\n{kind}\n{sql}\n{params!r}\n{extra}".encode()).hexdigest()


class ListMemo(KeptCounts):
    """What one list request may take from the kept counts, sharing one version read.
    ``stale_ok``: the list page (after a write, a slow count from its last count, labelled);
    ``fresh``: its "hitung ulang sekarang"."""

    def __init__(self, model, *, stale_ok: bool = False, fresh: bool = False):
        super().__init__(using=router.db_for_read(model), stale_ok=stale_ok, fresh=fresh, inline_budget_s=INLINE_BUDGET_S)

    def remembered(self, kind: str, compute: Callable[[], object], *, queryset: QuerySet, extra: str = ""):
        """``compute()``, or its kept value for the same query."""
        version = self.version
        if version is None:
            return compute()
        try:
            key = _digest(kind, queryset, extra)
        except EmptyResultSet:  # a query that cannot match (a search that found no one): nothing to count
            return compute()
        if kind in _MAY_BE_STALE:
            return self.get(key, compute)
        key = f"{_PREFIX}{key}:{hashlib.sha256(version.encode()).hexdigest()}"
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, CACHE_SECONDS)
        return value


def household_list_counts(filterset) -> tuple[int, dict | None]:
    """The filtered list's household count and its enrollment totals (``None`` when empty), kept
    together by the filter set's ``memo`` (one read, one write): what the list page shows above its
    rows, and what the worker counts again after a write (``agencies.tasks``).

    A search for a full NIK or No KK finds a few households: it is counted now and neither kept nor
    handed to the worker, whose queue and the kept counts would hold the number searched."""
    queryset, memo = filterset.qs, filterset.memo
    if filterset.has_household_filters:
        rows = household_list_totals_query(queryset, filterset.enrollment_q())
    else:
        rows = household_list_totals_query(queryset, filterset.totals_condition(), restrict=False)

    def compute() -> tuple[int, list | None]:
        count = queryset.count()
        return count, (list(rows) if count else None)

    if filterset.searched_identifier is not None:
        count, totals = compute()
    else:
        try:
            totals_sql = repr(rows.query.sql_with_params())
        except EmptyResultSet:  # an enrollment condition that cannot match
            totals_sql = "-"
        count, totals = memo.remembered("counts", compute, queryset=queryset, extra=totals_sql)
    return count, (household_list_totals(totals) if totals is not None else None)


class ListPaginator(Paginator):
    """A paginator whose count comes from ``count()`` (``household_list_counts``) and whose pages past the middle are read from
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
