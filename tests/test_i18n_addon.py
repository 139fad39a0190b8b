"""The Indonesian catalog of django-import-export (locale/id), which the add-on does not ship: every
string of the installed add-on is translated, and the compiled catalog is the one the app reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import import_export
import pytest
from django.conf import settings
from django.utils import translation

from tests.test_i18n import read_po

CATALOG = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"


def test_every_entry_is_translated_and_compiled():
    entries = read_po(CATALOG)
    assert len(entries) > 30
    assert not [e.msgid for e in entries if not all(e.msgstr.values()) or "fuzzy" in e.flags]
    with translation.override("id"):
        for entry in entries:
            if not entry.msgid_plural:
                assert translation.gettext(entry.msgid) == entry.msgstr[0], entry.msgid
        assert translation.gettext("Select all") == "Pilih semua"
        assert translation.gettext("This importer will import the following fields: ") == "Kolom yang akan diimpor: "


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="scanning the add-on needs GNU gettext (xgettext)")
def test_the_catalog_covers_the_installed_add_on(tmp_path):
    """After an upgrade of django-import-export, a new string of the add-on shows up here."""
    copy = tmp_path / "import_export"
    shutil.copytree(Path(import_export.__file__).parent, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "id", "--no-location", "--verbosity=0"],
        cwd=copy, check=True, capture_output=True, text=True,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin:/usr/local/bin"},
    )
    wanted = {e.msgid for e in read_po(copy / "locale" / "id" / "LC_MESSAGES" / "django.po")}
    have = {e.msgid for e in read_po(CATALOG)}
    assert wanted - have == set(), "translate the add-on's new strings in locale/id/LC_MESSAGES/django.po"
