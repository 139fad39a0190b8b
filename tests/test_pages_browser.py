"""Every main page at 1366x768 (the common office laptop) in a real Chromium, per role: Bappeda, an
agency head and the Bupati. No page and no table scrolls sideways, and the Indonesian interface
shows no English UI words. One browser for the module; each test walks several pages."""

from __future__ import annotations

import re

import pytest

from dedup.models import Conflict, IdentityMatch
from dedup.services import identity_scan
from households.models import Household
from programs.demo import DEMO_PASSWORD, seed_demo
from programs.models import Enrollment
from tests.browser import browser_marks, launched_chromium, watch_problems
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = browser_marks

# Common English words of a web interface that Indonesian pages never use. Matched as whole words,
# ignoring case (the admin shows headings and buttons in capitals).
ENGLISH = [
    "Home", "Save", "Delete", "Search", "Submit", "Import", "Export", "Select all", "This exporter", "This importer",
    "Add", "Change", "History", "View site", "Log out", "Show all", "Cancel", "Yes", "Back", "Next", "Previous",
    "Choose", "Clear", "Today", "Welcome", "Password", "Download", "Upload", "Error", "Errors", "Confirm", "Preview",
    "Update", "New", "Name", "Date", "Year", "Amount", "Head Nik", "Source", "Delivered", "Resource", "File",
    "following fields", "selected", "Households", "Household", "Enrollment", "Conflict", "Dashboard",
]
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b", re.IGNORECASE)

# Opens every folded section, then measures: the page's width and every table against its box.
MEASURE = """() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const wide = [...document.querySelectorAll("table")]
    .filter(t => t.offsetParent !== null && t.scrollWidth > t.parentElement.clientWidth + 1)
    .map(t => `${t.id || t.className || "table"}: ${t.scrollWidth} px in ${t.parentElement.clientWidth} px`);
  const size = {page: document.documentElement.scrollWidth, viewport: window.innerWidth, wide};
  // Column names of a file (code type: "code, name, cluster") are identifiers, not interface words.
  document.querySelectorAll("code").forEach(c => { c.style.display = "none"; });
  return {...size, text: document.body.innerText};
}"""


@pytest.fixture(scope="module")
def chromium():
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def demo(reference):
    """A small demo registry with the demo users, an identity duplicate and one long program name."""
    seed_demo(families=120, seed=7, users=True)
    first = Household.objects.order_by("pk").first()
    twin = HouseholdFactory(desa=first.desa, head_name=first.head_name)
    MemberFactory(household=twin, nik=first.head_nik, name=first.head_name)
    identity_scan()
    return {
        "household": Household.objects.filter(enrollments__program__agency__code="dinsos").order_by("pk").first(),
        "conflict": Conflict.objects.order_by("pk").first(),
        "identity": IdentityMatch.objects.order_by("pk").first(),
        "enrollment": Enrollment.objects.filter(amount__isnull=False).order_by("pk").first(),
    }


