"""Every write to programs and enrollments. Views, the admin, imports and commands call these
(distribution, which proposes enrollments in bulk, is ``programs.distribution``).

Each service validates (``full_clean``), writes, and hands the enrollments it touched to the dedup
engine explicitly, in the same transaction: the one-aid rule is never left to signals or ``save()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, signals
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dedup.engine import (
    STORED_LANGUAGE, RecheckResult, Write, check_enrollments, check_enrollments_and_households, reopen_decisions,
)
from dedup.engine import recheck_households as recheck_households_of_write
from dedup.models import WriteCause
from households.models import Household, Member
from konut_registry import bulkcopy
from konut_registry.chunks import chunked
from programs.bulk_sql import given_fields, insert_new_with_history, insert_rows_with_history
from programs.claims import (
    AidClaim, PlainClaim, chunks, claim_enrollments, claim_fields, enrollment_refusals, present_enrollment_keys, present_keys,
    STAGE_SEPARATOR, stated_changes, unique_key,
)
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
    """An enrollment written by a service, the one-aid conflicts its save raised, and what the user
    should check about the write (``warnings``, in the active language)."""

    enrollment: Enrollment
    conflicts: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
    write = Write.of(WriteCause.ENROLLMENT, batch=batch, by=by)
    return EnrollmentResult(enrollment=enrollment, conflicts=check_enrollments([enrollment.pk], write=write))


@transaction.atomic
def enrollment_update(
    *, enrollment: Enrollment, by=None, write: Write | None = None, change_reason: str | None = None, **changes,
) -> EnrollmentResult:
    """Change an enrollment's fields (status, amount, delivery, reason, ...) and re-check the rule;
    ``write`` names the write it is part of (a merge, a decision), else an enrollment save;
    ``change_reason``: why, as its history row keeps it (a merge names the family)."""
    before = _what_was_decided_on(enrollment)
    for name, value in changes.items():
        setattr(enrollment, name, value)
    enrollment.full_clean()
    enrollment._history_user = by
    if change_reason:
        enrollment._change_reason = change_reason
    enrollment.save()
    # A moved enrollment takes its conflicts along: they are re-checked with its new household.
    write = write or Write.of(WriteCause.ENROLLMENT, by=by)
    if _what_was_decided_on(enrollment) != before:
        reopen_decisions([enrollment.pk], write=write)
    return EnrollmentResult(enrollment=enrollment, conflicts=check_enrollments([enrollment.pk], write=write))


def enrollment_version(enrollment: Enrollment) -> int | None:
    """The id of the enrollment's latest history row (None without one): a form that shows the
    enrollment carries it back, so that a save from a page opened before a later change is refused
    (:func:`enrollment_lock_unchanged`). Every write of an enrollment leaves a history row, the bulk
    ones included, so any change moves it."""
    return Enrollment.history.filter(id=enrollment.pk).order_by("-history_id").values_list("history_id", flat=True).first()


def enrollment_last_change(enrollment: Enrollment) -> dict[str, str]:
    """Who saved the enrollment's latest change and when (local time, dd/mm/yyyy hh:mm), as
    ``user`` and ``when`` for a message that refuses a write from an older page."""
    latest = Enrollment.history.filter(id=enrollment.pk).select_related("history_user").order_by("-history_id").first()
    if latest is None:
        return {"user": _("sistem"), "when": "–"}
    user = latest.history_user.username if latest.history_user else _("sistem")
    return {"user": user, "when": timezone.localtime(latest.history_date).strftime("%d/%m/%Y %H:%M")}


def enrollment_lock_unchanged(*, enrollment: Enrollment, seen_version: int | None) -> None:
    """Lock the enrollment's row for the rest of the caller's transaction and raise
    ``ValidationError`` (who changed it, when, and to reload) when it changed since the form that
    writes it was opened at ``seen_version`` (:func:`enrollment_version`): saving that form would put
    back what the other change replaced, an agency's acceptance or delivery for instance."""
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).exists()
    if enrollment_version(enrollment) != seen_version:
        raise ValidationError(
            _(
                "Kepesertaan ini sudah diubah oleh %(user)s pada %(when)s, setelah Anda membuka formulir ini; "
                "perubahan Anda tidak disimpan. Muat ulang halaman untuk melihat data terbaru, lalu ulangi perubahan Anda."
            ) % enrollment_last_change(enrollment),
            code="stale",
        )


