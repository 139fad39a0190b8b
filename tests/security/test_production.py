"""Production settings: HTTPS only, secure cookies, HSTS, the content security policy on every
response, the project's own Indonesian error pages instead of debug pages, and uploads that no URL
serves. (``manage.py check --deploy`` itself runs in ``tests/test_settings_and_first_run.py``.)"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.template.loader import get_template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.imports.batches import batch_create
from households.models import Household

from .routes import all_routes

SECURITY_NAMES = [
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "CONTENT_SECURITY_POLICY",
    "MIDDLEWARE", "DEBUG",
]


@pytest.fixture(scope="module")
def production():
    """The production settings module, imported with the environment it needs."""
    import os

    saved = {k: os.environ.get(k) for k in ("SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DATABASE_URL")}
    os.environ["SECRET_KEY"] = "x" * 60
    os.environ.setdefault("DATABASE_URL", "postgres://konut@127.0.0.1:5432/konut")
    os.environ.pop("SECURE_SSL_REDIRECT", None)
    os.environ.pop("SECURE_HSTS_SECONDS", None)
    try:
        sys.modules.pop("konut_registry.settings.production", None)
        yield importlib.import_module("konut_registry.settings.production")
    finally:
        sys.modules.pop("konut_registry.settings.production", None)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def as_production(production, settings):
    """The running test settings with production's security switches."""
    for name in SECURITY_NAMES:
        setattr(settings, name, getattr(production, name))
    return production


def test_production_switches(production):
    assert production.DEBUG is False
    assert not production.TEMPLATES[0]["OPTIONS"].get("debug")
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE and production.SESSION_COOKIE_HTTPONLY
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS >= 31_536_000 and production.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert production.X_FRAME_OPTIONS == "DENY" and production.SECURE_CONTENT_TYPE_NOSNIFF
    middleware = production.MIDDLEWARE
    assert "konut_registry.middleware.ContentSecurityPolicyMiddleware" in middleware
    assert "konut_registry.middleware.QueryStringLimitMiddleware" in middleware and production.MAX_QUERY_STRING_BYTES
    assert middleware.index("django.middleware.security.SecurityMiddleware") == 0
    policy = production.CONTENT_SECURITY_POLICY
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'", "form-action 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy


def test_uploads_live_outside_everything_served(production):
    media = Path(production.MEDIA_ROOT).resolve()
    assert production.MEDIA_URL is None
    served = [Path(production.STATIC_ROOT), *map(Path, production.STATICFILES_DIRS), Path(production.BASE_DIR) / "templates"]
    if getattr(production, "WHITENOISE_ROOT", None):
        served.append(Path(production.WHITENOISE_ROOT))
    for root in served:
        root = root.resolve()
        assert not media.is_relative_to(root) and not root.is_relative_to(media), (media, root)
    assert not any("media" in route.route for route in all_routes())


