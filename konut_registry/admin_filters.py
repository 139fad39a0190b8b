"""Helpers for the admin's list filters, shared by every app's admin."""


def is_database_id(value) -> bool:
    """A filter value usable as a database id: digits within the bigint range (a longer number
    overflows the database driver: a 500 instead of an empty list)."""
    text = str(value or "")
    return text.isdigit() and int(text) < 2**63
