"""The dashboard's background recount (django-tasks; ``manage.py db_worker`` runs it): after a
write, a page shows the slow figures from their last count, labelled with its time, and asks for
this task, which counts every figure of that page whose registry version is past and keeps it
(``programs.dashboard.memo``). The next page load shows the new figures."""

from __future__ import annotations

import datetime

from django_tasks import task

from agencies.models import User
from programs.dashboard import selectors
from programs.dashboard.memo import Remember
from programs.registry_version import forget_unused


@task()
def dashboard_recount(*, user_id: int, filters: list, as_of: str, several_regencies: bool) -> None:
    """Count again what the dashboard of ``user_id`` under ``filters`` (``DashboardFilters.key``)
    shows on the day ``as_of``: the same selectors as the page, keeping what they count."""
    user = User.objects.get(pk=user_id)
    dashboard_filters = selectors.DashboardFilters.from_key(filters)
    remember = Remember(user, dashboard_filters)
    selectors.enrollment_years(user, remember=remember)
    selectors.dashboard(
        user, dashboard_filters, as_of=datetime.date.fromisoformat(as_of), several_regencies=several_regencies,
        remember=remember,
    )
    selectors.verval_counts(user, dashboard_filters, remember=remember)
    forget_unused()
