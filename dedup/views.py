"""The dedup app has no pages of its own: Bappeda reviews conflicts and identity duplicates in the
admin (``dedup/admin.py``); agency pages show conflicts through ``dedup.presenters``."""
