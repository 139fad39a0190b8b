"""The plan: what an import will do, worked out before anything is written.

Every kind of import yields a plan that the batch services treat alike (``ImportPlan``): its row
issues, a summary for the preview, whether it changes anything, and ``apply`` to write it. The same
plan object serves the commands, the admin preview and the background task.

``ExtractPlan`` is the plan of a P3KE or DTKS extract (built by ``compare.make_plan``): the
households and members to create, update and mark absent, and the aid its ``Penerima ...`` columns
claim. ``recipients.RecipientPlan`` is the plan of an agency's recipient list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from households.models import ImportBatch
from konut_registry.chunks import chunked
from programs.services import enrollments_follow_members

from . import aids, write
from .common import Extract, HouseholdRecord, MemberRecord
from .issues import IssueLog
from .longlived import long_lived
from .progress import Progress
from .spool import Selection, Spool


class ImportPlan(Protocol):
    """What the batch services need of a plan, whatever the file."""

    @property
    def issues(self) -> IssueLog:
        """Every row error and warning found while reading and comparing."""

    @property
    def has_changes(self) -> bool:
        """Whether applying would write anything."""

    def summary(self) -> dict:
        """The counts the preview and the batch show (``households``, ``members``, ``errors``, ...)."""

    def apply(self, *, batch: ImportBatch | None, by, progress: Progress) -> dict:
        """Write the plan in one transaction (a failure anywhere writes nothing); return the
        enrollment counts ``{"created", "existing", "conflicts"}``."""


def enrollment_counts(result, *, moved: int = 0) -> dict:
    """The counts an import keeps of a ``programs.services.BulkEnrollmentResult``: enrollments
    created, already there and the conflicts the write left open on them or raised; the id range
    of the conflicts it raised (``new_conflicts``: those that were not already open), so that the
    batch's page can link to them; when they happen, those moved with their person (``moved``),
    the conflicts the write closed (``conflicts_closed``) and the rows refused, with the first
    reasons (``refused``, ``refused_reasons``)."""
    if result.conflict_ids is not None:  # an import's, counted by id (all raised or reopened by it)
        conflicts, fresh = len(result.conflict_ids), result.conflict_ids
    else:
        conflicts = len(result.conflicts)
        fresh = [c.pk for c in result.conflicts if getattr(c, "created_now", True) and c.pk]
    counts = {"created": result.created_count, "existing": result.existing, "conflicts": conflicts}
    if fresh:
        counts["new_conflicts"] = {"count": len(fresh), "first": min(fresh), "last": max(fresh)}
    if moved:
        counts["moved"] = moved
    if result.recheck.closed:
        counts["conflicts_closed"] = len(result.recheck.closed)
    if result.refused:
        counts["refused"] = len(result.refused)
        counts["refused_reasons"] = result.refused[:MAX_REFUSED_REASONS]
    if result.updated:  # a recipient list's, on enrollments already held
        counts["updated"] = len(result.updated)
        counts["updated_changes"] = [change.describe() for change in result.updated[:MAX_REFUSED_REASONS]]
    if result.held:
        counts["held"] = len(result.held)
        counts["held_reasons"] = result.held[:MAX_REFUSED_REASONS]
    return counts


# How many refused enrollments' reasons a batch keeps (all are counted).
MAX_REFUSED_REASONS = 50


# A full extract that would mark more than this share of the current families absent is applied only
# after an explicit confirmation; so is one whose data year is older than the registry's data.
ABSENT_CONFIRM_SHARE = 0.05


def absent_warning(check: dict) -> str:
    """The confirmation's text: "3.000 keluarga akan ditandai tidak ada di data terbaru ..."."""
    values = {
        "n": number_format(check["households"], force_grouping=True),
        "current": number_format(check["current"], force_grouping=True),
        "m": number_format(check["members"], force_grouping=True),
    }
    text = ngettext(
        "%(n)s keluarga akan ditandai tidak ada di data terbaru (dari %(current)s keluarga saat ini).",
        "%(n)s keluarga akan ditandai tidak ada di data terbaru (dari %(current)s keluarga saat ini).",
        check["households"],
    ) % values
    if check["members"]:
        text += " " + ngettext(
            "%(m)s anggota keluarga juga akan ditandai tidak ada.", "%(m)s anggota keluarga juga akan ditandai tidak ada.",
            check["members"],
        ) % values
    if check["older"]:
        text += " " + older_reason(check)
    return text


