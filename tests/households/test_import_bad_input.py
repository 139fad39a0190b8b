"""Every bad input the issue lists: the operator's message, and a registry left exactly as it was."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from .conftest import DTKS, HH_2023, IND_2023, Formula, head_member_row, household_row, member_row, nik, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()


def registry_state():
    return (
        sorted(Household.objects.values_list("p3ke_id", "head_name", "head_nik", "desil", "is_absent")),
        sorted(Member.objects.values_list("nik", "name", "birth_date", "is_absent")),
        Enrollment.objects.count(),
    )


@pytest.fixture
def seeded(reference, p3ke_file):
    """A registry holding a first import, so 'unchanged' means more than 'still empty'."""
    code, _, _ = run("import_p3ke", str(p3ke_file(name="first.xlsx")), "--json")
    assert code == 0 and Household.objects.count() == 3
    return registry_state()


def refused(code, out, err, seeded, *, expect_code=1):
    assert code == expect_code, (out, err)
    assert registry_state() == seeded


def test_a_file_of_the_other_kind_says_which_kind_to_choose(seeded, tmp_path):
    """A SIKS-NG export uploaded with 'Jenis data' left at P3KE was told to map its columns; it is
    told which kind it looks like instead (and a P3KE workbook uploaded as DTKS, likewise)."""
    row = {"ID DTKS": "DTKS0001", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": "7409011203150001",
           "Nomor NIK": nik(100), "Nama": "RIDWAN", "Hubungan Keluarga": "KEPALA KELUARGA"}
    dtks = write_csv(tmp_path / "DTKS_SIKSNG.csv", DTKS, [row])

    code, out, err = run("import_p3ke", str(dtks))

    refused(code, out, err, seeded, expect_code=2)
    assert "tampaknya data DTKS atau DTSEN (ada kolom Nomor KK, NIK dan Nama): pilih jenis data DTKS atau DTSEN" in err

    households = [household_row("122000009", 109)]
    p3ke = write_xlsx(tmp_path / "P3KE_KEPALA-KELUARGA.xlsx", {"KEPALA-KELUARGA": (HH_2023, households)})
    code, out, err = run("import_dtks", str(p3ke), "--year", "2024")
    refused(code, out, err, seeded, expect_code=2)
    assert "tampaknya lembar keluarga P3KE: pilih jenis data P3KE" in err


def test_the_same_file_chosen_twice_is_named_as_such(seeded, tmp_path):
    """An operator picking INDIVIDU for both files got every row of one family refused as a
    duplicate of itself and the others counted unchanged; the file is now refused for what it is."""
    members = [head_member_row("122000001", "91220000011", 100), member_row("122000001", "91220000012", 500)]
    individu = write_xlsx(tmp_path / "P3KE_INDIVIDU.xlsx", {"INDIVIDU": (IND_2023, members)})
    copy = tmp_path / "P3KE_INDIVIDU (1).xlsx"
    copy.write_bytes(individu.read_bytes())

    code, out, err = run("import_p3ke", str(individu), str(copy))

    refused(code, out, err, seeded, expect_code=2)
    assert "P3KE_INDIVIDU.xlsx dan P3KE_INDIVIDU (1).xlsx berisi berkas yang sama" in err
    assert "pilih berkas lembar lainnya" in err


def test_not_an_excel_file(seeded, tmp_path):
    path = tmp_path / "data.pdf"
    path.write_bytes(b"%PDF-1.4 not a spreadsheet")
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded, expect_code=2)
    assert "jenis berkas '.pdf' tidak didukung" in err


def test_a_damaged_xls_gets_its_own_advice(seeded, tmp_path):
    path = tmp_path / "p3ke.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded, expect_code=2)
    assert "berkas Excel 97-2003 (.xls) rusak" in err and "simpan ulang" in err


# A PDF's opening: its binary streams hold control bytes no text table does.
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 600 /Filter /FlateDecode >>\nstream\n" + bytes(range(32)) * 20
# A program or other binary file: no known opening, control bytes throughout.
BINARY = b"\x7fELF\x02\x01\x01" + bytes(range(32)) * 20


@pytest.mark.parametrize(
    "name, content, message",
    [
        # A PDF (a scanned list, renamed) is said to be one, whatever its name.
        ("p3ke.xlsx", PDF, "isinya berkas PDF, bukan tabel Excel atau CSV"),
        ("p3ke.xls", PDF, "isinya berkas PDF, bukan tabel Excel atau CSV"),
        ("p3ke.csv", PDF, "isinya berkas PDF, bukan tabel Excel atau CSV"),
        ("p3ke.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(32)) * 20, "isinya berkas gambar PNG"),
        # Other binary content under a table's name.
        ("p3ke.xlsx", BINARY, "bukan berkas Excel .xlsx yang sah"),
        ("p3ke.xls", BINARY, "bukan berkas Excel 97-2003 (.xls) yang sah"),
        ("p3ke.csv", BINARY, "bukan berkas teks CSV"),
        # An Excel 97-2003 container named .xlsx is read as one: a broken (or encrypted) one is refused so.
        ("p3ke.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "berkas Excel 97-2003 (.xls) rusak, terenkripsi"),
    ],
)
def test_renamed_file(seeded, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run("import_p3ke", str(path), "--json")
    refused(code, out, err, seeded, expect_code=2)
    assert message in err
    assert json.loads(out)["status"] == "unreadable"


def test_oversized_file(seeded, p3ke_file, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    code, out, err = run("import_p3ke", str(p3ke_file(name="big.xlsx")))
    refused(code, out, err, seeded, expect_code=2)
    assert "berkas terlalu besar" in err and "batas unggahan" in err


def test_zip_bomb_refused_before_reading(seeded, tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    assert path.stat().st_size < 100_000
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded, expect_code=2)
    assert "setelah diekstrak terlalu besar" in err


def test_too_many_rows(seeded, p3ke_file, settings):
    settings.IMPORT_MAX_ROWS = 2
    code, out, err = run("import_p3ke", str(p3ke_file(name="rows.xlsx")))
    refused(code, out, err, seeded, expect_code=2)
    assert "berisi lebih dari 2 baris data" in err


def test_no_recognisable_header(seeded, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nomor", "Keterangan", "Jumlah"])
    sheet.append([1, "apa saja", 3])
    path = tmp_path / "rekap.xlsx"
    workbook.save(path)
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded, expect_code=2)
    assert "baris judul kolom P3KE tidak ditemukan" in err


def test_missing_required_column(seeded, tmp_path):
    headers = [h for h in HH_2023 if h != "ID Keluarga P3KE"]
    path = write_xlsx(tmp_path / "noid.xlsx", {"KEPALA-KELUARGA": (headers, [household_row("1", 1)])})
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded, expect_code=2)
    assert "kolom wajib tidak ada: ID Keluarga P3KE" in err


def test_title_rows_above_the_header_are_skipped(reference, p3ke_file):
    code, out, _ = run("import_p3ke", str(p3ke_file(title_rows=12)), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["errors"] == 0
    assert summary["households"]["created"] == 3 and summary["members"]["created"] == 6


def test_duplicated_id_keluarga_reported_on_both_rows(seeded, p3ke_file):
    households = [household_row("122999001", 201), household_row("122999001", 202), household_row("122999003", 203)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="dup.xlsx")), "--json")
    refused(code, out, err, seeded)
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    reasons = {(e["row"], e["reason"]) for e in batch.errors}
    assert (2, "ID Keluarga P3KE 122999001 ganda: muncul lagi di baris 3") in reasons
    assert (3, "ID Keluarga P3KE 122999001 ganda: sudah ada di baris 2") in reasons
    assert batch.status == "refused"


def test_duplicated_nik_in_one_family_is_an_error(seeded, p3ke_file):
    households = [household_row("122999001", 201)]
    members = [member_row("122999001", "91", 301), member_row("122999001", "92", 301)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="dupnik.xlsx")))
    refused(code, out, err, seeded)
    assert "INDIVIDU baris 3, NIK: NIK ganda dalam keluarga yang sama: sudah ada di baris 2" in out
    assert "INDIVIDU baris 2, NIK: NIK ganda dalam keluarga yang sama: muncul lagi di baris 3" in out


def test_repeated_ids_on_the_individual_sheet_reported_on_each_row(seeded, p3ke_file):
    households = [household_row("122999001", 201), household_row("122999002", 202)]
    members = [
        member_row("122999001", "91", 301), member_row("122999001", "91", 302), member_row("122999001", "93", 301),
        member_row("122999002", "95", 302), member_row("122999002", "91", 304),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="dupids.xlsx")), "--json")
    refused(code, out, err, seeded)
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    assert {(e["row"], e["reason"]) for e in batch.errors if e["sheet"] == "INDIVIDU"} == {
        (2, "ID Individu 91 ganda: muncul lagi di baris 3"),
        (3, "ID Individu 91 ganda: sudah ada di baris 2"),
        (4, "NIK ganda dalam keluarga yang sama: sudah ada di baris 2"),
        (6, "ID Individu 91 ganda: sudah ada di baris 2"),
    }
    assert any(
        w["row"] == 5 and w["reason"].startswith("NIK yang sama ada di keluarga 122999001 (baris 3)") for w in batch.warnings
    )


def test_village_outside_konut(seeded, p3ke_file):
    households = [household_row("122999001", 201, **{"Kode Kemdagri": "7402012001"})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="konawe.xlsx")))
    refused(code, out, err, seeded)
    assert "berada di luar wilayah yang dimuat (Kabupaten Konawe Utara)" in out


def test_village_name_without_code_matched_with_its_kecamatan(reference, p3ke_file):
    # Tobimeita exists in Langgikima and in Motui: the kecamatan decides.
    households = [household_row("122999001", 201, **{"Kode Kemdagri": None, "Kecamatan": "motui ", "Desa/Kelurahan": " TOBIMEITA"})]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="names.xlsx")))
    assert code == 0, out
    assert Household.objects.get(p3ke_id="122999001").desa.code == "74.09.10.2013"


@pytest.mark.parametrize(
    "value, message",
    [
        ("740901050180001", "NIK harus 16 digit, bukan 15 digit"),
        ("74090105018000012", "NIK harus 16 digit, bukan 17 digit"),
        ("74090105018O0001", "NIK hanya boleh berisi angka"),
        (7409010501800000, "NIK rusak oleh Excel"),
        (7.40901050180000e15, "NIK rusak oleh Excel"),
        ("7.409010501800000e15", "NIK rusak oleh Excel"),
        ("7409010501800000.0", "NIK rusak oleh Excel"),
    ],
)
def test_bad_nik(seeded, p3ke_file, value, message):
    households = [household_row("122999001", 201, **{"NIK Kepala Keluarga": value})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="nik.xlsx")))
    refused(code, out, err, seeded)
    assert message in out


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC, SUPERSCRIPT], ids=["fullwidth", "arabic-indic", "superscript"])
def test_non_ascii_digits_are_refused_naming_the_cell(seeded, p3ke_file, digits):
    households = [
        household_row("122999001", 201, **{"NIK Kepala Keluarga": nik(201).translate(digits)}),
        household_row("122999002", 202, **{"Kode Kemdagri": "7409012006".translate(digits)}),
    ]
    members = [member_row("122999001", "91229990012", 501, NIK=nik(501).translate(digits))]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="digits.xlsx")))
    refused(code, out, err, seeded)
    assert "KEPALA-KELUARGA baris 2, NIK Kepala Keluarga: NIK hanya boleh berisi angka 0-9 biasa" in out
    assert "KEPALA-KELUARGA baris 3, Kode Kemdagri: Kode Kemdagri" in out and "harus 10 angka 0-9" in out
    assert "INDIVIDU baris 2, NIK: NIK hanya boleh berisi angka 0-9 biasa" in out


def test_non_ascii_digits_in_a_dtks_no_kk_are_refused_naming_the_cell(seeded, tmp_path):
    kk = "7409010101200001"
    rows = [
        {"ID DTKS": "D1", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk.translate(FULLWIDTH),
         "Nomor NIK": nik(11), "Nama": "BAPAK", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki",
         "Hubungan Keluarga": "KEPALA KELUARGA"},
    ]
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, rows)})
    code, out, err = run("import_dtks", str(path), "--year", "2024")
    refused(code, out, err, seeded)
    assert "DTKS baris 2, Nomor KK: No KK hanya boleh berisi angka 0-9 biasa" in out


def test_numeric_nik_cell_ending_in_zero_is_damaged_not_stored(seeded, p3ke_file):
    good = nik(10)  # serial 0010: a real NIK ending in 0 is only safe as text
    assert good.endswith("0")
    households = [household_row("122999001", 201, **{"NIK Kepala Keluarga": int(good)})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="num.xlsx")))
    refused(code, out, err, seeded)
    assert "NIK rusak oleh Excel" in out


def test_nik_sex_and_birth_mismatch_is_a_warning(reference, p3ke_file):
    households = [household_row("122999001", 201, **{"Jenis Kelamin Kepala Keluarga": "Perempuan", "Tanggal Lahir Kepala Keluarga": "1981-01-05"})]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="mismatch.xlsx")), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["errors"] == 0 and summary["warnings"] == 2
    batch = ImportBatch.objects.get(pk=summary["batch"])
    assert {w["reason"] for w in batch.warnings} == {"Jenis kelamin tidak sesuai dengan NIK", "Tanggal lahir tidak sesuai dengan NIK"}


def test_formula_cells_are_refused(seeded, p3ke_file):
    households = [household_row("122999001", 201, **{"Nama Kepala Keluarga": Formula("=HYPERLINK(\"http://x\")"), "NIK Kepala Keluarga": Formula("=A2&\"1\"")})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="formula.xlsx")))
    refused(code, out, err, seeded)
    assert "Sel berisi rumus Excel" in out


def test_desil_out_of_range(seeded, p3ke_file):
    households = [household_row("122999001", 201, **{"Desil Kesejahteraan": 11})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="desil.xlsx")))
    refused(code, out, err, seeded)
    assert "Desil harus antara 1 dan 10, bukan 11" in out


def test_three_date_formats(reference, p3ke_file):
    birth = datetime.date(1980, 1, 5)
    serial = (birth - datetime.date(1899, 12, 30)).days
    households = [
        household_row("122999001", 201, **{"Tanggal Lahir Kepala Keluarga": "5/1/1980 00:00"}),
        household_row("122999002", 202, **{"Tanggal Lahir Kepala Keluarga": "1980-01-05"}),
        household_row("122999003", 203, **{"Tanggal Lahir Kepala Keluarga": serial}),
    ]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="dates.xlsx")), "--json")
    assert code == 0 and json.loads(out)["warnings"] == 0
    assert set(Member.objects.values_list("birth_date", flat=True)) == {birth}


def test_bad_date_is_an_error(seeded, p3ke_file):
    households = [household_row("122999001", 201, **{"Tanggal Lahir Kepala Keluarga": "31/02/1980"})]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="baddate.xlsx")))
    refused(code, out, err, seeded)
    assert "Tanggal tidak mungkin: '31/02/1980'" in out


def test_trailing_empty_rows_are_ignored(reference, tmp_path):
    rows = [household_row(str(122999001 + i), 201 + i) for i in range(2)]
    path = write_xlsx(tmp_path / "trailing.xlsx", {"KEPALA-KELUARGA": (HH_2023, rows)})
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    sheet = workbook["KEPALA-KELUARGA"]
    for row in range(4, 40):
        sheet.cell(row=row, column=1, value="")
        sheet.cell(row=row, column=5, value="   ")
    workbook.save(path)
    code, out, _ = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["errors"] == 0 and summary["rows"] == 2
    assert Household.objects.count() == 2


def test_member_of_unknown_family_is_an_error(seeded, p3ke_file, tmp_path):
    path = write_xlsx(tmp_path / "ind.xlsx", {"INDIVIDU": (IND_2023, [member_row("555", "5551", 700)])})
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, seeded)
    assert "Keluarga 555 tidak ada di lembar keluarga maupun di registri" in out


def test_interrupted_import_writes_nothing(seeded, p3ke_file, monkeypatch):
    import programs.services

    def failing(*args, **kwargs):
        # Households and members are written by now; the enrollments step fails.
        assert Household.objects.count() == 6
        raise RuntimeError("koneksi terputus")

    # Where a bulk write's enrollments go: built as instances, or (an import's large chunks on
    # PostgreSQL) written as columns.
    monkeypatch.setattr(programs.services, "_insert_new", failing)
    monkeypatch.setattr(programs.services, "_insert_claimed", failing)
    households = [household_row(str(123000001 + i), 400 + i, **{"Penerima PKH": "Ya"}) for i in range(3)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, name="half.xlsx")), "--partial", "--json")
    refused(code, out, err, seeded)  # rolled back as a whole
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    assert batch.status == "failed" and "tidak ada data yang diubah" in batch.message


def test_ids_in_excel_scientific_notation_are_refused_as_damaged(seeded, tmp_path):
    """A CSV saved from Excel with the ID column in General format: 122237001 and 122237002 both
    read 1.22237E+08 (1,22237E+08 on an Indonesian Windows). Stored, it would be a family id that
    the correct file later does not find; each row is refused as damaged, not as a repeated id."""
    households = [household_row("1.22237E+08", 201), household_row("1,22237E+08", 202), household_row("122999003", 203)]
    members = [
        head_member_row("1.22237E+08", "91222370011", 201),
        head_member_row("122999003", "9.12230E+10", 203),
        member_row("122999003", "91229990032", 503),
    ]
    first = write_csv(tmp_path / "keluarga.csv", HH_2023, households, delimiter=",")
    second = write_csv(tmp_path / "individu.csv", IND_2023, members, delimiter=",")
    code, out, err = run("import_p3ke", str(first), str(second), "--json")
    refused(code, out, err, seeded)
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    advice = "format ilmiah, digit hilang); ketik ulang sebagai teks"
    assert sorted((e["row"], e["column"], e["reason"]) for e in batch.errors) == [
        (2, "ID Keluarga P3KE", f"ID Keluarga P3KE rusak oleh Excel (tertulis 1.22237E+08: {advice}"),
        (2, "ID Keluarga P3KE", f"ID Keluarga P3KE rusak oleh Excel (tertulis 1.22237E+08: {advice}"),
        (3, "ID Individu", f"ID Individu rusak oleh Excel (tertulis 9.12230E+10: {advice}"),
        (3, "ID Keluarga P3KE", f"ID Keluarga P3KE rusak oleh Excel (tertulis 1,22237E+08: {advice}"),
    ]


def test_a_scientific_id_dtks_is_refused_and_a_lettered_one_kept(seeded, tmp_path):
    kk = "7409010101200001"
    person = {"Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk, "Tanggal Lahir": "05-01-1980",
              "Jenis Kelamin": "Laki-laki"}
    rows = [
        {**person, "ID DTKS": "7.40901E+15", "Nomor NIK": nik(11), "Nama": "BAPAK", "Hubungan Keluarga": "KEPALA KELUARGA"},
        {**person, "ID DTKS": "D1E2", "Nomor NIK": nik(12), "Nama": "ANAK", "Hubungan Keluarga": "ANAK"},
    ]
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, rows)})
    code, out, err = run("import_dtks", str(path), "--year", "2024")
    refused(code, out, err, seeded)
    assert "DTKS baris 2, ID DTKS: ID DTKS rusak oleh Excel (tertulis 7.40901E+15: format ilmiah" in out
    assert "baris 3, ID DTKS" not in out


def test_a_data_year_that_has_not_begun_is_refused_by_the_command(seeded, p3ke_file):
    from django.utils import timezone

    next_year = timezone.localdate().year + 1
    code, out, err = run("import_p3ke", str(p3ke_file(name="second.xlsx")), "--year", str(next_year))
    refused(code, out, err, seeded, expect_code=2)
    assert f"Tahun data {next_year} belum tiba" in err
    assert not Household.objects.filter(source_year=next_year).exists()


def test_an_extract_with_headers_and_no_rows_is_refused_and_marks_no_family_absent(seeded, p3ke_file, tmp_path):
    """A file saved before its rows were pasted is not a region without families: as a full extract it
    would have marked every family 'not in the newest data' (after a confirmation), or said 'no change'."""
    code, out, err = run("import_p3ke", str(p3ke_file(households=[], members=[], name="kosong.xlsx")), "--confirm-absent")
    refused(code, out, err, seeded, expect_code=2)
    assert "Berkas tidak berisi data: tidak ada baris di bawah baris judul kolom (kosong.xlsx, lembar KEPALA-KELUARGA baris 1" in err
    code, out, err = run("import_dtks", str(write_csv(tmp_path / "dtks.csv", DTKS, [])), "--year", "2024")
    refused(code, out, err, seeded, expect_code=2)
    assert "Berkas tidak berisi data" in err


def test_the_command_ends_a_refused_preview_with_the_refusal_not_a_note(seeded, p3ke_file):
    """A dry run of a file with an error row, already imported once with its bad row skipped: the
    note that it was imported before is printed, but the last line, the reason of the exit code,
    says that the file would be refused and why."""
    households = [household_row("122999001", 201), household_row("122999001", 202), household_row("122999003", 203)]
    path = str(p3ke_file(households=households, members=[], name="dup.xlsx"))
    assert run("import_p3ke", path, "--skip-invalid", "--partial")[0] == 0
    code, out, err = run("import_p3ke", path, "--dry-run", "--partial")
    assert code == 1
    assert "Berkas yang sama sudah diimpor pada batch" in out
    assert err.strip().splitlines()[-1] == (
        "Pratinjau: impor berkas ini akan ditolak karena 2 kesalahan di 2 baris. Tidak ada data yang diubah."
    )


def test_the_command_says_the_outcome_in_indonesian(seeded, p3ke_file):
    path = str(p3ke_file(name="first.xlsx"))
    code, out, _ = run("import_p3ke", path, "--dry-run")
    assert code == 0 and out.splitlines()[0] == "Pratinjau (tidak ada yang ditulis): pratinjau siap"
    code, out, _ = run("import_p3ke", path)
    batch = ImportBatch.objects.latest("pk")
    assert code == 0 and out.splitlines()[0] == f"Hasil impor: selesai diimpor, batch #{batch.pk}"
    households = [household_row("122999001", 201), household_row("122999001", 202)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="dup.xlsx")))
    batch = ImportBatch.objects.latest("pk")
    assert code == 1 and out.splitlines()[0] == f"Hasil impor: ditolak karena ada kesalahan, batch #{batch.pk}"
    assert err.strip().splitlines()[-1] == "Impor ditolak: 2 kesalahan di 2 baris. Tidak ada data yang diubah."
