"""The aid an extract's ``Penerima ...`` / ``Bansos ...`` columns claim, handed to programs.

A ``Ya`` in *Penerima PKH* on a family row claims PKH for the family; on a person's row, for that
person (and so for the family). The import states these claims as plain data (``AidClaim``: this
household, this member, these keys) and programs decides what they come to: which programs a key
names, whom each program enrolls, and the enrollment rows (``programs.services.aid_claims_record``).
A family row's claim names the family's head, for programs that enroll a person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from households.models import ImportBatch, Member, Relation
from programs.claims import AidClaim, aid_claims_count
from programs.models import EnrollmentSource
from programs.services import BulkEnrollmentResult, aid_claims_record

from .common import Extract

if TYPE_CHECKING:
    from .plan import ExtractPlan


def aid_planned(extract: Extract) -> int:
    """How many enrollments the extract's claims come to, before anything is written: households
    are told apart by their natural key and people by their record (a family row's claim names the
    family's head). Every member of a PKH family says "Penerima PKH: Ya": one enrollment."""
    claims = [
        AidClaim(household=key, member="head", aids=record.recipients)
        for records in (extract.households, extract.skipped_households)
        for key, record in records.items() if record.recipients
    ]
    for record in extract.members:
        if record.recipients:
            person = "head" if record.get("relation") == Relation.HEAD else id(record)
            claims.append(AidClaim(household=record.household_key, member=person, aids=record.recipients))
    for row in extract.skipped_members:
        if row.recipients:
            claims.append(AidClaim(household=row.household_key, member="head" if row.is_head else row.pk, aids=row.recipients))
    return aid_claims_count(claims=claims, year=extract.data_year)


def aid_record(plan: ExtractPlan, *, batch: ImportBatch | None, by, recheck_households=()) -> BulkEnrollmentResult:
    """Hand the claims of a written plan to programs, by household and member id, with the other
    households the plan changed, for the write's one re-check of the one-aid rule."""
    extract = plan.extract
    source = EnrollmentSource(extract.kind)
    return aid_claims_record(
        claims=_claims(plan), year=extract.data_year, source=source, batch=batch, by=by,
        recheck_households=recheck_households,
    )


def _claims(plan: ExtractPlan) -> list[AidClaim]:
    extract = plan.extract
    key_ids = plan.household_ids
    heads = _heads(plan)
    claims = []
    # Rows skipped as unchanged claim their aid as any unchanged row does (already there: counted existing).
    for records in (extract.households, extract.skipped_households):
        for key, record in records.items():
            if record.recipients:
                household_id = key_ids[key]
                claims.append(AidClaim(household=household_id, member=heads.get(household_id), aids=record.recipients))
    for record in (*extract.members, *extract.skipped_members):
        if record.recipients and record.pk is not None:
            claims.append(AidClaim(household=key_ids[record.household_key], member=record.pk, aids=record.recipients))
    return claims


def _heads(plan: ExtractPlan) -> dict[int, int]:
    """Household id -> head member id, for the households whose family row claims aid: from the
    records of this extract, else from the registry."""
    extract = plan.extract
    key_ids = plan.household_ids
    heads: dict[int, int] = {}
    records = extract.members if extract.has_member_sheet else [h.head for h in extract.households.values() if h.head]
    for record in records:
        if record.pk is not None and record.get("relation") == Relation.HEAD:
            heads.setdefault(key_ids.get(record.household_key), record.pk)
    for row in extract.skipped_members:
        if row.is_head:
            heads.setdefault(key_ids.get(row.household_key), row.pk)
    missing = [
        key_ids[key]
        for records in (extract.households, extract.skipped_households)
        for key, record in records.items() if record.recipients and key_ids[key] not in heads
    ]
    for start in range(0, len(missing), 5000):
        for household_id, pk in Member.objects.filter(
            household_id__in=missing[start : start + 5000], relation=Relation.HEAD
        ).values_list("household_id", "pk"):
            heads.setdefault(household_id, pk)
    return heads