def older_reason(check: dict) -> str:
    """Why a file is older than the registry's data: by its desil ranking or by its data year."""
    if check.get("ranking"):
        return _(
            "Peringkat desil di berkas ini (%(ranking)s) lebih lama dari peringkat terbaru di registri (%(newest)s)."
        ) % {"ranking": check["ranking"], "newest": check["registry_ranking"]}
    return _("Berkas ini data tahun %(year)s, lebih lama dari data terbaru di registri (%(newest)s).") % {
        "year": check["data_year"], "newest": check["registry_year"],
    }


def members_kept_notice(kept: dict) -> str:
    """What an older partial extract did not do: "2 anggota keluarga yang tidak ada lagi di berkas
    ini tidak ditandai tidak ada. Berkas ini data tahun 2022, ..." (``ExtractPlan.members_kept``)."""
    n = kept["members"]
    return ngettext(
        "%(n)s anggota keluarga yang tidak ada lagi di berkas ini tidak ditandai tidak ada.",
        "%(n)s anggota keluarga yang tidak ada lagi di berkas ini tidak ditandai tidak ada.",
        n,
    ) % {"n": number_format(n, force_grouping=True)} + " " + older_reason(kept)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    absent: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "absent": self.absent}


@dataclass(slots=True)
class Change:
    """An update of one stored record: the fields to set, and the record read from the file (its
    values and raw values go into the stored snapshot when written)."""

    pk: int
    fields: dict
    record: object
    # A row older than its family's stored data fills blanks only (``compare._fill_blanks``): only
    # the fields it fills go into the snapshot, as what the source last said of the rest is newer.
    filled_only: bool = False

    def sources(self) -> tuple[dict, dict]:
        """The record's values and raw values the stored snapshot takes (``snapshot.merged_sources``)."""
        record = self.record
        if self.filled_only:
            return {name: record.values[name] for name in self.fields}, {}
        return record.values, record.raw


class NewFamily(NamedTuple):
    """The family a matched member moves to when this import creates it: its key (its id is known
    once the households are written)."""

    key: str


class MemberDecisions:
    """What the comparison decided for each member record, by its position among the records:
    refused (its family is in neither the file nor the registry), or matched with a stored member
    (``(pk, the family it moves to (an id, or a ``NewFamily``) or None, the fields to set or None
    when unchanged, whether they only fill blanks (``Change.filled_only``))``); a record
    not named here is created. Kept on disk one chunk at a time (``spool``): a first import names
    none, a re-sync of a province up to millions."""

    def __init__(self) -> None:
        self._spool = Spool()
        self._chunk: dict[int, tuple | None] = {}

    def skip(self, position: int) -> None:
        self._chunk[position] = None

    def match(
        self, position: int, pk: int, moved_to: int | NewFamily | None, fields: dict | None, *, filled_only: bool = False,
    ) -> None:
        self._chunk[position] = (pk, moved_to, fields, filled_only)

    def close_chunk(self) -> None:
        if self._chunk:
            self._spool.put(self._chunk)
            self._chunk = {}

    def __iter__(self):
        """``(position, decision)`` in the order of the records."""
        for chunk in self._spool:
            yield from sorted(chunk.items())