def _what_was_decided_on(enrollment: Enrollment) -> tuple:
    """What Bappeda's decision on a conflict of ``enrollment`` was about: its program, year,
    household and recipient (not its status, amount or delivery)."""
    return enrollment.program_id, enrollment.year, enrollment.household_id, enrollment.member_id


@dataclass
class BulkEnrollmentResult:
    """What a bulk write did: enrollments created, those already present, rows refused (with the
    reason, in Indonesian), conflicts raised, and what the one re-check of the write changed."""

    created: list[Enrollment] = field(default_factory=list)
    existing: int = 0
    refused: list[str] = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    recheck: RecheckResult = field(default_factory=RecheckResult)
    # How many were created when they are counted, not kept (``aid_claims_record(keep=False)``:
    # an import's hundreds of thousands); None when ``created`` holds them all. Then the conflicts
    # are their ids (``conflict_ids``), every one raised or reopened by this write, and ``conflicts``
    # stays empty.
    counted: int | None = None
    conflict_ids: list[int] | None = None
    # A recipient list's (``aid_claims_record(apply_stated=True)``): the existing enrollments it
    # changed (``programs.claims.StatedChange``), and those it left as they are, with the reason.
    updated: list = field(default_factory=list)
    held: list[str] = field(default_factory=list)

    @property
    def created_count(self) -> int:
        return len(self.created) if self.counted is None else self.counted


def _refusals(enrollments: list[Enrollment]) -> dict[int, str]:
    """Rows that break an enrollment's own rules (``Enrollment.clean``), by position, with the
    reason as the operator reads it: a person program without a member, a household program naming
    one, a member of another family."""
    return enrollment_refusals([(e.program_id, e.year, e.household_id, e.member_id) for e in enrollments],
                               [e.status for e in enrollments])


@transaction.atomic
def enrollment_bulk_create(
    *, enrollments: list[Enrollment], by=None, batch=None, write: Write | None = None, recheck_households=()
) -> BulkEnrollmentResult:
    """Create many enrollments at once (imports, P3KE *Penerima* columns, distribution).

    Rows that break an enrollment's own rules are refused and said why (``refused``, Indonesian);
    nothing reaches the database that its constraints would reject. Enrollments already in the
    registry under the database's own uniqueness rule (:func:`unique_key`) are left as they are and
    counted as ``existing`` (on PostgreSQL a large batch is one statement that skips them itself,
    ``programs.bulk_sql``). The new ones are written in bulk with their history, then one re-check
    of the one-aid rule covers their households and ``recheck_households`` (households the same
    write changed otherwise, e.g. people who moved family in an import).
    """
    result = BulkEnrollmentResult()
    write = write or Write.of(WriteCause.ENROLLMENT, batch=batch, by=by)
    result.created = _insert_new(enrollments, by=by, batch=batch, result=result)
    created_ids = [e.pk for e in result.created]
    result.recheck, result.conflicts = check_enrollments_and_households(
        created_ids, recheck_households, write=write, enrollment_households=[e.household_id for e in result.created]
    )
    return result


def _insert_new(enrollments: list[Enrollment], *, by, batch, result: BulkEnrollmentResult) -> list[Enrollment]:
    """Write those of ``enrollments`` that are valid and not in the registry yet, with their history;
    the refused ones' reasons and the count of those already there go to ``result``. Returns the
    written ones. No one-aid check: the caller runs one for the whole write."""
    from simple_history.utils import bulk_create_with_history

    refused = _refusals(enrollments) if enrollments else {}
    result.refused.extend(refused.values())
    candidates = [e for i, e in enumerate(enrollments) if i not in refused]
    for enrollment in candidates:
        # By id: the related-object descriptors cost more than the rest of the loop.
        if enrollment.created_by_id is None and by is not None:
            enrollment.created_by = by
        if enrollment.batch_id is None and batch is not None:
            enrollment.batch = batch
    if len(candidates) > _SQL_MIN and bulkcopy.available():
        # The database skips what it already holds, by its own uniqueness rule.
        created = insert_new_with_history(candidates, by)
        result.existing += len(candidates) - len(created)
        return created
    present = present_keys(candidates) if candidates else set()
    fresh, seen = [], set()
    for enrollment in candidates:
        key = unique_key(enrollment)
        if key in present or key in seen:
            result.existing += 1
            continue
        seen.add(key)
        fresh.append(enrollment)
    return bulk_create_with_history(fresh, Enrollment, batch_size=2000, default_user=by) if fresh else []


