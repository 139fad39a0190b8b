"""The household list's background recount (django-tasks; ``manage.py db_worker`` runs it): after a
write, the list shows a slow count from its last count, labelled with its time, and asks for this
task, which counts that list again and keeps it (``agencies.listcounts``)."""

from __future__ import annotations

from django.http import QueryDict
from django_tasks import task

from agencies.filters import HouseholdFilter
from agencies.listcounts import household_list_counts
from agencies.models import User
from programs.registry_version import forget_unused


@task()
def household_list_recount(*, user_id: int, query: str) -> None:
    """Count again the list of ``user_id`` under the filters of ``query`` (its GET parameters), the
    same way the page counts."""
    household_list_counts(
        HouseholdFilter(QueryDict(query), user=User.objects.get(pk=user_id), record_searches=False)
    )
    forget_unused()