def session(chromium, live_server, username):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID", timezone_id="Asia/Makassar")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    watch_problems(page, problems)
    page.goto(live_server.url + "/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page, problems


def check_pages(page, base: str, paths: list[str]) -> list[str]:
    """Every way the pages fail the office screen or speak English, as readable lines."""
    failures = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, f"{path}: {response.status}"
        seen = page.evaluate(MEASURE)
        if seen["page"] > seen["viewport"]:
            failures.append(f"{path}: the page is {seen['page']} px wide in a {seen['viewport']} px window")
        failures += [f"{path}: table {table}" for table in seen["wide"]]
        english = sorted({word for word in ENGLISH_RE.findall(seen["text"])})
        if english:
            failures.append(f"{path}: English words {english}")
    return failures


def nav_labels(page) -> list[str]:
    return page.locator(".mainnav a, .konut-mainnav a").all_inner_texts()


def test_bappeda_pages_fit_and_speak_indonesian(chromium, live_server, demo):
    context, page, problems = session(chromium, live_server, "bappeda")
    household, conflict, identity, enrollment = demo["household"], demo["conflict"], demo["identity"], demo["enrollment"]
    failures = check_pages(page, live_server.url, [
        "/", "/keluarga/", f"/keluarga/{household.pk}/", "/keluarga/cetak/", "/dasbor/", "/dasbor/distribusi/", "/impor/",
        "/admin/", "/admin/households/household/", f"/admin/households/household/{household.pk}/change/",
        "/admin/dedup/conflict/", f"/admin/dedup/conflict/{conflict.pk}/change/",
        "/admin/dedup/identitymatch/", f"/admin/dedup/identitymatch/{identity.pk}/change/",
        "/admin/programs/enrollment/", f"/admin/programs/enrollment/{enrollment.pk}/change/",
        "/admin/programs/program/", "/admin/programs/program/import/", "/admin/agencies/exportlog/",
    ])
    assert not failures, "\n".join(failures)

    # Distribution and the upload are in the main navigation, on the portal's pages and the admin's.
    for path in ("/keluarga/", "/admin/dedup/conflict/"):
        page.goto(live_server.url + path)
        assert {"Distribusi sasaran", "Impor data", "Dasbor", "Daftar keluarga"} <= set(nav_labels(page)), path

    # The enrollment form shows the amount with thousands separators.
    page.goto(f"{live_server.url}/admin/programs/enrollment/{enrollment.pk}/change/")
    assert page.input_value("#id_amount") == f"{enrollment.amount:,}".replace(",", ".")

    # The export page: Indonesian, and "Pilih semua" clears and ticks every column under the CSP.
    failures = check_pages(page, live_server.url, ["/admin/programs/enrollment/export/"])
    assert not failures, "\n".join(failures)
    label = page.locator(".selectable-field-export-row label", has_text="NIK kepala keluarga")
    assert label.text_content().strip() == "NIK kepala keluarga"
    columns = page.locator('.selectable-field-export-row input[type="checkbox"]:not(#select-all-toggle)')
    assert columns.count() > 10
    page.uncheck("#select-all-toggle")
    assert not any(columns.nth(i).is_checked() for i in range(columns.count()))
    page.check("#select-all-toggle")
    assert all(columns.nth(i).is_checked() for i in range(columns.count()))

    assert page.request.get(live_server.url + "/favicon.ico").status == 200
    assert not [p for p in problems if "Content Security Policy" in p or "script error" in p], problems
    context.close()


def test_agency_head_pages_fit_and_speak_indonesian(chromium, live_server, demo):
    context, page, problems = session(chromium, live_server, "kadis-dinsos")
    failures = check_pages(page, live_server.url, [
        "/keluarga/", f"/keluarga/{demo['household'].pk}/", "/keluarga/cetak/", "/keluarga/?per_page=200", "/dasbor/",
    ])
    assert not failures, "\n".join(failures)
    # The dashboard of the agency's own figures is in the menu, as the page itself admits them.
    assert nav_labels(page) == ["Daftar keluarga", "Dasbor", "Verval"]
    assert not [p for p in problems if "Content Security Policy" in p or "script error" in p], problems
    context.close()


def test_bupati_pages_fit_and_speak_indonesian(chromium, live_server, demo):
    context, page, problems = session(chromium, live_server, "bupati")
    failures = check_pages(page, live_server.url, ["/dasbor/", "/keluarga/", f"/keluarga/{demo['household'].pk}/"])
    assert not failures, "\n".join(failures)

    # The dashboard: the summary first, the long tables folded, so the page is a screen or two.
    page.goto(live_server.url + "/dasbor/")
    first_section = page.evaluate("document.querySelector('.dash-cards').getBoundingClientRect().top")
    assert first_section < 200
    assert page.evaluate("document.documentElement.scrollHeight") <= 2 * 768
    assert page.locator("details#tabel-kantong").get_attribute("open") is None
    assert set(nav_labels(page)) == {"Daftar keluarga", "Dasbor", "Verval"}
    assert page.get_by_text("NIK dan No KK disamarkan untuk peran Anda.").count() == 0  # the dashboard shows no NIK
    page.goto(live_server.url + "/keluarga/")
    assert page.get_by_text("NIK dan No KK disamarkan untuk peran Anda.").count() == 1
    assert not [p for p in problems if "Content Security Policy" in p or "script error" in p], problems
    context.close()
