"""Rows hidden in an ``.xlsx`` (hidden by hand, or filtered out by an AutoFilter: the office hid
the recipients marked MENINGGAL or PINDAH) are read, as the file holds them, but named in a warning
(sheet and rows), for every import that reads a workbook: the operator may not have seen them."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from households.models import Household, ImportBatch
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory

from .conftest import DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx
from .realfiles import write_xls
from .test_import_bad_input import run
from .test_import_sheets import _dtks_rows

pytestmark = pytest.mark.django_db


def _hide(path, sheet: str, rows: list[int]) -> None:
    workbook = load_workbook(path)
    for row in rows:
        workbook[sheet].row_dimensions[row].hidden = True
    workbook.save(path)


def _hidden_row_warnings(batch: ImportBatch) -> list[tuple[str, int, str]]:
    return [(w["sheet"], w["row"], w["reason"]) for w in batch.warnings if "tersembunyi di Excel" in w["reason"]]


def test_rows_an_autofilter_hides_in_a_recipient_list_are_read_and_named(bappeda_client, reference, tmp_path):
    household, other, third = (
        HouseholdFactory(p3ke_id=f"12200000{serial}", no_kk=f"740901010120000{serial}", head_nik=nik(serial))
        for serial in (1, 2, 3)
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "KPM BLT DESA"
    sheet.append(["NO", "NIK", "NAMA", "TAHUN", "NOMINAL", "KETERANGAN"])
    for number, (nik_value, name, note) in enumerate([
        (household.head_nik, household.head_name, ""), (other.head_nik, other.head_name, "MENINGGAL"), (third.head_nik, third.head_name, "PINDAH"),
    ], 1):
        sheet.append([number, nik_value, name, 2024, "Rp 300.000", note])
    sheet.auto_filter.ref = "A1:F4"
    sheet.auto_filter.add_filter_column(5, [""], blank=True)
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[4].hidden = True
    path = tmp_path / "blt_desa_filtered.xlsx"
    workbook.save(path)

    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code="blt-desa").pk,
        })
    batch = ImportBatch.objects.latest("pk")
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    expected = (
        "2 baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap dibaca: baris 3-4. "
        "Periksa baris itu (mis. keterangan MENINGGAL atau PINDAH); hapus dari berkas bila tidak termasuk data"
    )
    assert _hidden_row_warnings(batch) == [("KPM BLT DESA", 0, expected)]
    assert "2 baris tersembunyi di Excel" in page and "baris 3-4" in page
    # Read all the same: the office may have hidden them only to look at the others.
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (household.pk, "blt-desa", 2024), (other.pk, "blt-desa", 2024), (third.pk, "blt-desa", 2024),
    }


def test_many_hidden_rows_of_a_p3ke_extract_are_named_shortened(reference, tmp_path):
    households = [household_row(str(122000001 + i), 100 + i) for i in range(25)]
    members = [head_member_row(row["ID Keluarga P3KE"], f"9{row['ID Keluarga P3KE']}1", 100 + i) for i, row in enumerate(households)]
    members.append(member_row(households[0]["ID Keluarga P3KE"], "91220000012", 500))
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    _hide(path, "KEPALA-KELUARGA", [2, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25, 30])  # 30: under the table
    _hide(path, "INDIVIDU", [17])
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 25 and Household.objects.count() == 25
    warned = _hidden_row_warnings(ImportBatch.objects.get(pk=json.loads(out)["batch"]))
    assert [(sheet, row) for sheet, row, _ in warned] == [("KEPALA-KELUARGA", 0), ("INDIVIDU", 0)]
    assert warned[0][2].startswith(
        "14 baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap dibaca: baris 2, 4-6, 8, 10, "
        "12, 14, 16, 18, 20, 22 dan 2 baris lain. "
    )
    assert warned[1][2].startswith("1 baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap dibaca: baris 17. ")


def test_hidden_rows_of_a_dtks_workbook_are_named_and_rows_above_the_table_are_not(reference, tmp_path):
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, _dtks_rows(1, 3))}, title_rows=2)
    _hide(path, "DTKS", [1, 2, 5])  # the title rows, and the second family
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 3
    warned = _hidden_row_warnings(ImportBatch.objects.get(pk=json.loads(out)["batch"]))
    assert [(sheet, row, reason.split(". ")[0]) for sheet, row, reason in warned] == [
        ("DTKS", 0, "1 baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap dibaca: baris 5"),
    ]


def test_a_workbook_without_hidden_rows_says_nothing_of_them(reference, tmp_path):
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, _dtks_rows(1, 2))})
    workbook = load_workbook(path)
    workbook["DTKS"].column_dimensions["A"].hidden = True  # a hidden column is not a hidden row
    workbook.save(path)
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert _hidden_row_warnings(ImportBatch.objects.get(pk=json.loads(out)["batch"])) == []


def test_hidden_rows_of_an_excel_97_2003_list_are_read_and_named_as_in_xlsx(reference, tmp_path):
    """An office still on Excel 2003 filters out the same rows: the .xls says so as the .xlsx does."""
    households = [
        HouseholdFactory(p3ke_id=f"12200000{serial}", no_kk=f"740901010120000{serial}", head_nik=nik(serial))
        for serial in (1, 2, 3, 4)
    ]
    rows = [[number, h.head_nik, h.head_name, 2024, 300000, note]
            for number, (h, note) in enumerate(zip(households, ("", "MENINGGAL", "PINDAH", "")), 1)]
    path = write_xls(tmp_path / "blt_desa_2003.xls", {"KPM BLT DESA": (
        ["NO", "NIK", "NAMA", "TAHUN", "NOMINAL", "KETERANGAN"], rows)}, hidden_rows=(3, 4))
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--json")
    assert code == 0, (out, err)
    expected = (
        "2 baris tersembunyi di Excel (disembunyikan, atau disaring dengan Filter) tetap dibaca: baris 3-4. "
        "Periksa baris itu (mis. keterangan MENINGGAL atau PINDAH); hapus dari berkas bila tidak termasuk data"
    )
    assert _hidden_row_warnings(ImportBatch.objects.get(pk=json.loads(out)["batch"])) == [("KPM BLT DESA", 0, expected)]
    assert set(Enrollment.objects.values_list("household_id", flat=True)) == {h.pk for h in households}


def test_an_excel_97_2003_list_without_hidden_rows_says_nothing_of_them(reference, tmp_path):
    household = HouseholdFactory(p3ke_id="122000001", no_kk="7409010101200001", head_nik=nik(1))
    path = write_xls(tmp_path / "blt_desa_2003.xls", {"KPM": (
        ["NO", "NIK", "NAMA", "TAHUN", "NOMINAL"], [[1, household.head_nik, household.head_name, 2024, 300000]])})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--json")
    assert code == 0, (out, err)
    assert _hidden_row_warnings(ImportBatch.objects.get(pk=json.loads(out)["batch"])) == []
