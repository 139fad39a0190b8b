"""Logging filters the settings install."""

from __future__ import annotations

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """A refused request (403) is an expected outcome, not an error: its one-line warning stays in the
    log, the traceback of the ``PermissionDenied`` behind it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
