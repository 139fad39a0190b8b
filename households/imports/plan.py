"""The plan: what an import will do, worked out before anything is written.

Every kind of import yields a plan that the batch services treat alike (``ImportPlan``): its row
issues, a summary for the preview, whether it changes anything, and ``apply`` to write it. The same
plan object serves the commands, the admin preview and the background task.

``ExtractPlan`` is the plan of a P3KE or DTKS extract (built by ``compare.make_plan``): the
households and members to create, update and mark absent, and the aid its ``Penerima ...`` columns
claim. ``recipients.RecipientPlan`` is the plan of an agency's recipient list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction

from households.models import ImportBatch

from . import aids, write
from .common import Extract, HouseholdRecord, MemberRecord
from .issues import IssueLog
from .progress import Progress


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


def enrollment_counts(result) -> dict:
    """The counts an import keeps of a ``programs.services.BulkEnrollmentResult``."""
    return {"created": len(result.created), "existing": result.existing, "conflicts": len(result.conflicts)}


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
    """An update of one stored record: the fields to set, its new snapshot and raw values."""

    pk: int
    fields: dict
    snapshot: dict
    raw: dict
    record: object


@dataclass
class ExtractPlan:
    """A P3KE or DTKS extract compared with the registry. ``apply`` fills in the ids of the new
    records (``household_ids``, ``member_ids``) as it writes them."""

    extract: Extract
    households: Counts = field(default_factory=Counts)
    members: Counts = field(default_factory=Counts)
    household_ids: dict[str, int] = field(default_factory=dict)  # natural key -> stored pk
    household_creates: list[HouseholdRecord] = field(default_factory=list)
    household_changes: list[Change] = field(default_factory=list)
    household_absent: list[int] = field(default_factory=list)
    member_creates: list[MemberRecord] = field(default_factory=list)
    member_changes: list[Change] = field(default_factory=list)
    member_absent: list[int] = field(default_factory=list)
    member_ids: dict[int, int] = field(default_factory=dict)  # id(record) -> stored pk
    full_extract: bool = True
    enrollments_planned: int = 0

    @property
    def issues(self) -> IssueLog:
        return self.extract.issues

    @property
    def has_changes(self) -> bool:
        return bool(
            self.household_creates or self.household_changes or self.household_absent
            or self.member_creates or self.member_changes or self.member_absent
        )

    @property
    def writes(self) -> int:
        """The records ``apply`` writes (its progress total)."""
        return (
            len(self.household_creates) + len(self.household_changes) + len(self.household_absent)
            + len(self.member_creates) + len(self.member_changes) + len(self.member_absent)
        )

    def summary(self) -> dict:
        issues = self.extract.issues
        return {
            "households": self.households.as_dict(),
            "members": self.members.as_dict(),
            "errors": len(issues.errors),
            "warnings": len(issues.warnings),
            "error_rows": len(issues.error_rows),
            "warning_rows": len(issues.warning_rows),
            "rows": self.extract.total_rows,
            "data_year": self.extract.data_year,
            "enrollments_planned": self.enrollments_planned,
            **issues.mapping_summary(),
        }

    def apply(self, *, batch: ImportBatch | None, by, progress: Progress) -> dict:
        """Households and members first (bulk, with history), then the aid the ``Penerima ...``
        columns claim, handed to programs; one transaction."""
        progress.phase("write", self.writes)
        with transaction.atomic():
            write.write_records(self, batch=batch, by=by, tick=progress.advance)
            return enrollment_counts(aids.aid_record(self, batch=batch, by=by))
