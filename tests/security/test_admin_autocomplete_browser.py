"""In a real headless Chromium, under the site's content security policy: a NIK or No KK typed in
the enrollment form's family picker is sent in a POST body, no address the browser asks carries it,
and the picker offers the family the number belongs to."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser import browser_marks, browser_page  # noqa: F401  (fixture)
from tests.security.test_admin_autocomplete import families  # noqa: F401  (fixture)

PASSWORD = "rahasia-uji-123"

pytestmark = browser_marks


@pytest.mark.parametrize("number", ["head_nik", "no_kk"])
def test_a_number_typed_in_the_family_picker_is_posted(live_server, families, bappeda_user, browser_page, number):  # noqa: F811
    page, problems = browser_page
    household, _member, _other = families
    typed = getattr(household, number)
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data or "")))
    page.goto(live_server.url + "/masuk/")
    page.fill("#id_username", bappeda_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server.url + reverse("admin:programs_enrollment_add"))
    page.click("#id_household + .select2 .select2-selection")
    page.fill(".select2-search__field", typed)
    # The list offered on opening (every family) gives way to what the number finds.
    expect(page.locator(".select2-results__option")).to_have_text(["Wa Ode Sitti"])
    page.locator(".select2-results__option", has_text="Wa Ode Sitti").click()
    assert page.locator("#id_household").input_value() == str(household.pk)

    asked = [(method, body) for method, url, body in sent if "/admin/autocomplete/" in url]
    assert asked and all(method == "POST" for method, _body in asked)
    assert any(f"term={typed}" in body for _method, body in asked)
    assert [url for _method, url, _body in sent if typed in url] == []
    assert problems == []
