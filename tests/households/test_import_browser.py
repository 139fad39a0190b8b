"""The re-sync trap in a real Chromium at 1366x768: Bappeda uploads an older full extract, sees the
warning with the count, cancels, and nothing is marked absent."""

from __future__ import annotations

import pytest

from households.models import Household, ImportBatch, ImportStatus
from tests.browser import browser_marks, launched_chromium, watch_problems
from tests.factories import UserFactory

from .conftest import HH_2022, household_row, write_xlsx
from .test_import_bad_input import registry_state, run

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]
PASSWORD = "rahasia-uji-123"


def test_older_full_extract_warns_with_the_count_and_cancel_marks_nothing(live_server, reference, p3ke_file, tmp_path):
    families = [household_row(str(122100001 + i), 100 + i) for i in range(40)]
    rows = [
        {
            "ID Keluarga P3KE": row["ID Keluarga P3KE"], "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya",
            "Kode Kemdagri": "7409012006", "Desil Kesejahteraan": "2", "Kepala Keluarga": row["Nama Kepala Keluarga"],
            "NIK": row["NIK Kepala Keluarga"], "Jenis Kelamin": "Laki-laki", "Tanggal Lahir": "1980-01-05",
        }
        for row in families
    ]
    # The families of the 2022 release, three of which (a kecamatan's share) the 2023 release updated.
    assert run("import_p3ke", str(write_xlsx(tmp_path / "registry-2022.xlsx", {"KEPALA-KELUARGA": (HH_2022, rows)})))[0] == 0
    assert run("import_p3ke", str(p3ke_file(households=families[:3], members=[], name="2023.xlsx")), "--partial")[0] == 0
    older = write_xlsx(tmp_path / "p3ke-2022.xlsx", {"KEPALA-KELUARGA": (HH_2022, rows[:3])})
    UserFactory(username="bappeda", role="bappeda_operator")
    before = registry_state()

    with launched_chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID", timezone_id="Asia/Makassar")
        page = context.new_page()
        page.set_default_timeout(20_000)
        problems: list[str] = []
        watch_problems(page, problems)
        page.goto(live_server.url + "/admin/login/?next=/admin/households/importbatch/unggah/")
        page.fill("#id_username", "bappeda")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/importbatch/unggah/")

        full = page.locator("input[name=full_extract]")
        assert not full.is_checked()  # never pre-ticked
        page.set_input_files("input[name=file]", str(older))
        full.check()
        page.click("input[type=submit].default")
        page.wait_for_url("**/pratinjau/")
        page.wait_for_selector(".absent-check")
        warning = page.locator(".absent-check").inner_text()
        assert "37 keluarga akan ditandai tidak ada di data terbaru" in warning
        assert "dari 40 keluarga saat ini" in warning
        assert "Berkas ini data tahun 2022, lebih lama dari data terbaru di registri (2023)." in warning
        confirm = page.get_by_label("Saya mengerti: tandai 37 keluarga tidak ada di data terbaru")
        assert confirm.is_visible() and not confirm.is_checked()

        # Confirming without the checkbox does not go through (the browser asks for it first).
        page.get_by_role("button", name="Konfirmasi impor").click()
        batch = ImportBatch.objects.get(original_name="p3ke-2022.xlsx")
        assert batch.status == ImportStatus.PREVIEWED

        page.get_by_role("button", name="Batalkan").click()
        page.wait_for_url("**/importbatch/")
        assert "dibatalkan; tidak ada data yang diubah" in page.locator(".messagelist").inner_text()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        context.close()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert registry_state() == before and not Household.objects.filter(is_absent=True).exists()
    assert scroll_width <= 1366
    assert not problems, problems
