"""Row errors and warnings, as the operator sees them: sheet, row, column and an Indonesian reason."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


def row_place(row: int, sheet: str | None = None) -> str:
    """A row as a message names it: "baris 12", or "lembar INDIVIDU baris 12" when it is on
    another sheet than the one the message is about (``sheet`` None: the same sheet)."""
    return f"baris {row}" if sheet is None else f"lembar {sheet} baris {row}"


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
    """Collects issues and remembers which rows are invalid (keyed by sheet and row).

    It also keeps the cells of the rows that got an error while they were being read, and each
    sheet's header, so that the error report can be written without reading the file again
    (reading a large sheet twice costs seconds); ``row_cells`` holds only refused rows."""

    def __init__(self) -> None:
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []
        self.error_rows: set[tuple[str, int]] = set()
        self.warning_rows: set[tuple[str, int]] = set()
        self.row_cells: dict[tuple[str, int], list] = {}
        self.sheet_headers: dict[str, tuple[str, list[str]] | None] = {}  # sheet -> (file, headers)
        # What no mapping placed, for Bappeda to map in the admin: headers by (sheet, header), and
        # values of choice columns by (field, column, value) with how many rows hold them.
        self.unmapped_columns: dict[tuple[str, str], tuple[str, bool]] = {}  # -> (layout, is an aid column)
        self.unmapped_values: dict[tuple[str, str, str], int] = {}
        # Headers of one sheet that mappings place in the same field: (sheet, headers) -> layout.
        self.twice: dict[tuple[str, tuple[str, ...]], str] = {}

    def keep_cells(self, sheet: str, row: int, cells: list) -> None:
        self.row_cells.setdefault((sheet, row), cells)

    def error(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.errors.append(RowIssue(sheet, row, column, reason, ERROR))
        self.error_rows.add((sheet, row))

    def warning(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.warnings.append(RowIssue(sheet, row, column, reason, WARNING))
        self.warning_rows.add((sheet, row))

    def withdraw(self, rows: set[tuple[str, int]]) -> dict[tuple[str, int], list[RowIssue]]:
        """Take back the errors of ``rows`` (sheet, row): rows found, once the whole file is read, to
        be left out rather than refused (a recipient list's rows of another programme). Their
        errors, by row, for the note that says why each is left out."""
        if not rows & self.error_rows:
            return {}
        taken: dict[tuple[str, int], list[RowIssue]] = {}
        kept = []
        for issue in self.errors:
            if (issue.sheet, issue.row) in rows:
                taken.setdefault((issue.sheet, issue.row), []).append(issue)
            else:
                kept.append(issue)
        self.errors = kept
        for key in taken:
            self.error_rows.discard(key)
            self.row_cells.pop(key, None)
        return taken

    def has_error(self, sheet: str, row: int) -> bool:
        return (sheet, row) in self.error_rows

    def unmapped_column(self, sheet: str, header: str, *, layout: str, aid: bool) -> None:
        self.unmapped_columns[(sheet, header)] = (layout, aid)

    def mapped_twice(self, sheet: str, headers: tuple[str, ...], *, layout: str) -> None:
        self.twice[(sheet, headers)] = layout

    def unmapped_value(self, field: str, column: str, value: str) -> None:
        key = (field, column, value)
        self.unmapped_values[key] = self.unmapped_values.get(key, 0) + 1

    def absorb(self, other: IssueLog) -> None:
        """Take in the issues of a sheet read in another process, as if they had been recorded here
        (a sheet name met twice loses its cached header, as ``RowReader`` does)."""
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.error_rows |= other.error_rows
        self.warning_rows |= other.warning_rows
        for key, cells in other.row_cells.items():
            self.row_cells.setdefault(key, cells)
        for sheet, read in other.sheet_headers.items():
            self.sheet_headers[sheet] = None if sheet in self.sheet_headers else read
        self.unmapped_columns.update(other.unmapped_columns)
        self.twice.update(other.twice)
        for key, rows in other.unmapped_values.items():
            self.unmapped_values[key] = self.unmapped_values.get(key, 0) + rows

    def mapping_summary(self) -> dict:
        """``unmapped_columns`` and ``unmapped_values`` as the preview and the JSON summary show them."""
        twice = {
            # Listed only when there are some: the summaries of most files stay as they were.
            "mapped_twice": [
                {"sheet": sheet, "columns": list(headers), "layout": layout} for (sheet, headers), layout in self.twice.items()
            ],
        } if self.twice else {}
        return {
            **twice,
            "unmapped_columns": [
                {"sheet": sheet, "column": header, "layout": layout, "aid": aid}
                for (sheet, header), (layout, aid) in self.unmapped_columns.items()
            ],
            "unmapped_values": [
                {"field": field, "column": column, "value": value, "rows": rows}
                for (field, column, value), rows in sorted(self.unmapped_values.items(), key=lambda item: (item[0][1], -item[1]))
            ],
        }
