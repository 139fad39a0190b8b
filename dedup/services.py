"""Bappeda's decisions on the one-aid rule and on identity duplicates. The admin, commands and any
page call these; each decision records who and when (on the row and in its history).

Conflicts: keep one enrollment and cancel the other (:func:`conflict_resolve`), approve an exception
with a written reason (:func:`conflict_approve`), or dismiss, with one too (:func:`conflict_dismiss`). Compatible
programs: :func:`compatible_pair_create` and :func:`compatible_bundle_load` (the national bundle
PKH + Sembako + PBI-JK + PIP, never loaded by default). Identity duplicates: :func:`identity_scan`,
:func:`household_merge` / :func:`identity_merge`, :func:`identity_dismiss`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from simple_history.utils import bulk_update_with_history

from dedup import engine, identity
from konut_registry.db import identity_records_locked
from dedup.membership import (  # noqa: F401  (merging is an identity decision too)
    MergeResult, household_merge, merged_duplicates_settle,
)
from dedup.models import (
    CompatiblePair,
    Conflict,
    ConflictEvent,
    ConflictEventKind,
    ConflictStatus,
    IdentityMatch,
    IdentityStatus,
    WriteCause,
)
from programs.models import ONE_AID_STATUSES, Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_update

# The national aid designed to be combined for one family (PKH, Sembako/BPNT, PBI health insurance,
# PIP). Loaded only when Bappeda asks for it: by default every pair conflicts, as the Bupati ruled.
NATIONAL_BUNDLE = ("pkh", "sembako", "pbi-jk", "pip")


# --- conflicts -------------------------------------------------------------------------------


def _locked_open_conflict(conflict: Conflict) -> Conflict:
    """The conflict re-read under a row lock; refuses one that was already decided."""
    locked = (
        Conflict.objects.select_for_update(of=("self",))
        .select_related("enrollment_a__program", "enrollment_b__program")
        .get(pk=conflict.pk)
    )
    if locked.status != ConflictStatus.OPEN:
        raise ValidationError(
            _("Konflik #%(id)s sudah diputuskan (%(status)s).") % {"id": locked.pk, "status": locked.get_status_display()}
        )
    return locked


def _decide(conflict: Conflict, *, status: str, by, reason: str, kept: Enrollment | None = None) -> Conflict:
    conflict.status = status
    conflict.decision_reason = reason
    conflict.kept_enrollment = kept
    conflict.reviewed_by = by
    conflict.reviewed_at = timezone.now()
    conflict._history_user = by
    conflict.save()
    return conflict


@transaction.atomic
def conflict_resolve(
    *, conflict: Conflict, keep: Enrollment | int, by, reason: str = "", kept_earlier: Mapping[int, int] | None = None
) -> Conflict:
    """Keep one of the two enrollments and cancel the other (with its reason). The cancelled
    enrollment's other open conflicts close by themselves (the engine does that on its re-check).

    ``kept_earlier`` maps the enrollments that earlier decisions of the same action kept to those
    decisions' conflicts: cancelling one of them would contradict that decision, so it is refused."""
    conflict = _locked_open_conflict(conflict)
    keep_id = keep.pk if isinstance(keep, Enrollment) else int(keep)
    if keep_id not in (conflict.enrollment_a_id, conflict.enrollment_b_id):
        raise ValidationError(_("Kepesertaan yang dipertahankan harus salah satu dari dua kepesertaan dalam konflik ini."))
    kept = conflict.enrollment_a if keep_id == conflict.enrollment_a_id else conflict.enrollment_b
    other = conflict.enrollment_b if kept is conflict.enrollment_a else conflict.enrollment_a
    if kept_earlier and other.pk in kept_earlier:
        raise ValidationError(
            _(
                "Kepesertaan %(program)s %(year)s baru saja dipertahankan oleh keputusan konflik #%(earlier)s "
                "dalam tindakan yang sama, jadi konflik ini dibiarkan terbuka. Putuskan konflik ini di halamannya sendiri."
            )
            % {"program": other.program.name, "year": other.year, "earlier": kept_earlier[other.pk]}
        )
    with override(engine.STORED_LANGUAGE):
        default_reason = _("Dipertahankan %(program)s %(year)s.") % {"program": kept.program.name, "year": kept.year}
        reason = (reason or "").strip() or default_reason
        cancelled_reason = _("Dibatalkan karena konflik satu bantuan #%(id)s: %(reason)s") % {"id": conflict.pk, "reason": reason}
    _decide(conflict, status=ConflictStatus.RESOLVED, by=by, reason=reason, kept=kept)
    if other.status not in engine.DEAD_STATUSES:
        enrollment_update(
            enrollment=other,
            by=by,
            status=EnrollmentStatus.CANCELLED,
            status_reason=cancelled_reason,
        )
    return conflict


