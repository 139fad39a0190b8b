"""Headers of two rows as offices make them: a label merged across several columns ("Penerima
Bantuan", "WILAYAH", "KEPALA KELUARGA") over the columns' own titles in the row below. Each column is
placed by the two titles joined, else by its own title; under a person's label (KEPALA KELUARGA,
ISTRI) only as that person's column, never as the row's own person's."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from .conftest import HH_2023, household_row, nik
from .realfiles import KK_1, KK_2, siks_rows

pytestmark = pytest.mark.django_db


def two_row_sheet(path, title: str, columns: list, rows: list[list], *, sheet_name: str = "Sheet1", down: bool = True):
    """A workbook whose header takes rows 3 and 4 under a title: ``columns`` lists a title merged
    down over both rows (a str) or a label merged across its titles (``(label, [titles])``).
    ``down=False``: the titles are in the upper row only, not merged down (the cell under them blank)."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet["A1"] = title
    column = 1
    for item in columns:
        if isinstance(item, str):
            sheet.cell(3, column, item)
            if down:
                sheet.merge_cells(start_row=3, end_row=4, start_column=column, end_column=column)
            column += 1
            continue
        label, titles = item
        sheet.cell(3, column, label)
        sheet.merge_cells(start_row=3, end_row=3, start_column=column, end_column=column + len(titles) - 1)
        for offset, text in enumerate(titles):
            sheet.cell(4, column + offset, text)
        column += len(titles)
    for number, cells in enumerate(rows, 5):
        for index, value in enumerate(cells, 1):
            sheet.cell(number, index, value).data_type = "s" if isinstance(value, str) else "n"
    book.save(path)
    return path


def test_an_aid_title_no_program_names_is_listed_with_its_label(reference, tmp_path):
    """An aid under "Penerima Bantuan" that the registry has no program for is not read, and the
    operator sees the column as the file shows it, label and title together."""
    base = [h for h in HH_2023 if not h.startswith("Penerima")]
    row = household_row("122000001", 100, **{"Daya Listrik Terpasang": "> 900 WATT"})
    columns = [*base, ("Penerima Bantuan", ["Penerima PKH", "Penerima Lansia"])]
    path = two_row_sheet(tmp_path / "p3ke.xlsx", "DATA P3KE 2023", columns, [[row[h] for h in base] + ["Ya", "Ya"]],
                         sheet_name="KEPALA-KELUARGA")
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert [c["column"] for c in summary["unmapped_columns"]] == ["Penerima Bantuan Penerima Lansia"]
    assert set(Enrollment.objects.values_list("program__code", flat=True)) == {"pkh"}


