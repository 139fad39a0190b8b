"""What a recipient list says besides its ids is checked, not overridden in silence: the program and
year the operator chose against the rows' own BANSOS and TAHUN, the list's village against the
registry's. Headers are read as agencies title them; a No KK Excel damaged is not needed when the
NIK finds the recipient; a list with no one under its header is refused. Lists are written as agencies save
them from Indonesian Excel: ``;``-separated, Windows-1252, ids behind an apostrophe."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from households.models import Desa, Household, ImportBatch
from programs.models import Enrollment, Program
from tests.households.conftest import nik
from tests.households.realfiles import write_text, write_xls

from .test_import_recipients import family, run  # noqa: F401 - the registry's two households

pytestmark = pytest.mark.django_db

AGENCY = ["No", "Nama Penerima", "NIK", "No KK", "Alamat", "Desa/Kelurahan", "Kecamatan", "Bansos", "Tahun", "Nominal",
          "Keterangan"]


def agency_row(number, household, nik, *, bansos="RUTILAHU", tahun="2025", desa=None, kecamatan=None, kk=None):
    """One row of an agency's list, in ``AGENCY`` order, placed where the registry has the family."""
    return [
        number, household.head_name, "'" + nik, "'" + (household.no_kk if kk is None else kk), "Jl. Poros",
        household.desa.name if desa is None else desa, household.desa.kecamatan.name if kecamatan is None else kecamatan,
        bansos, tahun, "1.500.000", "",
    ]


def agency_list(path, rows, headers=AGENCY):
    return write_text(path, headers, rows, separator=";", encoding="cp1252")


def test_a_row_whose_program_disagrees_with_the_chosen_one_is_refused_naming_both(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "rutilahu.csv", [
        agency_row(1, household, head.nik, bansos="PKH"),
        agency_row(2, other, other.head_nik, bansos="BPNT"),
    ])
    code, out, _ = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    assert code == 1
    chosen = "berbeda dengan program yang dipilih (Rehabilitasi Rumah Tidak Layak Huni (RS-Rutilahu))"
    assert f"Program di berkas ('PKH': Program Keluarga Harapan (PKH)) {chosen}" in out
    assert f"Program di berkas ('BPNT': Program Sembako (BPNT)) {chosen}" in out
    assert not Enrollment.objects.exists()
    assert ImportBatch.objects.get().status == "refused"


def test_a_row_whose_year_disagrees_with_the_chosen_one_is_refused_naming_both(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "rutilahu.csv", [
        agency_row(1, household, head.nik, tahun="2024"), agency_row(2, other, other.head_nik, tahun="2025"),
    ])
    code, out, _ = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    assert code == 1
    assert "Tahun di berkas (2024) berbeda dengan tahun yang dipilih (2025)" in out
    assert out.count("berbeda dengan tahun yang dipilih") == 1
    assert not Enrollment.objects.exists()


def test_rows_that_agree_with_the_choice_or_leave_it_empty_take_the_chosen_program_and_year(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "rutilahu.csv", [
        agency_row(1, household, head.nik, bansos="RS-Rutilahu", tahun="2025"),
        agency_row(2, other, other.head_nik, bansos="", tahun=""),
    ])
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["errors"] == 0
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (household.pk, "rutilahu", 2025), (other.pk, "rutilahu", 2025),
    }


def test_a_local_name_of_the_chosen_program_is_read_as_it_and_said_once(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "bedah_rumah.csv", [
        agency_row(1, household, head.nik, bansos="BEDAH RUMAH"), agency_row(2, other, other.head_nik, bansos="Bedah Rumah"),
    ])
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (household.pk, "rutilahu", 2025), (other.pk, "rutilahu", 2025),
    }
    warned = [w for w in ImportBatch.objects.get(pk=result["batch"]).warnings if "BEDAH RUMAH" in w["reason"].upper()]
    assert [(w["row"], w["column"]) for w in warned] == [(2, "Bansos")]
    assert warned[0]["reason"].startswith("Program 'BEDAH RUMAH' tidak dikenal")
    assert "dicatat sebagai program yang dipilih (Rehabilitasi Rumah Tidak Layak Huni (RS-Rutilahu))" in warned[0]["reason"]


@pytest.fixture
def placed(family):  # noqa: F811
    """The two families in the villages of the audit: Wanggudu Raya (a desa) and Asera (a
    kelurahan), both in kecamatan Asera."""
    household, head, child, other = family
    Household.objects.filter(pk=household.pk).update(desa=Desa.objects.get(code="74.09.01.2006"))
    Household.objects.filter(pk=other.pk).update(desa=Desa.objects.get(code="74.09.01.1009"))
    household.refresh_from_db()
    other.refresh_from_db()
    return household, head, child, other


