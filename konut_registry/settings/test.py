"""Tests: SQLite (a file in the temporary directory, one per checkout; each test worker its own test database) unless DATABASE_URL points at PostgreSQL (CI runs both)."""

import hashlib
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, DATABASES, env

SECRET_KEY = "test-only-key"
# The suite is written around Konawe Utara's 13 kecamatan and 170 villages, whatever the environment says.
KONUT_WILAYAH = "74.09"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DEMO_USERS_ENABLED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="konut-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="konut-test-static-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env("DATABASE_URL") is None:
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        # One file per checkout, so that two checkouts can run their suites side by side.
        "NAME": str(Path(tempfile.gettempdir()) / f"konut-test-{hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8]}.sqlite3"),
        "TEST": {"NAME": None},
        "OPTIONS": {"timeout": 30},
    }
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_ENABLED = True

# --- Added for the portal's browser tests (agencies): Django's live test server wraps the app in a
# media-files handler that parses MEDIA_URL and fails on None. Private media are still not served:
# nothing is stored under this prefix and no URL pattern maps it.
MEDIA_URL = "/_media-not-served/"