@pytest.mark.parametrize("sheet_name", ["keluarga", "Sheet1"])
def test_a_household_sheet_with_the_heads_titles_under_kepala_keluarga_is_read(reference, tmp_path, sheet_name):
    """A regency-made P3KE 2022 household table: NAMA, NIK and JENIS KELAMIN under KEPALA KELUARGA,
    the place under WILAYAH, the wife's NAMA and NIK under ISTRI. The head's columns are the family's
    head; the wife's are not (the registry keeps no wife on a household row): listed, not read."""
    columns = [
        "NO", "ID KELUARGA P3KE", ("WILAYAH", ["KECAMATAN", "DESA/KELURAHAN", "KODE KEMDAGRI"]), "DESIL KESEJAHTERAAN",
        ("KEPALA KELUARGA", ["NAMA", "NIK", "JENIS KELAMIN"]), ("ISTRI", ["NAMA", "NIK"]), "PENERIMA PKH",
    ]
    head, wife = nik(100), nik(101, female=True)
    rows = [[1, "122270001", "ASERA", "WANGGUDU RAYA", "7409012006", 1, "LA GRUP", head, "LAKI-LAKI", "WA ISTRI", wife, "YA"]]
    path = two_row_sheet(tmp_path / "p3ke.xlsx", "DATA P3KE KAB. KONAWE UTARA", columns, rows, sheet_name=sheet_name)
    code, out, err = run("import_p3ke", str(path), "--year", "2022", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["households"]["created"] == 1
    assert sorted(c["column"] for c in summary["unmapped_columns"]) == ["ISTRI NAMA", "ISTRI NIK"]
    family = Household.objects.get(p3ke_id="122270001")
    assert (family.head_name, family.head_nik, family.desa.code_plain) == ("LA GRUP", head, "7409012006")
    assert list(family.members.values_list("name", "nik", "sex")) == [("LA GRUP", head, "L")]
    assert set(Enrollment.objects.values_list("household__p3ke_id", "program__code")) == {("122270001", "pkh")}


def test_a_dtks_list_with_the_heads_name_beside_each_person_reads_each_persons_own(reference, tmp_path):
    """A village's DTKS list: each row a person under ANGGOTA KELUARGA, the family's head's NAMA and
    NIK repeated before them under KEPALA KELUARGA. Each member keeps their own name and NIK."""
    columns = [
        "NO", ("KEPALA KELUARGA", ["NAMA", "NIK"]),
        ("ANGGOTA KELUARGA", ["NOKK", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA"]),
        ("WILAYAH", ["KECAMATAN", "DESA/KELURAHAN"]),
    ]
    people = siks_rows()
    heads = {KK_1: people[0], KK_2: people[3]}
    rows = [
        [number, heads[person[6]][8], heads[person[6]][7], person[6], person[7], person[8], person[9], person[10],
         person[11], person[3], person[4]]
        for number, person in enumerate(people, 1)
    ]
    path = two_row_sheet(tmp_path / "dtks.xlsx", "DTKS DESA WANGGUDU RAYA", columns, rows)
    code, out, err = run("import_dtks", str(path), "--year", "2024", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["members"]["created"] == 4
    stored = set(Member.objects.values_list("nik", "name"))
    assert stored == {(person[7], person[8]) for person in people}
    assert Household.objects.get(no_kk=KK_1).members.count() == 3


def test_a_row_message_names_a_head_column_with_its_label_and_a_place_column_by_its_title(reference, tmp_path):
    """A wrong NIK under KEPALA KELUARGA is said of "KEPALA KELUARGA NIK" (not the row's own NIK); a
    village code under WILAYAH, a mere grouping, is said of its title, as in a header of one row."""
    columns = [
        "NO", "ID KELUARGA P3KE", ("WILAYAH", ["KECAMATAN", "DESA/KELURAHAN", "KODE KEMDAGRI"]), "DESIL KESEJAHTERAAN",
        ("KEPALA KELUARGA", ["NAMA", "NIK", "JENIS KELAMIN"]),
    ]
    rows = [
        [1, "122270001", "ASERA", "WANGGUDU RAYA", "7409012006", 1, "LA GRUP", "74090112", "LAKI-LAKI"],
        [2, "122270002", "ASERA", "WANGGUDU RAYA", "7499999999", 1, "LA DUA", nik(102), "LAKI-LAKI"],
        [3, "122270003", "ASERA", "WANGGUDU RAYA", "7409012006", 1, "LA TIGA", nik(103), "LAKI-LAKI"],
    ]
    path = two_row_sheet(tmp_path / "p3ke.xlsx", "DATA P3KE", columns, rows, sheet_name="keluarga")
    code, out, err = run("import_p3ke", str(path), "--year", "2022", "--json", "--skip-invalid")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["households"]["created"] == 1
    batch = ImportBatch.objects.get(pk=summary["batch"])
    assert sorted((e["row"], e["column"]) for e in batch.errors) == [(5, "KEPALA KELUARGA NIK"), (6, "KODE KEMDAGRI")]


def test_a_text_file_with_its_upper_header_row_naming_the_head_reads_the_titles_under_it(reference, tmp_path):
    """A CSV saved from such a table (no merged cells left): KEPALA KELUARGA written once over
    NAMA;NIK;JENIS KELAMIN in the row below, the other titles in the upper row only."""
    head = nik(100)
    lines = [
        "ID KELUARGA P3KE;KODE KEMDAGRI;DESIL KESEJAHTERAAN;KEPALA KELUARGA;;;PENERIMA PKH",
        ";;;NAMA;NIK;JENIS KELAMIN;",
        f"122270001;7409012006;1;LA GRUP;{head};LAKI-LAKI;YA",
    ]
    path = tmp_path / "keluarga.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, out, err = run("import_p3ke", str(path), "--year", "2022", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    family = Household.objects.get(p3ke_id="122270001")
    assert (family.head_name, family.head_nik) == ("LA GRUP", head)
    assert list(family.members.values_list("name", "sex")) == [("LA GRUP", "L")]


def test_the_titles_under_krt_are_the_head_of_the_households_where_the_layout_has_them(reference, tmp_path):
    """NAMA under KRT is the household's head ("Nama KRT"); no household layout has a KRT's NIK,
    so that column is listed for mapping, never read as the family's head NIK in silence."""
    columns = ["ID KELUARGA P3KE", "KODE KEMDAGRI", "DESIL KESEJAHTERAAN", ("KRT", ["NAMA", "NIK"])]
    rows = [["122270001", "7409012006", 1, "LA KRT", nik(100)]]
    path = two_row_sheet(tmp_path / "p3ke.xlsx", "DATA P3KE", columns, rows, sheet_name="keluarga")
    code, out, err = run("import_p3ke", str(path), "--year", "2022", "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert [c["column"] for c in summary["unmapped_columns"]] == ["KRT NIK"]
    family = Household.objects.get(p3ke_id="122270001")
    assert (family.head_name, family.head_nik) == ("LA KRT", "")


@pytest.mark.parametrize("down", [True, False])
def test_a_recipient_list_naming_each_family_by_its_head_is_read_with_its_other_titles(family, tmp_path, down):
    """A PKH list: NAMA, NIK and NO KK under KEPALA KELUARGA, NO, DESA and NOMINAL in the upper row
    (merged down over both rows, or not). The head's NIK names the family, the amount is stored,
    and no column is left unread."""
    household, head, _child, _other = family
    columns = ["NO", ("KEPALA KELUARGA", ["NAMA", "NIK", "NO KK"]), "DESA", "NOMINAL"]
    rows = [[1, "KEPALA", head.nik, household.no_kk, household.desa.name, 500000]]
    path = two_row_sheet(tmp_path / "pkh.xlsx", "DAFTAR PENERIMA PKH TA. 2024", columns, rows, down=down)
    code, out, err = run("import_recipients", "--program", "pkh", "--year", "2024", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    assert not [w for w in ImportBatch.objects.get(pk=summary["batch"]).warnings if "tidak berjudul" in w["reason"]]
    assert list(Enrollment.objects.values_list("household", "member", "amount")) == [(household.pk, None, 500000)]


def test_a_recipients_own_nik_is_read_before_the_nik_of_the_head_of_the_family(family, tmp_path):
    """A PIP list names each pupil's family by its head first (KEPALA KELUARGA over NAMA | NIK), then
    the pupil (SISWA over NAMA | NIK): the pupil is the recipient; the head's NIK is said not read."""
    household, head, child, _other = family
    columns = ["NO", ("KEPALA KELUARGA", ["NAMA", "NIK"]), ("SISWA", ["NAMA", "NIK"]), "NOMINAL"]
    rows = [[1, "KEPALA", head.nik, "ANAK", child.nik, 450000]]
    path = two_row_sheet(tmp_path / "pip.xlsx", "DAFTAR PENERIMA PIP TA. 2024", columns, rows)
    code, out, err = run("import_recipients", "--program", "pip", "--year", "2024", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0
    assert list(Enrollment.objects.values_list("household", "member", "amount")) == [(household.pk, child.pk, 450000)]
    warned = ImportBatch.objects.get(pk=summary["batch"]).warnings
    assert [w["column"] for w in warned if "hanya kolom E yang dibaca" in w["reason"]] == [
        "KEPALA KELUARGA NIK"
    ]


def import_pkh_csv(tmp_path, lines: list[str]) -> tuple[dict, list[str]]:
    """A PKH list as a CSV of ``lines`` imported: its summary, with no row error and no column
    listed as unknown, and the reasons it warned."""
    path = tmp_path / "pkh.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    code, out, err = run("import_recipients", "--program", "pkh", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    return summary, [w["reason"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]


@pytest.mark.parametrize("label", ["IDENTITAS PENERIMA", "KEPALA KELUARGA"])
def test_a_text_file_with_its_titles_in_the_upper_row_over_a_label_reads_every_column(family, tmp_path, label):
    """A CSV saved from a merged header whose upper row has no NIK: NO, DESA and NOMINAL written in
    the upper row only, the label once over NAMA;NIK;NO KK in the row below. Every column is read."""
    household, head, _child, _other = family
    lines = [
        "DAFTAR PENERIMA BANTUAN PKH TA. 2024;;;;;",
        f"NO;{label};;;DESA;NOMINAL",
        ";NAMA;NIK;NO KK;;",
        f"1;KEPALA;{head.nik};{household.no_kk};{household.desa.name};750000",
    ]
    _summary, warned = import_pkh_csv(tmp_path, lines)
    assert not [reason for reason in warned if "tidak berjudul" in reason]
    assert list(Enrollment.objects.values_list("household", "year", "amount")) == [(household.pk, 2024, 750000)]


def test_a_heads_nik_in_a_recipient_list_is_checked_against_the_heads_name_beside_it(family, tmp_path):
    """A NIK under KEPALA KELUARGA that the registry holds for someone else than the NAMA beside it
    (a digit mistyped) is warned, as a recipient's NIK beside another name is."""
    household, head, _child, _other = family
    columns = ["NO", ("KEPALA KELUARGA", ["NAMA", "NIK"]), "NOMINAL"]
    rows = [[1, "WA ODE SITI AMINAH", head.nik, 500000]]
    path = two_row_sheet(tmp_path / "pkh.xlsx", "DAFTAR PENERIMA PKH TA. 2024", columns, rows)
    code, out, err = run("import_recipients", "--program", "pkh", "--year", "2024", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    warned = ImportBatch.objects.get(pk=summary["batch"]).warnings
    assert [(w["row"], w["column"]) for w in warned if "berbeda dengan nama pemilik NIK" in w["reason"]] == [(5, "NAMA")]


def test_a_line_over_a_table_that_starts_a_column_further_right_is_not_its_header(family, tmp_path):
    """"KECAMATAN : ASERA" written over a table whose first column is empty is the list's place, not
    the upper row of its header: the table's own KECAMATAN column is read, nothing listed as unknown."""
    household, head, _child, _other = family
    kecamatan = household.desa.kecamatan.name
    lines = [
        "DAFTAR PENERIMA BANTUAN PKH TA. 2024;;;;",
        f"KECAMATAN;: {kecamatan};;;",
        ";NO;NIK;NOMINAL;KECAMATAN",
        f";1;{head.nik};750000;{kecamatan}",
    ]
    _summary, warned = import_pkh_csv(tmp_path, lines)
    assert not [reason for reason in warned if "KECAMATAN" in reason]
    assert list(Enrollment.objects.values_list("household", "amount")) == [(household.pk, 750000)]


def test_a_list_naming_each_family_by_its_heads_nik_in_one_header_row_is_read(family, tmp_path):
    """PKH and BPNT lists often carry only "NIK KRT" or "NIK Kepala Keluarga": the head's NIK finds
    the family, as under a KEPALA KELUARGA label; a recipient's own NIK beside it comes first."""
    household, head, child, _other = family
    _summary, _warned = import_pkh_csv(tmp_path, [
        "NO;NAMA KRT;NIK KRT;DESA;NOMINAL",
        f"1;KEPALA;{head.nik};{household.desa.name};750000",
    ])
    assert list(Enrollment.objects.values_list("household", "member", "amount")) == [(household.pk, None, 750000)]

    path = tmp_path / "pip.csv"
    path.write_text(
        "NO;NIK Kepala Keluarga;NAMA SISWA;NIK SISWA;NOMINAL\r\n"
        f"1;{head.nik};ANAK;{child.nik};450000\r\n", encoding="utf-8",
    )
    code, out, err = run("import_recipients", "--program", "pip", "--year", "2024", str(path), "--json")
    assert code == 0 and json.loads(out)["errors"] == 0, (out, err)
    assert Enrollment.objects.get(program__code="pip").member == child
