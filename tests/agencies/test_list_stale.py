"""After a write, the household list shows a slow count and its totals from their last count,
labelled with its time and that a recount is running, while its rows are read now; the worker's
recount shows on the next load, and "hitung ulang sekarang" counts at once.

Every count of the small test registry takes milliseconds, so the tests set the inline budget to
nothing: every kept count then counts as slow. Committed registry (transactional tests): on
PostgreSQL a transaction that has written never reuses a count.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.utils import timezone

from agencies import listcounts
from agencies import views as agency_views
from programs.models import EnrollmentStatus
from programs.services import enrollment_create
from tests.agencies.helpers import listed_ids
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_counts(monkeypatch):
    monkeypatch.setattr(listcounts, "INLINE_BUDGET_S", -1.0)


def _add_sembako(registry, household=None):
    enrollment_create(household=household or registry.hh.e, program=registry.programs["sembako"], year=2024,
                      status=EnrollmentStatus.ACTIVE, amount=300_000, by=registry.users.head)


def test_after_a_write_the_last_count_shows_labelled_with_the_rows_of_now(registry, login, slow_counts):
    client = login(registry.users.head)
    before = client.get("/keluarga/")
    assert before.context["paginator"].count == 5 and not before.context["counts_stale"]
    assert 'id="counts-as-of"' not in before.content.decode()

    _add_sembako(registry)

    stale = client.get("/keluarga/")
    page = stale.content.decode()
    assert stale.context["counts_stale"]
    assert stale.context["paginator"].count == 5  # the last count, as labelled
    assert stale.context["totals"] == before.context["totals"]
    assert registry.hh.e.pk in listed_ids(stale)  # the rows are read now
    assert 'id="counts-as-of"' in page and "sedang dihitung ulang" in page
    assert timezone.localtime(stale.context["counts_at"]).strftime("%H:%M") in page

    # The test settings run a task when it is enqueued: the next load shows the recount.
    after = client.get("/keluarga/")
    assert not after.context["counts_stale"]
    assert after.context["paginator"].count == 6
    assert after.context["totals"]["amount"] == before.context["totals"]["amount"] + 300_000
    assert 'id="counts-as-of"' not in after.content.decode()


def test_hitung_ulang_sekarang_counts_at_once_and_the_recount_is_asked_once(registry, login, slow_counts, monkeypatch):
    asked = []

    class NoWorker:  # a worker that is not running: the recounts asked for are recorded, never run
        @staticmethod
        def enqueue(**kwargs):
            asked.append(kwargs)

    monkeypatch.setattr(agency_views, "household_list_recount", NoWorker)
    client = login(registry.users.head)
    client.get("/keluarga/?desil=1")
    _add_sembako(registry)

    assert client.get("/keluarga/?desil=1").context["counts_stale"]
    assert client.get("/keluarga/?desil=1").context["counts_stale"]
    assert len(asked) == 1 and "desil=1" in asked[0]["query"]  # asked once, with the list's filters

    response = client.get("/keluarga/?desil=1&segar=1")
    assert not response.context["counts_stale"]
    assert "segar" not in response.context["query_string"]  # page links do not force a recount
    assert not client.get("/keluarga/?desil=1").context["counts_stale"]


def test_a_name_search_is_never_shown_stale(registry, login, slow_counts):
    client = login(registry.users.head)
    assert client.get("/keluarga/?q=Sabara").context["paginator"].count == 0
    household = HouseholdFactory(head_name="Wa Ode Sabara", desil=1)
    _add_sembako(registry, household)

    response = client.get("/keluarga/?q=Sabara")
    assert listed_ids(response) == [household.pk]  # the search's households are read now


def test_a_full_nik_search_is_counted_now_and_never_handed_to_the_worker(registry, login, slow_counts, monkeypatch):
    """The worker's queue (a database table in production) would keep the number searched: a
    search for a full NIK or No KK, a few households, is counted at once instead."""
    asked = []

    class NoWorker:
        @staticmethod
        def enqueue(**kwargs):
            asked.append(kwargs)

    monkeypatch.setattr(agency_views, "household_list_recount", NoWorker)
    household = registry.hh.e
    client = login(registry.users.operator)
    for number in (household.head_nik, household.no_kk):
        assert client.get("/keluarga/", {"q": number}, follow=True).context["paginator"].count == 0  # no Dinsos aid yet
    _add_sembako(registry, household)

    for number in (household.head_nik, household.no_kk):
        response = client.get("/keluarga/", {"q": number}, follow=True)
        assert not response.context["counts_stale"]
        assert response.context["paginator"].count == 1 and listed_ids(response) == [household.pk]
        assert response.context["totals"]["amount"] == 300_000  # counted now, with the new aid
    assert asked == []
    # A name search's slow count is still shown from its last count while the worker counts again.
    client.get("/keluarga/", {"q": household.head_name})
    _add_sembako(registry, registry.hh.a)
    assert client.get("/keluarga/", {"q": household.head_name}).context["counts_stale"]
    assert [kwargs["query"] for kwargs in asked] == [urlencode({"q": household.head_name})]