def test_no_url_pattern_serves_files_from_disk():
    from django.urls import get_resolver

    def callbacks(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from callbacks(pattern.url_patterns)
            else:
                yield pattern.callback

    names = {f"{getattr(cb, '__module__', '')}.{getattr(cb, '__name__', '')}" for cb in callbacks(get_resolver().url_patterns)}
    assert "django.views.static.serve" not in names
    assert not any(name.startswith("django.contrib.staticfiles.views") for name in names)


# --- responses under the production switches ---------------------------------------------------------


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(as_production, reference):
    response = Client().get("/masuk/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/masuk/"


@pytest.mark.django_db
def test_https_responses_carry_hsts_csp_and_secure_cookies(as_production, reference):
    from tests.factories import UserFactory

    UserFactory(username="kadis", role="agency_head", password="rahasia-uji-123")
    client = Client()
    page = client.get("/masuk/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["Content-Security-Policy"] == as_production.CONTENT_SECURITY_POLICY
    assert page["X-Frame-Options"] == "DENY" and page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"]
    login = client.post("/masuk/", {"username": "kadis", "password": "rahasia-uji-123"}, secure=True)
    assert login.status_code == 302
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    listed = client.get("/keluarga/", secure=True)
    assert listed.status_code == 200 and "Content-Security-Policy" in listed


# --- the error pages ----------------------------------------------------------------------------------


def _no_debug(text: str) -> None:
    for leak in ("Traceback", "Django tried these URL patterns", "DEBUG = True", "settings.py", "Request Method",
                 "Not Found", "Server Error", "Forbidden", "Bad Request"):
        assert leak not in text, leak


@pytest.mark.django_db
def test_404_is_the_indonesian_page(as_production, reference):
    from tests.factories import UserFactory

    client = Client()
    response = client.get("/tidak-ada/", secure=True)
    assert response.status_code == 404
    text = response.content.decode()
    assert "Halaman tidak ditemukan" in text and 'lang="id"' in text
    assert "Content-Security-Policy" in response
    _no_debug(text)
    client.force_login(UserFactory(username="kadis", role="agency_head"))
    response = client.get("/keluarga/999999/", secure=True)
    assert response.status_code == 404 and "Halaman tidak ditemukan" in response.content.decode()
    _no_debug(response.content.decode())


@pytest.mark.django_db
def test_403_shows_the_reason_in_indonesian(as_production, reference):
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="kadis", role="agency_head"))
    response = client.get(reverse("programs:distribute_index"), secure=True)
    assert response.status_code == 403
    text = response.content.decode()
    assert "Akses ditolak" in text and "Hanya operator Bappeda" in text
    _no_debug(text)


@pytest.mark.django_db
def test_csrf_failure_is_the_indonesian_page(as_production, reference):
    from tests.factories import UserFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="kadis", role="agency_head"))
    response = client.post(reverse("logout"), secure=True, headers={"referer": "https://testserver/keluarga/"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Formulir kedaluwarsa" in text and "Tidak ada data yang diubah" in text
    _no_debug(text)


@pytest.mark.django_db
def test_400_for_a_foreign_host_is_the_indonesian_page(as_production):
    response = Client().get("/masuk/", secure=True, headers={"host": "registri.palsu.example"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Permintaan tidak valid" in text and "registri.palsu.example" not in text
    _no_debug(text)


@pytest.mark.django_db
def test_500_is_the_indonesian_page_and_reveals_nothing(as_production, reference, monkeypatch):
    from agencies import views
    from tests.factories import UserFactory

    def broken(user):
        raise RuntimeError("password=rahasia-db koneksi putus")

    monkeypatch.setattr(views, "visible_agencies", broken)
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="bappeda", role="bappeda_operator"))
    response = client.get("/", secure=True)
    assert response.status_code == 500
    text = response.content.decode()
    assert "Terjadi kesalahan" in text and 'lang="id"' in text
    assert "rahasia-db" not in text and "RuntimeError" not in text
    _no_debug(text)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["500.html", "400.html", "403_csrf.html"])
def test_standalone_error_pages_need_no_database_and_no_base_template(name):
    """These render when something already failed, or without a request: nothing in them may fail."""
    template = get_template(name)
    source = Path(template.origin.name).read_text()
    for fragile in ("{% extends", "{% include", "{% static", "{% url", "user.", "request."):
        assert fragile not in source, fragile
    with CaptureQueriesContext(connection) as queries:
        text = template.render({})
    assert len(queries) == 0 and 'lang="id"' in text


@pytest.mark.parametrize("name", ["403.html", "404.html"])
def test_error_pages_exist_in_the_project(name):
    assert Path(get_template(name).origin.name).parent.name == "templates"


# --- uploads are never served -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_workbook_is_not_reachable_under_any_url(reference, settings):
    from tests.factories import UserFactory

    bappeda = UserFactory(username="bappeda", role="bappeda_operator")
    secret = b"PK\x03\x04 NIK 7409014501800001 rahasia"
    batch = batch_create(kind="p3ke", files=[("p3ke-rahasia.xlsx", ContentFile(secret, name="p3ke-rahasia.xlsx"))], by=bappeda)
    stored = batch.file.name  # e.g. imports/2026/11/p3ke-rahasia.xlsx
    assert Path(settings.MEDIA_ROOT, stored).read_bytes() == secret
    basename = Path(stored).name
    candidates = [
        f"/media/{stored}", f"/media/{basename}", f"/static/{stored}", f"/static/{basename}", f"/{stored}",
        f"/{basename}", f"/private/{stored}", f"/var/private/{stored}", f"/admin/{stored}",
        f"{settings.MEDIA_URL}{stored}", f"/static/../private/{stored}", f"/static/%2e%2e/private/{stored}",
    ]
    for user in (None, bappeda):
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in candidates:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code in (302, 404), (url, response.status_code)
            assert secret not in body, url
    assert Household.objects.count() == 0
