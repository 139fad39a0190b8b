"""A large batch through ``enrollment_bulk_create`` (an import, a distribution): on PostgreSQL the
database writes it in one statement and skips what it already holds; the outcome a user sees is
the same as for a form's few enrollments on any database."""

from __future__ import annotations

import datetime

import pytest

from dedup import engine
from dedup.models import Conflict, ConflictEvent, ConflictStatus
from programs import services
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_bulk_create, enrollment_create
from tests.factories import HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["large", "small"])
def batch_path(request, monkeypatch):
    """Both write paths on the same batch: "large" writes and checks it as an import's batch would
    be (on PostgreSQL, the one set-based statement and the staged one-aid check), "small" as a
    form's few enrollments."""
    large = request.param == "large"
    monkeypatch.setattr(services, "_SQL_MIN", 0 if large else 10_000)
    monkeypatch.setattr(engine, "SMALL_BATCH", 0 if large else 10_000)
    return request.param


def test_a_batch_writes_the_new_ones_with_history_and_counts_the_rest(reference, batch_path):
    by = UserFactory(username="bappeda")
    programs = {p.code: p for p in Program.objects.all()}
    households = [HouseholdFactory() for _ in range(3)]
    child = MemberFactory(household=households[2])
    already = enrollment_create(household=households[0], program=programs["pkh"], year=2024).enrollment
    note = 'tahap "2", {sisa} \\ 50%'
    enrollments = [
        Enrollment(household=households[0], program=programs["pkh"], year=2024),  # already in the registry
        Enrollment(household=households[1], program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE,
                   amount=750000, delivered_on=datetime.date(2024, 5, 2), status_reason=note),
        Enrollment(household=households[1], program=programs["pkh"], year=2024, amount=1),  # twice in the batch
        Enrollment(household=households[2], member=child, program=programs["pip"], year=2024),
        Enrollment(household=households[2], program=programs["bsps"], year=2024),
        Enrollment(household=households[1], program=programs["pip"], year=2024),  # refused: nobody named
    ]

    result = enrollment_bulk_create(enrollments=enrollments, by=by)

    assert result.existing == 2 and len(result.refused) == 1
    assert [e.pk is not None for e in result.created] == [True, True, True]
    assert [e for e in result.created] == [enrollments[1], enrollments[3], enrollments[4]]
    written = Enrollment.objects.exclude(pk=already.pk)
    assert {e.pk for e in written} == {e.pk for e in result.created}
    paid = Enrollment.objects.get(pk=enrollments[1].pk)
    assert (paid.status, paid.amount, paid.delivered_on, paid.status_reason, paid.created_by) == (
        "active", 750000, datetime.date(2024, 5, 2), note, by,
    )
    assert Enrollment.objects.get(pk=enrollments[3].pk).member == child
    for enrollment in result.created:
        [history] = enrollment.history.all()
        assert (history.history_type, history.history_user, history.program_id) == ("+", by, enrollment.program_id)
    # The child's PIP and the family's BSPS are two aids in one household: flagged, with its event.
    [conflict] = result.conflicts
    assert conflict.status == ConflictStatus.OPEN and conflict.created_now
    assert {conflict.enrollment_a_id, conflict.enrollment_b_id} == {enrollments[3].pk, enrollments[4].pk}
    assert ConflictEvent.objects.filter(conflict=conflict).count() == 1
    assert Conflict.objects.count() == 1

    again = enrollment_bulk_create(enrollments=[Enrollment(household=households[2], program=programs["bsps"], year=2024)])
    assert (again.created, again.existing) == ([], 1)


def test_an_import_s_enrollments_are_built_as_the_model_builds_them():
    """The aid write sets the attributes of its tens of thousands of enrollments directly (nothing
    listens to their construction): the same instance as ``Enrollment(...)``, state included."""
    from programs.services import _enrollment_maker

    names = ("program_id", "year", "household_id", "member_id", "status", "amount", "delivered_on", "status_reason")
    values = (3, 2024, 11, 12, EnrollmentStatus.ACTIVE, 150_000, None, "catatan")
    made = _enrollment_maker(names, source="p3ke", batch_id=None, created_by_id=None)(*values)
    expected = Enrollment(**dict(zip(names, values)), source="p3ke")
    assert {k: v for k, v in vars(made).items() if k != "_state"} == {k: v for k, v in vars(expected).items() if k != "_state"}
    assert (made._state.adding, made._state.db, made.pk) == (True, None, None)
