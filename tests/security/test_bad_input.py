"""The bad-input corpus: injections, oversized values, unexpected parameters, wrong methods and
malformed ids in every search box and filter of the portal, the dashboard and the admin changelists,
the action forms and the upload form. Each is answered with a page (and, where it matters, a clear
Indonesian message) or 400/404/405; never a 500, never echoed unescaped, and nothing changes."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.filters import HouseholdFilter
from households.models import ImportBatch
from programs.dashboard.forms import DashboardFilterForm
from programs.models import EnrollmentStatus

from .conftest import registry_state

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('konut')</script>"
SVG = '"><svg onload=alert(1)>'
HUGE_INT = "9" * 25
INJECTIONS = [
    "' OR '1'='1' --", "1 OR 1=1", "1; DROP TABLE households_household; --", SCRIPT, SVG, "{{ 7*7 }}{% debug %}",
    "../../../etc/passwd", "a\x00b", "-1", HUGE_INT, "1e3", "٣", "%", "_", "   ", "Ahmad%' OR 1=1 --",
]
UNESCAPED = ("<script>alert('konut')", "<svg onload=alert(1)>")
LONG_SEARCH = "a" * 100_000


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def answered(response, what) -> str:
    """Not a server error, and no payload echoed unescaped."""
    assert response.status_code in (200, 302, 400, 404), (what, response.status_code)
    text = body(response) if response.get("Content-Type", "").startswith("text/") else ""
    for marker in UNESCAPED:
        assert marker not in text, (what, marker)
    return text


# --- the portal's list, export and print -------------------------------------------------------------


def portal_parameters(user) -> list[str]:
    return sorted(HouseholdFilter(None, user=user).filters) + ["page", "per_page", "kembali"]


@pytest.mark.parametrize("role", ["bappeda", "head"])
@pytest.mark.parametrize("page", ["agencies:household_list", "agencies:household_export", "agencies:household_print"])
def test_household_list_filters_and_search(world, role, page):
    user = getattr(world.users, role)
    client = client_for(user)
    before = registry_state()
    params = portal_parameters(user)
    assert {"q", "kecamatan", "desa", "desil", "program", "year", "status", "sort"} <= set(params)
    for payload in INJECTIONS:
        answered(client.get(reverse(page), {name: payload for name in params}), (page, payload))
    text = answered(client.get(reverse(page), {"q": SCRIPT}), page)
    if page == "agencies:household_list":
        assert "&lt;script&gt;alert(&#x27;konut&#x27;)&lt;/script&gt;" in text  # shown back in the box, escaped
    for payload in (HUGE_INT, SVG):
        for name in params:
            answered(client.get(reverse(page), {name: payload}), (page, name, payload))
    answered(client.get(reverse(page), {"q": "x", "unknown": "1", "__proto__": "x", "agency[]": "dinsos"}), page)
    assert registry_state() == before


@pytest.mark.parametrize("page", ["agencies:household_list", "agencies:household_export", "agencies:household_print"])
def test_a_100_kb_search_is_refused_clearly(world, page):
    client = client_for(world.users.bappeda)
    response = client.get(reverse(page), {"q": LONG_SEARCH})
    assert response.status_code == 400
    assert "Permintaan tidak valid" in body(response)


def test_search_finds_nothing_by_injection(world):
    client = client_for(world.users.head)  # Dinsos sees one household of the three
    for payload in ("' OR '1'='1' --", "Ahmad%' OR 1=1 --", "%", "_"):
        text = answered(client.get(reverse("agencies:household_list"), {"q": payload}), payload)
        assert world.foreign_hh.head_name not in text and world.conflict_hh.head_name not in text


def test_detail_back_link_stays_on_the_site(world):
    client = client_for(world.users.head)
    url = reverse("agencies:household_detail", args=[world.own_hh.pk])
    for back in ("javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil.example", SCRIPT):
        text = answered(client.get(url, {"kembali": back}), back)
        assert '<a href="/keluarga/">' in text
        assert not re.search(r'(href|value)="(//|https?:|javascript:|/\\)', text), back


# --- the dashboard -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["bappeda", "other"])
def test_dashboard_filters(world, role):
    user = getattr(world.users, role)
    client = client_for(user)
    before = registry_state()
    params = list(DashboardFilterForm(user=user, years=[2024]).fields)
    assert {"year", "kecamatan"} <= set(params)
    for payload in INJECTIONS:
        query = {name: payload for name in params}
        answered(client.get(reverse("programs:dashboard"), query), payload)
        answered(client.get(reverse("programs:export", args=["kantong"]), query), payload)
    for name in params:
        answered(client.get(reverse("programs:dashboard"), {name: HUGE_INT}), name)
    assert client.get(reverse("programs:dashboard"), {"year": LONG_SEARCH}).status_code == 400
    assert registry_state() == before


def test_distribution_page_garbage(world):
    client = client_for(world.users.bappeda)
    before = registry_state()
    url = reverse("programs:distribute", args=["pkh"])
    for payload in INJECTIONS:
        answered(client.get(url, {"year": payload, "include_aided": payload, "limit": payload}), payload)
        text = answered(client.post(url, {"year": payload, "limit": payload}), payload)
        assert "errorlist" in text or "error" in text
    assert registry_state() == before


# --- the admin changelists ---------------------------------------------------------------------------

REGISTRY_APPS = ("households", "programs", "dedup", "agencies")


def admin_changelists():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in REGISTRY_APPS:
            yield model, model_admin


def filter_parameters(page: str) -> set[str]:
    """The parameter names the changelist's filter links use."""
    names = set()
    for query in re.findall(r'href="\?([^"]*)"', page):
        for pair in query.replace("&amp;", "&").split("&"):
            name = pair.split("=", 1)[0]
            if name and name not in ("o", "p", "q", "e", "all", "_changelist_filters"):
                names.add(name)
    return names


