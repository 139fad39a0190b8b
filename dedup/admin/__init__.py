"""Bappeda's review screens, one module per model: one-aid conflicts (``conflicts``), compatible
program pairs (``pairs``) and identity duplicates (``identity``); ``common`` holds the filters, the
reason form and the action helpers they share.

Every decision goes through ``dedup.services`` (who and when recorded); nothing here writes rows
itself. Conflicts and identity matches are never added or deleted by hand: the engine and the scan
raise them, Bappeda decides.
"""

from . import conflicts, identity, pairs  # noqa: F401  (each registers its admin)
