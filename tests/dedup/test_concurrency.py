"""Two users saving aid for one family at the same moment: both end up with the conflict recorded.

Each thread has its own database connection (Django connections are per thread). Both enrollments
are inserted and left uncommitted before either transaction runs the one-aid check, which is the
moment a naive check misses the other's row. Needs PostgreSQL: SQLite serialises writers, so there
is no race to prove there.
"""

import threading

import pytest
from django.db import connection, connections

import programs.services as program_services
from dedup.models import Conflict, ConflictRule
from programs.models import EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL: SQLite serialises writers, so two connections cannot race (set DATABASE_URL).",
    ),
]


def save_at_the_same_moment(monkeypatch, jobs):
    """Run each job in its own thread and connection; every job's check starts only once all
    jobs have inserted their enrollment (uncommitted)."""
    barrier = threading.Barrier(len(jobs), timeout=20)
    real_check = program_services.check_enrollments

    def check_after_everyone_inserted(ids, **kwargs):
        barrier.wait()
        return real_check(ids, **kwargs)

    monkeypatch.setattr(program_services, "check_enrollments", check_after_everyone_inserted)
    errors = []

    def run(job):
        try:
            job()
        except Exception as error:  # reported by the main thread
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a save is still waiting: deadlock?"
    assert errors == []


def test_two_programs_saved_at_once_for_one_household_both_record_the_conflict(programs, monkeypatch):
    household = HouseholdFactory()
    results = {}

    def save(code):
        def job():
            results[code] = enrollment_create(
                household=household, program=programs[code], year=2024, status=EnrollmentStatus.ACTIVE
            )
        return job

    save_at_the_same_moment(monkeypatch, [save("pkh"), save("bsps")])

    [conflict] = Conflict.objects.all()
    assert conflict.household_id == household.pk
    assert conflict.rule == ConflictRule.ONE_AID
    assert {conflict.enrollment_a_id, conflict.enrollment_b_id} == {r.enrollment.pk for r in results.values()}
    # The transaction that checked second saw the first one's enrollment and reported the conflict.
    assert sorted(len(r.conflicts) for r in results.values()) == [0, 1]


def test_one_person_in_two_households_saved_at_once_records_the_conflict(programs, monkeypatch):
    first, second = HouseholdFactory(), HouseholdFactory()
    shared = MemberFactory(household=first)
    MemberFactory(household=second, nik=shared.nik)

    def save(household, code):
        def job():
            enrollment_create(household=household, program=programs[code], year=2024, status=EnrollmentStatus.ACTIVE)
        return job

    save_at_the_same_moment(monkeypatch, [save(first, "pkh"), save(second, "blt-desa")])

    [conflict] = Conflict.objects.all()
    assert conflict.rule == ConflictRule.SAME_PERSON