@pytest.mark.parametrize("model", [m for m, _ in admin_changelists()], ids=lambda m: m._meta.label)
def test_admin_changelist_search_and_filters(world, model):
    client = client_for(world.users.bappeda)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    page = client.get(url)
    assert page.status_code == 200
    before = registry_state()
    if admin.site._registry[model].search_fields:
        for payload in INJECTIONS:
            answered(client.get(url, {"q": payload}), (url, payload))
        assert client.get(url, {"q": LONG_SEARCH}).status_code == 400
    params = filter_parameters(page.content.decode())
    if admin.site._registry[model].list_filter:
        assert params, f"{url}: filters expected"
    for name in params | {"o", "p", "unknown_field"}:
        for payload in (SCRIPT, HUGE_INT, "' OR 1=1 --", "-1"):
            answered(client.get(url, {name: payload}), (url, name, payload))
    assert registry_state() == before


def test_admin_ids_that_are_not_ids(world):
    client = client_for(world.users.bappeda)
    for model, _ in admin_changelists():
        opts = model._meta
        for pk in ("abc", HUGE_INT, "-1", "1%00", "1'--"):
            for view in ("change", "history", "delete"):
                response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[pk]))
                assert response.status_code in (302, 403, 404), (opts.label, view, pk, response.status_code)
            if hasattr(model, "history"):
                for args in ([pk, "1"], ["1", pk]):
                    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=args))
                    assert response.status_code == 404, (opts.label, args, response.status_code)


# --- actions: oversized fields, unexpected parameters, wrong methods -----------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_a_10000_character_rejection_reason_is_refused_with_a_message(world):
    client = client_for(world.users.head)
    before = registry_state()
    response = client.post(reverse("agencies:enrollment_reject", args=[world.own_enrollment.pk]), {"reason": "x" * 10_000})
    assert response.status_code == 302
    assert any("paling banyak 1000 karakter" in m for m in messages_of(response)), messages_of(response)
    assert registry_state() == before


@pytest.mark.parametrize("amount, date", [
    ("1e309", "2024-05-02"), ("-600000", "2024-05-02"), ("Rp 9" + "9" * 40, "2024-05-02"), (SCRIPT, "2024-05-02"),
    ("600000", "31/02/2024"), ("600000", SCRIPT), ("600000", "9" * 40), ("", ""),
])
def test_bad_delivery_values_are_refused_with_a_message(world, amount, date):
    world.own_enrollment.status = EnrollmentStatus.ACTIVE
    world.own_enrollment.save()
    client = client_for(world.users.head)
    before = registry_state()
    response = client.post(reverse("agencies:enrollment_deliver", args=[world.own_enrollment.pk]),
                           {"amount": amount, "delivered_on": date})
    assert response.status_code == 302
    shown = messages_of(response)
    assert shown and all(SCRIPT not in m for m in shown), shown
    assert registry_state() == before


def test_unexpected_parameters_on_an_action_are_ignored(world):
    client = client_for(world.users.head)
    response = client.post(reverse("agencies:enrollment_reject", args=[world.own_enrollment.pk]), {
        "reason": "Pindah domisili", "status": "active", "program": world.programs["bsps"].pk, "household": world.foreign_hh.pk,
        "amount": "999999999", "pk": world.foreign_enrollment.pk, "created_by": world.users.bappeda.pk,
    })
    assert response.status_code == 302
    world.own_enrollment.refresh_from_db()
    world.foreign_enrollment.refresh_from_db()
    assert world.own_enrollment.status == EnrollmentStatus.REJECTED and world.own_enrollment.amount is None
    assert world.own_enrollment.household_id == world.own_hh.pk and world.own_enrollment.program.code == "pkh"
    assert world.foreign_enrollment.status == EnrollmentStatus.PROPOSED


