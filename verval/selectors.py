"""Who may do what in field verification, and the scoped queries every verval page uses.

- **Managers** open cases from candidates, assign officers and record the village deliberation:
  Bappeda, and the heads and operators of an agency running a program with an eligibility limit
  (Dinas Sosial: PKH and Sembako). They see every case.
- **Verifiers** record the agency's verification: heads of such an agency.
- **Approvers**: leadership (the Bupati) sees the batches' counts and approves; no names.
- **Field officers** see and record only the cases assigned to them.
- Other agency heads and operators see the cases about their programs' households, read-only.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from agencies.models import Agency, Role, User
from agencies.selectors import sees_everything, visible_households
from households.models import Member, Relation
from households.services import LIVING_CONDITION_FIELDS
from verval.models import CaseStatus, Presence, Stage, Verdict, VervalBatch, VervalCase


def verval_agencies() -> QuerySet[Agency]:
    """Agencies running a program with an active eligibility limit (Dinas Sosial)."""
    return Agency.objects.filter(programs__eligibility_rules__active=True).distinct()


def _in_verval_agency(user: User) -> bool:
    return bool(user.agency_id) and verval_agencies().filter(pk=user.agency_id).exists()


def may_manage(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_bappeda:
        return True
    return user.is_agency_user and _in_verval_agency(user)


def may_verify(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or (user.role == Role.AGENCY_HEAD and _in_verval_agency(user))


def may_approve(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_leadership)


def recorded_by_officer(case: VervalCase) -> bool:
    """Whether ``case``'s visit was recorded by the officer it is assigned to: the finding is theirs."""
    return case.recorded_at is not None and case.officer_id is not None and case.recorded_by_id == case.officer_id


def officer_keeps_visit(user: User, case: VervalCase) -> bool:
    """Whether ``user`` is office staff facing a visit its officer recorded: they may not replace it."""
    return case.officer_id != user.pk and may_manage(user) and recorded_by_officer(case)


def records_visit(user: User, case: VervalCase) -> bool:
    """Whether ``user`` records (or changes) ``case``'s visit: its officer; Bappeda and Dinas Sosial
    too, who type in an officer's paper form, until the officer records the visit: from then on the
    officer's finding is changed by the officer alone."""
    return case.officer_id == user.pk or (may_manage(user) and not recorded_by_officer(case))


def batches_awaiting_approval(user: User) -> int:
    """How many batches wait for ``user``'s approval (verified by Dinas Sosial): 0 for a user who
    does not approve."""
    if not may_approve(user):
        return 0
    return VervalBatch.objects.filter(stage=Stage.VERIFIED).count()


def sees_names(user: User) -> bool:
    """Leadership sees counts only; everyone else with a verval role sees the households."""
    return user.is_authenticated and not (user.is_leadership and not user.is_superuser)


def has_verval_role(user: User) -> bool:
    return user.is_authenticated and (
        may_manage(user) or may_approve(user) or user.is_field_officer or (user.is_agency_user and bool(user.agency_id))
    )


def field_officers(user: User) -> QuerySet[User]:
    """The officers ``user`` may assign: every active officer for Bappeda, the agency's own for an agency."""
    officers = User.objects.filter(role=Role.FIELD_OFFICER, is_active=True, agency__isnull=False)
    if not (user.is_superuser or user.is_bappeda):
        officers = officers.filter(agency_id=user.agency_id)
    return officers.select_related("agency").order_by("first_name", "last_name", "username")


def candidate_scope(user: User) -> QuerySet | None:
    """The households whose candidates ``user`` may see and open cases for: ``None`` (no limit) for
    Bappeda, else the agency's own households, as on the candidate page."""
    return None if sees_everything(user) else visible_households(user)


def sees_every_case(user: User) -> bool:
    """Managers and approvers see (and count) every case; others only those of :func:`visible_cases`."""
    return user.is_superuser or may_manage(user) or may_approve(user)


def visible_cases(user: User) -> QuerySet[VervalCase]:
    cases = VervalCase.objects.all()
    if sees_every_case(user):
        return cases
    if user.is_field_officer:
        return cases.filter(officer=user)
    if user.is_agency_user and user.agency_id:
        return cases.filter(household__in=visible_households(user).values("pk"))
    return cases.none()


