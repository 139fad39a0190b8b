"""Who may do what in field verification, and the scoped queries every verval page uses.

- **Managers** open cases from candidates, assign officers and record the village deliberation:
  Bappeda, and the heads and operators of an agency running a program with an eligibility limit
  (Dinas Sosial: PKH and Sembako). They see every case, whoever opened it (:func:`sees_every_case`).
- **Verifiers** record the agency's verification: heads of such an agency.
- **Approvers**: leadership (the Bupati) sees the batches' counts and approves; no names.
- **Field officers** see and record only the cases assigned to them.
- Other agency heads and operators see the cases about their programs' households, read-only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404

from agencies.models import Agency, Role, User
from agencies.selectors import sees_everything, visible_households
from households.models import LIVING_CONDITION_FIELDS, Household, Member, Relation, kept_households
from programs.candidates import inclusion_candidates
from programs.models import LIVE_STATUSES, Enrollment, EnrollmentStatus, Program
from verval.models import (
    MEMBER_GONE,
    CaseKind,
    CaseMemberChange,
    CasePhoto,
    CaseStatus,
    MemberChange,
    PhotoKind,
    Presence,
    Stage,
    Verdict,
    VervalBatch,
    VervalCase,
    desil_since_visit,
    family_continues,
    head_died_eligible,
)


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


def may_import_returns(user: User) -> bool:
    """The ministry's returned list names families by their full NIK and says why, in its own words
    (which may quote a NIK): only a manager who sees NIKs in full may import it. The page would
    otherwise tell a masked role which of the numbers it guessed was sent (see ``may_export``)."""
    return may_manage(user) and user.can_see_full_nik


def may_verify(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or (user.role == Role.AGENCY_HEAD and _in_verval_agency(user))


def may_approve(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_leadership)


def recorded_by_officer(case: VervalCase) -> bool:
    """Whether ``case``'s visit was recorded by the officer it is assigned to, whose account is
    still active: the finding is theirs. An officer who left (account deactivated) can no longer
    change it; the office may then type in a paper form or assign the case to another officer."""
    return (
        case.recorded_at is not None and case.officer_id is not None and case.recorded_by_id == case.officer_id
        and case.officer.is_active
    )


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


def sees_photo(user: User, photo: CasePhoto) -> bool:
    """A photo of a case the user may see, unless it is of the family card (``sees_photo_kind``)."""
    return sees_photo_kind(user, photo.kind)


def sees_photo_kind(user: User, kind: str) -> bool:
    """Whether ``user`` may open photos of ``kind``, and so upload them: a family card shows every
    member's NIK and the No KK, so only the roles that see those numbers in full handle it."""
    return kind != PhotoKind.FAMILY_CARD or user.can_see_full_nik


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
    """Managers and approvers see (and count) every case; others only those of :func:`visible_cases`.

    Every case, whichever agency's aid the family gets (an exclusion case's family gets none):
    Dinas Sosial's officers visit the cases Bappeda opens and its head verifies the batch, so its
    managers read them, names and NIKs as their role sees NIKs (the operator's masked). Its household
    pages and candidate page, and so the cases it opens itself, stay limited to its own families
    (``services.cases_open``)."""
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
        .prefetch_related("enrollments__program", "photos", changes_with_members())
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
            "enrollments__program", "member_changes",
            Prefetch("household__members", queryset=Member.objects.filter(is_absent=False), to_attr="present_members"),
        )
        .order_by("recorded_at", "household__desa__code", "household__head_name", "id")
    )


GONE = (Presence.MOVED, Presence.NOT_FOUND, Presence.DECEASED)


def kept_household(household: Household) -> Household:
    """The record a family stands on now: a household merged into another after its case opened
    is the same family, kept on the merge's target (whose aid the merge moved there)."""
    seen = {household.pk}
    while household.merged_into_id and household.merged_into_id not in seen:
        household = Household.objects.get(pk=household.merged_into_id)
        seen.add(household.pk)
    return household


def _present_holders(niks):
    """The present members holding ``niks`` in families not merged away (a family merged away holds
    no one): who a NIK of a member to add belongs to now."""
    return Member.objects.filter(nik__in=niks, is_absent=False, household__merged_into__isnull=True)


