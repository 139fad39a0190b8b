"""A file is read as what it holds, whatever its name and line ends: a CSV saved by Excel as "CSV
(Macintosh)" (lines ended by CR alone), an .xlsx saved under a .xls or .csv name, an Excel 97-2003
workbook under a .xlsx name, a text table under a workbook's name. A file that cannot be read is
refused in Indonesian, never with a name from the program's code. Each file is built here."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from .conftest import write_xlsx
from .realfiles import KK_1, SIKS_DTKS, siks_rows, write_text, write_xls
from .test_import_real_files import imports_both_families

pytestmark = pytest.mark.django_db

# A Python exception's name as a message would quote it: "(Error)", "(CalamineError)", "ZipError".
CODE_NAME = re.compile(r"\b\w*(Error|Exception)\b")


def mac_text(path, headers, rows, *, separator=";", encoding="cp1252"):
    """A text table as Excel's "CSV (Macintosh)" saves it: each line ended by CR alone."""
    write_text(path, headers, rows, separator=separator, encoding=encoding)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    assert b"\n" not in path.read_bytes()
    return path


def test_a_csv_saved_for_macintosh_is_read_as_any_csv(reference, tmp_path):
    path = mac_text(tmp_path / "DTKS_ASERA.csv", SIKS_DTKS, siks_rows())
    imports_both_families(path)


def test_a_recipients_list_saved_for_macintosh(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    headers = ["NO", "NIK", "NOKK", "NAMA_PENERIMA", "BANSOS", "TAHAP", "NOMINAL"]
    rows = [
        ["1", head.nik, household.no_kk, "KEPALA", "PKH", "TAHAP 2 2024", "Rp 750.000"],
        ["2", "", other.no_kk, "LAIN", "PKH", "TAHAP 2 2024", "Rp 750.000"],
    ]
    path = mac_text(tmp_path / "kemensos_pkh.csv", headers, rows)
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("household__no_kk", "program__code", "year", "amount")) == {
        (household.no_kk, "pkh", 2024, 750000), (other.no_kk, "pkh", 2024, 750000),
    }


def test_the_upload_page_previews_a_csv_saved_for_macintosh(bappeda_client, tmp_path):
    path = mac_text(tmp_path / "DTKS_ASERA.csv", SIKS_DTKS, siks_rows())
    with open(path, "rb") as handle:
        response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtks", "file": handle})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == "previewed", batch.message
    page = bappeda_client.get(response["Location"]).content.decode()
    assert "rusak atau tidak lengkap" not in page and "Petakan kolom" not in page
    assert batch.counts["households"]["created"] == 2 and batch.counts["members"]["created"] == 4
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    assert Household.objects.get(no_kk=KK_1).members.count() == 3


def test_a_damaged_csv_is_refused_without_a_name_from_the_code(reference, tmp_path):
    """A quote never closed runs one cell past the reader's limit: refused as damaged, in Indonesian
    (the message quoted "(Error)")."""
    path = tmp_path / "DTKS_ASERA.csv"
    rows = siks_rows()
    rows[1][5] = '"DUSUN I' + " RT 01" * 30_000
    write_text(path, SIKS_DTKS, rows, separator=";")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 2, (out, err)
    assert "Berkas DTKS_ASERA.csv rusak atau tidak lengkap" in err and "tidak ada data yang diubah" in err
    assert not CODE_NAME.search(err), err
    assert not Household.objects.exists() and not Member.objects.exists()


def dtks_xlsx(path):
    rows = [dict(zip(SIKS_DTKS, row)) for row in siks_rows()]
    return write_xlsx(path, {"DTKS": (SIKS_DTKS, rows)})


@pytest.mark.parametrize("name", ["DTKS_ASERA.xls", "DTKS_ASERA.csv", "DTKS_ASERA.txt"])
def test_an_xlsx_under_another_name_is_read_as_xlsx(reference, tmp_path, name):
    real = dtks_xlsx(tmp_path / "real.xlsx")
    path = tmp_path / name
    path.write_bytes(real.read_bytes())
    imports_both_families(path)


def test_an_excel_97_2003_workbook_named_xlsx_is_read_as_one(reference, tmp_path):
    real = write_xls(tmp_path / "real.xls", {"DTKS": (SIKS_DTKS, siks_rows())})
    path = tmp_path / "DTKS_ASERA.xlsx"
    path.write_bytes(real.read_bytes())
    imports_both_families(path)


@pytest.mark.parametrize(("name", "separator"), [("DTKS_ASERA.xls", "\t"), ("DTKS_ASERA.xlsx", "|")])
def test_a_text_table_under_a_workbooks_name_is_read_as_text(reference, tmp_path, name, separator):
    # A web application's "Excel" that is tab-separated text named .xls; SIKS-NG's | text renamed.
    path = write_text(tmp_path / name, SIKS_DTKS, siks_rows(), separator=separator)
    imports_both_families(path)


def test_the_upload_page_reads_an_xlsx_saved_as_xls(bappeda_client, tmp_path):
    real = dtks_xlsx(tmp_path / "real.xlsx")
    path = tmp_path / "DTKS_ASERA.xls"
    path.write_bytes(real.read_bytes())
    with open(path, "rb") as handle:
        response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtks", "file": handle})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == "previewed", (batch.message, response.content.decode()[:2000])
    page = bappeda_client.get(response["Location"]).content.decode()
    assert "Konfirmasi impor" in page and not CODE_NAME.search(batch.message or "")
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "applied", batch.message
    assert Household.objects.count() == 2 and Member.objects.count() == 4
