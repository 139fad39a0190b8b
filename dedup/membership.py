"""Writes that change who belongs where or who is who, each re-checking the one-aid rule in its own
transaction: a household or member saved in the admin, households or members marked absent or
present, a member moving family, two records merged into one.

A member who moves family takes their person-level enrollments along (``programs.services.
enrollments_follow_members``, with a history row saying why); household-level enrollments stay with
the household. Then one re-check (``dedup.engine.recheck_households``) covers every household the
write touched: new breaches are flagged, conflicts that no longer hold close by themselves, and
each of those changes is recorded in the conflict's history with the write that caused it.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from simple_history.utils import bulk_update_with_history

from dedup.engine import DEAD_STATUSES, STORED_LANGUAGE, RecheckResult, Write, recheck_households
from dedup.identity import scan_identities
from dedup.models import Conflict, ConflictStatus, IdentityMatch, IdentityStatus, WriteCause
from households.models import Household, Member, kept_households
from households.services import history_reason, household_presence_set
from konut_registry.db import identity_records_locked
from programs.models import Enrollment, EnrollmentStatus
from programs.services import enrollment_update, enrollments_follow_members


def registry_changed(
    *, households: Iterable[int] = (), moved_members: Iterable[int] = (), cause: str, by=None, batch=None
) -> RecheckResult:
    """After a write changed these households (their people, NIKs, absence, merge) and moved these
    members to another family: the moved members' person-level enrollments follow them, then one
    re-check of every household involved. Runs in the caller's transaction."""
    moved = list(moved_members)
    followed = enrollments_follow_members(member_ids=moved, by=by, batch=batch) if moved else None
    touched = set(households) | (followed.households if followed else set())
    return recheck_households(touched, write=Write.of(cause, batch=batch, by=by))


# No savepoint of their own: they run inside the admin's transaction (a failure undoes the save
# with them), or open one when there is none.
@transaction.atomic(savepoint=False)
def household_changed(*, household: Household, by) -> RecheckResult:
    """A household (its head NIK, No KK, members) was saved in the admin: re-check it."""
    return registry_changed(households=[household.pk], cause=WriteCause.HOUSEHOLD, by=by)


def identities_checked(household_ids: Iterable[int]):
    """The identity duplicates of households a form changed (a No KK or NIK typed in, a member
    moved), found and recorded now rather than at the next import or scan; returns the
    ``IdentityScanResult``. The one-aid check does not link two records by their No KK: this does."""
    ids = sorted({int(pk) for pk in household_ids if pk is not None})
    with identity_records_locked():
        return scan_identities(ids)


@transaction.atomic(savepoint=False)
def member_changed(*, member: Member, previous_household_id: int | None, by) -> RecheckResult:
    """A member was saved in the admin, perhaps moved to another family (``previous_household_id``
    is where they were before the save): their person-level enrollments follow them, and both
    families are re-checked."""
    moved = previous_household_id is not None and previous_household_id != member.household_id
    return registry_changed(
        households=[member.household_id, previous_household_id] if moved else [member.household_id],
        moved_members=[member.pk] if moved else [],
        cause=WriteCause.MEMBER, by=by,
    )


@transaction.atomic(savepoint=False)
def members_added(*, household_id: int, by) -> RecheckResult:
    """Members were added to a family in one go, each saved as the admin saves one: the family is
    re-checked once (:func:`member_changed`, for as many members)."""
    return registry_changed(households=[household_id], cause=WriteCause.MEMBER, by=by)


@transaction.atomic
def household_mark_absent(
    *, household: Household, by, reason: str = "", head_deceased: bool = False, absent_reason: str = "",
) -> Household:
    """The family is no longer where the registry places it (moved, not found, or its head died; a
    verval approval found it): it is kept and marked absent, with why (``absent_reason``, an
    ``AbsentReason``), its head member too, known dead, with ``head_deceased``. Then it is
    re-checked as :func:`households_mark_absent` re-checks: an absent family's head NIK, and an
    absent member's, links it to no other family (``engine_sql.head_stands``)."""
    household = household_presence_set(household=household, absent=True, by=by, reason=reason,
                                       head_deceased=head_deceased, absent_reason=absent_reason)
    registry_changed(households=[household.pk], cause=WriteCause.ABSENT, by=by)
    return household


