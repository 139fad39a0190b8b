"""The household list at scale: pages past the middle read from the other end, and the count and
totals kept while the registry does not change, without ever showing a stale figure."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.filters import SORTS
from programs.models import EnrollmentStatus, Program
from programs.services import enrollment_create
from tests.agencies.helpers import listed_ids
from tests.factories import HouseholdFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL only (set DATABASE_URL)"
)


def _add_households(registry, count):
    pkh = registry.programs["pkh"]
    for number in range(count):
        household = HouseholdFactory(head_name=f"Keluarga {number % 7:02d}", desil=1 + number % 4)
        enrollment_create(household=household, program=pkh, year=2024, status=EnrollmentStatus.ACTIVE)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", list(SORTS))
def test_every_page_shows_the_same_rows_as_one_ordered_list(registry, login, sort):
    """Pages past the middle (and ``page=last``) are read in reverse order: together the pages are
    exactly the list in its order, without gaps or repeats."""
    _add_households(registry, 57)
    client = login(registry.users.head)
    first = client.get(f"/keluarga/?sort={sort}&per_page=25")
    paginator = first.context["paginator"]
    assert paginator.count == 62 and paginator.num_pages == 3  # 57 + a, b, d, f, g
    pages = [listed_ids(client.get(f"/keluarga/?sort={sort}&per_page=25&page={n}")) for n in (1, 2, 3)]
    expected = list(first.context["filter"].qs.values_list("pk", flat=True))
    assert [len(page) for page in pages] == [25, 25, 12]
    assert pages[0] + pages[1] + pages[2] == expected
    assert listed_ids(client.get(f"/keluarga/?sort={sort}&per_page=25&page=last")) == pages[2]


def _counted(captured) -> bool:
    return any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_kept_count_and_totals_change_after_an_enrollment_is_added(registry, login):
    client = login(registry.users.head)
    before = client.get("/keluarga/")
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/keluarga/")
    assert not _counted(captured), "an unchanged registry is not counted again"
    assert again.context["paginator"].count == before.context["paginator"].count == 5
    assert again.context["totals"] == before.context["totals"]

    enrollment_create(household=registry.hh.e, program=registry.programs["sembako"], year=2024,
                      status=EnrollmentStatus.ACTIVE, amount=300_000, by=registry.users.head)
    with CaptureQueriesContext(connection) as captured:
        after = client.get("/keluarga/")
    assert _counted(captured)
    assert after.context["paginator"].count == 6 and registry.hh.e.pk in listed_ids(after)
    assert after.context["totals"]["enrollments"] == before.context["totals"]["enrollments"] + 1
    assert after.context["totals"]["amount"] == before.context["totals"]["amount"] + 300_000


@pytest.mark.django_db(transaction=True)
def test_a_search_that_finds_no_one_shows_an_empty_list(registry, login):
    client = login(registry.users.head)
    client.get("/keluarga/")  # the registry's version is read and counts are kept
    page = client.get("/keluarga/?q=tidak-ada-nama-ini")
    assert page.status_code == 200
    assert page.context["paginator"].count == 0 and listed_ids(page) == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_transaction_committing_after_the_count_is_seen(registry, login):
    """A transaction that wrote before a later one but commits after it (its history ids are the
    lower ones) still changes the list once it commits."""
    client = login(registry.users.head)
    sembako = Program.objects.get(code="sembako")
    written, commit, done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        from django.db import connections, transaction

        try:
            with transaction.atomic():
                enrollment_create(household=registry.hh.e, program=sembako, year=2023, status=EnrollmentStatus.ACTIVE)
                written.set()
                commit.wait(30)
        except Exception as error:  # reported by the test below
            errors.append(error)
            written.set()
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert written.wait(30) and not errors
        enrollment_create(household=HouseholdFactory(head_name="Keluarga Baru"), program=sembako, year=2024,
                          status=EnrollmentStatus.PROPOSED)
        while_open = client.get("/keluarga/")
        assert while_open.context["paginator"].count == 6  # 5 + the committed one
        assert client.get("/keluarga/").context["paginator"].count == 6
    finally:
        commit.set()
        thread.join(30)
    assert done.is_set() and not errors
    after = client.get("/keluarga/")
    assert after.context["paginator"].count == 7 and registry.hh.e.pk in listed_ids(after)


@pytest.mark.django_db
def test_own_uncommitted_writes_are_counted(registry, login):
    """Inside a transaction that has written (as every test here runs), nothing is kept or reused."""
    client = login(registry.users.head)
    assert client.get("/keluarga/").context["paginator"].count == 5
    enrollment_create(household=registry.hh.e, program=registry.programs["pkh"], year=2022,
                      status=EnrollmentStatus.COMPLETED)
    assert client.get("/keluarga/").context["paginator"].count == 6
