"""Writes to households that come from outside an import: corrections a field verification found.

Each service validates and saves one household with its history (who, and the reason); imports write
through ``households.imports`` instead. A corrected field differs from what the central source said
last (``source_values``), so a later re-sync keeps the correction.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q

from households.models import LIVING_CONDITION_FIELDS, DataSource, Household, Member, Relation, family_head


def history_reason(reason: str, model=Household) -> str | None:
    """``reason`` as ``model``'s history keeps it (django-simple-history keeps 100 characters): whole
    when it fits, else cut after the last whole word that fits, with an ellipsis, so that a long batch
    title loses its end rather than half a word."""
    if not reason:
        return None
    limit = model.history.model._meta.get_field("history_change_reason").max_length
    if len(reason) <= limit:
        return reason
    cut = reason[: limit - 1]
    if not reason[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # a word cut through is left out
    return cut.rstrip(" ,;:·(-") + "…"


def _save(household: Household, *, by, reason: str) -> None:
    household.full_clean()
    household._history_user = by
    household._change_reason = history_reason(reason)
    household.save()


@transaction.atomic
def household_conditions_update(
    *, household: Household, values: dict[str, str], on: datetime.date, by, reason: str = "",
    source: str = DataSource.VERVAL,
) -> list[str]:
    """Set the observed living conditions (blank values are left as they are), record their source
    and date; return the names of the fields that changed."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    changed = []
    for name, value in values.items():
        if name not in LIVING_CONDITION_FIELDS:
            raise ValueError(name)
        if value and getattr(household, name) != value:
            setattr(household, name, value)
            changed.append(name)
    household.conditions_source = source
    household.conditions_date = on
    _save(household, by=by, reason=reason)
    return changed


@transaction.atomic
def household_eligibility_confirm(*, household: Household, desil: int, by, reason: str = "") -> Household:
    """An approved field verification found the family eligible at ``desil`` (the desil its visit
    judged): it is not questioned again for that desil (``programs.candidates``) until new data
    changes it. A family ranked otherwise since stays questioned."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    household.verval_eligible_desil = desil
    _save(household, by=by, reason=reason)
    return household


@transaction.atomic
def household_presence_set(
    *, household: Household, absent: bool, by, reason: str = "", head_deceased: bool = False, absent_reason: str = "",
) -> Household:
    """The write alone of a family marked absent (moved, not found, or its head died: kept, like a
    family a newer full extract no longer holds, with why, ``absent_reason``, an ``AbsentReason`` the
    pages say; with ``head_deceased`` the head member is marked absent, and known dead, too) or
    present again (found where the registry places it, the reason for its absence gone).

    Called only by ``dedup.membership.household_mark_absent`` and ``household_mark_present``, which
    re-check the one-aid rule in the same transaction: an absent family's head NIK links it to no
    other family, nor does an absent member; a present family's links it again
    (``dedup.engine_sql.head_stands``)."""
    if head_deceased and not absent:
        raise ValueError("a family whose head died is absent")
    household = Household.objects.select_for_update().get(pk=household.pk)
    household.is_absent, household.absent_reason = absent, absent_reason if absent else ""
    _save(household, by=by, reason=reason)
    if head_deceased:
        _head_member_absent(household, by=by, reason=reason)
    return household


def _head_member_absent(household: Household, *, by, reason: str) -> None:
    """The head died: marked absent, and known dead. The head is the present member recorded as head;
    or, an import having left them out already, the absent one who is the family's head
    (``households.models.family_head``, the rule the pages read the head's death by). An earlier
    head the data left out (divorced, moved out alive) is not the one who died."""
    heads = Member.objects.filter(household=household, relation=Relation.HEAD)
    died = Q(is_absent=False) | (Q(is_absent=True, is_deceased=False) & family_head(household.head_nik, household.head_name))
    _members_saved(heads.filter(died), by=by, reason=reason, is_absent=True, is_deceased=True)


@transaction.atomic
def members_record_deceased(*, members, by, reason: str = "") -> int:
    """The registry learns that ``members`` (ids) died: a field verification found it and the area's
    head approved. Only members already marked absent are recorded dead (a present member is still
    counted as one of the family: their absence, with its re-checks, comes first); the pages then
    say "meninggal" for them. Returns how many changed, each with a history row."""
    rows = Member.objects.select_for_update().filter(pk__in=list(members), is_absent=True, is_deceased=False)
    return _members_saved(rows, by=by, reason=reason, is_deceased=True)


def _members_saved(rows, *, by, reason: str, **values) -> int:
    """Set ``values`` on each member of ``rows`` and save it, in id order, with a history row each
    (who, and the reason); returns how many."""
    change_reason = history_reason(reason, Member)
    changed = 0
    for member in rows.order_by("pk"):
        for name, value in values.items():
            setattr(member, name, value)
        member._history_user = by
        member._change_reason = change_reason
        member.save()
        changed += 1
    return changed


@transaction.atomic
def household_head_deceased(*, household: Household, by, reason: str = "") -> Household:
    """The head died and the rest of the family lives on: only the head member is marked absent.
    The household stays present and keeps its head's name and NIK until Bappeda records the new
    head (from the family card, which a visit does not carry); the household's history says so."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _head_member_absent(household, by=by, reason=reason)
    _save(household, by=by, reason=reason)
    return household