@transaction.atomic
def conflict_approve(*, conflict: Conflict, reason: str, by) -> Conflict:
    """Approve the pair as an exception. A written reason is required; the pair is not raised again."""
    reason = _reason_required(reason, _("Alasan persetujuan wajib diisi."))
    conflict = _locked_open_conflict(conflict)
    return _decide(conflict, status=ConflictStatus.APPROVED, by=by, reason=reason)


def _reason_required(reason: str, missing: str) -> str:
    """A decision's written reason, trimmed; ``missing`` as the form's error when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"decision_reason": missing})
    return reason


def _dismiss_reason_required(reason: str) -> str:
    return _reason_required(reason, _("Alasan mengabaikan konflik wajib diisi."))


@transaction.atomic
def conflict_dismiss(*, conflict: Conflict, by, reason: str) -> Conflict:
    """Dismiss a conflict that is not a real double aid (e.g. a data error). A written reason is
    required, as for an approval: the pair is not raised again."""
    reason = _dismiss_reason_required(reason)
    conflict = _locked_open_conflict(conflict)
    return _decide(conflict, status=ConflictStatus.DISMISSED, by=by, reason=reason)


@dataclass
class BulkDecision:
    """What a bulk decision did: how many conflicts were decided, and why the others were not."""

    decided: int = 0
    errors: list[str] = field(default_factory=list)


def _bulk(items, decide, *, refused=None) -> BulkDecision:
    """Decide each item on its own; one refusal does not stop the others, and is reported."""
    refused = refused or _("Konflik #%(id)s: %(error)s")
    result = BulkDecision()
    for item in sorted(items, key=lambda i: i.pk):
        try:
            decide(item)
        except ValidationError as error:
            result.errors.append(refused % {"id": item.pk, "error": " ".join(error.messages)})
        else:
            result.decided += 1
    return result


def conflict_bulk_approve(*, conflicts, reason: str, by) -> BulkDecision:
    """Approve many conflicts with one reason; each is its own transaction."""
    if not (reason or "").strip():
        raise ValidationError({"decision_reason": _("Alasan persetujuan wajib diisi.")})
    return _bulk(conflicts, lambda c: conflict_approve(conflict=c, reason=reason, by=by))


def conflict_bulk_dismiss(*, conflicts, reason: str, by) -> BulkDecision:
    """Dismiss many conflicts with one reason; each is its own transaction."""
    _dismiss_reason_required(reason)
    return _bulk(conflicts, lambda c: conflict_dismiss(conflict=c, reason=reason, by=by))


def conflict_bulk_resolve(*, conflicts, keep_side: str, by, reason: str = "") -> BulkDecision:
    """Keep side ``"a"`` (the earlier enrollment) or ``"b"`` (the later one) of each conflict and
    cancel the other. Conflicts closed meanwhile by an earlier cancellation are reported, not decided;
    so is one that would cancel an enrollment an earlier conflict of the same action kept (a household
    with three aids): it stays open for a decision on its own page."""
    if keep_side not in ("a", "b"):
        raise ValueError(keep_side)
    kept_earlier: dict[int, int] = {}

    def decide(conflict):
        keep = conflict.enrollment_a_id if keep_side == "a" else conflict.enrollment_b_id
        conflict_resolve(conflict=conflict, keep=keep, by=by, reason=reason, kept_earlier=kept_earlier)
        kept_earlier.setdefault(keep, conflict.pk)

    return _bulk(conflicts, decide)


def conflicts_scan() -> engine.ScanResult:
    """Re-check the whole registry against the one-aid rule (idempotent)."""
    return engine.scan_all()


# --- compatible programs ---------------------------------------------------------------------


@transaction.atomic
def compatible_pair_create(*, program_a: Program, program_b: Program, reason: str, by) -> CompatiblePair:
    """Declare two programs combinable for one household, with a written reason. Open conflicts
    between these two programs are dismissed with that reason (a same-program, same-person double
    aid is never compatible and stays open)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Alasan wajib diisi.")})
    if program_a.pk == program_b.pk:
        raise ValidationError({"program_b": _("Pilih dua program yang berbeda.")})
    if program_a.pk > program_b.pk:
        program_a, program_b = program_b, program_a
    if CompatiblePair.objects.filter(program_a=program_a, program_b=program_b).exists():
        raise ValidationError(
            _("%(a)s dan %(b)s sudah ditetapkan boleh digabung.") % {"a": program_a.name, "b": program_b.name}
        )
    pair = CompatiblePair(program_a=program_a, program_b=program_b, reason=reason, created_by=by)
    pair.full_clean()
    pair._history_user = by
    pair.save()
    _dismiss_open_conflicts_between(program_a, program_b, by=by, reason=reason)
    return pair


