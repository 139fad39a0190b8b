"""Every write to programs and enrollments. Views, the admin, imports and commands call these
(distribution, which proposes enrollments in bulk, is ``programs.distribution``).

Each service validates (``full_clean``), writes, and hands the enrollments it touched to the dedup
engine explicitly, in the same transaction: the one-aid rule is never left to signals or ``save()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dedup.engine import check_enrollments
from households.models import Household, Member
from konut_registry import bulkcopy
from programs.claims import AidClaim, claim_enrollments
from programs.default_rules import DEFAULT_ELIGIBILITY, DEFAULT_RULES
from programs.models import (
    EligibilityRule,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Program,
    RuleCondition,
    TargetingRule,
)


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


@dataclass
class BulkEnrollmentResult:
    """What a bulk write did: enrollments created, those already present, conflicts raised."""

    created: list[Enrollment] = field(default_factory=list)
    existing: int = 0
    conflicts: list = field(default_factory=list)


def _natural_key(enrollment: Enrollment) -> tuple:
    return (enrollment.program_id, enrollment.year, enrollment.household_id, enrollment.member_id)


@transaction.atomic
def enrollment_bulk_create(*, enrollments: list[Enrollment], by=None, batch=None) -> BulkEnrollmentResult:
    """Create many enrollments at once (imports, P3KE *Penerima* columns, distribution).

    Enrollments already in the registry under the same (program, year, household, member) are
    left as they are and counted as ``existing``; the new ones are written in bulk with their
    history, then handed to the one-aid check as one batch. Callers validate rows beforehand
    (``Enrollment.clean`` rules: member required for person programs and belonging to the household).
    """
    from simple_history.utils import bulk_create_with_history

    result = BulkEnrollmentResult()
    if not enrollments:
        return result
    program_ids = {e.program_id for e in enrollments}
    years = {e.year for e in enrollments}
    household_ids = {e.household_id for e in enrollments}
    present = set(
        Enrollment.objects.filter(program_id__in=program_ids, year__in=years, household_id__in=household_ids)
        .values_list("program_id", "year", "household_id", "member_id")
        .iterator(chunk_size=5000)
    )
    fresh, seen = [], set()
    for enrollment in enrollments:
        key = _natural_key(enrollment)
        if key in present or key in seen:
            result.existing += 1
            continue
        seen.add(key)
        enrollment.created_by = enrollment.created_by or by
        enrollment.batch = enrollment.batch or batch
        fresh.append(enrollment)
    if fresh:
        if len(fresh) > _COPY_MIN and bulkcopy.available():
            result.created = _copy_create(fresh, by)
        else:
            result.created = bulk_create_with_history(fresh, Enrollment, batch_size=2000, default_user=by)
        created_ids = [e.pk for e in result.created if e.pk is not None]
        if len(created_ids) != len(result.created):
            # Backends that do not return primary keys from bulk inserts: look them up by natural key.
            created_ids = _ids_by_natural_key(fresh)
        result.conflicts = check_enrollments(created_ids)
    return result


# From this many new enrollments on (an import), PostgreSQL gets them through COPY with their
# history rows: about ten times faster than bulk_create_with_history for 20,000 rows.
_COPY_MIN = 500


def _copy_create(fresh: list[Enrollment], by) -> list[Enrollment]:
    now = timezone.now()
    fields = [f.attname for f in Enrollment._meta.concrete_fields if not f.primary_key]
    for enrollment in fresh:
        enrollment.created_at = enrollment.updated_at = now
    rows = [{name: getattr(e, name) for name in fields} for e in fresh]
    ids = bulkcopy.insert_with_history(Enrollment, rows, user_id=getattr(by, "pk", None), reason=None, now=now)
    for enrollment, pk in zip(fresh, ids):
        enrollment.pk = pk
        enrollment._state.adding = False
    return fresh


def _ids_by_natural_key(enrollments: list[Enrollment]) -> list[int]:
    wanted = {_natural_key(e) for e in enrollments}
    rows = Enrollment.objects.filter(
        program_id__in={k[0] for k in wanted}, year__in={k[1] for k in wanted}, household_id__in={k[2] for k in wanted}
    ).values_list("pk", "program_id", "year", "household_id", "member_id")
    return [pk for pk, *key in rows if tuple(key) in wanted]


# --- Aid that an import states: the one way files become enrollments.


def aid_claims_record(
    *, claims: Iterable[AidClaim], year: int | None, source: str, batch=None, by=None
) -> BulkEnrollmentResult:
    """Record what an import says about aid (the ``Penerima ...`` columns of a P3KE or DTKS
    extract, an agency's recipient list) as enrollments, ``source`` an ``EnrollmentSource``.

    Claims map to programs as ``programs.claims`` describes (one enrollment per program, year,
    household and, for person programs, member; ``year`` for claims that name none). The
    enrollments go through ``enrollment_bulk_create``: those already in the registry are counted
    as existing, the new ones are written in one transaction and checked by the one-aid rule as
    one batch.
    """
    claims = list(claims)
    if not claims:
        return BulkEnrollmentResult()
    enrollments = [
        Enrollment(
            program_id=program_id, year=claim_year, household_id=household_id, member_id=member_id,
            status=claim.status, amount=claim.amount, delivered_on=claim.delivered_on, status_reason=claim.note,
            source=source, batch=batch, created_by=by,
        )
        for (program_id, claim_year, household_id, member_id), claim in claim_enrollments(claims, year=year).items()
    ]
    return enrollment_bulk_create(enrollments=enrollments, by=by, batch=batch)


# --- Targeting rules ------------------------------------------------------------------------------


@transaction.atomic
def default_rules_load(*, by=None) -> int:
    """Create the default rules (``programs.default_rules``) that are missing, by ``default_key``;
    never overwrite an existing one, even one Bappeda edited or deactivated. Programs not in the
    registry are skipped. Returns how many rules were created."""
    existing = set(TargetingRule.objects.exclude(default_key="").values_list("default_key", flat=True))
    programs = {p.code: p for p in Program.objects.all()}
    created = 0
    for key, code, name, description, conditions in DEFAULT_RULES:
        if key in existing or code not in programs:
            continue
        rule = TargetingRule(program=programs[code], name=name, description=description, default_key=key, created_by=by)
        rule.full_clean()
        rule.save()
        for field_name, operator, value in conditions:
            condition = RuleCondition(rule=rule, field=field_name, operator=operator, value=value)
            condition.full_clean()
            condition.save()
        created += 1
    return created


@transaction.atomic
def eligibility_rules_load() -> int:
    """Create the default eligibility limits (``programs.default_rules.DEFAULT_ELIGIBILITY``) that are
    missing, by ``default_key``; an existing one, edited or deactivated, is kept as it is. A program
    that already has an active limit of its own gets the default inactive. Returns how many were
    created."""
    existing = set(EligibilityRule.objects.exclude(default_key="").values_list("default_key", flat=True))
    programs = {p.code: p for p in Program.objects.all()}
    limited = set(EligibilityRule.objects.filter(active=True).values_list("program_id", flat=True))
    created = 0
    for key, code, max_desil, basis in DEFAULT_ELIGIBILITY:
        if key in existing or code not in programs:
            continue
        program = programs[code]
        rule = EligibilityRule(
            program=program, max_desil=max_desil, legal_basis=basis, default_key=key, active=program.pk not in limited
        )
        rule.full_clean()
        rule.save()
        limited.add(program.pk)
        created += 1
    return created
