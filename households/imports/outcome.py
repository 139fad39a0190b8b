"""What a run of an import reports: its status and summary, for the commands, the task and the admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from households.models import ImportBatch

if TYPE_CHECKING:
    from .plan import ImportPlan

# The outcome of a run, as the commands' exit codes and the admin messages use it.
PREVIEWED, APPLIED, REFUSED, UNREADABLE, FAILED = "previewed", "applied", "refused", "unreadable", "failed"


@dataclass
class ImportOutcome:
    status: str
    summary: dict = field(default_factory=dict)
    message: str = ""
    batch: ImportBatch | None = None
    plan: ImportPlan | None = None

    def as_json(self) -> dict:
        data = {
            "status": self.status,
            "households": self.summary.get("households", _zero_counts()),
            "members": self.summary.get("members", _zero_counts()),
            "errors": self.summary.get("errors", 0),
            "warnings": self.summary.get("warnings", 0),
            "batch": self.batch.pk if self.batch is not None and self.batch.pk else None,
        }
        for key in ("enrollments", "rows", "error_rows", "warning_rows", "data_year", "same_as_batch", "identity_duplicates",
                    "identity_scan_failed"):
            if key in self.summary:
                data[key] = self.summary[key]
        # What no mapping placed, always said (an empty list means every column and value was known).
        data["unmapped_columns"] = self.summary.get("unmapped_columns", [])
        data["unmapped_values"] = self.summary.get("unmapped_values", [])
        if self.message:
            data["message"] = self.message
        return data


def _zero_counts() -> dict:
    return {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}
