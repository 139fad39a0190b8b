"""Three end-to-end journeys in a real headless Chromium (Debian's package, driven by Playwright),
against the live test server, checking what the screen shows at every step.

1. A Bappeda operator imports a P3KE extract with bad rows, resolves the one-aid conflicts it
   raised, and distributes the desil-1 households to the housing agency's BSPS program.
2. That agency's head accepts a household, records a delivery and exports the list.
3. The Bupati reads the dashboard, drills from a poverty pocket to its households, and can change
   nothing.

The world they work in is described in ``conftest.py``.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from dedup.models import Conflict, ConflictStatus
from households.models import Household, ImportBatch, Member
from programs.models import Enrollment, EnrollmentStatus
from tests.browser import browser_marks

from .conftest import DESIL_1, FAMILIES, GOOD, POCKET, head_nik, no_kk

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]

BSPS = "Bantuan Stimulan Perumahan Swadaya (BSPS)"
PKH = "Program Keluarga Harapan (PKH)"
SEMBAKO = "Program Sembako (BPNT)"
BPUM = "Bantuan Produktif Usaha Mikro (BPUM)"


def names(families) -> list[str]:
    return sorted(f[1] for f in families)


def table_rows(page, selector: str) -> list[list[str]]:
    """The visible cells of a table body, row by row."""
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))",
    )


def click_and_wait(page, locator) -> None:
    """Click something that loads a new page, and wait for that page."""
    with page.expect_navigation():
        locator.click()


# --- Journey 1 ----------------------------------------------------------------------------------------


def test_journey_1_bappeda_imports_resolves_conflicts_and_distributes(screen, people, extract, tmp_path):
    page = screen.page
    year = timezone.localdate().year

    # Anonymous: the login page. The operator logs in and lands on Bappeda's home.
    screen.goto("/")
    expect(page).to_have_url(re.compile(r"/masuk/"))
    screen.log_in("rina.bappeda")
    expect(page.locator("h1")).to_have_text("Beranda")
    expect(page.locator(".account .who")).to_contain_text("Rina Operator")

    # Through the admin to the upload page.
    click_and_wait(page, page.locator(".tile", has_text="Administrasi data"))
    expect(page.locator("tr.model-importbatch th")).to_have_text("Batch impor")
    click_and_wait(page, page.locator("tr.model-importbatch a.addlink"))
    expect(page).to_have_url(re.compile(r"/admin/households/importbatch/unggah/$"))
    expect(page.locator("h1")).to_have_text("Unggah data P3KE, DTKS atau daftar penerima")

    # Upload the extract: the preview was prepared in the background (immediately in tests).
    page.set_input_files("#id_file", str(extract))
    click_and_wait(page, page.get_by_role("button", name="Unggah dan periksa"))
    batch = ImportBatch.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/households/importbatch/{batch.pk}/pratinjau/$"))
    assert "Berkas diterima; pratinjau sedang disiapkan." in screen.messages()
    summary = page.locator("section.import-summary")
    expect(summary).to_contain_text("Status: Pratinjau siap")
    counts = table_rows(page, "table.counts")
    assert counts == [["Keluarga", "6", "0", "0", "0"], ["Anggota keluarga", "12", "0", "0", "0"]]
    facts = summary.locator("ul.facts li").all_inner_texts()
    assert "Baris dibaca: 25" in facts
    assert "Baris dengan kesalahan: 7 (7 kesalahan)" in facts
    assert "Tahun data: 2023" in facts
    # PKH + Sembako and PKH + BPUM: four enrollments, however many member rows repeat "Penerima ...: Ya".
    assert "Kepesertaan dari kolom Penerima/daftar: 4" in facts
    errors = table_rows(page, "section.import-summary > table.issues")
    assert errors[:3] == [
        ["KEPALA-KELUARGA", "8", "Desil Kesejahteraan", "Desil harus antara 1 dan 10, bukan 11"],
        ["KEPALA-KELUARGA", "9", "Kode Kemdagri", "Desa dengan kode 7402012001 berada di luar wilayah yang dimuat (Kabupaten Konawe Utara); "
         "bila ini kode BPS (bukan Kode Kemdagri), isi nama Kecamatan dan Desa/Kelurahan desa di wilayah ini agar keluarga "
         "ditempatkan menurut nama, atau isi Kode Kemdagri"],
        ["KEPALA-KELUARGA", "10", "NIK Kepala Keluarga",
         "NIK rusak oleh Excel (tersimpan sebagai angka, digit terakhir hilang); ketik ulang sebagai teks"],
    ]
    assert errors[3] == ["INDIVIDU", "14", "ID Keluarga P3KE", "Keluarga 122300007 ditolak (lihat baris 8 di lembar keluarga)"]
    assert len(errors) == 7
    assert not Household.objects.exists()  # a preview writes nothing

    # The error report: exactly the bad rows, as they were, with the reason next to each.
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh laporan kesalahan dan peringatan (.xlsx)").click()
    report_path = tmp_path / "laporan.xlsx"
    download.value.save_as(report_path)
    assert download.value.suggested_filename == f"laporan-kesalahan-batch-{batch.pk}.xlsx"
    report = load_workbook(report_path)
    sheet = report["KEPALA-KELUARGA"]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["Baris asal", "Alasan kesalahan"]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["ID Keluarga P3KE"], r["Nama Kepala Keluarga"], r["Baris asal"]) for r in rows] == [
        ("122300007", "YUSUF TAMBURAKA", 8), ("122300008", "NUR LAUMBU", 9), ("122300009", "IRMA SARANANI", 10),
    ]
    assert "Desil harus antara 1 dan 10, bukan 11" in rows[0]["Alasan kesalahan"]
    assert "di luar wilayah yang dimuat (Kabupaten Konawe Utara)" in rows[1]["Alasan kesalahan"]
    assert "NIK rusak oleh Excel" in rows[2]["Alasan kesalahan"]
    members_sheet = report["INDIVIDU"]
    member_header = [c.value for c in members_sheet[1]]
    member_rows = [dict(zip(member_header, row)) for row in members_sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["ID Keluarga P3KE"], r["Baris asal"]) for r in member_rows] == [
        ("122300007", 14), ("122300007", 15), ("122300008", 16), ("122300008", 17),
    ]
    assert all("ditolak" in r["Alasan kesalahan"] for r in member_rows)
    assert not Household.objects.exists()

    # Confirm "import the valid rows": the six good families and their twelve members are written.
    page.get_by_label("Impor baris valid saja; lewati baris yang salah").check()
    click_and_wait(page, page.get_by_role("button", name="Konfirmasi impor"))
    assert "Impor dikonfirmasi dan sedang dijalankan di latar belakang." in screen.messages()
    expect(summary).to_contain_text("Status: Selesai diimpor")
    facts = summary.locator("ul.facts li").all_inner_texts()
    assert "Kepesertaan dibuat: 4, sudah ada: 0, konflik satu bantuan: 2 · Tinjau 2 konflik baru" in facts
    expect(page.get_by_role("button", name="Konfirmasi impor")).to_have_count(0)
    assert sorted(Household.objects.values_list("head_name", flat=True)) == names(GOOD)
    assert Member.objects.count() == 12

    # The conflicts the import raised, in the conflict admin (the main navigation's Admin, then the model).
    click_and_wait(page, page.locator(".konut-mainnav").get_by_role("link", name="Admin"))
    click_and_wait(page, page.locator("#content-main").get_by_role("link", name="Konflik satu bantuan"))
    expect(page).to_have_url(re.compile(r"/admin/dedup/conflict/$"))
    expect(page.locator("h1")).to_have_text(re.compile("konflik satu bantuan", re.I))
    listed = {row[2]: row for row in table_rows(page, "#result_list")}
    assert set(listed) == {"LA ODE SABARA", "WA ODE HASNAH"}
    sabara, hasnah = listed["LA ODE SABARA"], listed["WA ODE HASNAH"]
    assert {sabara[4], sabara[5]} == {f"{PKH} 2023 (Aktif)", f"{SEMBAKO} 2023 (Aktif)"}
    assert {hasnah[4], hasnah[5]} == {f"{PKH} 2023 (Aktif)", f"{BPUM} 2023 (Aktif)"}
    assert sabara[3].split("\n") == ["Wanggudu Raya", "Asera"]
    assert sabara[7] == hasnah[7] == "Terbuka"

    # One: approve PKH + Sembako as an exception. Without a reason it is refused, nothing changes.
    approved = Conflict.objects.get(household__p3ke_id="122300001")
    click_and_wait(page, page.locator("#result_list").get_by_role("link", name=f"#{approved.pk}", exact=True))
    expect(page.locator(".field-household_link")).to_contain_text("LA ODE SABARA")
    page.select_option("#id_decision", "approve")
    click_and_wait(page, page.locator("input[name=_save]"))
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-reason .errorlist")).to_have_text("Alasan persetujuan wajib diisi.")
    approved.refresh_from_db()
    assert approved.status == ConflictStatus.OPEN
    page.select_option("#id_decision", "approve")
    page.fill("#id_reason", "PKH dan Sembako dirancang untuk digabung (paket nasional).")
    click_and_wait(page, page.locator("input[name=_save]"))
    assert any(f"#{approved.pk}" in text for text in screen.messages("success")), screen.messages()
    row = {r[2]: r for r in table_rows(page, "#result_list")}["LA ODE SABARA"]
    assert row[7] == "Disetujui sebagai pengecualian" and row[9].startswith("rina.bappeda, ")
    approved.refresh_from_db()
    assert approved.decision_reason == "PKH dan Sembako dirancang untuk digabung (paket nasional)."

    # Two: keep PKH and cancel BPUM, with the list's bulk action.
    resolved = Conflict.objects.select_related("enrollment_a__program").get(household__p3ke_id="122300002")
    bpum_side = "a" if resolved.enrollment_a.program.code == "bpum" else "b"
    action = "keep_b_cancel_a" if bpum_side == "a" else "keep_a_cancel_b"
    page.locator(f"input[name=_selected_action][value='{resolved.pk}']").check()
    page.select_option("select[name=action]", action)
    click_and_wait(page, page.locator("button[name=index]"))
    assert f"1 konflik diselesaikan: kepesertaan {bpum_side.upper()} dibatalkan." in screen.messages("success")
    row = {r[2]: r for r in table_rows(page, "#result_list")}["WA ODE HASNAH"]
    assert row[7] == "Diselesaikan (satu dibatalkan)"
    assert f"{BPUM} 2023 (Dibatalkan)" in (row[4], row[5]) and f"{PKH} 2023 (Aktif)" in (row[4], row[5])

    # The household page in the portal shows the cancelled BPUM with the reason.
    hasnah_hh = Household.objects.get(p3ke_id="122300002")
    screen.goto(f"/keluarga/{hasnah_hh.pk}/")
    expect(page.locator("h1")).to_have_text("WA ODE HASNAH")
    aid = {r[0]: r for r in table_rows(page, "main table:has(th:text('Program'))")}
    assert aid[BPUM][3] == "Dibatalkan" and f"konflik satu bantuan #{resolved.pk}" in aid[BPUM][7]
    assert aid[PKH][3] == "Aktif"
    expect(page.locator("#konflik")).to_have_count(0)

    # Distribute the desil-1 households to Disperkim's BSPS for this year.
    click_and_wait(page, page.locator(".mainnav").get_by_role("link", name="Daftar keluarga"))
    page.select_option("select[name=desil]", "1")
    click_and_wait(page, page.get_by_role("button", name="Terapkan"))
    expect(page.locator("#total-households")).to_have_text(str(len(DESIL_1)))
    shown = [r[1] for r in table_rows(page, "table.list")]
    assert sorted(shown) == names(DESIL_1)
    expect(page.locator("table.list .badge.conflict")).to_have_count(0)  # both conflicts decided
    form = page.locator("#distribute-form")
    form.locator("select[name=program]").select_option("bsps")
    expect(form.locator("input[name=year]")).to_have_value(str(year))
    form.get_by_label(f"Semua {len(DESIL_1)} keluarga hasil filter").check()
    click_and_wait(page, form.get_by_role("button", name="Distribusikan"))
    assert screen.messages("success") == [
        f"{len(DESIL_1)} keluarga diusulkan ke {BSPS} {year}; 0 sudah terdaftar sebelumnya; 0 konflik satu bantuan ditandai."
    ]
    assert screen.messages("warning") == []  # no new one-aid conflict this year
    expect(page).to_have_url(re.compile(r"desil=1"))
    for row in table_rows(page, "table.list"):
        assert f"{BSPS} · {year} · Diusulkan" in row[6], row
    proposed = Enrollment.objects.filter(program__code="bsps", year=year, status=EnrollmentStatus.PROPOSED)
    assert sorted(proposed.values_list("household__head_name", flat=True)) == names(DESIL_1)

    screen.assert_clean()


# --- Journey 2 ----------------------------------------------------------------------------------------


def test_journey_2_agency_head_accepts_delivers_and_exports(screen, people, after_journey_one, tmp_path):
    page = screen.page
    year = after_journey_one.year
    households = after_journey_one.households
    asrul = households["122300003"]
    enrollment = Enrollment.objects.get(household=asrul, program__code="bsps", year=year)

    # The head of Disperkim logs in and lands on the agency's list: the four desil-1 households
    # Bappeda distributed, each with its BSPS proposal, identifiers in full.
    screen.log_in("kadis.perkim")
    expect(page).to_have_url(re.compile(r"/keluarga/$"))
    expect(page.locator("h1")).to_have_text("Daftar keluarga sasaran")
    expect(page.locator(".page-head .muted")).to_have_text("Dinas Perumahan dan Permukiman")
    expect(page.locator(".account .who")).to_have_text("Kepala Disperkim · Disperkim")
    expect(page.locator("#total-households")).to_have_text(str(len(DESIL_1)))
    rows = {row[0]: row for row in table_rows(page, "table.list")}
    assert sorted(rows) == names(DESIL_1)
    for index, family in enumerate(FAMILIES):
        if family in DESIL_1:
            row = rows[family[1]]
            assert row[1].split() == [head_nik(index), no_kk(index)]
            assert row[5] == f"{BSPS} · {year} · Diusulkan"  # only this agency's programs, not the PKH
    expect(page.locator("#distribute-form")).to_have_count(0)
    expect(page.locator("input[name=household]")).to_have_count(0)

    # Find one by name and open it.
    page.fill("input[name=q]", "asrul")
    click_and_wait(page, page.get_by_role("button", name="Terapkan"))
    expect(page.locator("#total-households")).to_have_text("1")
    click_and_wait(page, page.locator("table.list").get_by_role("link", name="ASRUL LAPOLO"))
    expect(page.locator("h1")).to_have_text("ASRUL LAPOLO")
    expect(page.locator(".page-head .muted")).to_have_text("Padalere, Kec. Wiwirano · Desil 1")
    members = [r[0] for r in table_rows(page, "section.card:has(h2:text('Anggota keluarga')) table")]
    assert members == ["ASRUL LAPOLO", "ANAK LAPOLO"]
    line = page.locator(f"#kepesertaan-{enrollment.pk}")
    expect(line.locator("td").nth(3)).to_have_text("Diusulkan")

    # Accept it.
    click_and_wait(page, line.get_by_role("button", name="Terima"))
    assert screen.messages("success") == [f"Keluarga diterima: {BSPS} {year} sekarang aktif."]
    expect(line.locator("td").nth(3)).to_have_text("Aktif")
    expect(line.get_by_role("button", name="Terima")).to_have_count(0)

    # Record the delivery: a date in the future is refused and changes nothing; then the real one.
    today = timezone.localdate()
    delivered_on = today - datetime.timedelta(days=3)
    line.locator("summary", has_text="Catat penyaluran").click()
    line.locator("input[name=delivered_on]").fill((today + datetime.timedelta(days=2)).strftime("%d/%m/%Y"))
    line.locator("input[name=amount]").fill("Rp 17.500.000")
    click_and_wait(page, line.get_by_role("button", name="Simpan penyaluran"))
    assert screen.messages("error") == ["Tanggal penyaluran tidak boleh di masa depan."]
    enrollment.refresh_from_db()
    assert enrollment.delivered_on is None and enrollment.amount is None
    line.locator("summary", has_text="Catat penyaluran").click()
    line.locator("input[name=delivered_on]").fill(delivered_on.strftime("%d/%m/%Y"))
    line.locator("input[name=amount]").fill("Rp 17.500.000")
    click_and_wait(page, line.get_by_role("button", name="Simpan penyaluran"))
    day = delivered_on.strftime("%d/%m/%Y")
    assert screen.messages("success") == [f"Penyaluran {BSPS} {year} dicatat: total tersalurkan Rp 17.500.000, terakhir {day}."]
    cells = line.locator("td").all_inner_texts()
    assert cells[5] == day and cells[6].split() == ["Rp", "17.500.000", "total", "tersalurkan"]
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.delivered_on, enrollment.amount) == (EnrollmentStatus.ACTIVE, delivered_on, 17_500_000)
    history = table_rows(page, "section.card:has(h2:text('Riwayat perubahan kepesertaan')) table")
    assert any(r[1] == "kadis.perkim" and r[4] == "Aktif" for r in history), history

    # Back to the list (the search is kept), then the whole list again with its totals.
    click_and_wait(page, page.get_by_role("link", name="Kembali ke daftar"))
    expect(page).to_have_url(re.compile(r"q=asrul"))
    click_and_wait(page, page.get_by_role("link", name="Atur ulang"))
    expect(page.locator("#total-households")).to_have_text(str(len(DESIL_1)))
    expect(page.locator(".totals .status-proposed strong")).to_have_text(str(len(DESIL_1) - 1))
    expect(page.locator(".totals .status-active strong")).to_have_text("1")
    expect(page.locator(".totals")).to_contain_text("Rp 17.500.000")
    shown = [row[0] for row in table_rows(page, "table.list")]

    # A household Bappeda did not send to this agency: not found, in Indonesian, nothing about it shown.
    screen.goto_refused(f"/keluarga/{households['122300006'].pk}/", 404)
    expect(page.locator("h1")).to_have_text("Halaman tidak ditemukan")
    expect(page.locator("body")).not_to_contain_text("HASAN LAMBULI")
    page.go_back()
    expect(page.locator("#total-households")).to_have_text(str(len(DESIL_1)))

    # Export: the rows shown, in order, NIK and No KK as 16-digit text, the delivery recorded.
    with page.expect_download() as download:
        page.locator("#export-link").click()
    path = tmp_path / "ekspor.xlsx"
    download.value.save_as(path)
    assert re.fullmatch(r"keluarga-sasaran-perkim-\d{8}-\d{4}\.xlsx", download.value.suggested_filename)
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["No", "ID Keluarga P3KE", "No KK", "NIK Kepala Keluarga", "Nama Kepala Keluarga"]
    exported = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r["Nama Kepala Keluarga"] for r in exported] == shown
    for excel_row in sheet.iter_rows(min_row=2):
        for column in ("No KK", "NIK Kepala Keluarga"):
            cell = excel_row[header.index(column)]
            assert cell.data_type == "s" and re.fullmatch(r"\d{16}", cell.value), (column, cell.value)
    by_name = {r["Nama Kepala Keluarga"]: r for r in exported}
    index = next(i for i, f in enumerate(FAMILIES) if f[0] == "122300003")
    assert by_name["ASRUL LAPOLO"]["NIK Kepala Keluarga"] == head_nik(index)
    assert by_name["ASRUL LAPOLO"]["No KK"] == no_kk(index)
    assert by_name["ASRUL LAPOLO"]["Status"] == "Aktif"
    assert by_name["ASRUL LAPOLO"]["Tanggal Penyaluran"].date() == delivered_on
    assert by_name["ASRUL LAPOLO"]["Nilai Tersalurkan (Rp)"] == 17_500_000
    assert by_name["ASRUL LAPOLO"]["Nilai Rencana (Rp)"] is None
    assert {r["Program"] for r in exported} == {BSPS}
    assert sorted(r["Status"] for r in exported) == ["Aktif"] + ["Diusulkan"] * (len(DESIL_1) - 1)

    screen.assert_clean()


# --- Journey 3 ----------------------------------------------------------------------------------------


def _post_forms(page) -> int:
    """Forms that send something to the server, other than logging out, choosing a language and the
    household list's filter (posted only to keep a searched NIK out of the address; it changes nothing)."""
    return page.locator("main form[method=post]:not(.filters)").count()


