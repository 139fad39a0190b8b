"""The English catalog: a user who picks English in the footer sees English on the portal, the
dashboard and the admin; and every Indonesian source string has an English translation.

When a catalog test fails after you added or changed a user-facing string: run `make messages`,
translate the new (empty or fuzzy) entries in locale/en/LC_MESSAGES/django.po, run `make messages`
again to compile django.mo, and commit both files.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from programs.models import EnrollmentStatus
from tests.factories import EnrollmentFactory, HouseholdFactory

CATALOG = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")

# Proper names and codes: English keeps them as they are (their msgstr may be empty or equal).
PROPER_NAMES = {"P3KE", "DTKS", "DTSEN", "NIK", "RT", "RW", "APBN", "Bahasa Indonesia"}
# Words spelled the same in both languages: their msgstr must be filled in, and may equal the msgid.
SAME_IN_ENGLISH = {
    "Admin", "Data", "data", "Filter", "Filter:", "filter", "Home", "Normal", "Operator", "operator",
    "Program", "program", "program A", "program B", "Status", "status", "NIK: %(niks)s",
}
# Exceptions to "an English translation differs from its Indonesian source".
ALLOWED_EQUAL = PROPER_NAMES | SAME_IN_ENGLISH

PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdifr]|\{\w*\}")


# --- a small .po reader (the product has no polib) -------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"django.po line {self.line}: {self.msgid!r}{context}"


def read_po(path: Path) -> list[Entry]:
    """The active entries of a .po file (not the header, not obsolete '#~' ones)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal current
        if current.msgid or current.msgstr:
            entries.append(current)
        current = Entry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line and (current.msgid or current.msgstr):
                finish()
            continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = None, line
        elif keyword in ("msgctxt", "msgid") and current.msgstr:
            finish()  # an entry without a blank line before the next one
        if keyword is not None:
            if not current.line:
                current.line = number
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            target = ("msgstr", int(match.group(1))) if match else (keyword, None)
            if target[0] == "msgstr" and target[1] is None:
                target = ("msgstr", 0)
        text = ast.literal_eval(rest)
        name, index = target
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + text
        else:
            setattr(current, name, (getattr(current, name) or "") + text)
    finish()
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


def untranslated(entries: list[Entry]) -> list[str]:
    problems = []
    for entry in entries:
        forms = [entry.msgstr.get(i, "") for i in range(2 if entry.msgid_plural else 1)]
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label} is fuzzy: check the translation and remove the fuzzy flag")
        elif not all(forms) and entry.msgid not in PROPER_NAMES:
            problems.append(f"{entry.label} has no English translation")
        elif entry.msgid in forms and entry.msgid not in ALLOWED_EQUAL:
            problems.append(f"{entry.label} is still the Indonesian text")
    return problems


# --- the catalog ---------------------------------------------------------------------------------


def test_every_source_string_in_the_catalog_is_translated():
    entries = read_po(CATALOG)
    assert len(entries) > 500, "the English catalog looks truncated"
    problems = untranslated(entries)
    assert not problems, "Run `make messages` and translate:\n" + "\n".join(problems)


def test_translations_keep_placeholders_and_plural_forms():
    problems = []
    for entry in read_po(CATALOG):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural and sorted(PLACEHOLDER.findall(entry.msgid_plural)) != expected:
            problems.append(f"{entry.label}: the Indonesian singular and plural differ in placeholders")
        if entry.msgid_plural and sorted(entry.msgstr) != [0, 1]:
            problems.append(f"{entry.label}: English needs exactly two plural forms")
        for text in entry.msgstr.values():
            if text and sorted(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"{entry.label}: placeholders {PLACEHOLDER.findall(text)} instead of {expected}")
        if any(s.endswith(" ") for s in sources) != any(t.endswith(" ") for t in entry.msgstr.values() if t):
            problems.append(f"{entry.label}: the trailing space (text is joined to what follows) was lost")
    assert not problems, "\n".join(problems)


def test_the_committed_mo_matches_the_po():
    """django.mo is what the app reads; a translation only in django.po does nothing until compiled."""
    with COMPILED.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in read_po(CATALOG):
        if not entry.msgstr.get(0):
            continue
        if entry.msgid_plural:
            pairs = [(compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) if entry.msgctxt
                      else compiled.ngettext(entry.msgid, entry.msgid_plural, n), entry.msgstr[i])
                     for n, i in ((1, 0), (2, 1))]
        else:
            got = compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)
            pairs = [(got, entry.msgstr[0])]
        if any(got != want for got, want in pairs):
            stale.append(entry.label)
    assert not stale, "django.mo is older than django.po; run `make messages`:\n" + "\n".join(stale[:20])


