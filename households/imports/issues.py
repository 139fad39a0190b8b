"""Row errors and warnings, as the operator sees them: sheet, row, column and an Indonesian reason."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class RowIssue:
    sheet: str
    row: int  # the row number Excel shows (1-based, title rows included); 0 for the whole file
    column: str
    reason: str
    level: str = ERROR

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


class IssueLog:
    """Collects issues and remembers which rows are invalid (keyed by sheet and row)."""

    def __init__(self) -> None:
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        self.error_rows: set[tuple[str, int]] = set()
        self.warning_rows: set[tuple[str, int]] = set()

    def error(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.errors.append(RowIssue(sheet, row, column, reason, ERROR))
        self.error_rows.add((sheet, row))

    def warning(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.warnings.append(RowIssue(sheet, row, column, reason, WARNING))
        self.warning_rows.add((sheet, row))

    def has_error(self, sheet: str, row: int) -> bool:
        return (sheet, row) in self.error_rows