def test_journey_3_bupati_reads_the_dashboard_and_changes_nothing(screen, people, after_journey_one):
    page = screen.page
    year = after_journey_one.year
    households = after_journey_one.households

    # The Bupati logs in and lands on the dashboard for the latest year.
    screen.log_in("bupati")
    expect(page).to_have_url(re.compile(r"/dasbor/$"))
    expect(page.locator("h1")).to_have_text("Dasbor penanggulangan kemiskinan")
    expect(page.locator(".dash-sub")).to_have_text(f"Tahun kepesertaan {year}")
    nav = page.locator(".mainnav a").all_inner_texts()
    assert nav == ["Daftar keluarga", "Dasbor", "Verval"]  # no admin, no distribution; verval to approve batches
    page.wait_for_function("() => !!window.Chart && document.querySelectorAll('canvas[data-chart]').length > 0")
    assert _post_forms(page) == 0
    expect(page.locator("a[data-export]")).to_have_count(7)  # reading and downloading are allowed

    # Poverty pockets (folded: opened on demand): Padalere (Wiwirano) tops the table, every household
    # in every indicator; the page shows the percentages, each count in its title.
    page.locator("#tabel-kantong > summary").click()
    page.locator("#tabel-kantong .dash-table-fold > summary").click()
    pockets = table_rows(page, "#tabel-kantong table")
    assert pockets[0][:3] == ["Padalere", "Wiwirano", str(len(POCKET))]
    assert pockets[0][3:] == ["100,0 %"] * 5
    share = page.locator("#tabel-kantong tbody tr").first.locator("td").nth(3)
    assert share.get_attribute("title") == f"{len(POCKET)} dari {len(POCKET)} keluarga"
    assert pockets[1][0] == "Wanggudu Raya"

    # Drill down: the household count of Padalere opens exactly its households, read-only.
    first = page.locator("#tabel-kantong tbody tr").first
    click_and_wait(page, first.locator("td").nth(2).locator("a"))
    expect(page).to_have_url(re.compile(r"/keluarga/\?.*desa="))
    expect(page.locator("h1")).to_have_text("Daftar keluarga sasaran")
    expect(page.locator(".page-head .muted")).to_have_text("Semua OPD · hanya baca")
    expect(page.locator("#total-households")).to_have_text(str(len(POCKET)))
    rows = table_rows(page, "table.list")
    assert sorted(r[0] for r in rows) == names(POCKET)
    assert {r[2] for r in rows} == {"Padalere"}
    for row in rows:  # leadership sees identifiers masked
        nik, kk = row[1].split()
        assert re.fullmatch(r"7409\d{2}\*{10}", nik) and re.fullmatch(r"7409\d{2}\*{10}", kk), row
    expect(page.locator("input[name=household]")).to_have_count(0)
    expect(page.locator("#distribute-form")).to_have_count(0)
    assert _post_forms(page) == 0

    # One household: its aid and members, no action anywhere on the page.
    asrul = households["122300003"]
    click_and_wait(page, page.locator("table.list").get_by_role("link", name="ASRUL LAPOLO"))
    expect(page.locator("h1")).to_have_text("ASRUL LAPOLO")
    enrollment = Enrollment.objects.get(household=asrul, program__code="bsps")
    line = page.locator(f"#kepesertaan-{enrollment.pk}")
    expect(line.locator("td").nth(3)).to_have_text("Diusulkan")
    expect(line.locator("td.actions")).to_have_text("")
    expect(page.get_by_role("button", name="Terima")).to_have_count(0)
    expect(page.locator("summary", has_text="Catat penyaluran")).to_have_count(0)
    assert _post_forms(page) == 0
    nik = page.locator("dt:text('NIK kepala keluarga') + dd").inner_text()
    assert re.fullmatch(r"7409\d{2}\*{10}", nik)

    # Typing a Bappeda address: refused, in Indonesian, with the reason.
    screen.goto_refused("/dasbor/distribusi/", 403)
    expect(page.locator("h1")).to_have_text("Akses ditolak")
    expect(page.locator("#alasan")).to_have_text("Hanya operator Bappeda yang dapat mendistribusikan sasaran program.")
    screen.goto("/admin/dedup/conflict/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))

    # Writing anyway, with a valid session and CSRF token: every attempt is refused, nothing changes.
    before = sorted(Enrollment.objects.values_list("pk", "status", "amount"))
    conflicts_before = sorted(Conflict.objects.values_list("pk", "status"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    attempts = {
        f"/kepesertaan/{enrollment.pk}/terima/": {},
        f"/kepesertaan/{enrollment.pk}/tolak/": {"reason": "tidak layak"},
        f"/kepesertaan/{enrollment.pk}/salurkan/": {"delivered_on": "2026-01-02", "amount": "1000000"},
        "/keluarga/distribusi/": {"program": "spam", "year": str(year), "everything": "on"},
        "/dasbor/distribusi/spam/": {"year": str(year)},
    }
    for path, data in attempts.items():
        result = page.request.post(
            screen.url(path), form={"csrfmiddlewaretoken": token, **data}, headers={"X-CSRFToken": token, "Referer": screen.url("/")}
        )
        assert result.status == 403, (path, result.status)
    assert sorted(Enrollment.objects.values_list("pk", "status", "amount")) == before
    assert sorted(Conflict.objects.values_list("pk", "status")) == conflicts_before

    screen.assert_clean()
