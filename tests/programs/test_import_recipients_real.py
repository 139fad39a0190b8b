"""Recipient lists in the shapes agencies send: OpenSID's program-bantuan ``Peserta`` sheet (NIK and
Nama only, notes under the table), a Kemensos distribution list (IDDTKS, NOKK, NIK_KTP,
NAMA_PENERIMA, KODE_WILAYAH, TAHAP, BANSOS, BANK, NOMINAL), a STATUS column that holds marital status."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from programs.models import Enrollment

from .test_import_recipients import family, run  # noqa: F401 - the registry's two households

pytestmark = pytest.mark.django_db


def workbook(path, sheets: dict[str, list[list]]):
    book = Workbook()
    book.remove(book.active)
    for name, lines in sheets.items():
        sheet = book.create_sheet(name)
        for line in lines:
            sheet.append(line)
    book.save(path)
    return path


def test_opensid_peserta_sheet_with_nik_and_nama_and_the_program_from_the_form(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "program_bantuan.xlsx", {
        "Program": [["Nama Program", "BLT Dana Desa"], ["Sasaran", "Keluarga"]],
        "Peserta": [
            ["NIK", "Nama"],
            [head.nik, "KEPALA"],
            [None, None],
            ["Catatan:", "Kolom NIK wajib diisi"],
            ["Mengetahui,"],
            ["Kepala Desa Wanggudu Raya"],
        ],
    })
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 1
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year", "status")) == {
        (household.pk, "blt-desa", 2024, "active")
    }
    assert result["warnings"] == 1  # where the table ended


def test_kemensos_list_with_a_marital_status_column(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    headers = ["NO", "IDDTKS", "IDSEMESTA", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "KODE_WILAYAH", "TAHAP", "BANSOS",
               "BANK", "NOMINAL", "STATUS"]
    path = workbook(tmp_path / "salur.xlsx", {"Sheet1": [
        ["DAFTAR NOMINATIF PENYALURAN BANSOS"],
        headers,
        [1, "7409012006000001", "S-1", household.no_kk, head.nik, "KEPALA", "7409012006", "TAHAP 2 2024", "PKH", "BNI",
         "Rp 750.000", "KAWIN"],
        [2, "7409012006000002", "S-2", other.no_kk, "", "LAIN", "7409012006", "TAHAP 2 2024", "PKH", "BNI",
         "Rp 750.000", "JANDA"],
        ["JUMLAH", None, None, None, None, None, None, None, None, None, "Rp 1.500.000", None],
    ]})
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year", "status", "amount")) == {
        (household.pk, "pkh", 2024, "active", 750000), (other.pk, "pkh", 2024, "active", 750000),
    }
    assert result["unmapped_columns"] == []


def test_a_status_column_of_enrollment_statuses_is_read(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "usulan.xlsx", {"Sheet1": [
        ["NIK", "NAMA", "STATUS"],
        [head.nik, "KEPALA", "Diusulkan"],
        [child.nik, "ANAK", "Aktif"],
        ["", "TANPA NIK", "Aktif"],
    ]})
    code, out, _ = run("import_recipients", str(path), "--program", "pip", "--year", "2025", "--json")
    result = json.loads(out)
    # The third row names nobody: an error, as a recipient without NIK or No KK cannot be matched.
    assert code == 1 and result["errors"] == 1
    code, out, _ = run("import_recipients", str(path), "--program", "pip", "--year", "2025", "--skip-invalid", "--json")
    assert code == 0
    assert set(Enrollment.objects.values_list("member__nik", "status")) == {(head.nik, "proposed"), (child.nik, "active")}
