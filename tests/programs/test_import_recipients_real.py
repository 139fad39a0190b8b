"""Recipient lists in the shapes agencies send: OpenSID's program-bantuan ``Peserta`` sheet (NIK and
Nama only, notes under the table; for a family program the No KK in ``Peserta`` and the year on the
``Program`` sheet), a Kemensos distribution list (IDDTKS, NOKK, NIK_KTP, NAMA_PENERIMA, KODE_WILAYAH,
TAHAP, BANSOS, BANK, NOMINAL) with the programs' usual names, rupiah as offices write it and one row
per stage, a STATUS column that holds marital status or the distribution status."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from dedup.models import Conflict
from households.imports.reader import Source
from households.models import ImportBatch
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory

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


KEMENSOS = ["NO", "IDDTKS", "IDSEMESTA", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "KODE_WILAYAH", "TAHAP", "BANSOS", "BANK",
            "NOMINAL", "STATUS"]


def kpm(nik="", kk="", *, tahap="TAHAP 2 2024", bansos="PKH", nominal="Rp 750.000", status="KAWIN"):
    """One row of a Kemensos distribution list, in ``KEMENSOS`` order."""
    return [1, "7409012006000001", "S-1", kk, nik, "PENERIMA", "7409012006", tahap, bansos, "BRI", nominal, status]


def kemensos(path, rows, headers=KEMENSOS):
    return workbook(path, {"Sheet1": [
        ["DAFTAR KPM PENERIMA BANSOS KABUPATEN KONAWE UTARA"], headers, *rows,
        [None, "TOTAL", None, None, None, None, None, None, None, None, "Rp 2.250.000", None],
        [None, None, None, None, None, None, None, None, "Mengetahui,"],
    ]})


def batch_warnings(result) -> list[str]:
    return [w["reason"] for w in ImportBatch.objects.get(pk=result["batch"]).warnings]


@pytest.mark.parametrize("bansos, code", [
    ("PBI JK", "pbi-jk"), ("PBI-JKN", "pbi-jk"), ("JKN PBI", "pbi-jk"), ("PBI JKN", "pbi-jk"),
    ("BPNT-SEMBAKO", "sembako"), ("Kartu Sembako", "sembako"), ("BPNT", "sembako"), ("SEMBAKO", "sembako"),
    ("BLT DD", "blt-desa"), ("BLT DESA", "blt-desa"), ("Blt Desa", "blt-desa"), ("blt-desa", "blt-desa"),
    ("BLT Dana Desa", "blt-desa"), ("PKH", "pkh"), ("Program Keluarga Harapan", "pkh"),
])
def test_kemensos_bansos_spellings_name_the_registry_programs(family, tmp_path, bansos, code):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [kpm(head.nik, household.no_kk, bansos=bansos)])
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    assert json.loads(out)["enrollments"]["created"] == 1
    assert list(Enrollment.objects.values_list("household_id", "program__code", "year")) == [(household.pk, code, 2024)]


def test_an_unknown_bansos_is_refused_with_the_programs_the_registry_knows(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [kpm(head.nik, bansos="BANTUAN ENTAH"), kpm("", other.no_kk, bansos="BLT")])
    rc, out, err = run("import_recipients", str(path))
    assert rc == 1
    assert "Program 'BANTUAN ENTAH' tidak dikenal" in out and "Program 'BLT' tidak dikenal" in out
    listed = out.split("program di registri: ")[1].splitlines()[0].split(", ")
    assert set(listed) == set(Program.objects.values_list("code", flat=True)) >= {"pkh", "sembako", "blt-desa", "pbi-jk"}
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("nominal", ["Rp 750.000,-", "Rp. 750.000,-", "750.000,-", "Rp750.000,00", "Rp 750.000", "750000"])
def test_kemensos_nominal_as_offices_write_rupiah(family, tmp_path, nominal):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [kpm(head.nik, household.no_kk, nominal=nominal)])
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    assert list(Enrollment.objects.values_list("household_id", "amount")) == [(household.pk, 750000)]


@pytest.mark.parametrize("nominal", ["tujuh ratus ribu", "Rp 750.000,50", "-750.000"])
def test_a_nominal_that_is_not_a_rupiah_amount_is_refused(family, tmp_path, nominal):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [kpm(head.nik, household.no_kk, nominal=nominal)])
    rc, out, err = run("import_recipients", str(path))
    assert rc == 1 and "Nominal" in out and nominal in out
    assert not Enrollment.objects.exists()


def test_the_stages_of_one_year_are_one_enrollment_with_their_sum(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [
        kpm(head.nik, household.no_kk, tahap="TAHAP 1 2024"),
        kpm("", other.no_kk, tahap="TAHAP 2 2024", nominal="Rp 900.000"),
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024"),
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", bansos="SEMBAKO", nominal="Rp 600.000"),
        kpm(head.nik, household.no_kk, tahap="TAHAP 1 2023", nominal="Rp 700.000"),
    ])
    rc, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert rc == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 4
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year", "amount")) == {
        (household.pk, "pkh", 2024, 1500000), (other.pk, "pkh", 2024, 900000),
        (household.pk, "sembako", 2024, 600000), (household.pk, "pkh", 2023, 700000),
    }
    merged = [w for w in ImportBatch.objects.get(pk=result["batch"]).warnings if "digabung" in w["reason"]]
    assert [w["row"] for w in merged] == [3, 5]
    assert "TAHAP 1 2024, TAHAP 2 2024" in merged[0]["reason"] and "Rp 1.500.000" in merged[0]["reason"]
    rc, out, _ = run("import_recipients", str(path), "--json")
    assert json.loads(out)["enrollments"] == {"created": 0, "existing": 4, "conflicts": 0}


def test_the_same_stage_twice_is_still_a_double_recipient(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [kpm(head.nik, household.no_kk), kpm(head.nik, household.no_kk)])
    rc, out, _ = run("import_recipients", str(path))
    assert rc == 1 and "Penerima ganda untuk program dan tahun yang sama: sudah ada di baris 3" in out
    no_stage = workbook(tmp_path / "tanpa_tahap.xlsx", {"Sheet1": [
        ["NIK", "NAMA", "NOMINAL"], [head.nik, "KEPALA", "Rp 750.000"], [head.nik, "KEPALA", "Rp 750.000"],
    ]})
    rc, out, _ = run("import_recipients", str(no_stage), "--program", "pkh", "--year", "2024")
    assert rc == 1 and "Penerima ganda untuk program dan tahun yang sama: sudah ada di baris 2" in out
    assert not Enrollment.objects.exists()


def test_a_status_column_of_distribution_statuses_is_read(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    third = HouseholdFactory(p3ke_id="122000003", no_kk="7409010101200003")
    fourth = HouseholdFactory(p3ke_id="122000004", no_kk="7409010101200004")
    headers = ["NO", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "BANK", "NOMINAL", "STATUS"]
    path = workbook(tmp_path / "status_salur.xlsx", {"Sheet1": [
        headers,
        [1, household.no_kk, head.nik, "KEPALA", "TAHAP 2 2024", "PKH", "BRI", "Rp 750.000", "SUDAH TERSALUR"],
        [2, other.no_kk, "", "LAIN", "TAHAP 2 2024", "PKH", "BRI", "Rp 750.000", "RETUR"],
        [3, third.no_kk, "", "KETIGA", "TAHAP 2 2024", "PKH", "BRI", "Rp 750.000", "GAGAL SALUR"],
        [4, household.no_kk, head.nik, "KEPALA", "TAHAP 2 2024", "SEMBAKO", "BRI", "Rp 600.000", "SUDAH SALUR"],
        [5, fourth.no_kk, "", "KEEMPAT", "TAHAP 2 2024", "PKH", "BRI", "Rp 750.000", "BELUM SALUR"],
        [6, fourth.no_kk, "", "KEEMPAT", "TAHAP 2 2024", "SEMBAKO", "BRI", "Rp 600.000", "Sudah Disalurkan"],
    ]})
    rc, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert rc == 0, (out, err)
    assert not [w for w in batch_warnings(result) if "STATUS" in w]
    got = set(Enrollment.objects.values_list("household_id", "program__code", "status", "status_reason"))
    assert got == {
        (household.pk, "pkh", "active", ""), (household.pk, "sembako", "active", ""),
        (other.pk, "pkh", "suspended", "Status penyaluran: RETUR"),
        (third.pk, "pkh", "suspended", "Status penyaluran: GAGAL SALUR"),
        (fourth.pk, "pkh", "active", "Status penyaluran: BELUM SALUR"), (fourth.pk, "sembako", "active", ""),
    }
    # Every spelling of "delivered" is aid for the one-aid rule: PKH and Sembako of one family
    # conflict the same way whichever the list wrote.
    assert Conflict.objects.filter(household__in=[household, fourth]).count() == 2


def test_opensid_family_program_reads_the_kk_in_peserta_and_the_year_of_the_program_sheet(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "program_bantuan_BLT DANA DESA 2024.xlsx", {
        "Program": [
            ["id", 7], ["Nama Program", "BLT DANA DESA 2024"], ["Sasaran Program", 2], ["Keterangan", "BLT DD"],
            ["Asal Dana", "APBDes"], ["Rentang Waktu (Awal)", "2024-01-01"], ["Rentang Waktu (Akhir)", "2024-12-31"],
        ],
        "Peserta": [
            ["Peserta", "No. Peserta", "NIK", "Nama", "Tempat Lahir", "Tanggal Lahir", "Alamat"],
            [household.no_kk, "BLT-001", head.nik, "KEPALA", "WANGGUDU", "1980-01-05", "DUSUN I"],
            [other.no_kk, "BLT-002", None, "LAIN", "WANGGUDU", "1975-02-02", "DUSUN II"],
            ["###"],
            [],
            ["* Kolom Peserta diisi NIK (sasaran penduduk) atau No. KK (sasaran keluarga)"],
        ],
    })
    rc, out, err = run("import_recipients", str(path), "--program", "BLT Dana Desa", "--json")
    result = json.loads(out)
    assert rc == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (household.pk, "blt-desa", 2024), (other.pk, "blt-desa", 2024),
    }
    assert not [w for w in batch_warnings(result) if "Tahun" in w]
    assert "Peserta" not in {c["column"] for c in result["unmapped_columns"]}


def test_a_returned_stage_merged_with_a_paid_one_keeps_the_paid_amount_and_says_which_stage(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = kemensos(tmp_path / "salur.xlsx", [
        kpm(head.nik, household.no_kk, tahap="TAHAP 1 2024", status="SUDAH SALUR"),
        kpm(head.nik, household.no_kk, tahap="TAHAP 2 2024", status="RETUR"),
    ])
    rc, out, err = run("import_recipients", str(path), "--json")
    assert rc == 0, (out, err)
    assert list(Enrollment.objects.values_list("program__code", "year", "status", "amount", "status_reason")) == [
        ("pkh", 2024, "active", 750000, "TAHAP 2 2024: Status penyaluran: RETUR"),
    ]


def test_opensid_template_names_its_program_on_its_program_sheet(family, tmp_path, monkeypatch):  # noqa: F811
    """Uploaded without choosing a program or a year: the template's Program sheet names both, its
    values read once for both."""
    household, head, child, other = family
    path = workbook(tmp_path / "program_bantuan.xlsx", {
        "Program": [["Nama Program", "BLT Dana Desa"], ["Sasaran", "Keluarga"], ["Rentang Waktu (Awal)", "2024-01-01"]],
        "Peserta": [["NIK", "Nama"], [head.nik, "KEPALA"]],
    })
    reads = []
    raw_rows = Source._raw_rows

    def counted(self, sheet_name, *args, **kwargs):
        reads.append(sheet_name)
        return raw_rows(self, sheet_name, *args, **kwargs)

    monkeypatch.setattr(Source, "_raw_rows", counted)
    code, out, err = run("import_recipients", str(path), "--json")
    assert reads.count("Program") == 2, reads  # once looking for a list's header in it, once for its values
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["warnings"] == 0 and result["enrollments"]["created"] == 1
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {(household.pk, "blt-desa", 2024)}


def test_a_recipient_list_with_kec_and_desa_kel_headers_checks_the_village(family, tmp_path):  # noqa: F811
    """``KEC.`` and ``DESA/KEL.`` under a merged WILAYAH title: read, so a recipient listed in another
    village than the registry's is said."""
    household, head, _child, other = family
    book = Workbook()
    sheet = book.active
    sheet.title = "Lampiran"
    sheet.append(["DAFTAR NOMINATIF KPM PKH TAHAP 1 TAHUN 2024"])
    sheet.append(["NO", "IDENTITAS KPM", None, None, "WILAYAH", None, "BANTUAN", None])
    sheet.append([None, "NIK\nKTP", "NO. KK", "NAMA\nPENERIMA", "KEC.", "DESA/KEL.", "BANSOS", "TAHAP"])
    for cells in ("B2:D2", "E2:F2", "G2:H2", "A2:A3"):
        sheet.merge_cells(cells)
    sheet.append([1, head.nik, household.no_kk, "KEPALA", "ASERA", "ASERA", "PKH", "TAHAP 1 2024"])
    book.save(tmp_path / "pkh.xlsx")
    code, out, err = run("import_recipients", str(tmp_path / "pkh.xlsx"), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["unmapped_columns"] == [] and summary["enrollments"]["created"] == 1
    assert [w["reason"].split(")")[0] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings] == ["Tempat di berkas (DESA/KEL. 'ASERA', KEC. 'ASERA'"]