def holders_elsewhere(household: Household, niks) -> list[tuple[int, int, str]]:
    """(member, household, NIK) of the present members of other families than
    ``household`` who hold ``niks`` (a family merged away holds no one); one query, none for no NIK."""
    niks = {nik for nik in niks if nik}
    if not niks:
        return []
    return list(
        _present_holders(niks).exclude(household=household).values_list("pk", "household_id", "nik")
    )


def movers_in(holders, *, leaving, moved_away, dead) -> dict[str, tuple[int, int]]:
    """The rule of who is moving in, one statement of it for the visit and the approval: NIK ->
    (member, household) of the one present holder of that NIK (``holders``: (member, household,
    NIK)) whom the batch finds leaving their family: found moved out of it (Pindah, not of that
    family: a member of ``leaving``), or a member (its head included) of a family the batch finds
    moved away whole (Pindah: a household of ``moved_away``) and not found dead there (``dead``). A
    NIK that two present members hold names no one."""
    found: dict[str, list[tuple[int, int]]] = {}
    for pk, home, nik in holders:
        found.setdefault(nik, []).append((pk, home))
    movers = {}
    for nik, held_by in found.items():
        if len(held_by) != 1:
            continue
        pk, home = held_by[0]
        if pk in leaving or (home in moved_away and pk not in dead):
            movers[nik] = (pk, home)
    return movers


def niks_moving_in_batch(case: VervalCase, holders) -> set[str]:
    """The NIKs of ``holders`` (:func:`holders_elsewhere`: a member to add with one would be a person
    of two families) that name the person moving in (:func:`movers_in`) as the other cases of
    ``case``'s batch record them: approval moves them here if the finding still stands then
    (``_moves_in_batch``). The other cases' families and the members they found gone are followed
    through a merge to the record each is kept on now, as approval follows them
    (:func:`kept_records`, :func:`_member_now`). No query without holders."""
    if not holders:
        return set()
    others = list(VervalCase.objects.filter(batch_id=case.batch_id).exclude(pk=case.pk).select_related("household"))
    records = kept_records(others)
    plans = [CasePlan(case=other, household=records[other.pk]) for other in others]
    changes: dict[int, list[CaseMemberChange]] = {}
    for row in CaseMemberChange.objects.filter(case__in=others, change__in=MEMBER_GONE).select_related("member"):
        changes.setdefault(row.case_id, []).append(row)
    twins, kept = _merge_twins(plans, changes)
    leaving, dead = set(), set()
    for plan in plans:
        for row in changes.get(plan.case.pk, []):
            member = _member_now(row, plan, twins, kept)
            if member:
                (dead if row.change == MemberChange.DECEASED else leaving).add(member.pk)
    moved_away = {plan.household.pk for plan in plans if plan.case.presence == Presence.MOVED}
    return set(movers_in(holders, leaving=leaving, moved_away=moved_away, dead=dead))


def visit_members(case: VervalCase) -> list[Member]:
    """The members whose change the visit records: the members of the record the family stands on
    now, but the head, whom the family's presence speaks for (a head who died is a presence
    Meninggal, the family carrying on or not); the present ones, then those absent from the newest
    data (an import may have left out a member who died: the visit records the death all the same,
    for their own aid to end)."""
    return family_members(kept_household(case.household), with_absent=True)


def family_members(household: Household, *, with_absent: bool = False) -> list[Member]:
    """The present members of ``household`` but the head (``visit_members``, the record found), in
    the family card's order; ``with_absent``: then its absent members too."""
    members = household.members.exclude(relation=Relation.HEAD)
    if not with_absent:
        return list(members.filter(is_absent=False))
    return sorted(members, key=lambda member: member.is_absent)  # stable: the card's order within each


class DesilChange(NamedTuple):
    """The desil of an eligible inclusion case's family changed since the visit: approval does not
    confirm it, and the reviewers are told how (``CasePlan.desil_change``)."""

    was: int | None  # at the visit
    now: int | None
    # The family was merged into another record since: it stands on that record's ranking.
    merged: bool
    # An inclusion candidate still at its desil now (above a limit of a program it receives).
    still_candidate: bool = False