@transaction.atomic
def household_mark_present(*, household: Household, by, reason: str = "") -> Household:
    """The family was found where the registry places it, though the newest full extract no longer
    holds it: it is marked present again, and re-checked: its head NIK links it again to the
    families holding that NIK."""
    household = household_presence_set(household=household, absent=False, by=by, reason=reason)
    registry_changed(households=[household.pk], cause=WriteCause.ABSENT, by=by)
    return household


def _mark(model, objects: list, *, absent: bool, by, reason: str = "", also: dict | None = None) -> list:
    """Set ``is_absent``, and the fields of ``also`` with it, on the records that differ, with one
    history row each (``reason``, else that the newest data said so); returns them."""
    also = also or {}
    changing = [obj for obj in objects
                if obj.is_absent != absent or any(getattr(obj, name) != value for name, value in also.items())]
    if reason:
        reason = history_reason(reason, model)
    else:
        with override(STORED_LANGUAGE):
            reason = _("Ditandai tidak ada di data terbaru.") if absent else _("Ditandai ada di data terbaru.")
    now = timezone.now()
    for obj in changing:
        obj.is_absent = absent
        obj.updated_at = now
        for name, value in also.items():
            setattr(obj, name, value)
    if changing:
        bulk_update_with_history(
            changing, model, ["is_absent", "updated_at", *also], batch_size=500, default_user=by,
            default_change_reason=reason,
        )
    return changing


@transaction.atomic
def households_mark_absent(*, households: Iterable[Household], absent: bool, by) -> int:
    """Mark households absent from (or present in) the newest data, then re-check them. A record
    merged into another stays as the merge left it (absent). A family present again loses the reason
    a verval gave for its absence (``Household.absent_reason``). Returns how many changed."""
    ids = [h.pk for h in households]
    rows = list(Household.objects.select_for_update().filter(pk__in=ids, merged_into__isnull=True).order_by("pk"))
    changed = _mark(Household, rows, absent=absent, by=by, also=None if absent else {"absent_reason": ""})
    registry_changed(households=[h.pk for h in changed], cause=WriteCause.ABSENT, by=by)
    return len(changed)


