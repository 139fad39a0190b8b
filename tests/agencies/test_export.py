"""The xlsx export holds exactly the filtered rows, with ID numbers as 16-digit text, and is logged.
Like the list, it has a Kabupaten/kota column only when several regencies are loaded."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from agencies.models import ExportLog
from households.models import Desa, Kabupaten
from programs.models import EnrollmentStatus
from programs.services import enrollment_create, enrollment_update
from tests.agencies.helpers import deliver
from tests.factories import EnrollmentFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content))
    return workbook.active


def _rows(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    return header, [dict(zip(header, row)) for row in data]


def test_export_holds_exactly_the_filtered_rows(registry, login):
    client = login(registry.users.head)
    response = client.get("/keluarga/ekspor/?kecamatan={}&desil=1".format(registry.desa.wanggudu.kecamatan_id))
    sheet = _sheet(response)
    header, rows = _rows(sheet)
    listed = client.get("/keluarga/?kecamatan={}&desil=1&per_page=200".format(registry.desa.wanggudu.kecamatan_id))
    assert [row["Nama Kepala Keluarga"] for row in rows] == [h.head_name for h in listed.context["page"].object_list]
    assert {row["ID Keluarga P3KE"] for row in rows} == {registry.hh.a.p3ke_id, registry.hh.d.p3ke_id, registry.hh.g.p3ke_id}
    assert header[:5] == ("No", "ID Keluarga P3KE", "No KK", "NIK Kepala Keluarga", "Nama Kepala Keluarga")
    assert "Desa/Kelurahan" in header and "Kecamatan" in header and "Status" in header
    # One regency: no regency column, as on the list page.
    assert "Kabupaten/kota" not in header
    assert header[header.index("Kecamatan") + 1] == "Desil"


def test_ids_are_sixteen_digit_text_cells(registry, login):
    sheet = _sheet(login(registry.users.head).get("/keluarga/ekspor/?q=Lapodi"))
    header = [cell.value for cell in sheet[1]]
    row = sheet[2]
    nik_cell = row[header.index("NIK Kepala Keluarga")]
    kk_cell = row[header.index("No KK")]
    for cell, expected in ((nik_cell, registry.hh.a.head_nik), (kk_cell, registry.hh.a.no_kk)):
        assert cell.data_type == "s" and cell.value == expected and len(cell.value) == 16
        assert cell.number_format == "@"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")


def test_export_columns_describe_the_aid(registry, login):
    _header, rows = _rows(_sheet(login(registry.users.head).get("/keluarga/ekspor/?q=Tosuli")))
    [row] = rows
    assert row["Program"] == "Program Sembako (BPNT)"
    # One program: one value per cell, the planned amount a number, nothing delivered yet.
    assert row["Tahun"] == 2024 and row["Status"] == "Aktif" and row["Nilai Rencana (Rp)"] == 600_000
    assert row["Tanggal Penyaluran"] is None and row["Nilai Tersalurkan (Rp)"] is None
    assert row["Desil"] == 2 and row["Jumlah Anggota"] == 1
    _header, rows = _rows(_sheet(login(registry.users.head).get("/keluarga/ekspor/?conflict=1")))
    assert [row["Konflik Satu Bantuan"] for row in rows] == ["Ada", "Ada"]  # d and f


def test_each_program_keeps_its_own_planned_and_delivered_aid(registry, login):
    """A family in several programs: the amounts and the day are per program, in the order of the
    Program and Status cells, and a planned amount never reads as one handed over."""
    client = login(registry.users.head)
    pkh = registry.enr.g_pkh  # 2024, rejected
    enrollment_update(enrollment=pkh, amount=600_000)  # the planned value kept on the rejected one
    sembako = enrollment_create(
        household=registry.hh.g, program=registry.programs["sembako"], year=2024, status=EnrollmentStatus.ACTIVE,
    ).enrollment
    deliver(client, sembako, delivered_on="20/03/2024", amount="200.000")
    enrollment_create(
        household=registry.hh.g, program=registry.programs["sembako"], year=2023, status=EnrollmentStatus.COMPLETED,
        amount=150_000, delivered_on=datetime.date(2023, 12, 10),
    )
    _header, rows = _rows(_sheet(client.get("/keluarga/ekspor/?q=Pagala")))
    [row] = rows
    assert row["Program"] == "Program Keluarga Harapan (PKH); Program Sembako (BPNT); Program Sembako (BPNT)"
    assert row["Tahun"] == "2024; 2024; 2023"
    assert row["Status"] == "Ditolak; Aktif; Selesai"
    assert row["Nilai Rencana (Rp)"] == "600.000; –; –"
    assert row["Tanggal Penyaluran"] == "–; 20/03/2024; 10/12/2023"
    assert row["Nilai Tersalurkan (Rp)"] == "–; 200.000; 150.000"


def test_one_delivered_program_keeps_a_date_and_a_number(registry, login):
    client = login(registry.users.head)
    deliver(client, registry.enr.b_sembako, delivered_on="20/03/2024", amount="200.000")
    _header, rows = _rows(_sheet(client.get("/keluarga/ekspor/?q=Tosuli")))
    [row] = rows
    assert row["Nilai Rencana (Rp)"] is None and row["Nilai Tersalurkan (Rp)"] == 200_000
    assert row["Tanggal Penyaluran"] == datetime.datetime(2024, 3, 20)


def test_operator_export_masks_ids(registry, login):
    _header, rows = _rows(_sheet(login(registry.users.operator).get("/keluarga/ekspor/?q=Lapodi")))
    nik = registry.hh.a.head_nik
    assert rows[0]["NIK Kepala Keluarga"] == nik[:6] + "*" * 10


def test_every_export_is_logged(registry, login):
    client = login(registry.users.bappeda)
    _sheet(client.get("/keluarga/ekspor/?agency=dinsos&status=proposed"))
    log = ExportLog.objects.get()
    assert log.user == registry.users.bappeda and log.agency.code == "dinsos"
    assert log.filters == {"agency": "dinsos", "status": "proposed"}
    assert log.row_count == 2 and log.kind == "daftar_keluarga_xlsx"
    client.get("/keluarga/cetak/?aid=none")
    printed = ExportLog.objects.filter(kind="daftar_keluarga_cetak").get()
    assert printed.row_count == 2 and printed.filters == {"aid": "none"}


def test_export_never_contains_another_agencys_household(registry, login):
    _header, rows = _rows(_sheet(login(registry.users.head).get("/keluarga/ekspor/")))
    names = {row["Nama Kepala Keluarga"] for row in rows}
    assert registry.hh.c.head_name not in names and registry.hh.e.head_name not in names
    assert len(rows) == 5


def test_formula_like_names_are_text_as_typed(registry, login):
    registry.hh.a.head_name = "=HYPERLINK(\"http://x\")"
    registry.hh.a.save()
    sheet = _sheet(login(registry.users.head).get("/keluarga/ekspor/?desa={}".format(registry.desa.wanggudu.pk)))
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == "=HYPERLINK(\"http://x\")"]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix


def test_print_page_lists_the_filtered_rows(registry, login):
    response = login(registry.users.head).get("/keluarga/cetak/?status=proposed")
    html = response.content.decode()
    assert registry.hh.a.head_name in html and registry.hh.f.head_name in html
    assert registry.hh.b.head_name not in html
    assert "2 keluarga" in html


def test_several_regencies_add_a_kabupaten_column(registry, konawe, login):
    client = login(registry.users.head)
    header, rows = _rows(_sheet(client.get("/keluarga/ekspor/")))
    assert header[header.index("Kecamatan") + 1:header.index("Kecamatan") + 3] == ("Kabupaten/kota", "Desil")
    konut = Kabupaten.objects.get(code="74.09").name
    own = {h.head_name for h in (registry.hh.a, registry.hh.b, registry.hh.d, registry.hh.f, registry.hh.g)}
    assert {row["Nama Kepala Keluarga"]: row["Kabupaten/kota"] for row in rows} == {
        **{name: konut for name in own}, "Keluarga Awuliti": "Kabupaten Konawe",
    }
    # The row's other columns stay in place after the inserted one.
    awuliti = next(row for row in rows if row["Nama Kepala Keluarga"] == "Keluarga Awuliti")
    assert awuliti["Kecamatan"] == "Lambuya" and awuliti["Desil"] == 1 and awuliti["Program"] == "Program Keluarga Harapan (PKH)"
    # Filtered to one regency, the column stays (the list page decides by what is loaded, not by the filter).
    regency = Kabupaten.objects.get(code="74.02")
    _header, rows = _rows(_sheet(client.get(f"/keluarga/ekspor/?kabupaten={regency.pk}")))
    assert [(row["Nama Kepala Keluarga"], row["Kabupaten/kota"]) for row in rows] == [("Keluarga Awuliti", "Kabupaten Konawe")]


def test_the_file_name_names_the_chosen_regency_kecamatan_and_village(registry, konawe, login):
    """A regency's file forwarded on must not read as the province's."""
    client = login(registry.users.head)
    regency = Kabupaten.objects.get(code="74.02")

    def filename(**params) -> str:
        response = client.get("/keluarga/ekspor/", params)
        _sheet(response)
        return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)

    assert re.fullmatch(r"keluarga-sasaran-dinsos-\d{8}-\d{4}\.xlsx", filename())
    assert re.fullmatch(r"keluarga-sasaran-dinsos-kabupaten-konawe-\d{8}-\d{4}\.xlsx", filename(kabupaten=regency.pk))
    lambuya = konawe.desa.kecamatan
    assert re.fullmatch(
        r"keluarga-sasaran-dinsos-kabupaten-konawe-lambuya-awuliti-\d{8}-\d{4}\.xlsx",
        filename(kabupaten=regency.pk, kecamatan=lambuya.pk, desa=konawe.desa_id),
    )


def _export_queries(client) -> tuple[int, int]:
    """(queries, rows) of one export read to its end."""
    with CaptureQueriesContext(connection) as queries:
        _header, rows = _rows(_sheet(client.get("/keluarga/ekspor/")))
    return len(queries), len(rows)


def test_the_kabupaten_column_costs_no_query(registry, login, settings):
    client = login(registry.users.head)
    one_regency, rows = _export_queries(client)
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    lambuya = Desa.objects.filter(kecamatan__code="74.02.01").order_by("code")
    for desa in lambuya[:3]:
        EnrollmentFactory(household=HouseholdFactory(desa=desa), program=registry.programs["pkh"], year=2024)
    several, more_rows = _export_queries(client)
    assert more_rows == rows + 3 and several == one_regency


@pytest.mark.parametrize("url, message", [
    ("/keluarga/ekspor/", "Ekspor dibatalkan: filter Program tidak valid. Perbaiki filter, lalu ekspor lagi."),
    ("/keluarga/cetak/", "Versi cetak dibatalkan: filter Program tidak valid. Perbaiki filter, lalu cetak lagi."),
])
def test_an_invalid_filter_refuses_the_file_and_the_print(registry, login, url, message):
    """Another agency's program in the link: the list says the filter is not valid, and no file or
    print page of every household in scope goes out under it."""
    client = login(registry.users.head)
    response = client.get(url, {"program": "bsps"})
    assert response.status_code == 302 and response["Location"] == "/keluarga/?program=bsps"
    page = client.get(response["Location"]).content.decode()
    assert message in page and "Filter Program tidak valid" in page
    assert not ExportLog.objects.exists()


def test_the_recorded_value_column_sums_to_the_lists_total(registry, login):
    """A family with several aids gets text cells per aid ("600.000; –"), which an Excel sum skips;
    the "Nilai Tercatat (Rp)" column holds each family's recorded value as a number in rupiah format,
    counting the statuses the list's "nilai tercatat" counts, so its sum is the page's total."""
    client = login(registry.users.head)
    pkh = registry.enr.g_pkh  # 2024, rejected: never given
    enrollment_update(enrollment=pkh, amount=600_000)
    enrollment_create(
        household=registry.hh.g, program=registry.programs["sembako"], year=2023, status=EnrollmentStatus.COMPLETED,
        amount=150_000, delivered_on=datetime.date(2023, 12, 10),
    )
    enrollment_create(
        household=registry.hh.g, program=registry.programs["sembako"], year=2024, status=EnrollmentStatus.ACTIVE,
        amount=250_000,
    )
    page = client.get("/keluarga/").context["totals"]["amount"]
    assert page == 600_000 + 150_000 + 250_000  # b's Sembako and g's two; g's rejected PKH left out
    sheet = _sheet(client.get("/keluarga/ekspor/"))
    header = [cell.value for cell in sheet[1]]
    column = header.index("Nilai Tercatat (Rp)")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert sum(cell.value for cell in cells if isinstance(cell.value, int)) == page
    assert all(cell.value is None or isinstance(cell.value, int) for cell in cells)
    recorded = {row[header.index("Nama Kepala Keluarga")].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert recorded[registry.hh.g.head_name].value == 400_000
    assert recorded[registry.hh.g.head_name].number_format == "#,##0"
    # the per-aid detail stays beside it
    g = {h: c.value for h, c in zip(header, next(r for r in sheet.iter_rows(min_row=2)
                                                 if r[header.index("Nama Kepala Keluarga")].value == registry.hh.g.head_name))}
    assert g["Status"].count(";") == 2