@dataclass
class CasePlan:
    """What approving one case does to its family (on the record it is kept on now): the approval
    (``services._apply_case``) follows it and the approval preview counts it, so that the Bupati is
    shown what will be done."""

    case: VervalCase
    household: Household
    # Moved, not found or deceased (and no family carrying on): marked absent, every aid ended, the
    # suspended included.
    gone: bool = False
    # The head died; the rest of the family, found eligible, carries on under a new head.
    carries_on: bool = False
    # Absent from the registry's data, yet found at home: marked present again.
    present_again: bool = False
    observed: dict[str, str] = field(default_factory=dict)
    # An inclusion case found eligible: confirmed at the desil the visit judged, when it still holds.
    confirm: bool = False
    # Of an eligible inclusion case whose desil changed since the visit: not confirmed.
    desil_change: DesilChange | None = None
    # The live aid a verdict Tidak layak suspends.
    suspend: list[Enrollment] = field(default_factory=list)
    # Members the visit found gone (deceased, moved, not of this family) still present in the family,
    # each with the member it is about now (``_member_now``), and the members it found missing, to
    # add. For a family gone (marked absent whole) only the members found dead: their death is
    # recorded all the same; nothing is added to it.
    members_gone: list[tuple[CaseMemberChange, Member]] = field(default_factory=list)
    members_added: list[CaseMemberChange] = field(default_factory=list)
    # Members the visit found gone whom the family's record no longer holds in any form (a merge's
    # twin whose NIK changed since, a record deleted): nothing is done, the reviewer is told.
    members_not_found: list[CaseMemberChange] = field(default_factory=list)
    # Members to add whose NIK a present member of the family holds by now (a later import added
    # them), or a member the same visit marks gone (typed again by a role that sees NIKs masked,
    # and so was not refused): not added twice, nor a dead member brought back.
    members_known: list[CaseMemberChange] = field(default_factory=list)
    # Members to add whose NIK a present member of another family holds (typed by a role that sees
    # NIKs masked, and so was not refused): not added, a person lives in one family; the reviewers
    # are told, Bappeda moves the person if they did move.
    members_elsewhere: list[CaseMemberChange] = field(default_factory=list)
    # Members to add whose NIK the one present member of another family holds whom a case of the same
    # batch finds moved out of that family (Pindah, not of that family), each with that member: the
    # person moved, their record moves here (``_moves_in_batch``), not marked absent there.
    members_moved_in: list[tuple[CaseMemberChange, Member]] = field(default_factory=list)
    # Of a family found moved away whole, the members (ids) another case of the batch adds, who move
    # there (``_moves_in_batch``): the aid of their own goes with them, not ended with the family's.
    members_moving_out: list[int] = field(default_factory=list)
    # The members the visit found dead, whether or not still present (an import may have left them
    # out since): their own aid ends all the same.
    members_dead: list[int] = field(default_factory=list)
    # The aid of its own (person programs: PIP, PBI-JK), live or suspended, that a member the visit
    # found dead holds, the head's too when the family carries on: ended, not suspended (no later
    # check will find the person again); in a family gone too, whose other aid then ends whole.
    aid_of_dead: list[Enrollment] = field(default_factory=list)


def kept_records(cases) -> dict[int, Household]:
    """The record each of ``cases``' families stands on now (:func:`kept_household`), by case id:
    its own household unless merged since (their households selected with them). No query when no
    household was merged, else one per step of the longest chain of merges and one for the records."""
    merged = {case.household_id for case in cases if case.household.merged_into_id}
    if not merged:
        return {case.pk: case.household for case in cases}
    kept = kept_households(merged)
    records = Household.objects.in_bulk(set(kept.values()))
    return {case.pk: records[kept[case.household_id]] if case.household_id in kept else case.household for case in cases}


def families_continuing(cases, households: dict[int, Household] | None = None) -> dict[int, bool]:
    """:func:`verval.models.family_continues` of each of ``cases`` (their households selected with
    them, their ``member_changes`` prefetched), by case id, on the record each family stands on now
    (``households``, by case id; :func:`kept_records` by default): one query for their members."""
    cases = list(cases)
    households = kept_records(cases) if households is None else households
    asked = {households[case.pk].pk for case in cases if head_died_eligible(case)}
    left: dict[int, list[tuple[int, str]]] = {}
    if asked:
        rows = Member.objects.filter(household__in=asked, is_absent=False).exclude(relation=Relation.HEAD)
        for household_id, pk, nik in rows.values_list("household_id", "pk", "nik"):
            left.setdefault(household_id, []).append((pk, nik))
    return {
        case.pk: family_continues(case, left=left.get(households[case.pk].pk, []))
        for case in cases
    }


def changes_with_members() -> Prefetch:
    """Cases' member changes, each with its member, as :func:`approval_plans` reads them."""
    return Prefetch("member_changes", queryset=CaseMemberChange.objects.select_related("member"))