def test_distribute_garbage_is_refused_with_a_message(world):
    client = client_for(world.users.bappeda)
    before = registry_state()
    for data in [
        {"program": SCRIPT, "year": "2025", "household": "1"},
        {"program": "pkh", "year": HUGE_INT, "household": "1"},
        {"program": "pkh", "year": "2025", "household": ["abc", SCRIPT]},
        {"program": "pkh", "year": "2025", "household": HUGE_INT},
        {"program": "pkh", "year": "2025", "everything": "1", "filters": "q=" + SCRIPT + "&desil=" + HUGE_INT},
    ]:
        response = client.post(reverse("agencies:household_distribute"), data)
        assert response.status_code == 302, data
        shown = messages_of(response)
        assert shown, data
        assert all(SCRIPT not in m for m in shown)
    assert registry_state() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_wrong_methods(world, method):
    client = client_for(world.users.bappeda)
    before = registry_state()
    for url in [
        reverse("agencies:household_list"), reverse("agencies:household_export"), reverse("agencies:household_detail", args=[world.own_hh.pk]),
        reverse("agencies:enrollment_accept", args=[world.own_enrollment.pk]), reverse("agencies:household_distribute"),
        reverse("programs:dashboard"), reverse("programs:distribute", args=["pkh"]),
        reverse("households:import_status", args=[world.batch.pk]),
    ]:
        assert getattr(client, method)(url).status_code == 405, (method, url)
    for url in [
        reverse("admin:households_household_change", args=[world.own_hh.pk]),
        reverse("admin:households_household_delete", args=[world.own_hh.pk]),
        reverse("admin:households_importbatch_confirm", args=[world.empty_batch.pk]),
        reverse("admin:dedup_conflict_scan"),
    ]:
        assert getattr(client, method)(url).status_code in (200, 403, 405), (method, url)
    assert registry_state() == before


def test_portal_ids_that_are_not_ids(world):
    client = client_for(world.users.bappeda)
    for path in ["/keluarga/abc/", f"/keluarga/{HUGE_INT}/", "/keluarga/-1/", "/keluarga/1.0/", "/kepesertaan/abc/terima/",
                 f"/impor/{HUGE_INT}/", f"/impor/{HUGE_INT}/status.json", "/dasbor/ekspor/..%2F..%2Fsettings.xlsx",
                 f"/dasbor/distribusi/{SCRIPT}/"]:
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert UNESCAPED[0] not in body(response)
    response = client.post(f"/kepesertaan/{HUGE_INT}/terima/")
    assert response.status_code == 404


def test_a_10000_character_conflict_reason_is_kept_whole(world):
    client = client_for(world.users.bappeda)
    reason = "Dua rumah terpisah. " * 500
    response = client.post(reverse("admin:dedup_conflict_change", args=[world.conflict.pk]),
                           {"decision": "approve", "reason": reason})
    assert response.status_code == 302
    world.conflict.refresh_from_db()
    assert world.conflict.decision_reason == reason.strip()


# --- the upload form -------------------------------------------------------------------------------


def media_files() -> set[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_UPLOADS = [
    ("p3ke.pdf", b"%PDF-1.4 not a spreadsheet", "tidak didukung"),
    ("p3ke.xlsx", b"%PDF-1.4 renamed to xlsx", "isinya berkas PDF"),
    ("p3ke.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "isinya berkas PDF"),
    ("p3ke.xlsx", b"<html><script>alert('konut')</script></html>", ""),
    (SCRIPT + ".xlsx", b"PK\x03\x04 broken", ""),
    ("p3ke.xlsx", b"", ""),
    ("p3ke.xlsx", _zip({"hello.txt": b"not a workbook"}), ""),
    ("p3ke.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
    ("p3ke.exe", b"MZ\x90\x00", "tidak didukung"),
    ("../../../etc/passwd.xlsx", b"PK\x03\x04 broken", ""),
]


@pytest.mark.parametrize("name, content, message", BAD_UPLOADS, ids=[f"{i}-{n[:20]}" for i, (n, _c, _m) in enumerate(BAD_UPLOADS)])
def test_upload_form_refuses_bad_files(world, name, content, message):
    client = client_for(world.users.bappeda)
    before, batches, files = registry_state(), ImportBatch.objects.count(), media_files()
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client.post(reverse("admin:households_importbatch_upload"), {"kind": "p3ke", "file": upload})
    text = answered(response, name)
    assert response.status_code == 200
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', text, flags=re.S)
    assert errors, "no message shown"
    if message:
        assert message in text
    assert ImportBatch.objects.count() == batches and media_files() == files and registry_state() == before


def test_upload_form_refuses_an_oversized_file(world, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    client = client_for(world.users.bappeda)
    before, batches, files = registry_state(), ImportBatch.objects.count(), media_files()
    upload = SimpleUploadedFile("besar.xlsx", b"PK\x03\x04" + b"0" * 20_000)
    response = client.post(reverse("admin:households_importbatch_upload"), {"kind": "p3ke", "file": upload})
    assert response.status_code == 200 and "Berkas terlalu besar" in response.content.decode()
    assert ImportBatch.objects.count() == batches and media_files() == files and registry_state() == before


def test_upload_form_garbage_fields(world):
    client = client_for(world.users.bappeda)
    batches = ImportBatch.objects.count()
    for data in [
        {"kind": SCRIPT}, {"kind": "p3ke", "data_year": HUGE_INT}, {"kind": "p3ke", "data_year": SCRIPT},
        {"kind": "recipients", "program": "x" * 10_000},
    ]:
        response = client.post(reverse("admin:households_importbatch_upload"), data)
        answered(response, data)
        assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert ImportBatch.objects.count() == batches
