"""Where an office's table starts and ends: the columns' numbers printed under the header, and the
signature block under the table (the place and date, the signer's office, the name, the NIP) with
no "Mengetahui" line. Neither is data: the rows of the table import, and the end is said."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from openpyxl import Workbook

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from ..programs.test_import_recipients_real import workbook
from .conftest import HH_2023, IND_2023, Formula, head_member_row, household_row, member_row, write_xlsx
from .realfiles import KK_1, KK_2, SIKS_DTKS, siks_rows, write_text, write_xls

pytestmark = pytest.mark.django_db

SIGNATURE = [
    "Wanggudu, 12 Desember 2024", "KEPALA DINAS PERUMAHAN DAN PERMUKIMAN", None, None,
    "Ir. LA ODE MUHAMMAD, M.T.", "NIP. 19700101 199003 1 001",
]


@pytest.mark.parametrize("first_line", [
    SIGNATURE[0], "Wanggudu,      Desember 2024", "a.n. BUPATI KONAWE UTARA",
    # a city's or a province's list, and a signer standing in for the head of the region
    "WALI KOTA KENDARI", "WALIKOTA KENDARI", "GUBERNUR SULAWESI TENGGARA", "Pj. BUPATI KONAWE UTARA",
    "Penjabat Wali Kota Kendari", "WAKIL BUPATI KONAWE UTARA", "KEPALA KELURAHAN LAMOKATO",
])
def test_a_recipient_list_ending_in_a_signature_block_imports(family, tmp_path, first_line):  # noqa: F811
    household, head, child, other = family
    signature = [first_line, *SIGNATURE[1:]]
    path = workbook(tmp_path / "bsps.xlsx", {"Penerima BSPS 2024": [
        ["DAFTAR PENERIMA BANTUAN STIMULAN PERUMAHAN SWADAYA (BSPS) TAHUN 2024"],
        [],
        ["NO", "NIK", "NAMA", "DESA", "KECAMATAN", "NILAI BANTUAN"],
        # Where the registry has the family: a list placing it elsewhere is warned.
        [1, head.nik, "KEPALA", household.desa.name.upper(), household.desa.kecamatan.name.upper(), 20000000],
        [],
        # Written in the right-hand columns under the table, as offices sign.
        *[[None, None, None, None, line] for line in signature],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "bsps", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 1
    assert list(Enrollment.objects.values_list("household_id", "program__code", "year")) == [(household.pk, "bsps", 2024)]
    assert result["warnings"] == 1  # where the table ended


def test_a_row_missing_its_nik_above_the_signature_is_still_an_error(family, tmp_path):  # noqa: F811
    """Only the signature block ends the table: a recipient whose NIK was left out is not taken for it."""
    household, head, child, other = family
    path = workbook(tmp_path / "bsps.xlsx", {"Penerima": [
        ["NO", "NIK", "NAMA", "DESA"],
        [1, head.nik, "KEPALA", "WANGGUDU RAYA"],
        [2, None, "AN NISA", "WANGGUDU RAYA"],
        [None, None, "AN NURI", "WANGGUDU RAYA"],
        [],
        *[[None, None, line] for line in SIGNATURE],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "bsps", "--year", "2024", "--json", "--dry-run")
    result = json.loads(out)
    assert result["errors"] == 2, (out, err)


def test_the_columns_numbers_under_the_header_are_not_a_row(reference, tmp_path):
    """Government tables print 1, 2, 3 ... under their header (here as the central application's
    export does, numbers; and as text in brackets)."""
    households = [HH_2023, [i + 1 for i in range(len(HH_2023))]]
    # (openpyxl would write "=< 900 WATT" as a formula: the value is another of the column's)
    households += [[household_row("122000001", 100, **{"Daya Listrik Terpasang": "> 900 WATT"})[h] for h in HH_2023]]
    members = [IND_2023, [f"({i + 1})" for i in range(len(IND_2023))]]
    members += [[row[h] for h in IND_2023] for row in (head_member_row("122000001", "9001", 100), member_row("122000001", "9002", 101))]
    path = workbook(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": households, "INDIVIDU": members})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["warnings"] == 0 and summary["unmapped_values"] == []
    assert list(Household.objects.values_list("p3ke_id", flat=True)) == ["122000001"]
    assert sorted(Member.objects.values_list("id_individu", flat=True)) == ["9001", "9002"]


def _saved_values(path, values: dict[str, tuple[str, str]]):
    """The values Excel saves with each formula (``<v>``), which openpyxl does not write: formula
    text -> (cell type, saved value)."""
    rewritten = path.with_suffix(".saved.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                xml = data.decode()
                for formula, (kind, value) in values.items():
                    pattern = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>' + re.escape(formula) + r"</f><v\s*/?>(?:</v>)?")
                    typed = ' t="str"' if kind == "str" else ""
                    xml = pattern.sub(lambda m: f'<c r="{m.group(1)}"{typed}><f>{formula}</f><v>{value}</v>', xml)
                data = xml.encode()
            target.writestr(item, data)
    return rewritten


def test_formulas_are_read_by_the_values_excel_saved_with_them(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "salur.xlsx", {"Sheet1": [
        ["NO", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL"],
        [1, household.no_kk, head.nik, "KEPALA", "TAHAP 2 2024", "PKH", "=3*250000"],
        [2, other.no_kk, other.head_nik, other.head_name, "TAHAP 2 2024", "PKH", "=3*250000"],
    ]})
    code, out, err = run("import_recipients", str(_saved_values(path, {"3*250000": ("n", "750000")})), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert set(Enrollment.objects.values_list("program__code", "year", "amount")) == {("pkh", 2024, 750000)}
    assert result["warnings"] == 1  # once for the column, not once a row


def test_a_formula_kode_kemdagri_places_the_family_and_one_without_a_saved_value_is_refused(reference, tmp_path):
    rows = [household_row("122000011", 111, **{"Kode Kemdagri": Formula('="7409012006"')})]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, rows)})
    code, out, err = run("import_p3ke", str(path))
    assert code == 1 and "Sel berisi rumus Excel tanpa nilai tersimpan" in out, (out, err)
    code, out, err = run("import_p3ke", str(_saved_values(path, {'"7409012006"': ("str", "7409012006")})), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["warnings"] == 1
    assert Household.objects.get(p3ke_id="122000011").desa.code_plain == "7409012006"


@pytest.mark.parametrize("prefix", ["", "Penerima "], ids=["short", "penerima"])
def test_aid_columns_under_one_merged_header_cell_are_read(reference, tmp_path, prefix):
    """A household sheet re-made in an office: every header merged down over two rows, the aid
    columns under one "Penerima Bantuan" cell merged across them, their programs in the row below,
    written "PKH" or "Penerima PKH": the same enrollments either way."""
    base = [h for h in HH_2023 if not h.startswith("Penerima")]
    aids = [prefix + aid for aid in ("BPNT", "BPUM", "BST", "PKH", "SEMBAKO")]
    book = Workbook()
    sheet = book.active
    sheet.title = "KEPALA-KELUARGA"
    sheet["A1"] = "DATA P3KE KECAMATAN ASERA"
    for column, header in enumerate(base, 1):
        sheet.cell(4, column, header)
        sheet.merge_cells(start_row=4, end_row=5, start_column=column, end_column=column)
    first = len(base) + 1
    sheet.cell(4, first, "Penerima Bantuan")
    sheet.merge_cells(start_row=4, end_row=4, start_column=first, end_column=first + len(aids) - 1)
    for index, aid in enumerate(aids):
        sheet.cell(5, first + index, aid)
    for number, (p3ke_id, answers) in enumerate([("122000001", ["Tidak", "Tidak", "Tidak", "Ya", "Ya"]), ("122000002", ["Tidak"] * 5)], 6):
        row = household_row(p3ke_id, 100 + number)
        for column, header in enumerate(base, 1):
            sheet.cell(number, column, row[header]).data_type = "s" if isinstance(row[header], str) else "n"
        for index, answer in enumerate(answers):
            sheet.cell(number, first + index, answer)
    path = tmp_path / "p3ke.xlsx"
    book.save(path)
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    assert summary["households"]["created"] == 2
    received = set(Enrollment.objects.values_list("household__p3ke_id", "program__code"))
    assert received == {("122000001", "pkh"), ("122000001", "sembako")}


def test_a_familys_cells_merged_down_over_its_members_rows_belong_to_each_member(reference, tmp_path):
    """A DTKS list re-typed in a village office: the No KK, kecamatan, village and address typed
    once per family and merged down over its members' rows (the file holds them in the first row)."""
    headers = ["NO", "NOKK", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN",
               "HUB KELUARGA", "BANSOS PKH"]
    book = Workbook()
    sheet = book.active
    sheet.title = "DTKS"
    sheet.append(headers)
    people = siks_rows()
    for index, person in enumerate(people):
        first = index in (0, 3)  # each family's first row
        family = [person[6], "ASERA", "WANGGUDU RAYA", person[5]] if first else [None] * 4
        sheet.append([index + 1, *family, person[7], person[8], person[9], person[10], person[11], "YA"])
    for column in range(2, 6):
        sheet.merge_cells(start_row=2, end_row=4, start_column=column, end_column=column)
    path = tmp_path / "dtks.xlsx"
    book.save(path)
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    family = Household.objects.get(no_kk=KK_1)
    assert family.members.count() == 3 and family.desa.name.upper() == "WANGGUDU RAYA"