def plan_cases(batch: VervalBatch) -> QuerySet[VervalCase]:
    """Every case of ``batch`` as :func:`approval_plans` reads them, in the order approval applies them."""
    return batch.cases.select_related("household").prefetch_related(changes_with_members()).order_by("id")


def approval_plans(cases) -> list[CasePlan]:
    """What approval does with each of ``cases`` (their households selected with them, best their
    ``member_changes`` prefetched with their members, :func:`changes_with_members`), as the registry
    stands now; a few queries for the whole batch, however many cases it holds."""
    plans = []
    cases = list(cases)
    prefetch_related_objects(cases, "member_changes__member")  # none when the caller prefetched them so
    households = kept_records(cases)
    continuing = families_continuing(cases, households)
    for case in cases:
        household = households[case.pk]
        plan = CasePlan(case=case, household=household)
        plan.carries_on = continuing[case.pk]
        plan.gone = case.presence in GONE and not plan.carries_on
        plans.append(plan)
        if plan.gone:
            continue
        plan.present_again = household.is_absent and (case.presence == Presence.FOUND or plan.carries_on)
        plan.observed = {name: getattr(case, name) for name in LIVING_CONDITION_FIELDS if getattr(case, name)}
        if case.kind == CaseKind.INCLUSION and case.verdict == Verdict.ELIGIBLE:
            change = desil_since_visit(case, household)
            # Across a merge the family stands on another record's ranking: said so (``desil_change``).
            plan.desil_change = DesilChange(*change, merged=household.pk != case.household_id) if change else None
            plan.confirm = plan.desil_change is None
    _still_candidates([plan for plan in plans if plan.desil_change])
    _member_changes(plans)
    _aid_of_dead(plans)
    _suspensions([plan for plan in plans if plan.case.verdict == Verdict.NOT_ELIGIBLE and not plan.gone])
    return plans


# The aid a dead person, or a family found gone, may still hold: live, or suspended until a check
# that will not find them again.
DEAD_ENDS = (*LIVE_STATUSES, EnrollmentStatus.SUSPENDED)


def _still_candidates(plans: list[CasePlan]) -> None:
    """Whether each family whose desil changed since the visit (not confirmed) is an inclusion
    candidate still at its desil now, above a limit of a program it receives, or within the limits
    by now (one query): the reviewers are told which (``DesilChange.still_candidate``)."""
    if not plans:
        return
    above = set(inclusion_candidates().filter(pk__in=[plan.household.pk for plan in plans]).values_list("pk", flat=True))
    for plan in plans:
        plan.desil_change = plan.desil_change._replace(still_candidate=plan.household.pk in above)


def holding_own_aid(members) -> set[int]:
    """Those of ``members`` (ids) who hold aid of their own (a person program's enrollment, live or
    suspended): moved to another family, it goes along (``programs.services.enrollments_follow_members``)."""
    members = set(members)
    if not members:
        return set()
    return set(Enrollment.objects.filter(member__in=members, status__in=DEAD_ENDS).values_list("member_id", flat=True))


def _aid_of_dead(plans: list[CasePlan]) -> None:
    """The person-level enrollments, live or suspended, of the members the visits found dead (those
    an import marked absent since included), and of the heads who died in the families carrying on
    (one query for the whole batch). A member found moved or not of this family still lives and
    keeps their own aid: this family's case is not about them, and the registry moves their aid with
    them once it finds them in their new family."""
    dead = {member_id: plan for plan in plans for member_id in plan.members_dead}
    heads = {plan.household.pk: plan for plan in plans if plan.carries_on}
    if not (dead or heads):
        return
    rows = Enrollment.objects.filter(status__in=DEAD_ENDS).filter(
        Q(member__in=list(dead)) | Q(member__household__in=list(heads), member__relation=Relation.HEAD, member__is_absent=False)
    )
    for enrollment in rows.select_related("program", "member").order_by("pk"):
        plan = dead.get(enrollment.member_id) or heads[enrollment.member.household_id]
        plan.aid_of_dead.append(enrollment)


