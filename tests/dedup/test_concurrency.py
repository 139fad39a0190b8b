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


def save_at_the_same_moment(monkeypatch, jobs, *, check="check_enrollments", timeout=60):
    """Run each job in its own thread and connection; every job's check (the services' function
    named ``check``) starts only once all jobs have inserted their enrollments (uncommitted)."""
    barrier = threading.Barrier(len(jobs), timeout=timeout / 2)
    real_check = getattr(program_services, check)

    def check_after_everyone_inserted(*args, **kwargs):
        barrier.wait()
        return real_check(*args, **kwargs)

    monkeypatch.setattr(program_services, check, check_after_everyone_inserted)
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
        thread.join(timeout=timeout)
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


def test_two_large_writes_at_once_flag_every_double_aid(programs, monkeypatch):
    # Two agencies' yearly lists for the same 250 families, saved at the same moment: more than
    # the engine's small batch, so each check stages its households in temporary tables before it
    # waits for the other's locks. What it staged must not be what it judges by.
    from dedup.engine_sql import SMALL_BATCH
    from programs.models import Enrollment
    from programs.services import enrollment_bulk_create

    households = HouseholdFactory.create_batch(SMALL_BATCH + 50)
    # A registry known to PostgreSQL's statistics as larger than the lists (the usual case): the
    # check then stages without analysing the tables, which would have made the two wait in turn.
    HouseholdFactory.create_batch(2 * len(households))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_household")

    def save(code):
        def job():
            enrollment_bulk_create(enrollments=[
                Enrollment(household=h, program=programs[code], year=2024, status=EnrollmentStatus.ACTIVE) for h in households
            ])
        return job

    save_at_the_same_moment(monkeypatch, [save("pkh"), save("blt-desa")], check="check_enrollments_and_households", timeout=120)
    assert Conflict.objects.filter(rule=ConflictRule.ONE_AID).count() == len(households)


def test_a_large_check_stages_again_only_when_another_write_committed_meanwhile():
    """The second staging of a large check costs a province's import seconds; it is needed only when
    another transaction ended between the first staging and the lock, which the snapshots tell."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    from dedup import engine_sql

    def commit_elsewhere():
        try:
            Group.objects.create(name="elsewhere")
        finally:
            connections.close_all()

    with transaction.atomic(), connection.cursor() as cursor:
        # This transaction's own writes are not another's commit. The server is shared with the
        # suite's other workers, whose commits do move the snapshot: one quiet moment is enough.
        for attempt in range(50):
            before = engine_sql.snapshot(cursor)
            Group.objects.create(name=f"here {attempt}")
            if engine_sql.committed_since(before, cursor) is False:
                break
        else:
            pytest.fail("every check saw another transaction end, even with no write but this one's")
        thread = threading.Thread(target=commit_elsewhere)
        thread.start()
        thread.join(timeout=30)
        assert engine_sql.committed_since(before, cursor) is True