def place_warnings(result) -> list[tuple[int, str, str]]:
    return [
        (w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings
        if w["reason"].startswith("Tempat di berkas")
    ]


def test_a_recipient_the_list_places_in_another_village_than_the_registry_is_warned(placed, tmp_path):
    household, head, child, other = placed
    path = agency_list(tmp_path / "rutilahu.csv", [
        agency_row(1, household, head.nik, desa="Wiwirano", kecamatan="Wiwirano"),
        agency_row(2, other, other.head_nik, desa="Kel. Asera", kecamatan="KEC. ASERA"),
        agency_row(3, household, child.nik, desa="WANGGUDU RAYA", kecamatan="", bansos="PIP"),
    ])
    code, out, err = run("import_recipients", str(path), "--year", "2025", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert place_warnings(result) == [(
        2, "Desa/Kelurahan",
        "Tempat di berkas (Desa/Kelurahan 'Wiwirano', Kecamatan 'Wiwirano') berbeda dengan tempat keluarga ini di "
        "registri (Desa/Kelurahan Wanggudu Raya, Kecamatan Asera, kode 74.09.01.2006); periksa NIK/No KK-nya, atau "
        "perbarui alamat keluarga bila pindah",
    )]
    assert Enrollment.objects.count() == 3  # a warning: the list is applied


def test_a_region_code_is_compared_by_its_digits(placed, tmp_path):
    household, head, child, other = placed
    headers = ["NIK_KTP", "NOKK", "NAMA_PENERIMA", "KODE_WILAYAH", "BANSOS", "TAHAP"]
    path = agency_list(tmp_path / "salur.csv", [
        ["'" + head.nik, "'" + household.no_kk, "KEPALA", "74.09.01.2006", "PKH", "TAHAP 1 2024"],
        ["'" + child.nik, "'" + household.no_kk, "ANAK", "7409012006.0", "PIP", "TAHAP 1 2024"],
        ["'" + other.head_nik, "'" + other.no_kk, "LAIN", "740901", "PKH", "TAHAP 1 2024"],
        ["'" + head.nik, "'" + household.no_kk, "KEPALA", "7409102001", "SEMBAKO", "TAHAP 1 2024"],
        ["'" + other.head_nik, "'" + other.no_kk, "LAIN", "-", "SEMBAKO", "TAHAP 1 2024"],  # no code: nothing to compare
    ], headers=headers)
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert [(row, column) for row, column, _ in place_warnings(result)] == [(5, "KODE_WILAYAH")]
    assert "(KODE_WILAYAH '7409102001')" in place_warnings(result)[0][2]


@pytest.mark.parametrize("amount_header", ["Nominal (Rp)", "Nilai Bantuan (Rp)"])
def test_the_usual_headers_of_agency_lists_are_read(family, tmp_path, amount_header):  # noqa: F811
    household, head, child, other = family
    headers = ["No", "Nama", "Nomor Kartu Keluarga", "Kelurahan/Desa", "Kecamatan", "Jenis Bantuan", "Tahun Bantuan",
               amount_header]
    desa, kecamatan = household.desa.name, household.desa.kecamatan.name
    path = agency_list(tmp_path / "bsps.csv", [
        [1, household.head_name, "'" + household.no_kk, desa, kecamatan, "BSPS", "2024", "17.500.000"],
        [2, "LAIN", "'" + other.no_kk, "Wiwirano", "Wiwirano", "BSPS", "2024", "17.500.000"],
    ], headers=headers)
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["unmapped_columns"] == []
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year", "amount")) == {
        (household.pk, "bsps", 2024, 17500000), (other.pk, "bsps", 2024, 17500000),
    }
    # The Kelurahan/Desa column is the village: the second family is not in Wiwirano.
    assert [(row, column) for row, column, _ in place_warnings(result)] == [(3, "Kelurahan/Desa")]


def test_a_list_without_a_program_column_says_which_headers_are_read_and_how_to_choose(bappeda_client, family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "tanpa_program.csv", [[1, head.nik, "KEPALA", "750.000"]],
                       headers=["No", "NIK", "Nama", "Nominal"])
    code, out, err = run("import_recipients", str(path), "--year", "2024")
    assert code == 2
    assert "kolom program tidak ditemukan (judul yang dikenali, mis. PROGRAM, BANSOS, Jenis Bansos, Jenis Bantuan" in err
    assert "dengan pilihan --program (mis. --program pkh)" in err

    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "recipients", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "kolom program tidak ditemukan (judul yang dikenali, mis. PROGRAM, BANSOS, Jenis Bansos, Jenis Bantuan" in page
    assert "Pilih program yang diterima seluruh daftar di isian Program (daftar penerima) pada halaman unggah" in page
    assert "--program" not in page
    assert not Enrollment.objects.exists()


def excel_number(identifier: str) -> float:
    """A 16-digit id typed into an Excel number cell: Excel keeps 15 digits, the last becomes 0."""
    return float(identifier[:15] + "0")


XLS_HEADERS = ["No", "Nama Penerima", "NIK", "No KK", "Tahun", "Nominal"]


def test_a_no_kk_excel_damaged_beside_a_nik_that_matched_is_a_warning(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = write_xls(tmp_path / "bedah_rumah.xls", {"Penerima": (XLS_HEADERS, [
        [1, "KEPALA", head.nik, excel_number(household.no_kk), 2025.0, 1500000.0],
        [2, other.head_name, other.head_nik, other.no_kk, 2025.0, 1500000.0],
    ])}, title_rows=[["DAFTAR PENERIMA BANTUAN BEDAH RUMAH 2025"], []])
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (household.pk, "rutilahu", 2025), (other.pk, "rutilahu", 2025),
    }
    warned = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings
              if "No KK" in w["reason"]]
    assert warned == [(4, "No KK", "No KK rusak oleh Excel (tersimpan sebagai angka); ketik ulang sebagai teks. No KK ini "
                       "tidak dipakai: penerima dicocokkan dengan NIK-nya")]