def _merge_twins(plans: list[CasePlan], changes: dict[int, list[CaseMemberChange]]):
    """For the members found gone who are no longer on the record their family is kept on now: the
    record each of their households is kept on now (``households.models.kept_households``), and
    (kept household, NIK) -> the kept household's member holding that NIK (a present one first). A
    merge leaves a member whose NIK the kept family holds on the merged-away record, marked absent,
    and moves their aid to the kept family's member (their twin). No query without such members."""
    strays = [
        change.member for plan in plans for change in changes.get(plan.case.pk, [])
        if change.change in MEMBER_GONE and change.member is not None and change.member.household_id != plan.household.pk
    ]
    if not strays:
        return {}, {}
    kept = kept_households({member.household_id for member in strays})
    wanted = {(kept[member.household_id], member.nik) for member in strays if member.nik}
    twins: dict[tuple[int, str], Member] = {}
    rows = Member.objects.filter(household__in={pk for pk, _nik in wanted}, nik__in={nik for _pk, nik in wanted})
    for member in rows.order_by("is_absent", "pk"):
        if (member.household_id, member.nik) in wanted:
            twins.setdefault((member.household_id, member.nik), member)
    return twins, kept


def _member_now(change: CaseMemberChange, plan: CasePlan, twins: dict, kept: dict) -> Member | None | bool:
    """The member a change found gone is about now on the family's kept record: the member itself,
    or, left on a record merged into it, its twin (:func:`_merge_twins`). None for a member moved to
    another family since (this family's case is no longer about them); False for one the family's
    record holds in no form (a record deleted, a twin whose NIK changed since)."""
    member = change.member
    if member is None:
        return False
    if member.household_id == plan.household.pk:
        return member
    if kept.get(member.household_id) != plan.household.pk:
        return None
    return (twins.get((plan.household.pk, member.nik)) if member.nik else None) or False


def findings_now(case: VervalCase, gone: list[CaseMemberChange]) -> dict[int, Member | None | bool]:
    """Each of ``case``'s recorded findings of a member gone (by the finding's id) with the member it
    is about now on the record the family stands on, as approval follows it (:func:`_member_now`):
    the visit page offers the finding on that member (a merge's twin by NIK), and the case pages
    name that member once. None or False: a finding the page shows on no member."""
    plan = CasePlan(case=case, household=kept_household(case.household))
    twins, kept = _merge_twins([plan], {case.pk: gone})
    return {change.pk: _member_now(change, plan, twins, kept) for change in gone}


def _member_changes(plans: list[CasePlan]) -> None:
    """The visits' member changes that still change their families (a few queries for the whole
    batch): a member gone who is still one of its family's present members (not marked absent, nor
    moved to another family since; followed through a merge to the kept family's member with their
    NIK), and every member to add, unless its NIK is a present member's by now or that of a member
    the visit marks gone, or one an earlier case of the batch adds (to the same record: two records
    merged into one; to another family: a person lives in one family), as approval applies them in
    this order. A member found dead counts among the dead unless found in another family
    since. A member found gone whom the same visit adds again (their NIK typed for a member to add)
    is the same person, still of the family: kept present, and not added twice. A member found gone whom the family's record no longer holds
    at all (merged away without a twin, deleted) is set apart for the reviewer. Of a family gone
    (marked absent whole) only the members found dead are taken: they die in the registry as in a
    family found at home, and nothing is added to it."""
    by_case = {plan.case.pk: list(plan.case.member_changes.all()) for plan in plans}
    added_niks = {c.nik for p in plans if not p.gone for c in by_case.get(p.case.pk, []) if c.is_addition and c.nik}
    # Who holds the NIKs of the members to add now: present members of families not merged away.
    holders = list(_present_holders(added_niks).values_list("pk", "household_id", "nik")) if added_niks else []
    held = {(household, nik) for _pk, household, nik in holders}
    held_niks = {nik for _household, nik in held}
    twins, kept = _merge_twins(plans, by_case)
    for plan in plans:
        readded = {change.nik for change in by_case.get(plan.case.pk, []) if change.is_addition and change.nik}
        marked = {change.nik for change in by_case.get(plan.case.pk, []) if change.change in MEMBER_GONE and change.nik}
        for change in by_case.get(plan.case.pk, []):
            if plan.gone and change.change != MemberChange.DECEASED:
                continue
            if change.is_addition:
                if change.nik and ((plan.household.pk, change.nik) in held or change.nik in marked):
                    plan.members_known.append(change)
                elif change.nik in held_niks:
                    plan.members_elsewhere.append(change)
                else:
                    plan.members_added.append(change)
                    if change.nik:  # added by this case: an earlier one of the batch for the cases after it
                        held.add((plan.household.pk, change.nik))
                        held_niks.add(change.nik)
                continue
            if change.change not in MEMBER_GONE:
                continue
            member = _member_now(change, plan, twins, kept)
            if member is False:
                plan.members_not_found.append(change)
            if not member:
                continue
            if member.nik in readded and not member.is_absent:
                continue
            if not member.is_absent:
                plan.members_gone.append((change, member))
            if change.change == MemberChange.DECEASED:
                plan.members_dead.append(member.pk)
    _moves_in_batch(plans, holders)