@dataclass
class ExtractPlan:
    """A P3KE or DTKS extract compared with the registry. ``apply`` fills in the ids of the new
    households (``household_ids``) as it writes them; the member records are read again, chunk by
    chunk, with what the comparison decided for them (``member_chunks``)."""

    extract: Extract
    households: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)
    household_ids: dict[str, int] = field(default_factory=dict)  # natural key -> stored pk
    # A list, or for a P3KE extract's records on disk the ones chosen among them (``spool.Selection``).
    household_creates: list[HouseholdRecord] | Selection = field(default_factory=list)
    household_changes: list[Change] = field(default_factory=list)
    household_absent: list[int] = field(default_factory=list)
    # {stored pk: the file's No KK} of the families the registry held without a No KK (from P3KE)
    # that a DTKS or DTSEN file's family is, by its head's NIK (``attach``): among the changes.
    households_recognised: dict[int, str] = field(default_factory=dict)
    # The new households written while the file was still read (``write.HouseholdsAhead``), if any.
    households_ahead: write.HouseholdsAhead | None = None
    # The member records compared (the extract's, or without an individual sheet the heads read
    # from the household sheet) and what was decided for each; the counts are in ``members``.
    member_records: Iterable[MemberRecord] = ()
    member_decisions: MemberDecisions = field(default_factory=MemberDecisions)
    member_absent: list[int] = field(default_factory=list)
    # {stored pk: its data year} of the families whose stored data is newer than the file's row
    # (``compare.NEWER_FAMILY``): their rows fill blanks only, their members are left as they are.
    households_newer: dict[int, int] = field(default_factory=dict)
    # The families a full extract lacks that it does not mark absent, as the registry holds them from
    # newer data (``compare._held_newer``): said in the summary (``households_kept``).
    households_kept: int = 0
    # Whether any of them is kept by its desil ranking, dated after the file's (``ranking_date``).
    kept_by_ranking: bool = False
    # With several regencies loaded, the names of those a full extract covers (its rows are in them)
    # and how many others it leaves as they are (``compare._covered_regencies``).
    regencies_covered: list[str] = field(default_factory=list)
    regencies_left: int = 0
    # The members a partial extract older than the registry's data leaves out of families it carries,
    # not marked absent (they may be newer than the file): said in the summary (``members_kept``).
    members_kept: int = 0
    # (pk, row hash) of unchanged records read from a row hashed otherwise than stored (``rowhash``).
    household_hashes: list[tuple[int, int]] = field(default_factory=list)
    member_hashes: list[tuple[int, int]] = field(default_factory=list)
    full_extract: bool = True
    enrollments_planned: int = 0
    # What the file no longer states of the aid the registry holds from it (``aids.aid_dropped``).
    aid_dropped: list[str] = field(default_factory=list)
    # Filled in by ``apply``: every household written or whose members changed (a moved member's
    # old family too), and the members who moved to another family.
    touched_households: set[int] = field(default_factory=set)
    moved_members: set[int] = field(default_factory=set)
    # {old member: new member}: a person whose record was replaced by a new one in another family.
    member_successors: dict[int, int] = field(default_factory=dict)
    # Noted while the members are written (``aids.note_members``): the aid claims of member rows by
    # id, the head of each family whose row claims aid, and those families.
    member_claims: aids.FirstClaims = field(default_factory=lambda: aids.FirstClaims(None))
    heads: dict[int, int] = field(default_factory=dict)
    claiming_households: set[int] | None = None
    # The families a full extract may mark absent that are not absent now, and the data year of their
    # data (``compare.registry_newest``).
    current_households: int = 0
    registry_year: int | None = None
    # The newest desil ranking date of the file's families and the registry's ranking date (DTSEN
    # re-ranks every quarter: a file of an older quarter of the same data year is older than the
    # registry's data too).
    ranking_date: datetime.date | None = None
    registry_ranking: datetime.date | None = None

    @property
    def issues(self) -> IssueLog:
        return self.extract.issues

    @property
    def has_changes(self) -> bool:
        households, members = self.households, self.members
        return bool(households.created or households.updated or households.absent or members.created or members.updated or members.absent)

    @property
    def writes(self) -> int:
        """The records ``apply`` writes (its progress total)."""
        return (
            len(self.household_creates) + len(self.household_changes) + len(self.household_absent)
            + self.members.created + self.members.updated + len(self.member_absent)
        )

    def member_chunks(self, size: int) -> Iterator[tuple[list[MemberRecord], list[MemberRecord], list[Change]]]:
        """The member records again, ``size`` at a time, as ``(records, creates, changes)``: every
        record but those the comparison refused, in order; those to create; the updates of matched
        ones (a matched record has its ``pk``, and its new family when it moved)."""
        decided = iter(self.member_decisions)
        next_at, decision = next(decided, (None, None))
        position = 0
        for chunk in chunked(self.member_records, size):
            kept, creates, changes = [], [], []
            for record in chunk:
                if position != next_at:
                    creates.append(record)
                    kept.append(record)
                else:
                    if decision is not None:
                        record.pk, moved_to, fields, filled_only = decision
                        if isinstance(moved_to, NewFamily):
                            moved_to = self.household_ids[moved_to.key]  # written by now
                            fields = {**fields, "household_id": moved_to}
                        if moved_to is not None:
                            record.set("household_id", moved_to)
                        if fields is not None:
                            changes.append(Change(record.pk, fields, record, filled_only=filled_only))
                        kept.append(record)
                    next_at, decision = next(decided, (None, None))
                position += 1
            yield kept, creates, changes

    @property
    def older_than_registry(self) -> bool:
        """Whether the file's data year is older than the registry's data (``older_year``), or its
        newest desil ranking older than the registry's (``older_ranking``); the registry's are those
        of its data, not of a single family (``compare.registry_newest``)."""
        return self.older_year or self.older_ranking

    @property
    def older_year(self) -> bool:
        """Whether the file's data year is older than the registry's data."""
        year, newest = self.extract.data_year, self.registry_year
        return bool(year and newest and year < newest)

    @property
    def older_ranking(self) -> bool:
        """Whether the file's newest desil ranking is older than the registry's (Triwulan I
        imported again after Triwulan II). The ranking's date says it better than the data year,
        which an upload without one takes from today."""
        return bool(self.ranking_date and self.registry_ranking and self.ranking_date < self.registry_ranking)

    def absent_check(self) -> dict | None:
        """What a confirmation must show before this plan is applied, or None when none is needed: a
        full extract that marks records absent, and either more than ``ABSENT_CONFIRM_SHARE`` of the
        current families or with a data year older than the registry's newest."""
        households, members = len(self.household_absent), len(self.member_absent)
        if not self.full_extract or not (households or members):
            return None
        age = self._age()
        if not age["older"] and households <= ABSENT_CONFIRM_SHARE * self.current_households:
            return None
        return {"households": households, "members": members, "current": self.current_households, **age}

    def _age(self) -> dict:
        """The file's data year and the registry's, whether it is older, and when older by its
        desil ranking alone, both rankings (``older_reason``)."""
        older = self.older_than_registry
        age = {"data_year": self.extract.data_year, "registry_year": self.registry_year, "older": older}
        if older and not self.older_year:  # older by its ranking alone
            age["ranking"] = self.ranking_date.strftime("%d/%m/%Y")
            age["registry_ranking"] = self.registry_ranking.strftime("%d/%m/%Y")
        return age

    def summary(self) -> dict:
        issues = self.extract.issues
        summary = {
            "households": self.households.as_dict(),
            "members": self.members.as_dict(),
            "errors": len(issues.errors),
            "warnings": len(issues.warnings),
            "error_rows": len(issues.error_rows),
            "warning_rows": len(issues.warning_rows),
            "rows": self.extract.total_rows,
            # Rows skipped as unchanged since the last import (``rowhash``), in the unchanged counts too.
            "skipped_rows": self.extract.skipped_rows,
            "data_year": self.extract.data_year,
            "enrollments_planned": self.enrollments_planned,
            **issues.mapping_summary(),
        }
        if self.households_recognised:
            summary["recognised_by_head_nik"] = len(self.households_recognised)
        if self.households_newer:
            summary["households_newer"] = len(self.households_newer)
        if self.households_kept:
            summary["households_kept"] = self.households_kept
            if self.kept_by_ranking:
                summary["kept_ranking"] = self.ranking_date.strftime("%d/%m/%Y")
        if self.regencies_covered:
            summary["regencies_covered"] = {"names": self.regencies_covered, "others": self.regencies_left}
        if self.aid_dropped:
            summary["aid_no_longer_stated"] = self.aid_dropped
        check = self.absent_check()
        if check:
            summary["absent_check"] = check
        if self.members_kept:
            summary["members_kept"] = {"members": self.members_kept, **self._age()}
        return summary

    def apply(self, *, batch: ImportBatch | None, by, progress: Progress) -> dict:
        """Households and members first (bulk, with history); the person-level enrollments of
        members who moved family follow them (to a new record of the same NIK, when the file
        replaced the person's record); then the aid the ``Penerima ...`` columns claim,
        handed to programs, whose one re-check of the one-aid rule covers every household written
        here; one transaction."""
        progress.phase("write", self.writes)
        with long_lived(), transaction.atomic():  # the plan stays to the end of the write
            write.write_records(self, batch=batch, by=by, tick=progress.advance)
            write.store_row_hashes(self)
            moved = enrollments_follow_members(
                member_ids=self.moved_members, successors=self.member_successors, by=by, batch=batch
            )
            progress.phase("aids")
            result = aids.aid_record(self, batch=batch, by=by, recheck_households=self.touched_households | moved.households)
            counts = enrollment_counts(result, moved=moved.count)
        self.release()
        return counts

    def release(self) -> None:
        """Let go of the records once written: what follows the write (the identity scan) reads
        the registry itself, and the outcome keeps only the counts, the issues of this plan and the
        ids of the households it wrote (``touched_households``, the identity scan's scope)."""
        extract = self.extract
        extract.households, extract.skipped_households, extract.skipped_members = {}, {}, []
        extract.members = []
        self.member_records, self.member_decisions = (), MemberDecisions()
        self.household_ids, self.household_creates, self.household_changes = {}, [], []
        self.households_recognised = {}
        self.households_ahead = None
        self.member_claims, self.heads = aids.FirstClaims(None), {}
        self.moved_members = set()