# From this many enrollments on (an import, a distribution), PostgreSQL writes them in bulk with
# their history rows: new ones in one statement (:func:`programs.bulk_sql.insert_new_with_history`),
# moved ones through COPY (``konut_registry.bulkcopy``); a form's few go through simple_history's
# bulk helpers.
_SQL_MIN = 500


# --- People who move family: their person-level enrollments follow them.


@dataclass
class FollowResult:
    """Person-level enrollments moved with their member, and the households they left and joined."""

    count: int = 0
    households: set[int] = field(default_factory=set)


def enrollments_follow_members(*, member_ids=(), successors: dict[int, int] | None = None, by=None, batch=None) -> FollowResult:
    """Person-level enrollments follow their person (household-level enrollments stay with their
    household), each with a history row saying why:

    * ``member_ids``: members now in another family; their enrollments move to that family;
    * ``successors``: {old member id: new member id} for a person whose record was replaced by a
      new one in another family (a file without the person's own id: the old record was marked
      absent, a new one created with the same NIK); their enrollments move to the new record.

    The caller changed who belongs where and re-checks the households it touched, these included,
    in the same transaction (one re-check per write)."""
    with override(STORED_LANGUAGE):
        reason = _("Kepesertaan perorangan mengikuti anggotanya yang pindah keluarga.")
        if batch is not None:
            reason = _("%(reason)s Impor batch #%(batch)s.") % {"reason": reason, "batch": batch.pk}
    result = FollowResult()
    now = timezone.now()
    for chunk in chunks({int(pk) for pk in member_ids if pk is not None}):
        moving = list(
            Enrollment.objects.filter(member_id__in=chunk)
            .exclude(household_id=F("member__household_id"))
            .annotate(member_household=F("member__household_id"))
        )
        for enrollment in moving:
            result.households.update((enrollment.household_id, enrollment.member_household))
            enrollment.household_id = enrollment.member_household
        _write_moves(moving, ["household", "updated_at"], result, by=by, reason=reason, now=now)
    successors = successors or {}
    for chunk in chunks(successors):
        moving = list(Enrollment.objects.filter(member_id__in=chunk))
        households = dict(
            Member.objects.filter(pk__in={successors[e.member_id] for e in moving}).values_list("pk", "household_id")
        )
        for enrollment in moving:
            new_member = successors[enrollment.member_id]
            result.households.update((enrollment.household_id, households[new_member]))
            enrollment.member_id, enrollment.household_id = new_member, households[new_member]
        _write_moves(moving, ["household", "member", "updated_at"], result, by=by, reason=reason, now=now)
    return result


def _write_moves(moving: list[Enrollment], fields: list[str], result: FollowResult, *, by, reason: str, now) -> None:
    if not moving:
        return
    result.count += len(moving)
    for enrollment in moving:
        enrollment.updated_at = now
    if len(moving) > _SQL_MIN and bulkcopy.available():
        bulkcopy.update_with_history(Enrollment, moving, fields, user_id=getattr(by, "pk", None), reason=reason, now=now)
    else:
        from simple_history.utils import bulk_update_with_history

        bulk_update_with_history(moving, Enrollment, fields, batch_size=500, default_user=by, default_change_reason=reason)


# --- Aid that an import states: the one way files become enrollments.


# The enrollments of an import's claims are built and written this many at a time: a province's
# half a million never stand in memory as model instances at once.
CLAIM_CHUNK = 20_000