def test_a_column_with_data_but_no_header_is_said_not_silently_dropped(reference, tmp_path):
    """An office typed a column without a title (between two, and after the last): no mapping can
    place it, so the operator is told; a note written to the right, under the table, is not one."""
    headers = [*HH_2023[:5], None, *HH_2023[5:]]
    power = {"Daya Listrik Terpasang": "> 900 WATT"}  # openpyxl would write "=< 900 WATT" as a formula
    rows = [household_row(p3ke_id, 100 + index, **power) for index, p3ke_id in enumerate(("122000001", "122000002"))]
    lines = [headers]
    for row in rows:
        cells = [row[h] for h in HH_2023]
        lines.append([*cells[:5], "CATATAN DESA", *cells[5:], "PINDAH 2024"])
    lines += [[], [*[None] * (len(headers) + 3), "Diperiksa operator"]]
    path = workbook(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": lines})
    code, out, err = run("import_p3ke", str(path), "--dry-run")
    assert code == 0, (out, err)
    f_column, last = "F", "AQ"  # the sixth column; the one after the 42 titled ones
    assert f"Kolom {f_column} berisi data tetapi tidak berjudul; isinya tidak dibaca" in out
    assert f"Kolom {last} berisi data tetapi tidak berjudul; isinya tidak dibaca" in out
    assert out.count("tidak berjudul") == 2


def test_a_workbook_with_macros_is_read_as_the_workbook_it_is(reference, tmp_path):
    """Some offices save as .xlsm (a workbook with macros, never run here)."""
    power = {"Daya Listrik Terpasang": "> 900 WATT"}
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100, **power)])})
    macros = path.rename(tmp_path / "p3ke.xlsm")
    code, out, err = run("import_p3ke", str(macros), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 1


def _numbered(households: list[dict]) -> tuple[list[str], list[dict]]:
    """The household table with a No column first, as the central application exports it."""
    return ["No", *HH_2023], [{"No": i + 1, **row} for i, row in enumerate(households)]


@pytest.mark.parametrize("totals", [
    # The label under Nama Kepala Keluarga, the count of families under NIK Kepala Keluarga (an id column).
    {"Nama Kepala Keluarga": "JUMLAH KELUARGA", "NIK Kepala Keluarga": 3},
    # The count in No and in ID Keluarga P3KE, the label after it.
    {"No": 3, "ID Keluarga P3KE": 3, "Provinsi": "TOTAL KESELURUHAN", "Desil Kesejahteraan": 3},
    {"No": "3", "ID Keluarga P3KE": "3 KK", "Provinsi": "Jumlah"},
], ids=["label-under-nama", "count-in-id", "count-as-text"])
def test_a_totals_row_whose_first_cell_is_a_count_ends_the_table(reference, tmp_path, totals):
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    headers, rows = _numbered(households)
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, [*rows, totals, {"Nama Kepala Keluarga": "Mengetahui,"}])})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 3
    assert summary["warnings"] == 1  # where the table ended: row 5, the totals row


