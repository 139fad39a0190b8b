"""The verval journey in a real headless Chromium at 1366x768, against the live test server.

Wanggudu Raya (Asera) has two PKH families ranked above PKH's limit (desil 1-4) and one within it.
Bappeda opens cases for the village's inclusion candidates and assigns them to a PKH facilitator;
the facilitator records two visits (one family not eligible, one eligible); Bappeda records the
village deliberation, the head of Dinas Sosial the verification, and the Bupati approves. The
ineligible family's PKH enrollment is then suspended, with history, and the proposal file holds
exactly the approved rows, NIKs as 16-digit text.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from agencies.models import Agency, Role
from households.identifiers import make_nik
from households.models import Desa
from programs.models import Enrollment, EnrollmentStatus, Program
from tests.browser import browser_marks
from tests.factories import EnrollmentFactory, HouseholdFactory, UserFactory

from .conftest import PASSWORD, Screen

pytestmark = [*browser_marks, pytest.mark.django_db(transaction=True)]
WIDTH = 1366


@pytest.fixture
def world(reference):
    desa = Desa.objects.get(code="74.09.01.2006")
    pkh = Program.objects.get(code="pkh")
    year = timezone.localdate().year
    families = {}
    for serial, (name, desil) in enumerate((("LA ODE MBULU", 6), ("WA ODE SITI", 5), ("HASAN RAHIM", 3)), start=1):
        home = HouseholdFactory(
            desa=desa, desil=desil, head_name=name, address=f"Jl. Poros Asera No. {serial}",
            head_nik=make_nik(region="740901", birth=datetime.date(1978, 4, serial), female=False, serial=serial),
            no_kk=f"74090105011500{serial:02d}", floor_type="semen", water_source="sumur_terlindung",
        )
        families[name] = SimpleNamespace(household=home, enrollment=EnrollmentFactory(household=home, program=pkh, year=year))
    dinsos = Agency.objects.get(code="dinsos")
    return SimpleNamespace(
        families=families,
        bappeda=UserFactory(username="rina.bappeda", role=Role.BAPPEDA_OPERATOR, first_name="Rina", last_name="Operator"),
        kadis=UserFactory(username="kadis.dinsos", role=Role.AGENCY_HEAD, agency=dinsos, first_name="Kepala", last_name="Dinsos"),
        officer=UserFactory(username="pendamping.ani", role=Role.FIELD_OFFICER, agency=dinsos, first_name="Ani", last_name="Pendamping"),
        bupati=UserFactory(username="bupati", role=Role.LEADERSHIP, first_name="Bupati", last_name="Konawe Utara"),
        desa=desa,
    )


@pytest.fixture
def open_screen(chromium, live_server):
    contexts = []

    def make() -> Screen:
        context = chromium.new_context(
            accept_downloads=True, locale="id-ID", timezone_id="Asia/Makassar", viewport={"width": WIDTH, "height": 768}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Screen(page, live_server.url)

    yield make
    for context in contexts:
        context.close()


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, page.url


def log_in(screen: Screen, username: str) -> None:
    screen.log_in(username)
    assert PASSWORD  # the factories' password


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_verval_journey(world, open_screen, tmp_path):
    today = timezone.localdate().strftime("%d/%m/%Y")
    mbulu, siti = world.families["LA ODE MBULU"], world.families["WA ODE SITI"]

    # Bappeda: the village's inclusion candidates, all opened as one batch, assigned to the facilitator.
    bappeda = open_screen()
    log_in(bappeda, "rina.bappeda")
    page = bappeda.page
    bappeda.goto("/dasbor/")
    assert page.locator("#verval-inclusion .dash-card-value").inner_text() == "2"
    click_and_wait(page, page.locator("#verval-inclusion"))
    page.select_option("select[name=desa]", str(world.desa.pk))
    click_and_wait(page, page.get_by_role("button", name="Terapkan"))
    assert page.locator("#candidate-total").inner_text() == "2"
    fits(page)
    click_and_wait(page, page.locator("#open-village"))
    assert "2 kasus dibuka." in bappeda.messages("success")[0]
    batch_url = page.url
    for checkbox in page.locator("#cases input[name=case]").all():
        checkbox.check()
    page.select_option("select[name=officer]", label="Ani Pendamping · Dinas Sosial")
    click_and_wait(page, page.locator("#assign-button"))
    assert "2 kasus ditugaskan kepada Ani Pendamping." in bappeda.messages("success")[0]
    fits(page)

    # The facilitator: her own list, two visits.
    officer = open_screen()
    log_in(officer, "pendamping.ani")
    page = officer.page
    assert page.url.endswith("/verval/tugas/")
    assert page.locator("#my-cases tbody tr").count() == 2
    fits(page)
    for family, verdict, floor in ((mbulu, "tidak_layak", "keramik"), (siti, "layak", "tanah")):
        click_and_wait(page, page.locator("#my-cases tr", has_text=family.household.head_name).get_by_role("link"))
        page.fill("#id_visited_on", today)
        page.select_option("#id_presence", "ditemukan")
        page.select_option("#id_verdict", verdict)
        page.select_option("#id_floor_type", floor)
        page.fill("#id_note", "Dikunjungi bersama kepala dusun.")
        fits(page)
        click_and_wait(page, page.locator("#record-visit"))
        assert f"Hasil kunjungan {family.household.head_name} dicatat." in officer.messages("success")[0]
    # Recording changed nothing yet.
    assert Enrollment.objects.get(pk=mbulu.enrollment.pk).status == EnrollmentStatus.ACTIVE

    # Bappeda records the village deliberation.
    page = bappeda.page
    bappeda.page.goto(batch_url)
    page.fill("#id_held_on", today)
    page.fill("#id_outcome", "Musyawarah Desa Wanggudu Raya menyepakati hasil kunjungan.")
    click_and_wait(page, page.locator("#deliberation-form button[type=submit]"))
    assert page.locator("#batch-stage").inner_text() == "Musyawarah desa dicatat"

    # The head of Dinas Sosial verifies.
    kadis = open_screen()
    log_in(kadis, "kadis.dinsos")
    kadis.page.goto(batch_url)
    kadis.page.fill("#id_note", "Sesuai hasil pendampingan.")
    click_and_wait(kadis.page, kadis.page.locator("#verify-form button[type=submit]"))
    assert kadis.page.locator("#batch-stage").inner_text() == "Diverifikasi Dinas Sosial"

    # The Bupati sees the counts, no names, and approves.
    bupati = open_screen()
    log_in(bupati, "bupati")
    page = bupati.page
    page.goto(batch_url)
    assert page.locator("#case-total").inner_text() == "2"
    assert "LA ODE MBULU" not in page.content()
    fits(page)
    page.check("#approve-confirm")
    click_and_wait(page, page.locator("#approve-button"))
    assert "1 kepesertaan ditangguhkan" in bupati.messages("success")[0]
    assert page.locator("#batch-stage").inner_text() == "Disahkan Bupati"
    assert page.locator("#approve-button").count() == 0

    suspended = Enrollment.objects.get(pk=mbulu.enrollment.pk)
    assert suspended.status == EnrollmentStatus.SUSPENDED
    assert list(suspended.history.order_by("history_id").values_list("status", flat=True)) == ["active", "suspended"]
    assert suspended.history.order_by("-history_id").first().history_user == world.bupati
    assert Enrollment.objects.get(pk=siti.enrollment.pk).status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.get(pk=world.families["HASAN RAHIM"].enrollment.pk).status == EnrollmentStatus.ACTIVE

    # The proposal file: exactly the two approved rows, NIK as 16-digit text.
    page = bappeda.page
    page.goto(batch_url)
    fits(page)
    with page.expect_download() as download:
        page.locator("#proposal-link").click()
    path = tmp_path / "usulan.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    nik_column = header.index("NIK")
    assert sorted((r[nik_column].value, r[header.index("Jenis Usulan")].value) for r in rows) == sorted([
        (mbulu.household.head_nik, "Usulan hapus"), (siti.household.head_nik, "Perbaikan data"),
    ])
    for row in rows:
        assert row[nik_column].data_type == "s" and len(row[nik_column].value) == 16 and row[nik_column].value.isdigit()
    page.reload()
    assert "usulan-verval-" in page.locator(".card").first.inner_text()
    for screen in (bappeda, officer, kadis, bupati):
        screen.assert_clean()