def visible_batches(user: User) -> QuerySet[VervalBatch]:
    if sees_every_case(user):
        return VervalBatch.objects.all()
    return VervalBatch.objects.filter(pk__in=visible_cases(user).values("batch_id"))


def batch_list(user: User) -> QuerySet[VervalBatch]:
    """The batches with the counts of the cases ``user`` sees in them (one query): an agency that
    sees one family of a village's batch counts that one, not its neighbours."""
    seen = None if sees_every_case(user) else Q(cases__in=visible_cases(user).values("pk"))

    def counted(condition: Q | None = None) -> Count:
        both = [q for q in (seen, condition) if q is not None]
        return Count("cases", filter=Q(*both) if both else None, distinct=True)

    return (
        visible_batches(user)
        .select_related("desa", "created_by", "approved_by")
        .annotate(
            case_count=counted(),
            visited_count=counted(Q(cases__recorded_at__isnull=False)),
            not_eligible_count=counted(Q(cases__verdict=Verdict.NOT_ELIGIBLE)),
        )
        .order_by("-created_at", "-id")
    )


def batch_for(user: User, pk: int) -> VervalBatch:
    return get_object_or_404(visible_batches(user).select_related("desa", "created_by", "deliberation_by",
                                                                   "verified_by", "approved_by"), pk=pk)


def batch_cases(user: User, batch: VervalBatch) -> QuerySet[VervalCase]:
    return (
        visible_cases(user)
        .filter(batch=batch)
        .select_related("household__desa__kecamatan", "household__merged_into", "officer", "recorded_by")
        .prefetch_related("enrollments__program", "photos")
    )


def case_for(user: User, pk: int) -> VervalCase:
    return get_object_or_404(
        visible_cases(user).select_related("batch", "household__desa__kecamatan", "officer"), pk=pk
    )


def officer_cases(user: User, *, finished: bool = False) -> QuerySet[VervalCase]:
    """An officer's own list: the open work (cases of batches still in the field stage), what is
    still to visit first, then the visited ones; with ``finished``, the cases of batches that moved
    on (deliberated, verified, approved). Each household comes with its present members, in the
    family card's order, for the visit."""
    cases = VervalCase.objects.filter(officer=user)
    cases = cases.exclude(batch__stage=Stage.FIELD) if finished else cases.filter(batch__stage=Stage.FIELD)
    return (
        cases.select_related("batch", "household__desa__kecamatan")
        .prefetch_related(
            "enrollments__program",
            Prefetch("household__members", queryset=Member.objects.filter(is_absent=False), to_attr="present_members"),
        )
        .order_by("recorded_at", "household__desa__code", "household__head_name", "id")
    )


GONE = (Presence.MOVED, Presence.NOT_FOUND, Presence.DECEASED)


def approval_preview(batch: VervalBatch) -> dict[str, int]:
    """What approving ``batch`` will do, from its cases' recorded outcomes (one query), as the
    approval applies them (``services._apply_case``): families gone are marked absent and their aid
    ended, unless the head died and the family, found eligible, carries on under a new head; the
    others' observed living conditions are written, and the aid of those not eligible suspended."""
    carries_on = Q(presence=Presence.DECEASED, verdict=Verdict.ELIGIBLE) & Exists(
        Member.objects.filter(household=OuterRef("household"), is_absent=False).exclude(relation=Relation.HEAD)
    )
    gone = Q(presence__in=GONE) & ~carries_on
    observed = Q()
    for name in LIVING_CONDITION_FIELDS:
        observed |= ~Q(**{name: ""})
    return batch.cases.aggregate(
        absent=Count("pk", filter=gone),
        head_deceased=Count("pk", filter=carries_on),
        suspended=Count("pk", filter=Q(verdict=Verdict.NOT_ELIGIBLE) & ~gone),
        conditions=Count("pk", filter=observed & ~gone),
    )


def batch_summary(user: User, batch: VervalBatch) -> dict:
    """The counts by status, presence and verdict of the batch's cases that ``user`` sees (one
    grouped query each): all of them for managers and approvers, as many as names are shown to others."""
    cases = visible_cases(user).filter(batch=batch)
    by = {}
    for field, choices in (("status", CaseStatus), ("presence", Presence), ("verdict", Verdict)):
        counts = dict(cases.order_by().values_list(field).annotate(n=Count("pk")))
        by[field] = [(label, counts.get(value, 0)) for value, label in choices.choices]
    by["total"] = cases.count()
    return by
