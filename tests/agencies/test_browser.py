"""The portal in a real headless Chromium (Debian's package, driven by Playwright)."""

import datetime

from openpyxl import load_workbook

from programs.models import Enrollment, EnrollmentStatus
from tests.agencies.conftest import PASSWORD
from tests.browser import browser_marks, browser_page, launched_chromium  # noqa: F401  (fixture)

pytestmark = browser_marks


def test_agency_head_works_through_the_list(live_server, registry, browser_page, tmp_path):
    page, problems = browser_page
    hh = registry.hh

    # Anonymous: the login page; log in as the head of Dinas Sosial, land on the agency's list.
    page.goto(live_server.url + "/")
    assert "/masuk/" in page.url
    page.fill("#id_username", "kadis-dinsos")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/keluarga/")
    assert page.locator("h1").inner_text() == "Daftar keluarga sasaran"
    assert page.locator("#total-households").inner_text() == "5"

    # Filter: proposed enrollments only.
    page.select_option("select[name=status]", "proposed")
    page.click("text=Terapkan")
    page.wait_for_url("**status=proposed**")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 2
    assert page.locator("table.list").get_by_text("Siti Tosuli").count() == 0

    # Open a household and accept it.
    page.click(f"text={hh.a.head_name}")
    page.wait_for_url(f"**/keluarga/{hh.a.pk}/**")
    assert page.locator("h1").inner_text() == hh.a.head_name
    assert page.get_by_text("Fatimah Lapodi").count() == 1
    page.locator(f"#kepesertaan-{registry.enr.a_pkh.pk}").get_by_role("button", name="Terima").click()
    page.wait_for_selector(".messages li.success")
    assert "Keluarga diterima" in page.locator(".messages li.success").inner_text()
    assert Enrollment.objects.get(pk=registry.enr.a_pkh.pk).status == EnrollmentStatus.ACTIVE

    # Back to the filtered list: the accepted household is no longer proposed. Export it.
    page.click("text=Kembali ke daftar")
    page.wait_for_url("**status=proposed**")
    assert page.locator("#total-households").inner_text() == "1"
    with page.expect_download() as download_info:
        page.click("#export-link")
    path = tmp_path / "ekspor.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[4] for row in rows] == [hh.f.head_name]
    assert rows[0][3] == hh.f.head_nik

    # Another agency's household: refused.
    response = page.goto(f"{live_server.url}/keluarga/{hh.c.pk}/")
    assert response.status == 404
    assert hh.c.head_name not in page.content()

    # No script or style was blocked by the content security policy along the way.
    assert not [text for text in problems if "Content Security Policy" in text], problems


def test_an_english_browser_records_a_delivery_day_first(live_server, registry):
    """An English browser's date picker reads mm/dd/yyyy; the delivery date is a text box that
    takes dd/mm/yyyy, as every page writes dates, whatever the browser's language."""
    enrollment = registry.enr.b_sembako
    with launched_chromium() as browser:
        context = browser.new_context(locale="en-US", timezone_id="Asia/Makassar")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/masuk/")
        page.fill("#id_username", "kadis-dinsos")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/keluarga/")
        page.goto(f"{live_server.url}/keluarga/{registry.hh.b.pk}/")
        line = page.locator(f"#kepesertaan-{enrollment.pk}")
        line.locator("summary", has_text="Catat penyaluran").click()
        day = line.locator("input[name=delivered_on]")
        assert day.get_attribute("type") == "text" and day.get_attribute("placeholder") == "dd/mm/yyyy"
        assert line.locator("input[name=amount]").input_value() == "600.000"
        day.fill("05/01/2024")
        line.get_by_role("button", name="Simpan penyaluran").click()
        page.wait_for_selector(".messages li.success")
        assert line.locator("td").nth(5).inner_text() == "05/01/2024"
        context.close()
    enrollment.refresh_from_db()
    assert enrollment.delivered_on == datetime.date(2024, 1, 5)
