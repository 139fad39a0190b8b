"""Headless Chromium for the browser tests: Debian's package, driven by Playwright.

Playwright never downloads a browser here; it drives the system's ``chromium`` (or the one named by
``CHROMIUM_PATH``). Tests that need it carry ``browser_marks`` and are skipped, with the reason,
where Chromium is not installed.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return configured if os.path.exists(configured) else shutil.which("chromium")


browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (apt-get install -y chromium)"),
]


@contextmanager
def launched_chromium():
    """A headless Chromium. Playwright's sync API keeps an event loop in this thread, so Django's
    async-safety guard is lifted while it runs: the test's own ORM calls between browser steps are
    ordinary synchronous calls."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
                close_test_connections()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def close_test_connections() -> None:
    """Close the database connections the test opened while Playwright's event loop ran: Django
    keeps them apart from the ones of the test run, and on PostgreSQL such a left-open session kept
    the test database from being dropped at the end of the run."""
    from django.db import connections

    connections.close_all()


def watch_problems(page, problems: list[str], *, ignore_urls: set[str] | None = None) -> None:
    """Collect script errors and console errors (content-security-policy refusals among them); a
    missing favicon is not a problem."""
    ignore_urls = ignore_urls if ignore_urls is not None else set()

    def on_console(message) -> None:
        source = (message.location or {}).get("url", "")
        if message.type == "error" and "favicon" not in source and source not in ignore_urls:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))


@pytest.fixture
def browser_page():
    """A fresh page in its own Chromium, and the list of problems seen on it."""
    with launched_chromium() as browser:
        context = browser.new_context(accept_downloads=True, locale="id-ID", timezone_id="Asia/Makassar")
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        watch_problems(page, problems)
        yield page, problems
        context.close()
