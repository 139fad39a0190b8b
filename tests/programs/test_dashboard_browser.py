"""The dashboard's charts and the rule admin's live preview in a real headless Chromium, under the
application's strict content security policy (no inline script or style, nothing from a CDN)."""

from urllib.parse import parse_qs, urlsplit


from tests.browser import browser_marks, browser_page  # noqa: F401  (fixture)
from tests.programs.test_dashboard import YEAR, registry  # noqa: F401  (the hand-counted registry)
from tests.programs.test_targeting import village  # noqa: F401

PASSWORD = "rahasia-uji-123"

pytestmark = browser_marks


def log_in(page, base_url, username):
    page.goto(base_url + "/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_charts_draw_under_the_csp_and_a_bar_opens_its_households(live_server, registry, browser_page):  # noqa: F811
    page, problems = browser_page
    log_in(page, live_server.url, registry.users.bappeda.username)
    page.goto(f"{live_server.url}/dasbor/?year={YEAR}")
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0 && !!window.Chart")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => [c.dataset.chart, !!Chart.getChart(c)])"
    )
    assert dict(drawn) == {key: True for key in ("desil", "kecamatan", "kantong", "klaster", "opd", "program")}
    assert problems == []

    # Click the "belum tersentuh" bar of the only kecamatan: the household list behind it opens.
    page.locator("canvas[data-chart='kecamatan']").scroll_into_view_if_needed()
    point = page.evaluate(
        """() => {
            const canvas = document.querySelector("canvas[data-chart='kecamatan']");
            const box = canvas.getBoundingClientRect();
            const bar = Chart.getChart(canvas).getDatasetMeta(1).data[0].getCenterPoint();
            return [box.left + bar.x, box.top + bar.y];
        }"""
    )
    page.mouse.click(*point)
    page.wait_for_url("**/keluarga/**")
    params = parse_qs(urlsplit(page.url).query)
    assert params == {"desil": ["1"], "aid": ["none"], "aid_year": [str(YEAR)], "kecamatan": [str(registry.asera.pk)]}


def test_rule_admin_preview_updates_while_typing(live_server, village, browser_page, django_user_model):  # noqa: F811
    from agencies.models import Role
    from programs.models import Program
    from tests.factories import UserFactory

    page, problems = browser_page
    UserFactory(username="bappeda-browser", role=Role.BAPPEDA_OPERATOR)
    log_in(page, live_server.url, "bappeda-browser")
    page.goto(live_server.url + "/admin/programs/targetingrule/add/")
    page.select_option("#id_program", str(Program.objects.get(code="rutilahu").pk))
    page.select_option("#id_conditions-0-field", "unfit_house")
    page.select_option("#id_conditions-0-operator", "yes")
    page.wait_for_selector("#rule-preview tfoot")
    total = page.locator("#rule-preview tfoot th").nth(1).inner_text()
    assert total == "4"  # earth, bamboo, roof, nodesil
    page.select_option("#id_conditions-0-field", "desil")
    page.select_option("#id_conditions-0-operator", "lte")
    page.fill("#id_conditions-0-value", "1")
    page.wait_for_function("() => document.querySelector('#rule-preview tfoot th:nth-child(2)')?.textContent === '2'")
    assert [p for p in problems if "Content Security Policy" in p] == []