def test_a_no_kk_excel_damaged_without_a_nik_that_matched_is_still_an_error(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    stranger = nik(77, birth=datetime.date(1990, 1, 1))
    path = write_xls(tmp_path / "bedah_rumah.xls", {"Penerima": (XLS_HEADERS, [
        [1, "ORANG LAIN", stranger, excel_number(household.no_kk), 2025.0, 1500000.0],
        [2, "TANPA NIK", "", excel_number(other.no_kk), 2025.0, 1500000.0],
    ])})
    code, out, _ = run("import_recipients", str(path), "--program", "rutilahu")
    assert code == 1
    assert "Penerima baris 2, No KK: No KK rusak oleh Excel" in out
    assert f"Penerima baris 2, NIK: Penerima tidak ditemukan di registri (NIK {stranger})" in out
    assert "Penerima baris 3, No KK: No KK rusak oleh Excel" in out
    assert not Enrollment.objects.exists()


def test_a_list_with_a_header_and_no_rows_is_refused_not_applied_as_no_change(bappeda_client, family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = agency_list(tmp_path / "penerima.csv", [], headers=["NIK", "Nama"])
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2024")
    empty = "penerima.csv: daftar penerima kosong: tidak ada baris data di bawah baris judul kolom (lembar penerima baris 1)."
    assert code == 2 and empty in err and "Tidak ada perubahan" not in out

    pkh = Program.objects.get(code="pkh")
    with open(path, "rb") as handle:
        bappeda_client.post(
            reverse("admin:households_importbatch_upload"),
            {"kind": "recipients", "file": handle, "program": pkh.pk, "data_year": 2024},
        )
    batch = ImportBatch.objects.latest("pk")
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert batch.status == "failed" and empty in page
    # Confirming the failed batch anyway reads the file again, and refuses it again.
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.message.startswith(empty)
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("nominal", ["99999999999999", "Rp 12.000.000.000"])
def test_an_absurd_nominal_refuses_its_row_naming_the_value_and_the_limit(family, tmp_path, nominal):  # noqa: F811
    household, head, child, other = family
    bad = agency_row(2, other, other.head_nik)
    bad[AGENCY.index("Nominal")] = nominal
    path = agency_list(tmp_path / "rutilahu.csv", [agency_row(1, household, head.nik), bad])
    code, out, _ = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    value = "Rp 99.999.999.999.999" if nominal.startswith("9") else "Rp 12.000.000.000"
    refusal = f"Nilai bantuan {value} melebihi batas Rp 10.000.000.000 per kepesertaan. Periksa jumlah digitnya."
    assert code == 1 and refusal in out
    assert out.split(refusal)[0].splitlines()[-1].endswith("baris 3, Nominal: "), out
    assert not Enrollment.objects.exists()

    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--skip-invalid")
    assert code == 0, (out, err)
    assert refusal in out
    assert list(Enrollment.objects.values_list("household_id", "amount")) == [(household.pk, 1500000)]