def _moves_in_batch(plans: list[CasePlan], holders: list[tuple[int, int, str]]) -> None:
    """A member to add whose NIK another family's present member holds is that person moving in
    when the same batch finds that member moved out of their family (Pindah, not of that family; not
    one found dead), or finds their whole family moved away (Pindah; any member, its head included, not one
    found dead there): the one holder, found so by one case. The addition becomes a move of the
    member's record (``CasePlan.members_moved_in``), as the admin moves a member; the other family's
    case no longer marks them absent, nor, for a family gone, ends their own aid
    (``CasePlan.members_moving_out``). ``holders``: (member, household, NIK) of the present
    holders of the NIKs to add."""
    leaving: dict[int, tuple[CasePlan, CaseMemberChange]] = {
        member.pk: (plan, row) for plan in plans for row, member in plan.members_gone
        if row.change in (MemberChange.MOVED, MemberChange.NOT_FAMILY)
    }
    moved_away = {plan.household.pk: plan for plan in plans if plan.gone and plan.case.presence == Presence.MOVED}
    dead = {pk for plan in moved_away.values() for pk in plan.members_dead}
    movers = movers_in(holders, leaving=leaving, moved_away=moved_away, dead=dead)
    if not movers:
        return
    taken: set[int] = set()
    with_family: list[tuple[CasePlan, CaseMemberChange, int]] = []
    for plan in plans:
        for change in list(plan.members_elsewhere):
            pk, home = movers.get(change.nik, (None, None))
            if pk is None or pk in taken:
                continue
            taken.add(pk)
            plan.members_elsewhere.remove(change)
            if pk not in leaving:  # their family moved away whole: not found gone one by one
                moved_away[home].members_moving_out.append(pk)
                with_family.append((plan, change, pk))
                continue
            source, row = leaving[pk]
            member = next(member for gone, member in source.members_gone if gone is row)
            source.members_gone.remove((row, member))
            plan.members_moved_in.append((change, member))
    if with_family:
        members = Member.objects.in_bulk([pk for _plan, _change, pk in with_family])
        for plan, change, pk in with_family:
            plan.members_moved_in.append((change, members[pk]))


def _suspensions(plans: list[CasePlan]) -> None:
    """The live aid each verdict Tidak layak is about, as it stands now (a re-sync may have added
    some since the case opened): for a family absent from the newest extract, all of it; for an
    inclusion case, that of the programs the case questioned; for the other cases, which questioned
    no program, that of the programs with a desil limit (those an inclusion case questions). Aid of
    programs without a limit is not the verdict's to stop."""
    if not plans:
        return
    live: dict[int, list[Enrollment]] = {}
    rows = Enrollment.objects.filter(household__in=[p.household.pk for p in plans], status__in=LIVE_STATUSES)
    for enrollment in rows.select_related("program").order_by("pk"):
        live.setdefault(enrollment.household_id, []).append(enrollment)
    questioned: dict[int, set[int]] = {}
    through = VervalCase.enrollments.through.objects.filter(vervalcase_id__in=[p.case.pk for p in plans])
    for case_id, program_id in through.values_list("vervalcase_id", "enrollment__program_id"):
        questioned.setdefault(case_id, set()).add(program_id)
    limited = set(Program.objects.filter(eligibility_rules__active=True).values_list("pk", flat=True))
    for plan in plans:
        if plan.case.kind == CaseKind.ABSENT_ENROLLED:
            programs = None
        elif plan.case.kind == CaseKind.INCLUSION:
            programs = questioned.get(plan.case.pk, set())
        else:
            programs = limited
        ending = {e.pk for e in plan.aid_of_dead}
        plan.suspend = [
            e for e in live.get(plan.household.pk, []) if (programs is None or e.program_id in programs) and e.pk not in ending
        ]


