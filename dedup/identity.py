"""Identity duplicates: two household records that are one family, or hold one person.

Families split across two Kartu Keluarga collect aid twice; central extracts repeat a family under
two IDs. Four findings, each an ``IdentityMatch`` row per (kind, household pair) for Bappeda to merge
or dismiss:

``same_nik``        one NIK (a live member's, or a present family's head's) in two households;
``same_kk``         one No KK on two household records;
``same_head``       in one village, two heads with the same normalised name and birth date;
``similar_member``  two people in different households with the same birth date and near-identical
                    names (rapidfuzz on names normalised by :mod:`dedup.names`, score >= 90), whose
                    NIKs are not already the same (that is ``same_nik``).

The scan streams the registry group by group from the database in flat memory
(``identity_stream``); names are compared within a birth date with ``rapidfuzz.process.cdist``
(``identity_compare``). Findings are written in batches with ``bulk_create(ignore_conflicts=True)``
(on PostgreSQL, by one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` giving the same rows)
on the unique (kind, household_a, household_b): a second scan adds nothing, and a dismissed or
merged pair is never raised again. An open pair the scan no longer finds among the records it
looked at closes by itself (status ``closed``, with why in its reason and history), and opens again
when found again: Bappeda's queue holds what the registry shows now. Records merged away (``merged_into`` set) and absent members take
no part, nor does the head's NIK of an absent family (its members still do: a head who left it for
another family holds the NIK there alone). A scan limited to some households (after an import, the families it wrote) reads only the
groups holding one of them, and gives, for them, exactly the rows the whole scan gives.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from simple_history.utils import bulk_update_with_history

from dedup import identity_stream
from dedup.engine import STORED_LANGUAGE
from dedup.models import IdentityKind, IdentityMatch, IdentityStatus
from konut_registry.chunks import chunked


@dataclass
class IdentityScanResult:
    new: int = 0
    by_kind: dict = field(default_factory=dict)
    open_total: int = 0
    settled: int = 0  # open pairs of records merged away, settled by ``dedup.services.identity_scan``
    closed: int = 0  # open pairs the registry no longer shows, closed by the scan
    reopened: int = 0  # pairs closed so earlier and found again

    def as_dict(self) -> dict:
        return {
            "new": self.new, "new_by_kind": self.by_kind, "open_total": self.open_total, "settled": self.settled,
            "closed": self.closed, "reopened": self.reopened,
        }


def each_identity_match(
    consume: Callable[[list[IdentityMatch]], None] | None, households: Collection[int] | None = None, *,
    changes: bool = False,
) -> identity_stream.ScanChanges | None:
    """Every identity duplicate in the registry, handed to ``consume`` as lists of unsaved
    ``IdentityMatch`` rows; with ``consume`` None (PostgreSQL), recorded by the database itself.
    With ``households``, only the duplicates of those households (with any record of the registry):
    the rows the whole scan gives for them. Streamed group by group (``identity_stream``: flat
    memory, chunk by chunk). With ``changes``, what the recorded pairs no longer or again hold
    (``identity_stream.ScanChanges``)."""
    scope = None if households is None else set(households)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # The registry is read in the family-card order: sorted in memory, not on disk.
                # SET LOCAL: until the caller's transaction ends.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
                # The scan reads through server-side cursors: plan them to read everything
                # (by default a cursor's plan favours its first rows: index scans, nested loops).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        if scope is not None and _covers_registry(scope):
            scope = None  # the whole scan gives exactly these rows, without staging and filtering by them
        return identity_stream.each_identity_match(consume, scope, changes=changes)


def _covers_registry(scope: set[int]) -> bool:
    """Whether ``scope`` holds every live household (after a first import, the families it wrote
    are the registry): every duplicate the whole scan finds then has one of them, so the whole scan
    gives exactly the limited one's rows, without a table of the scope and a filter of every group
    by it (a third of the scan). A count first: a re-sync's scope is rarely that large."""
    live = identity_stream.live_households().order_by()
    if len(scope) < live.count():
        return False
    return all(pk in scope for pk in live.values_list("pk", flat=True).iterator(chunk_size=20000))


def find_identity_matches(households: Collection[int] | None = None) -> list[IdentityMatch]:
    """Every identity duplicate in the registry (of ``households`` only, when given), as a list of
    unsaved ``IdentityMatch`` rows (for a check or a test: ``scan_identities`` writes them as they
    come)."""
    matches: list[IdentityMatch] = []
    each_identity_match(matches.extend, households)
    return matches


def scan_identities(households: Collection[int] | None = None) -> IdentityScanResult:
    """Find identity duplicates (of ``households`` only, when given) and record the new ones. An
    open pair the registry no longer shows (a NIK corrected, a person left out of one family, a
    family found gone) is closed, and one closed so and found again is opened again, each with a
    history row saying why (:func:`_matches_set_status`), as the one-aid engine closes and reopens
    its conflicts by itself. Pairs Bappeda decided keep their decision."""
    before = _counts_by_kind()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Settled and written by the database itself, as bulk_create(ignore_conflicts=True) writes
            # them (the same rows): at province scale a quarter of a million findings.
            changes = each_identity_match(None, households, changes=True)
        else:
            changes = each_identity_match(
                lambda batch: IdentityMatch.objects.bulk_create(batch, batch_size=5000, ignore_conflicts=True), households,
                changes=True,
            )
        now = timezone.now()
        with override(STORED_LANGUAGE):  # stored text: always Indonesian, whatever the user reads
            closed_note = _("Ditutup otomatis: tidak lagi ditemukan pada data terbaru.")
            reopened_note = _("Dibuka kembali: ditemukan lagi pada data terbaru.")
        closed = _matches_set_status(
            changes.stale, was=IdentityStatus.OPEN, status=IdentityStatus.CLOSED, reason=closed_note, at=now
        )
        reopened = _matches_set_status(
            changes.found_again, was=IdentityStatus.CLOSED, status=IdentityStatus.OPEN, reason=reopened_note, at=None
        )
    after = _counts_by_kind()
    result = IdentityScanResult(closed=closed, reopened=reopened)
    result.by_kind = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in IdentityKind.values}
    result.new = sum(result.by_kind.values())
    result.open_total = IdentityMatch.objects.filter(status=IdentityStatus.OPEN).count()
    return result


def _matches_set_status(ids: list[int], *, was: str, status: str, reason: str, at) -> int:
    """Give the pairs ``ids`` still in status ``was`` the ``status`` the scan found them in, with
    ``reason`` as their decision reason and their history row's reason (the queue, the pair's page
    and its history say it), no reviewer, and ``at`` as the time (None: no decision, open again).
    Returns how many changed."""
    changed = 0
    for chunk in chunked(ids, 2000):
        matches = list(IdentityMatch.objects.select_for_update().filter(pk__in=chunk, status=was).order_by("pk"))
        for match in matches:
            match.status, match.decision_reason, match.reviewed_by, match.reviewed_at = status, reason, None, at
        bulk_update_with_history(
            matches, IdentityMatch, ["status", "decision_reason", "reviewed_by", "reviewed_at"], batch_size=2000,
            default_change_reason=reason,
        )
        changed += len(matches)
    return changed


def _counts_by_kind() -> dict[str, int]:
    return dict(IdentityMatch.objects.order_by().values_list("kind").annotate(n=Count("id")))