def _dismiss_open_conflicts_between(program_a: Program, program_b: Program, *, by, reason: str) -> int:
    between = Q(enrollment_a__program=program_a, enrollment_b__program=program_b) | Q(
        enrollment_a__program=program_b, enrollment_b__program=program_a
    )
    conflicts = list(Conflict.objects.select_for_update(of=("self",)).filter(between, status=ConflictStatus.OPEN))
    if not conflicts:
        return 0
    now = timezone.now()
    with override(engine.STORED_LANGUAGE):
        note = _("Pasangan program dinyatakan boleh digabung: %(reason)s") % {"reason": reason}
    for conflict in conflicts:
        conflict.status = ConflictStatus.DISMISSED
        conflict.decision_reason = note
        conflict.reviewed_by = by
        conflict.reviewed_at = now
        conflict.dismissed_by_pair = True
    bulk_update_with_history(
        conflicts, Conflict, ["status", "decision_reason", "reviewed_by", "reviewed_at", "dismissed_by_pair"],
        batch_size=2000, default_user=by,
    )
    ConflictEvent.objects.bulk_create(
        [
            ConflictEvent(conflict=c, kind=ConflictEventKind.CLOSED, cause=WriteCause.PAIR_DECLARED, by=by, at=now)
            for c in conflicts
        ],
        batch_size=2000,
    )
    return len(conflicts)


@transaction.atomic
def compatible_pair_withdraw(*, pair: CompatiblePair, by) -> engine.RecheckResult:
    """Withdraw a declaration that two programs may be combined (deleted, with history). The
    conflicts it dismissed are opened again when they still break the rule (with the earlier
    decision in their note), and pairs never raised because of it are flagged now: one re-check of
    every household with aid in either program (completed aid included), in this transaction."""
    pair = CompatiblePair.objects.select_for_update().get(pk=pair.pk)
    programs = (pair.program_a_id, pair.program_b_id)
    pair._history_user = by
    pair.delete()
    between = Q(enrollment_a__program_id=programs[0], enrollment_b__program_id=programs[1]) | Q(
        enrollment_a__program_id=programs[1], enrollment_b__program_id=programs[0]
    )
    # Resolved, the engine's re-check reopens those that still break the rule.
    Conflict.objects.filter(between, status=ConflictStatus.DISMISSED, dismissed_by_pair=True).update(
        status=ConflictStatus.RESOLVED, dismissed_by_pair=False
    )
    households = (
        Enrollment.objects.filter(program_id__in=programs, status__in=ONE_AID_STATUSES)
        .order_by()  # the default ordering's columns would join the DISTINCT: one id per enrollment
        .values_list("household_id", flat=True)
        .distinct()
    )
    return engine.recheck_households(
        list(households), write=engine.Write.of(WriteCause.PAIR_WITHDRAWN, by=by)
    )