def test_a_family_row_with_a_totals_word_in_its_first_cells_is_data(reference, tmp_path):
    """A row is taken for a totals row only when it holds no id: a family whose place is called
    'Jumlah' is read, and one whose ID Keluarga was left out is an error, the rows under it read."""
    households = [
        household_row("122000001", 100, Provinsi="JUMLAH"),
        household_row("", 101, Provinsi="TOTAL"),
        household_row("122000003", 102),
    ]
    headers, rows = _numbered(households)
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, rows)})
    code, out, err = run("import_p3ke", str(path), "--json", "--skip-invalid")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 1 and summary["warnings"] == 0
    assert sorted(Household.objects.values_list("p3ke_id", flat=True)) == ["122000001", "122000003"]


def test_a_villages_subtotal_row_is_passed_over_and_the_villages_below_it_are_read(family, tmp_path):  # noqa: F811
    """One sheet listing the villages one after another, each closed by its subtotal row, the whole
    list by a total and a signature: every recipient is read, each subtotal said."""
    household, head, child, other = family
    path = workbook(tmp_path / "rutilahu.xlsx", {"RUTILAHU 2025": [
        ["DAFTAR PENERIMA RS-RUTILAHU 2025"],
        [],
        ["No", "Nama Penerima", "NIK", "No KK", "Desa", "Nominal"],
        [1, "KEPALA", head.nik, household.no_kk, "WANGGUDU RAYA", 15000000],
        ["", "Jumlah Desa Wanggudu Raya", "", "", "", 15000000],
        [2, other.head_name, other.head_nik, other.no_kk, "ASERA", 15000000],
        ["", "Jumlah Desa Asera", "", "", "", 15000000],
        ["", "JUMLAH TOTAL", "", "", "", 30000000],
        [],
        [None, None, None, "Mengetahui,"],
        [None, None, None, "Kepala Dinas Perumahan"],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    assert code == 0, (out, err)
    assert "Baris jumlah ('Jumlah Desa Wanggudu Raya') dilewati; baris data di bawahnya tetap dibaca" in out
    assert "Tabel berakhir di baris catatan/jumlah/tanda tangan ('Jumlah Desa Asera')" in out
    assert set(Enrollment.objects.values_list("household_id", "year", "amount")) == {
        (household.pk, 2025, 15000000), (other.pk, 2025, 15000000),
    }


def test_a_dtks_sheet_with_a_family_count_under_each_village_reads_every_family(reference, tmp_path):
    """DTKS re-typed village by village, each block closed by a "Jumlah KK Desa ..." row."""
    people = siks_rows()
    total = [None, None, None, "Jumlah KK Desa Wanggudu Raya", *[None] * 4, "1"]
    path = write_xls(tmp_path / "dtks.xls", {"DTKS": (SIKS_DTKS, [*people[:3], total, people[3], total])})
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    warnings = [(w["row"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings if w["row"] in (5, 7)]
    assert warnings == [
        (5, "Baris jumlah ('Jumlah KK Desa Wanggudu Raya') dilewati; baris data di bawahnya tetap dibaca"),
        (7, "Tabel berakhir di baris catatan/jumlah/tanda tangan ('Jumlah KK Desa Wanggudu Raya'); baris di bawahnya tidak dibaca"),
    ]
    assert sorted(Household.objects.values_list("no_kk", flat=True)) == [KK_1, KK_2]


def test_ids_under_a_signature_block_are_refused_not_dropped(family, tmp_path):  # noqa: F811
    """Rows with ids below where the table ended (another list under the signature) are neither
    read into this list nor lost without a word: each is refused, naming where the table ended."""
    household, head, child, other = family
    path = workbook(tmp_path / "bsps.xlsx", {"Penerima": [
        ["NO", "NIK", "NAMA", "DESA"],
        [1, head.nik, "KEPALA", "WANGGUDU RAYA"],
        [],
        [None, None, "Mengetahui,"],
        [None, None, "Kepala Dinas Perumahan"],
        [None, None, "NIP. 19700101 199003 1 001"],
        [],
        ["DAFTAR CADANGAN"],
        [1, other.head_nik, other.head_name, "ASERA"],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "bsps", "--year", "2024")
    assert code == 1, (out, err)
    assert "- Penerima baris 9: Baris ini berisi NIK/No KK/ID keluarga di bawah baris 4 ('Mengetahui,'), tempat tabel" in out
    assert not Enrollment.objects.exists()


def test_titles_merged_down_over_a_two_row_header_name_their_columns(family, tmp_path):  # noqa: F811
    """The ids' titles in the lower header row, under "Identitas Penerima" merged across them; No,
    Nominal and Status Penyaluran merged down over both rows: their columns are read."""
    household, head, child, other = family
    book = Workbook()
    sheet = book.active
    sheet.title = "Penerima"
    sheet["A1"] = "DAFTAR PENERIMA BLT DESA 2025"
    sheet["A3"] = "No"
    sheet.merge_cells("A3:A4")
    sheet["B3"] = "Identitas Penerima"
    sheet.merge_cells("B3:D3")
    sheet["B4"], sheet["C4"], sheet["D4"] = "Nama", "NIK", "No KK"
    sheet["E3"] = "Nominal"
    sheet.merge_cells("E3:E4")
    sheet["F3"] = "Status Penyaluran"
    sheet.merge_cells("F3:F4")
    sheet.append([1, "KEPALA", head.nik, household.no_kk, 900000, "SUDAH SALUR"])
    sheet.append([2, other.head_name, other.head_nik, other.no_kk, 900000, "RETUR"])
    path = tmp_path / "blt.xlsx"
    book.save(path)
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2025")
    assert code == 0, (out, err)
    assert "tidak berjudul" not in out
    assert set(Enrollment.objects.values_list("household_id", "status", "amount", "status_reason")) == {
        (household.pk, "active", 900000, ""), (other.pk, "suspended", 900000, "Status penyaluran: RETUR"),
    }


def test_a_text_row_with_more_fields_than_the_header_is_refused_not_shifted(family, tmp_path):  # noqa: F811
    """A comma CSV from a web application, not quoted: one address holds a comma, so that row's
    values slide one column right (its year would become the amount)."""
    household, head, child, other = family
    headers = ["No", "Nama Penerima", "NIK", "No KK", "Alamat", "Desa", "Tahun", "Nominal"]
    rows = [
        [1, "KEPALA", head.nik, household.no_kk, "Jl. Poros RT 01", "WANGGUDU RAYA", 2025, 1500000],
        [2, "LAIN", other.head_nik, other.no_kk, "Jl. Poros, RT 01", "ASERA", 2025, 1500000],
    ]
    path = write_text(tmp_path / "rutilahu.csv", headers, rows, separator=",")
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    assert code == 1, (out, err)
    assert "- rutilahu baris 3: Baris ini berisi 9 kolom, sedangkan judul kolom hanya 8: ada tanda pemisah" in out
    assert "tidak berjudul" not in out
    assert not Enrollment.objects.exists()
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--skip-invalid")
    assert code == 0, (out, err)
    assert list(Enrollment.objects.values_list("household_id", "amount")) == [(household.pk, 1500000)]


def test_a_text_file_whose_rows_all_have_a_field_past_the_header_is_read_with_a_warning(family, tmp_path):  # noqa: F811
    """Not a shifted row but a column left without a title: every row has it. Read as before, the
    column said."""
    household, head, child, other = family
    rows = [
        [1, "KEPALA", head.nik, household.no_kk, 1500000, "PINDAH"],
        [2, "LAIN", other.head_nik, other.no_kk, 1500000, "BARU"],
    ]
    path = write_text(tmp_path / "rutilahu.csv", ["No", "Nama Penerima", "NIK", "No KK", "Nominal"], rows, separator=";")
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025")
    assert code == 0, (out, err)
    assert "Kolom F berisi data tetapi tidak berjudul; isinya tidak dibaca" in out
    assert Enrollment.objects.count() == 2


def test_a_template_numbered_ahead_of_its_data_reads_the_numbers_alone_as_blank_rows(family, tmp_path):  # noqa: F811
    """The No column filled down to row 30 before the recipients were typed: a row holding only its
    number is an empty row, not a recipient without NIK; a row with a name but no NIK still is one."""
    household, head, child, other = family
    lines = [
        ["No", "Nama Penerima", "NIK", "No KK", "Desa", "Nominal"],
        # Where the registry has the families: a list placing them elsewhere is warned.
        [1, "KEPALA", head.nik, household.no_kk, household.desa.name.upper(), 1500000],
        [2, other.head_name, other.head_nik, other.no_kk, other.desa.name.upper(), 1500000],
        *[[number] for number in range(3, 31)],
    ]
    path = workbook(tmp_path / "peserta.xlsx", {"Peserta": lines})
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["warnings"] == 0
    assert set(Enrollment.objects.values_list("household_id", "amount")) == {(household.pk, 1500000), (other.pk, 1500000)}
    lines[5] = [4, "TANPA NIK"]
    path = workbook(tmp_path / "peserta.xlsx", {"Peserta": lines})
    code, out, err = run("import_recipients", str(path), "--program", "rutilahu", "--year", "2025", "--dry-run")
    assert code == 1 and "baris 6, NIK: NIK dan No KK kosong" in out, (out, err)


def _warnings(out) -> list[tuple[int, str]]:
    return [(w["row"], w["reason"]) for w in ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings]


def _heading(text: str) -> str:
    return (
        f"Baris judul atau catatan ('{text}') dilewati: tidak berisi NIK, No KK, ID keluarga maupun nama, "
        "jadi bukan baris data"
    )


def _ended(text: str) -> str:
    return f"Tabel berakhir di baris catatan/jumlah/tanda tangan ('{text}'); baris di bawahnya tidak dibaca"


@pytest.mark.parametrize("footer", [
    "Dicetak pada 12/01/2024 10:22 oleh operator_dinsos", "Tanggal Cetak : 12-02-2024", "Halaman 1 dari 1",
    "Data per 31 Desember 2024", "Demikian daftar ini dibuat dengan sebenarnya.",
])
def test_a_print_footer_under_a_recipient_list_ends_it(family, tmp_path, footer):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "pkh.xlsx", {"Sheet1": [
        ["NO", "NIK", "NOKK", "NAMA", "BANSOS", "TAHUN", "NOMINAL"],
        [1, head.nik, household.no_kk, "KEPALA", "PKH", 2024, 750000],
        [2, other.head_nik, other.no_kk, other.head_name, "PKH", 2024, 750000],
        [],
        [footer],
    ]})
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert _warnings(out) == [(5, _ended(footer))]


def test_a_printout_pasted_page_after_page_keeps_the_rows_under_each_pages_foot(family, tmp_path):  # noqa: F811
    """A list printed from an application and pasted back page by page repeats its page foot
    between the rows: the rows under it are read, and the foot that closes the list ends it."""
    household, head, child, other = family
    path = workbook(tmp_path / "pkh.xlsx", {"Sheet1": [
        ["NO", "NIK", "NOKK", "NAMA", "BANSOS", "TAHUN", "NOMINAL"],
        [1, head.nik, household.no_kk, "KEPALA", "PKH", 2024, 750000],
        ["Dicetak pada 12/01/2024 10:22 oleh operator_dinsos"],
        ["Halaman 1 dari 2"],
        [2, other.head_nik, other.no_kk, other.head_name, "PKH", 2024, 750000],
        ["Halaman 2 dari 2"],
    ]})
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    assert _warnings(out) == [
        (3, "Baris kaki halaman cetak ('Dicetak pada 12/01/2024 10:22 oleh operator_dinsos') dilewati; baris data di bawahnya tetap dibaca"),
        (4, "Baris kaki halaman cetak ('Halaman 1 dari 2') dilewati; baris data di bawahnya tetap dibaca"),
        (6, _ended("Halaman 2 dari 2")),
    ]


def test_village_headings_inside_a_recipient_list_place_its_rows_and_its_subtotals_are_passed_over(family, tmp_path):  # noqa: F811
    """A list grouped by village: each group opens with a heading row (the village's name, merged
    across the table) and closes with its subtotal. Every recipient is read, placed in its heading's
    village (a family the registry has elsewhere is warned); each subtotal is said."""
    household, head, child, other = family
    path = workbook(tmp_path / "blt.xlsx", {"BLT DD": [
        ["REKAPITULASI PENERIMA BLT DANA DESA TAHUN 2024"],
        ["NO", "NIK", "NO KK", "NAMA PENERIMA", "ALAMAT", "NOMINAL"],
        [f"KELURAHAN {household.desa.name.upper()}"],
        [1, head.nik, household.no_kk, "KEPALA", "DUSUN I", 900000],
        ["JUMLAH", None, None, None, None, 900000],
        ["DESA ASERA", None, None, None, "KEC. ASERA"],
        [2, other.head_nik, other.no_kk, other.head_name, "DUSUN II", 900000],
        ["JUMLAH", None, None, None, None, 900000],
        ["TOTAL", None, None, None, None, 1800000],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["enrollments"]["created"] == 2
    warnings = sorted(_warnings(out))
    assert [row for row, _reason in warnings] == [5, 7, 8]
    assert warnings[0][1] == "Baris jumlah ('JUMLAH') dilewati; baris data di bawahnya tetap dibaca"
    assert warnings[1][1].startswith(
        "Tempat di berkas (Desa/Kelurahan (judul baris 6) 'ASERA', Kecamatan (judul baris 6) 'ASERA') berbeda "
        f"dengan tempat keluarga ini di registri (Desa/Kelurahan {other.desa.name}, "
    )
    assert warnings[2][1] == _ended("JUMLAH")


@pytest.mark.parametrize("row", [
    [2, None, None, "AN NISA"],  # a recipient whose ids were left out
    [None, None, None, "AN NISA"],  # not numbered either: only the name
    ["DESA ASERA", None, None, "AN NISA"],  # a name and a village
])
def test_a_row_with_a_name_and_no_ids_is_a_recipient_missing_its_ids(family, tmp_path, row):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "pkh.xlsx", {"Sheet1": [
        ["NO", "NIK", "NO KK", "NAMA", "BANSOS", "TAHUN"],
        [1, head.nik, household.no_kk, "KEPALA", "PKH", 2024],
        row,
    ]})
    code, out, err = run("import_recipients", str(path), "--dry-run")
    assert code == 1, (out, err)
    assert "- Sheet1 baris 3, NIK: NIK dan No KK kosong: penerima tidak dapat dicocokkan" in out
    assert not Enrollment.objects.exists()


def test_a_siks_ng_web_export_with_its_print_line_in_the_table_imports(reference, tmp_path):
    """SIKS-NG's "Excel" is an HTML page whose table ends with a row spanning every column:
    "Dicetak dari SIKS-NG pada ..."."""
    cells = "".join(f"<th>{title}</th>" for title in SIKS_DTKS)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in siks_rows())
    footer = "Dicetak dari SIKS-NG pada 12/01/2024 10:22"
    path = tmp_path / "DTKS_WANGGUDU_RAYA.xls"
    path.write_text(
        "<html><body><h3>Data DTKS Desa Wanggudu Raya</h3><table border='1'>"
        f"<tr>{cells}</tr>{body}<tr><td colspan='{len(SIKS_DTKS)}'>{footer}</td></tr></table></body></html>",
        encoding="utf-8",
    )
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    # Row 7 as Excel shows it: the page's heading is row 1, the table's header row 2.
    assert _warnings(out) == [(7, _ended(footer))]


def test_a_dtks_sheet_grouped_by_village_headings_reads_every_family(reference, tmp_path):
    people = siks_rows()
    rows = [["DESA WANGGUDU RAYA"], *people[:3], ["DUSUN II"], people[3], ["Keadaan data: Desember 2024"]]
    path = write_xls(tmp_path / "dtks.xls", {"DTKS": (SIKS_DTKS, rows)})
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    assert _warnings(out) == [
        (2, _heading("DESA WANGGUDU RAYA")), (6, _heading("DUSUN II")), (8, _heading("Keadaan data: Desember 2024")),
    ]


def test_a_p3ke_sheet_with_village_headings_reads_every_family_and_a_family_without_its_id_is_an_error(reference, tmp_path):
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    headers, rows = _numbered(households)
    rows.insert(0, {"No": "DESA WANGGUDU RAYA"})
    rows.insert(3, {"No": "KELURAHAN ASERA"})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, rows)})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 3
    assert _warnings(out) == [(2, _heading("DESA WANGGUDU RAYA")), (5, _heading("KELURAHAN ASERA"))]

    # The head's name alone, under Nama Kepala Keluarga: a family whose ID Keluarga was left out.
    rows.insert(4, {"Nama Kepala Keluarga": "LA ODE TANPA ID"})
    path = write_xlsx(tmp_path / "p3ke2.xlsx", {"KEPALA-KELUARGA": (headers, rows)})
    code, out, err = run("import_p3ke", str(path))
    assert code == 1, (out, err)
    assert "- KEPALA-KELUARGA baris 6, ID Keluarga P3KE:" in out and "baris 2," not in out and "baris 5," not in out
    assert Household.objects.count() == 3