def approval_preview(batch: VervalBatch, plans: list[CasePlan] | None = None) -> dict:
    """What approving ``batch`` will do, counted from the plans approval follows
    (:func:`approval_plans`): families gone are marked absent and their aid ended, unless the head
    died and the family, found eligible, carries on under a new head; families found at home that
    the registry holds absent are marked present; the others' observed living conditions are
    written, the aid of those not eligible suspended (which, by program and year), eligible
    inclusion cases confirmed unless their desil changed since the visit, and the members the visits
    found gone marked absent, those found missing added, the dead ones' own aid ended; the members
    found gone whom their family's record no longer holds are counted apart, for the reviewer.
    ``plans``: the batch's plans, when the caller built them already."""
    plans = approval_plans(plan_cases(batch)) if plans is None else plans
    not_eligible = [p for p in plans if p.case.verdict == Verdict.NOT_ELIGIBLE and not p.gone]
    suspended = Counter((str(e.program.name), e.year) for p in not_eligible for e in p.suspend)
    return {
        "absent": sum(p.gone for p in plans),
        "head_deceased": sum(p.carries_on for p in plans),
        "present": sum(p.present_again for p in plans),
        "conditions": sum(bool(p.observed) for p in plans if not p.gone),
        "suspending_families": sum(bool(p.suspend) for p in not_eligible),
        "suspended": sum(suspended.values()),
        "suspended_programs": [(name, year, count) for (name, year), count in sorted(suspended.items())],
        "nothing_suspended": sum(not p.suspend for p in not_eligible),
        "desil_changes": [p.desil_change for p in plans if p.desil_change],
        "members_gone": sum(len(p.members_gone) for p in plans),
        "members_added": sum(len(p.members_added) for p in plans),
        "members_known": sum(len(p.members_known) for p in plans),
        "members_not_found": sum(len(p.members_not_found) for p in plans),
        "members_elsewhere": sum(len(p.members_elsewhere) for p in plans),
        "members_moved": sum(len(p.members_moved_in) for p in plans),
        "members_moved_with_aid": len(holding_own_aid(member.pk for p in plans for _row, member in p.members_moved_in)),
        "aid_of_dead": sum(len(p.aid_of_dead) for p in plans),
    }


# Why approval does not apply a recorded member change (``changes_not_applied``).
NOT_FOUND, ELSEWHERE, KNOWN = "not_found", "elsewhere", "known"


def changes_not_applied(user: User, batch: VervalBatch, cases, plans: list[CasePlan] | None = None) -> dict[int, str]:
    """The member changes of ``cases`` (of ``batch``, their households selected with them) that the
    approval did not apply, or, before it, will not, by change id: ``NOT_FOUND``, a member found gone
    whom the family's record no longer holds; ``ELSEWHERE``, a member to add whose NIK another
    family's member holds, told only to a ``user`` who sees NIKs in full (to another it would confirm
    a guessed NIK of a family they may not see); ``KNOWN``, a member to add whose NIK a present member
    of the family holds by now (a merge, an import). ``plans``: those of ``cases`` (or of the whole
    batch), when the caller built them already."""
    if batch.is_approved:
        applied = batch.applied or {}
        found = {pk: NOT_FOUND for pk in applied.get("not_found_changes", [])}
        found.update({pk: ELSEWHERE for pk in applied.get("elsewhere_changes", [])})
        found.update({pk: KNOWN for pk in applied.get("known_changes", [])})
    else:
        plans = approval_plans(cases) if plans is None else plans
        found = {change.pk: NOT_FOUND for plan in plans for change in plan.members_not_found}
        found.update({change.pk: ELSEWHERE for plan in plans for change in plan.members_elsewhere})
        found.update({change.pk: KNOWN for plan in plans for change in plan.members_known})
    return {pk: why for pk, why in found.items() if why != ELSEWHERE or user.can_see_full_nik}


def batch_summary(user: User, batch: VervalBatch) -> dict:
    """The counts by status, presence and verdict of the batch's cases that ``user`` sees (one
    grouped query each): all of them for managers and approvers, as many as names are shown to others."""
    cases = visible_cases(user).filter(batch=batch)
    by = {}
    for column, choices in (("status", CaseStatus), ("presence", Presence), ("verdict", Verdict)):
        counts = dict(cases.order_by().values_list(column).annotate(n=Count("pk")))
        by[column] = [(label, counts.get(value, 0)) for value, label in choices.choices]
    by["total"] = cases.count()
    return by