@transaction.atomic
def aid_claims_record(
    *, claims: Iterable[AidClaim | PlainClaim], year: int | None, source: str, batch=None, by=None,
    recheck_households=(), keep: bool = True, apply_stated: bool = False, also: Iterable[AidClaim] = (),
) -> BulkEnrollmentResult:
    """Record what an import says about aid (the ``Penerima ...`` columns of a P3KE or DTKS
    extract, an agency's recipient list) as enrollments, ``source`` an ``EnrollmentSource``.

    Claims map to programs as ``programs.claims`` describes (one enrollment per program, year,
    household and, for person programs, member; ``year`` for claims that name none; ``claims`` is
    read once, and may be a generator). The enrollments are written as ``enrollment_bulk_create``
    writes them, ``CLAIM_CHUNK`` at a time, in one transaction: those already in the registry are
    counted as existing; the new ones are checked by the one-aid rule as one batch after the last
    chunk, together with ``recheck_households`` (the households an import changed otherwise).
    ``keep=False``: the created enrollments are counted (``counted``), not kept in ``created``.
    ``apply_stated``: a recipient list's claims (a list) also set what each row says of an
    enrollment already held (``programs.claims.stated_changes``: status, amount, delivery, reason),
    with history, under a row lock, re-checked with the rest; those it may not change are ``held``.
    ``also``: claims recorded beside ``claims`` only where the registry holds no such enrollment,
    never restating one (a recipient list's other aid columns: PENERIMA PKH = YA says the family
    receives PKH, nothing of its payment); an enrollment ``claims`` names is theirs.
    """
    if apply_stated:
        claims = list(claims)
        stated = _stated_apply(claims, batch=batch, by=by)
        recheck_households = {*recheck_households, *(change.enrollment.household_id for change in stated.updated)}
    claimed = claim_enrollments(chain(claims, also) if also else claims, year=year)
    source_fields = {"source": source, "batch_id": getattr(batch, "pk", None), "created_by_id": getattr(by, "pk", None)}
    new = _enrollment_maker(
        ("program_id", "year", "household_id", "member_id", "status", "amount", "delivered_on", "status_reason", "stages"),
        **source_fields,
    )
    result = BulkEnrollmentResult()
    if apply_stated:
        result.updated, result.held = stated.updated, stated.held
    created_ids, households = [], []
    for chunk in chunked(claimed.items(), CLAIM_CHUNK):
        if not keep and len(chunk) > _SQL_MIN and bulkcopy.available():
            # Counted, not kept: no instance is built.
            households += _insert_claimed(chunk, source_fields, by=by, result=result)
            continue
        # A re-sync claims again what the registry holds: those are counted, not built to be skipped.
        present = present_enrollment_keys(key for key, _ in chunk)
        enrollments = []
        for key, claim in chunk:
            if key not in present:
                said = claim_fields(claim)
                enrollments.append(
                    new(*key, said.status, said.amount, said.delivered_on, said.note, STAGE_SEPARATOR.join(said.stages))
                )
        result.existing += len(chunk) - len(enrollments)
        created = _insert_new(enrollments, by=by, batch=batch, result=result)
        created_ids += [e.pk for e in created]
        households += [e.household_id for e in created]
        if keep:
            result.created += created
        del chunk, enrollments, created
    write = Write.of(WriteCause.IMPORT, batch=batch, by=by)
    if keep:
        result.recheck, result.conflicts = check_enrollments_and_households(
            created_ids, recheck_households, write=write, enrollment_households=households
        )
        return result
    # The enrollments are new: the conflicts that involve them are the ones this re-check raises
    # (or reopens), as ``check_enrollments_and_households`` would return them; counted by id.
    result.counted = len(households)
    del created_ids, claimed  # the check's own lists take their place
    result.recheck = recheck_households_of_write(chain(households, recheck_households), write=write)
    result.conflict_ids = sorted(result.recheck.new | result.recheck.reopened)
    return result


def _stated_apply(claims: list[AidClaim], *, batch, by) -> BulkEnrollmentResult:
    """Set what a recipient list's claims say of the enrollments the registry holds, with a history
    row naming the list's batch; the caller re-checks their households with the rest of the write."""
    result = BulkEnrollmentResult()
    changes = stated_changes(claims, for_update=True)
    result.held = [f"{change.describe()}: {change.held}" for change in changes if change.held]
    result.updated = [change for change in changes if not change.held]
    if not result.updated:
        return result
    with override(STORED_LANGUAGE):
        reason = _("Diperbarui oleh daftar penerima.")
        if batch is not None:
            reason = _("%(reason)s Impor batch #%(batch)s.") % {"reason": reason, "batch": batch.pk}
    now = timezone.now()
    names = sorted({name for change in result.updated for name in change.fields})
    enrollments = []
    for change in result.updated:
        for name, value in change.fields.items():
            setattr(change.enrollment, name, value)
        change.enrollment.updated_at = now
        enrollments.append(change.enrollment)
    from simple_history.utils import bulk_update_with_history

    bulk_update_with_history(
        enrollments, Enrollment, [*names, "updated_at"], batch_size=500, default_user=by, default_change_reason=reason
    )
    return result