@dataclass
class BundleResult:
    created: list[CompatiblePair] = field(default_factory=list)
    existing: int = 0


@transaction.atomic
def compatible_bundle_load(*, by) -> BundleResult:
    """Declare every pair of the national bundle (PKH, Sembako, PBI-JK, PIP) compatible. Pairs
    already declared are left as they are; running it twice adds nothing."""
    programs = {p.code: p for p in Program.objects.filter(code__in=NATIONAL_BUNDLE)}
    missing = [code for code in NATIONAL_BUNDLE if code not in programs]
    if missing:
        raise ValidationError(
            _("Program paket nasional tidak ditemukan: %(codes)s. Muat data acuan dahulu.") % {"codes": ", ".join(missing)}
        )
    with override(engine.STORED_LANGUAGE):
        reason = _(
            "Paket bantuan nasional yang dirancang untuk digabung bagi satu keluarga (PKH, Sembako, PBI-JK, PIP)."
        )
    result = BundleResult()
    for code_a, code_b in combinations(NATIONAL_BUNDLE, 2):
        a, b = sorted((programs[code_a], programs[code_b]), key=lambda p: p.pk)
        if CompatiblePair.objects.filter(program_a=a, program_b=b).exists():
            result.existing += 1
            continue
        result.created.append(compatible_pair_create(program_a=a, program_b=b, reason=reason, by=by))
    return result


# --- identity duplicates ---------------------------------------------------------------------


def identity_scan(*, households=None) -> identity.IdentityScanResult:
    """Find identity duplicates (same NIK, same No KK, same head, similar members) and record the
    new ones; dismissed and merged pairs stay as they were. With ``households`` (ids), only the
    duplicates of those households, with any record of the registry (after an import, the families
    it wrote); without, the whole registry. Open pairs of records merged away, left by merges made
    before a merge handed them over, are settled as a merge does now (``membership.
    merged_duplicates_settle``): one scan cleans them up."""
    with identity_records_locked():  # no household or member deleted under the matches being recorded
        result = identity.scan_identities(households)
        result.settled = merged_duplicates_settle(scanned=households)
        if result.settled:
            result.open_total = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).count()
        return result


def identity_merge(*, match: IdentityMatch, keep: str, by, reason: str = "") -> MergeResult:
    """Merge the two households of an identity match, keeping household ``"a"`` or ``"b"``."""
    if keep not in ("a", "b"):
        raise ValueError(keep)
    match = IdentityMatch.objects.select_related("household_a", "household_b").get(pk=match.pk)
    if match.status != IdentityStatus.OPEN:
        raise ValidationError(
            _("Duplikat #%(id)s sudah diputuskan (%(status)s).") % {"id": match.pk, "status": match.get_status_display()}
        )
    target, source = (match.household_a, match.household_b) if keep == "a" else (match.household_b, match.household_a)
    return household_merge(source=source, target=target, by=by, reason=reason)


def _identity_reason_required(reason: str) -> str:
    return _reason_required(reason, _("Tuliskan alasan mengapa kedua data ini bukan keluarga yang sama."))


@transaction.atomic
def identity_dismiss(*, match: IdentityMatch, by, reason: str) -> IdentityMatch:
    """Two records that only look alike: dismissed, with a written reason, and never raised again."""
    reason = _identity_reason_required(reason)
    match = IdentityMatch.objects.select_for_update().get(pk=match.pk)
    if match.status != IdentityStatus.OPEN:
        raise ValidationError(
            _("Duplikat #%(id)s sudah diputuskan (%(status)s).") % {"id": match.pk, "status": match.get_status_display()}
        )
    match.status = IdentityStatus.DISMISSED
    match.decision_reason = reason
    match.reviewed_by = by
    match.reviewed_at = timezone.now()
    match._history_user = by
    match.save()
    return match


def identity_bulk_dismiss(*, matches, reason: str, by) -> BulkDecision:
    """Dismiss many identity duplicates with one reason; each is its own transaction."""
    _identity_reason_required(reason)
    return _bulk(
        matches, lambda m: identity_dismiss(match=m, reason=reason, by=by),
        refused=_("Duplikat #%(id)s: %(error)s"),
    )

