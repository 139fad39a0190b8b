"""The Bappeda admin flow: upload -> preview (in the background) -> confirm or cancel; status page,
error report download; nobody else gets in."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from households.models import Household, ImportBatch, ImportStatus, Member
from tests.factories import UserFactory

from .conftest import HH_2023, household_row, write_xlsx

pytestmark = pytest.mark.django_db


def upload(client, path, **extra):
    with open(path, "rb") as handle:
        data = {"kind": "p3ke", "file": handle, **extra}  # "Ekstrak lengkap" is not ticked unless asked
        return client.post(reverse("admin:households_importbatch_upload"), data)


def test_upload_preview_confirm(bappeda_client, p3ke_file):
    response = upload(bappeda_client, p3ke_file())
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:households_importbatch_preview", args=[batch.pk])
    # The preview ran as a task (immediate backend in tests): counts, nothing written yet.
    assert batch.status == ImportStatus.PREVIEWED and batch.sha256 and batch.file
    assert not Household.objects.exists()
    page = bappeda_client.get(response["Location"]).content.decode()
    assert "Konfirmasi impor" in page and "Batalkan" in page
    assert batch.counts["households"]["created"] == 3 and batch.counts["members"]["created"] == 6

    response = bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert response.status_code == 302 and batch.status == ImportStatus.APPLIED
    assert Household.objects.count() == 3 and Member.objects.count() == 6
    assert set(Household.objects.values_list("last_batch__uploaded_by__username", flat=True)) == {"bappeda"}
    status = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "Selesai diimpor" in status
    data = bappeda_client.get(reverse("households:import_status_json", args=[batch.pk])).json()
    assert data["status"] == "applied" and data["percent"] == 100


def test_preview_with_errors_refuses_then_skip_invalid(bappeda_client, p3ke_file):
    households = [household_row("122999001", 201), household_row("122999002", 202, **{"Kode Kemdagri": "7402012001"})]
    upload(bappeda_client, p3ke_file(households=households, members=[]))
    batch = ImportBatch.objects.get()
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "berada di luar wilayah yang dimuat (Kabupaten Konawe Utara)" in page and "Impor baris valid saja" in page
    assert "Unduh laporan kesalahan" in page

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.REFUSED and "Tidak ada data yang diubah" in batch.message
    assert not Household.objects.exists()

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]), {"skip_invalid": "1"})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert list(Household.objects.values_list("p3ke_id", flat=True)) == ["122999001"]


def test_refusal_is_stored_in_indonesian_for_an_operator_working_in_english(bappeda_client, p3ke_file):
    from django.conf import settings
    from django.utils import translation

    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        households = [household_row("122999011", 211, **{"Kode Kemdagri": "7402012001"})]
        upload(bappeda_client, p3ke_file(households=households, members=[]))
        batch = ImportBatch.objects.get()
        bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
        batch.refresh_from_db()
        assert batch.status == ImportStatus.REFUSED
        assert batch.message.startswith("Impor ditolak") and "Tidak ada data yang diubah" in batch.message
    finally:
        translation.activate(settings.LANGUAGE_CODE)


def test_error_report_has_original_rows_reasons_text_ids_and_no_formulas(bappeda_client, p3ke_file):
    households = [
        household_row("122999001", 201, **{"Desil Kesejahteraan": 11, "Alamat": "+1+1"}),
        household_row("122999002", 202),
    ]
    upload(bappeda_client, p3ke_file(households=households, members=[]))
    batch = ImportBatch.objects.get()
    response = bappeda_client.get(reverse("households:import_error_report", args=[batch.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["KEPALA-KELUARGA"]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["Baris asal", "Alasan kesalahan"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["ID Keluarga P3KE"] == "122999001" and row["Baris asal"] == 2
    assert "Desil harus antara 1 dan 10, bukan 11" in row["Alasan kesalahan"]
    address = sheet.cell(row=2, column=header.index("Alamat") + 1)
    assert (address.value, address.data_type, address.quotePrefix) == ("+1+1", "s", True)  # text, not a formula
    nik_cell = sheet.cell(row=2, column=header.index("NIK Kepala Keluarga") + 1)
    assert nik_cell.data_type == "s" and nik_cell.number_format == "@" and len(nik_cell.value) == 16


def test_error_report_gives_whole_numbers_as_whole_numbers(bappeda_client, tmp_path):
    # The sheet's number cells (No 2, Desil 11) read back as 2 and 11, as the operator typed them, not
    # 2.0; a number with a fraction stays one.
    row = household_row("122999001", 201, **{"No": 2, "Desil Kesejahteraan": 11, "Persentil": 7.5})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (["No", *HH_2023], [row])})
    upload(bappeda_client, path)
    batch = ImportBatch.objects.get()
    response = bappeda_client.get(reverse("households:import_error_report", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["KEPALA-KELUARGA"]
    header = [c.value for c in sheet[1]]
    refused = dict(zip(header, next(sheet.iter_rows(min_row=2, values_only=True))))
    cells = [(refused[name], type(refused[name])) for name in ("No", "Desil Kesejahteraan", "Persentil", "Baris asal")]
    assert cells == [(2, int), (11, int), (7.5, float), (2, int)]


def test_the_report_lists_every_warning_when_the_page_shows_the_first_ones(bappeda_client, p3ke_file):
    # 60 families whose Kecamatan cell names another kecamatan than their village's code: each row is
    # imported with a warning. The page lists the first 50; the report gives all of them.
    households = [household_row(f"1229990{n:02d}", 300 + n, Kecamatan="LASOLO") for n in range(60)]
    upload(bappeda_client, p3ke_file(households=households, members=[]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.PREVIEWED and not batch.errors and len(batch.warnings) == 60
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "Unduh laporan peringatan (.xlsx)" in page and "Unduh laporan kesalahan" not in page
    response = bappeda_client.get(reverse("households:import_error_report", args=[batch.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Peringatan"]
    rows = list(workbook["Peringatan"].iter_rows(values_only=True))
    assert rows[0] == ("Lembar", "Baris", "Kolom", "Peringatan")
    assert [row[1] for row in rows[1:]] == list(range(2, 62))
    assert all(row[0] == "KEPALA-KELUARGA" and row[2] == "Kecamatan" and "LASOLO" in row[3] for row in rows[1:])


def test_the_report_gives_refused_rows_then_every_warning(bappeda_client, p3ke_file):
    households = [
        household_row("122999001", 201, **{"Desil Kesejahteraan": 11}),
        household_row("122999002", 202, Kecamatan="LASOLO"),
    ]
    upload(bappeda_client, p3ke_file(households=households, members=[]))
    batch = ImportBatch.objects.get()
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "Unduh laporan kesalahan dan peringatan (.xlsx)" in page
    response = bappeda_client.get(reverse("households:import_error_report", args=[batch.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["KEPALA-KELUARGA", "Peringatan"]
    refused = list(workbook["KEPALA-KELUARGA"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in refused] == ["122999001"]
    warned = list(workbook["Peringatan"].iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[2]) for row in warned] == [(3, "Kecamatan")]


def test_cancel(bappeda_client, p3ke_file):
    upload(bappeda_client, p3ke_file())
    batch = ImportBatch.objects.get()
    response = bappeda_client.post(reverse("admin:households_importbatch_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert response.status_code == 302 and batch.status == ImportStatus.CANCELLED
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED and not Household.objects.exists()


def test_upload_of_a_bad_file_shows_the_message_and_stores_nothing(bappeda_client, tmp_path):
    path = tmp_path / "p3ke.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    response = upload(bappeda_client, path)
    assert response.status_code == 200
    assert "berkas Excel 97-2003 (.xls) rusak" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_without_a_file_says_so_and_stores_nothing(bappeda_client):
    response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist' in html and "Bidang ini" in html
    assert not ImportBatch.objects.exists()


def test_oversized_upload_refused_in_the_form(bappeda_client, p3ke_file, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = upload(bappeda_client, p3ke_file())
    assert "Berkas terlalu besar" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_data_year_that_has_not_begun_is_refused_in_the_form(bappeda_client, p3ke_file):
    """A typo of 2052 for 2025 would have stamped every family's data with a year to come."""
    from django.utils import timezone

    next_year = timezone.localdate().year + 1
    response = upload(bappeda_client, p3ke_file(), data_year=str(next_year))
    assert response.status_code == 200
    assert f"Tahun data {next_year} belum tiba" in response.content.decode()
    assert not ImportBatch.objects.exists()
    # A recipient list may plan next year's aid, as an enrollment may.
    response = upload(bappeda_client, p3ke_file(), kind="recipients", data_year=str(next_year))
    assert "belum tiba" not in response.content.decode()


@pytest.mark.parametrize("role", ["agency_head", "agency_operator", "leadership"])
def test_only_bappeda(client, reference, p3ke_file, role):
    user = UserFactory(username=f"u-{role}", role=role, is_staff=True)
    client.force_login(user)
    assert upload(client, p3ke_file()).status_code in (302, 403)
    assert not ImportBatch.objects.exists()
    batch = ImportBatch.objects.create(kind="p3ke")
    assert client.get(reverse("households:import_status", args=[batch.pk])).status_code == 403
    assert client.get(reverse("households:import_error_report", args=[batch.pk])).status_code == 403