def _insert_claimed(chunk: list[tuple], fixed: dict, *, by, result: BulkEnrollmentResult) -> list[int]:
    """PostgreSQL, an import's chunk of ``(enrollment key, claim)`` counted and not kept: those the
    registry does not hold yet written as columns straight from the keys, with their history, by
    :func:`programs.bulk_sql.insert_rows_with_history`. The same outcome as building them and going
    through ``_insert_new`` (held ones counted as existing, refused ones said why, the rest written
    in order) without an instance per row. Returns the households of the enrollments written."""
    present = present_enrollment_keys(key for key, _ in chunk)
    if present:
        fresh = [(key, claim) for key, claim in chunk if key not in present]
        result.existing += len(chunk) - len(fresh)
        chunk = fresh
    keys = [key for key, _ in chunk]
    said = [claim_fields(claim) for _, claim in chunk]
    refused = enrollment_refusals(keys, [fields.status for fields in said]) if keys else {}
    if refused:
        result.refused.extend(refused.values())
        chunk = [item for index, item in enumerate(chunk) if index not in refused]
        said = [fields for index, fields in enumerate(said) if index not in refused]
        keys = [key for key, _ in chunk]
    if not keys:
        return []
    count = len(keys)
    columns = dict(zip(("program_id", "year", "household_id", "member_id"), map(list, zip(*keys))))
    for name, attribute in (("status", "status"), ("amount", "amount"), ("delivered_on", "delivered_on"),
                            ("status_reason", "note")):
        columns[name] = [getattr(fields, attribute) for fields in said]
    columns["stages"] = [STAGE_SEPARATOR.join(fields.stages) for fields in said]
    for name, value in _enrollment_defaults(**fixed).items():
        columns.setdefault(name, [value] * count)
    positions, _ids = insert_rows_with_history(columns, count, by, now=timezone.now())
    result.existing += count - len(positions)  # a concurrent writer's, or two equal rows of the chunk
    household_ids = columns["household_id"]
    return [household_ids[position - 1] for position in positions]


def _enrollment_defaults(**fixed) -> dict:
    """Every field of a new enrollment (attnames, the id and time stamps aside) at ``fixed`` or its default."""
    return {field.attname: fixed[field.attname] if field.attname in fixed else field.get_default() for field in given_fields()}


def _enrollment_maker(names: tuple[str, ...], **fixed):
    """A function making an unsaved ``Enrollment`` from the values of ``names`` (attnames), in that
    order, with ``fixed`` values and every other field's default. An import makes tens of
    thousands: ``Model.__init__`` with every field given in order (as the ORM loads rows) costs
    half of the keyword form, and setting the attributes directly a sixth of that."""
    fields = Enrollment._meta.concrete_fields
    attnames = [f.attname for f in fields]
    template = [fixed[name] if name in fixed else field.get_default() for name, field in zip(attnames, fields)]
    positions = [attnames.index(name) for name in names]
    if signals.pre_init.has_listeners(Enrollment) or signals.post_init.has_listeners(Enrollment):
        def new(*values) -> Enrollment:
            row = template.copy()
            for position, value in zip(positions, values):
                row[position] = value
            return Enrollment(*row)

        return new
    # Nothing listens to its construction: the instance's attributes are set as ``__init__`` sets
    # them (a fresh state, then every field's value by attname), at a sixth of its cost.
    defaults = dict(zip(attnames, template))

    def new_plain(*values) -> Enrollment:
        enrollment = Enrollment.__new__(Enrollment)
        attributes = enrollment.__dict__
        attributes["_state"] = ModelState()
        attributes.update(defaults)
        attributes.update(zip(names, values))
        return enrollment

    return new_plain


# --- Targeting rules ------------------------------------------------------------------------------


@transaction.atomic
def default_rules_load(*, by=None) -> int:
    """Create the default rules (``programs.default_rules``) that were never loaded, by
    ``default_key``; never overwrite an existing one, even one Bappeda edited or deactivated, and
    never bring back one Bappeda deleted (its history keeps the key). Programs not in the registry
    are skipped. Returns how many rules were created."""
    existing = set(TargetingRule.objects.exclude(default_key="").values_list("default_key", flat=True))
    existing |= set(TargetingRule.history.exclude(default_key="").values_list("default_key", flat=True).distinct())
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