def test_the_po_reader_sees_an_untranslated_string(tmp_path):
    """The checks above can fail: an empty, a fuzzy and a copied entry are each reported."""
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "Keluarga baru"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Impor #%(pk)s"\nmsgstr "Import #%(pk)s"\n\n'
        'msgctxt "plural"\nmsgid "kecamatan"\nmsgstr "kecamatan"\n\n'
        'msgid "%(n)s baris"\nmsgid_plural "%(n)s baris"\nmsgstr[0] "%(n)s row"\nmsgstr[1] ""\n\n'
        'msgid "NIK"\nmsgstr ""\n\n'
        'msgid "Siap"\nmsgstr ""\n"Re"\n"ady"\n\n'
        '#~ msgid "Lama"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    assert [e.msgid for e in entries] == ["Keluarga baru", "Impor #%(pk)s", "kecamatan", "%(n)s baris", "NIK", "Siap"]
    assert entries[-1].msgstr == {0: "Ready"}
    problems = untranslated(entries)
    assert len(problems) == 4
    assert "'Keluarga baru' has no English translation" in problems[0]
    assert "fuzzy" in problems[1]
    assert "still the Indonesian text" in problems[2] and "context 'plural'" in problems[2]
    assert "'%(n)s baris' has no English translation" in problems[3]


# The names under which xgettext (called by makemessages) finds a string to translate.
EXTRACTED_NAMES = {
    "_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
    "npgettext", "npgettext_lazy",
}


def test_translation_functions_keep_names_the_catalog_scan_reads():
    """A string passed to ``gettext`` imported under another name (``gettext as _t``) is never put in
    the catalog, so it stays Indonesian on English pages however the catalog is updated."""
    root = Path(settings.BASE_DIR)
    hidden = []
    for package in ("agencies", "dedup", "households", "programs", "verval", "konut_registry"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    hidden += [f"{path.relative_to(root)}: {a.name} as {a.asname}" for a in node.names
                               if a.asname and a.asname not in EXTRACTED_NAMES]
    assert not hidden, hidden


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="scanning the sources needs GNU gettext (xgettext)")
def test_no_string_in_the_code_is_missing_from_the_catalog(tmp_path):
    """makemessages on a copy of the sources: a string added to the code but not yet to the catalog
    comes out untranslated here, so this fails until `make messages` has been run and translated."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(
        root, copy, symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "venv", "var", "bench", "tests", "node_modules",
                                      "staticfiles", "__pycache__", "*.pyc", "*.sqlite3", ".pytest_cache"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=var/*", "--ignore=bench/*",
         "--ignore=tests/*", "--verbosity=0"],
        cwd=copy, check=True, capture_output=True, text=True,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin:/usr/local/bin",
             "DJANGO_SETTINGS_MODULE": "konut_registry.settings.test", "PYTHONPATH": str(copy)},
    )
    problems = untranslated(read_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert not problems, (
        "Strings in the code are not in the English catalog. Run `make messages`, translate them in "
        "locale/en/LC_MESSAGES/django.po, run `make messages` again and commit django.po and django.mo:\n"
        + "\n".join(problems)
    )


# --- what a user sees --------------------------------------------------------------------------


@pytest.fixture
def registry(reference):
    household = HouseholdFactory(head_name="Wa Ode Sitti", desil=1)
    EnrollmentFactory(household=household, status=EnrollmentStatus.PROPOSED)
    return household


def choose(client, language: str) -> None:
    response = client.post(reverse("set_language"), {"language": language, "next": "/keluarga/"})
    assert response.status_code == 302 and response["Location"] == "/keluarga/"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_a_bappeda_user_switches_to_english_and_back(bappeda_client, registry):
    indonesian = page(bappeda_client, "/keluarga/")
    assert 'lang="id"' in indonesian and "Daftar keluarga sasaran" in indonesian

    choose(bappeda_client, "en")

    portal = page(bappeda_client, "/keluarga/")
    assert 'lang="en"' in portal
    for text in ("Target household list", "Household head", "Export to Excel", "households</span>",
                 "Proposed", "All agencies", "Change language", "Wa Ode Sitti"):
        assert text in portal, text
    for text in ("Daftar keluarga sasaran", "Kepala keluarga", "Ekspor Excel", "Diusulkan", "Ganti bahasa"):
        assert text not in portal, text

    dashboard = page(bappeda_client, "/dasbor/")
    for text in ("Poverty reduction dashboard", "Key figures", "Households in the registry", "Decile 1 households"):
        assert text in dashboard, text
    for text in ("Dasbor penanggulangan kemiskinan", "Angka utama", "Keluarga di registri"):
        assert text not in dashboard, text

    admin = page(bappeda_client, reverse("admin:index"))
    for text in ("Data administration", "Household registry", ">Households<", ">Household members<",
                 ">One-aid conflicts<", ">Enrollments<", "Log out"):
        assert text in admin, text
    for text in ("Administrasi data", "Registrasi keluarga", ">Keluarga<", ">Konflik satu bantuan<"):
        assert text not in admin, text

    choose(bappeda_client, "id")

    portal = page(bappeda_client, "/keluarga/")
    assert 'lang="id"' in portal and "Daftar keluarga sasaran" in portal and "Diusulkan" in portal
    assert "Target household list" not in portal
    admin = page(bappeda_client, reverse("admin:index"))
    assert "Administrasi data" in admin and ">Keluarga<" in admin and ">Households<" not in admin
