"""Every write to programs and enrollments. Views, the admin, imports and commands call these.

Each service validates (``full_clean``), writes, and hands the enrollments it touched to the dedup
engine explicitly, in the same transaction: the one-aid rule is never left to signals or ``save()``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from dedup.engine import check_enrollments
from households.models import Household, Member
from programs.models import Enrollment, EnrollmentSource, EnrollmentStatus, Program


@dataclass
class EnrollmentResult:
    """An enrollment written by a service and the one-aid conflicts its save raised."""

    enrollment: Enrollment
    conflicts: list = field(default_factory=list)


@transaction.atomic
def enrollment_create(
    *,
    household: Household,
    program: Program,
    year: int,
    member: Member | None = None,
    status: str = EnrollmentStatus.PROPOSED,
    amount: int | None = None,
    delivered_on: datetime.date | None = None,
    source: str = EnrollmentSource.MANUAL,
    status_reason: str = "",
    batch=None,
    by=None,
) -> EnrollmentResult:
    """Enroll a household (or one member, for person programs) in a program for a year.

    Raises ``ValidationError`` when the enrollment itself is invalid (already enrolled, member of
    another family, ...). A one-aid conflict does not raise: it is recorded and returned.
    """
    enrollment = Enrollment(
        household=household,
        program=program,
        year=year,
        member=member,
        status=status,
        amount=amount,
        delivered_on=delivered_on,
        source=source,
        status_reason=status_reason,
        batch=batch,
        created_by=by,
    )
    enrollment.full_clean()
    enrollment.save()
    return EnrollmentResult(enrollment=enrollment, conflicts=check_enrollments([enrollment.pk]))


@transaction.atomic
def enrollment_update(*, enrollment: Enrollment, by=None, **changes) -> EnrollmentResult:
    """Change an enrollment's fields (status, amount, delivery, reason, ...) and re-check the rule."""
    for name, value in changes.items():
        setattr(enrollment, name, value)
    enrollment.full_clean()
    enrollment._history_user = by
    enrollment.save()
    return EnrollmentResult(enrollment=enrollment, conflicts=check_enrollments([enrollment.pk]))