@transaction.atomic
def members_mark_absent(*, members: Iterable[Member], absent: bool, by, reason: str = "", deceased: bool = False) -> int:
    """Mark members absent from (or present in) their family, then re-check their families: an
    absent member no longer links two families as one person. ``reason``: why, for the members'
    history (a verval's finding: died, moved out); by default, that the newest data said so.
    ``deceased``: they died (an approved verval found it), recorded in the same write and history
    row as their absence; the pages then say "meninggal". Returns how many changed."""
    if deceased and not absent:
        raise ValueError("a member recorded dead is absent")
    ids = [m.pk for m in members]
    rows = list(Member.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    changed = _mark(Member, rows, absent=absent, by=by, reason=reason, also={"is_deceased": True} if deceased else None)
    registry_changed(households={m.household_id for m in changed}, cause=WriteCause.ABSENT, by=by)
    return len(changed)


@dataclass
class MergeResult:
    target: Household
    source: Household
    moved_members: int = 0
    duplicate_members: int = 0
    moved_enrollments: int = 0
    cancelled_enrollments: int = 0
    revived_enrollments: int = 0
    conflicts: list = field(default_factory=list)


@transaction.atomic
def household_merge(*, source: Household, target: Household, by, reason: str = "") -> MergeResult:
    """Merge ``source`` into ``target``: members and enrollments move to ``target``; ``source`` is kept,
    marked absent and ``merged_into`` ``target`` (never deleted), and history records every change.

    A source member whose NIK is already in ``target`` is the same person: it stays on the source
    record, marked absent, and its enrollments move to the target's member. An enrollment that
    ``target`` already has (same program, year and recipient) stays on the source record, cancelled;
    when the target's copy was cancelled or rejected and the source's live, the target's takes the
    source's status, so that the family keeps its live aid.
    The source record then stands for no one (its head and members count only on ``target``); moved
    enrollments and both records are re-checked against the one-aid rule in the same transaction,
    and the conflicts raised are returned. The source's other open identity duplicates go over to
    ``target`` (:func:`_hand_over_duplicates`).
    """
    if source.pk == target.pk:
        raise ValidationError(_("Keluarga tidak dapat digabung dengan dirinya sendiri."))
    # The identity lock first, as an identity scan takes it, before any row: a scan locks the open
    # pairs of merged records under it, so taken after the rows below, a merge and a scan at the
    # same moment would each wait for the other.
    with identity_records_locked():
        return _household_merge(source=source, target=target, by=by, reason=reason)


def _household_merge(*, source: Household, target: Household, by, reason: str) -> MergeResult:
    locked = {h.pk: h for h in Household.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    for household in (source, target):
        if household.merged_into_id:
            raise ValidationError(
                _("Keluarga %(name)s (#%(id)s) sudah digabung ke keluarga lain.") % {"name": household.head_name, "id": household.pk}
            )
    result = MergeResult(target=target, source=source)
    write = Write.of(WriteCause.MERGE, by=by)
    with override(STORED_LANGUAGE):
        note = _("Digabung ke keluarga #%(id)s (%(name)s).") % {"id": target.pk, "name": target.head_name}
        duplicate_note = _("%(note)s Kepesertaan yang sama sudah ada di keluarga tujuan.") % {"note": note}
        revived_note = _("Kepesertaan yang masih berlaku dari keluarga #%(id)s yang digabung.") % {"id": source.pk}
        kept_note = _("Keluarga #%(id)s digabung ke keluarga ini.") % {"id": source.pk}
    enrollment_note, enrollment_duplicate = history_reason(note, Enrollment), history_reason(duplicate_note, Enrollment)

    target_by_nik = {m.nik: m for m in target.members.filter(is_absent=False) if m.nik}
    member_map: dict[int, int] = {}
    twins_taking: list[Member] = []  # target members who take a person ID of their twin
    for member in source.members.all():
        member._history_user = by
        member._change_reason = history_reason(note, Member)
        twin = target_by_nik.get(member.nik) if member.nik else None
        if twin is not None:
            member_map[member.pk] = twin.pk
            member.is_absent = True
            if _take_identifiers(member, twin, MEMBER_IDENTIFIERS):
                twins_taking.append(twin)
            member.save()
            result.duplicate_members += 1
        else:
            member_map[member.pk] = member.pk
            member.household = target
            member.save()
            result.moved_members += 1
    for twin in twins_taking:  # after their twins gave up an ID that is unique
        twin._history_user = by
        twin._change_reason = history_reason(kept_note, Member)
        twin.save()

    # From here on the source record stands for no one: its head and members count only on target.
    # The kept family takes the identifiers it lacks (an import finds it by them) and the newer desil.
    target_changed = _take_identifiers(source, target, HOUSEHOLD_IDENTIFIERS)
    target_changed = _take_newer_desil(source, target) or target_changed
    source.is_absent = True
    source.merged_into = target
    source._history_user = by
    source._change_reason = history_reason(note)
    source.save()
    if target_changed:
        target._history_user = by
        target._change_reason = history_reason(kept_note)
        target.save()

    taken = {(e.program_id, e.year, e.member_id): e for e in target.enrollments.all()}
    moved_ids = []
    for enrollment in source.enrollments.select_related("program", "member").order_by("pk"):
        member_id = member_map.get(enrollment.member_id) if enrollment.member_id else None
        key = (enrollment.program_id, enrollment.year, member_id)
        if key in taken:
            if enrollment.status not in DEAD_STATUSES:
                live = enrollment.status, enrollment.amount, enrollment.delivered_on
                enrollment_update(
                    enrollment=enrollment, by=by, write=write, status=EnrollmentStatus.CANCELLED,
                    status_reason=duplicate_note, change_reason=enrollment_duplicate,
                )
                result.cancelled_enrollments += 1
                kept = taken[key]
                if kept.status in DEAD_STATUSES:
                    # The target's copy was cancelled or rejected, the source's was live: the family
                    # keeps its live aid, on the target's record (one per program and year).
                    status, amount, delivered_on = live
                    update = enrollment_update(
                        enrollment=kept, by=by, write=write, status=status, amount=amount if amount is not None else kept.amount,
                        delivered_on=delivered_on or kept.delivered_on, status_reason=revived_note,
                        change_reason=history_reason(revived_note, Enrollment),
                    )
                    result.revived_enrollments += 1
                    known = {c.pk for c in result.conflicts}
                    result.conflicts.extend(c for c in update.conflicts if c.pk not in known)
            continue
        taken[key] = enrollment
        update = enrollment_update(
            enrollment=enrollment, by=by, write=write, household=target, member_id=member_id, change_reason=enrollment_note,
        )
        moved_ids.append(enrollment.pk)
        result.moved_enrollments += 1
        known = {c.pk for c in result.conflicts}
        result.conflicts.extend(c for c in update.conflicts if c.pk not in known)

    # Conflicts recorded against the source record now belong to the family they moved to.
    for conflict in Conflict.objects.filter(household=source).filter(
        Q(enrollment_a_id__in=moved_ids) | Q(enrollment_b_id__in=moved_ids)
    ):
        conflict.household = target
        conflict._history_user = by
        conflict._change_reason = history_reason(note, Conflict)
        conflict.save()

    # One re-check of both records: what the moves ended closes, what they raised is flagged.
    found = recheck_households([source.pk, target.pk], write=write)
    known = {c.pk for c in result.conflicts}
    result.conflicts.extend(
        Conflict.objects.filter(pk__in=(found.new | found.reopened) - known, status=ConflictStatus.OPEN).order_by("pk")
    )

    now = timezone.now()
    reason = (reason or "").strip() or note
    for match in IdentityMatch.objects.select_for_update().filter(
        Q(household_a=source, household_b=target) | Q(household_a=target, household_b=source), status=IdentityStatus.OPEN
    ):
        _settle(match, reason=reason, by=by, now=now)
    _hand_over_duplicates(source, target, by=by, now=now)
    return result


# The identifiers an import finds a record by: a kept record lacking one takes the merged record's.
# A unique one (ID Keluarga P3KE, ID Individu) moves, the others are copied; one the kept record
# holds with another value stays as it is: the import still finds the family through the merged
# record's own key, following ``merged_into``.
HOUSEHOLD_IDENTIFIERS = (("p3ke_id", True), ("no_kk", False), ("head_nik", False))
MEMBER_IDENTIFIERS = (("id_individu", True), ("dtks_id", False))
# A family's ranking, taken together: the desil, where and as of when it came, the percentile.
RANKING = ("desil", "desil_source", "desil_date", "persentil")


def _take_identifiers(source, target, identifiers) -> bool:
    """``target`` takes the identifiers of ``source`` it lacks, with what the source data said of
    them (``source_values``: a later import sees them as source data, not a local correction);
    whether it took any. A unique one is cleared on ``source``: save ``source`` first."""
    taken = False
    for name, unique in identifiers:
        value = getattr(source, name)
        if not value or getattr(target, name):
            continue
        setattr(target, name, value)
        if unique:
            setattr(source, name, None)
        _take_snapshot(source, target, (name,))
        taken = True
    return taken


def _take_newer_desil(source: Household, target: Household) -> bool:
    """``target`` takes the ranking of ``source`` when it is newer (by the desil's date, else the
    data year): eligibility follows the newest ranking. Whether it did."""
    if source.desil is None or (source.desil, source.desil_source, source.desil_date) == (
        target.desil, target.desil_source, target.desil_date
    ):
        return False
    if target.desil is not None:
        newer, older = _ranked_on(source), _ranked_on(target)
        if newer is None or (older is not None and newer <= older):
            return False
    for name in RANKING:
        setattr(target, name, getattr(source, name))
    _take_snapshot(source, target, RANKING)
    return True


def _ranked_on(household: Household) -> datetime.date | None:
    """As of when a household's desil holds: its date (DTSEN's quarter), else its data year."""
    if household.desil_date is not None:
        return household.desil_date
    return datetime.date(household.source_year, 1, 1) if household.source_year else None


def _take_snapshot(source, target, names) -> None:
    """What the source data last said of ``names`` on ``source`` becomes ``target``'s."""
    snapshot = dict(target.source_values or {})
    for name in names:
        if name in (source.source_values or {}):
            snapshot[name] = source.source_values[name]
        else:
            snapshot.pop(name, None)
    target.source_values = snapshot


def _settle(match: IdentityMatch, *, reason: str, by, now) -> None:
    """Close an identity duplicate as settled by a merge, with its reason and reviewer."""
    match.status = IdentityStatus.MERGED
    match.decision_reason = reason
    match.reviewed_by = by
    match.reviewed_at = now
    match._history_user = by
    match.save()


def _hand_over_duplicates(source: Household, target: Household, *, by, now) -> None:
    """The merged record's other open identity duplicates (with C) are the kept family's now: it
    holds the people and card they were found on. They are looked for again on ``target`` (A-C is
    raised, once), and each old pair is closed as settled by the merge, its reason naming the pairs
    that follow it, so that one duplicate is counted, and decided, once."""
    others = list(IdentityMatch.objects.select_for_update().filter(
        Q(household_a=source) | Q(household_b=source), status=IdentityStatus.OPEN
    ).order_by("pk"))
    if not others:
        return
    identities_checked([target.pk])
    for match in others:
        other = match.household_b_id if match.household_a_id == source.pk else match.household_a_id
        _hand_over(match, source=source.pk, target=target.pk, other=other, by=by, now=now)


def _hand_over(match: IdentityMatch, *, source: int, target: int, other: int, by, now) -> None:
    """Close ``match``, a pair of ``source`` (merged into ``target``) with ``other``, as settled by
    the merge, its reason naming the pairs of ``target`` and ``other`` that follow it."""
    low, high = sorted((target, other))
    successors = list(
        IdentityMatch.objects.filter(household_a_id=low, household_b_id=high).order_by("pk").values_list("pk", flat=True)
    )
    values = {"source": source, "target": target, "other": other, "matches": ", ".join(f"#{pk}" for pk in successors)}
    with override(STORED_LANGUAGE):
        if successors:
            reason = _("Keluarga #%(source)s digabung ke keluarga #%(target)s: pasangan ini diteruskan ke "
                       "duplikat %(matches)s antara keluarga #%(target)s dan #%(other)s.") % values
        else:
            reason = _("Keluarga #%(source)s digabung ke keluarga #%(target)s: antara keluarga #%(target)s "
                       "dan #%(other)s tidak ditemukan duplikat.") % values
    _settle(match, reason=reason, by=by, now=now)


def merged_duplicates_settle(*, scanned: Collection[int] | None = None) -> int:
    """Settle the open identity duplicates of records merged away, left by merges made before a
    merge handed them over (:func:`_hand_over_duplicates`), the same way: each goes to the family
    its record was merged into (through later merges, the one kept last), and is closed naming the
    pair that follows it. Run by the identity scan (``dedup.services.identity_scan``) after it
    recorded its findings, so that one scan cleans up such old pairs: the kept families it did not
    scan (``scanned``; None, the whole registry) are looked for again first. Returns how many
    pairs were settled."""
    merged = Household.objects.filter(merged_into__isnull=False).values("pk")
    stale = list(IdentityMatch.objects.select_for_update().filter(
        Q(household_a__in=merged) | Q(household_b__in=merged), status=IdentityStatus.OPEN
    ).order_by("pk"))
    if not stale:
        return 0
    kept = kept_households({pk for match in stale for pk in (match.household_a_id, match.household_b_id)})
    if scanned is not None:
        unscanned = set(kept.values()) - set(scanned)
        if unscanned:
            scan_identities(unscanned)
    now = timezone.now()
    for match in stale:
        a, b = kept[match.household_a_id], kept[match.household_b_id]
        if a == b:
            with override(STORED_LANGUAGE):
                reason = _("Keluarga #%(a)s dan #%(b)s sudah digabung ke satu keluarga, #%(target)s.") % {
                    "a": match.household_a_id, "b": match.household_b_id, "target": a}
            _settle(match, reason=reason, by=None, now=now)
        elif a != match.household_a_id:
            _hand_over(match, source=match.household_a_id, target=a, other=b, by=None, now=now)
        else:
            _hand_over(match, source=match.household_b_id, target=b, other=a, by=None, now=now)
    return len(stale)
