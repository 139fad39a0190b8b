"""Web applications' "export to Excel" (SIKS-NG, e-PKH, Dukcapil) as they really arrive: an Excel 2003
XML workbook ("XML Spreadsheet 2003") named .xls or .xlsx, or an HTML table named .xlsx. Read by
their content, as a workbook saved by Excel is; a file that is none of these keeps its refusal."""

from __future__ import annotations

import datetime
import json
import tracemalloc
from xml.sax.saxutils import escape

import pytest
from django.urls import reverse
from openpyxl import Workbook

from households.imports import p3ke_fork, sheetfork
from households.imports.reader import open_source
from households.models import Household, ImportBatch, Member
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, nik
from .realfiles import KK_1, KK_2, SIKS_DTKS, siks_rows
from . import test_import_bad_input
from .test_import_bad_input import refused, registry_state, run
from .test_import_real_files import imports_both_families, text_reads_unchanged

pytestmark = pytest.mark.django_db
seeded = test_import_bad_input.seeded  # the registry after an import, which a refused file leaves as it was

# What Excel (and the PHP and .NET writers web applications use) puts above the first sheet.
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <DocumentProperties xmlns="urn:schemas-microsoft-com:office:office">
  <Author>SIKS-NG</Author>
  <Created>2024-01-12T02:22:00Z</Created>
 </DocumentProperties>
 <Styles>
  <Style ss:ID="Default" ss:Name="Normal"><Alignment ss:Vertical="Bottom"/><Font ss:FontName="Calibri"/></Style>
  <Style ss:ID="judul"><Font ss:Bold="1" ss:Size="14"/></Style>
  <Style ss:ID="teks"><NumberFormat ss:Format="@"/></Style>
  <Style ss:ID="tanggal"><NumberFormat ss:Format="Short Date"/></Style>
 </Styles>
"""
_OPTIONS = """  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">
   <PageSetup><Header x:Margin="0.3"/><Footer x:Margin="0.3"/></PageSetup>
   {visible}<ProtectObjects>False</ProtectObjects>
   <ProtectScenarios>False</ProtectScenarios>
  </WorksheetOptions>
"""


def _cell(value, index: int | None) -> str:
    at = f' ss:Index="{index}"' if index is not None else ""
    if isinstance(value, bool):
        return f'<Cell{at}><Data ss:Type="Boolean">{int(value)}</Data></Cell>'
    if isinstance(value, (int, float)):
        return f'<Cell{at}><Data ss:Type="Number">{value}</Data></Cell>'
    if isinstance(value, datetime.date):
        return f'<Cell{at} ss:StyleID="tanggal"><Data ss:Type="DateTime">{value:%Y-%m-%d}T00:00:00.000</Data></Cell>'
    return f'<Cell{at} ss:StyleID="teks"><Data ss:Type="String">{escape(value)}</Data></Cell>'


def xml_row(values: list, *, index: int | None = None, hidden: bool = False) -> str:
    """A ``<Row>`` as Excel writes it: an empty cell is left out, and the next one says its column (ss:Index)."""
    cells, gap = [], False
    for column, value in enumerate(values, 1):
        if value is None or value == "":
            gap = True
            continue
        cells.append(_cell(value, column if gap else None))
        gap = False
    attributes = (f' ss:Index="{index}"' if index else "") + (' ss:Hidden="1"' if hidden else "")
    return f"   <Row{attributes}>{''.join(cells)}</Row>\n"


def xml_title(text: str, width: int, *, index: int | None = None) -> str:
    """A title or footer line merged across the table's width (ss:MergeAcross)."""
    at = f' ss:Index="{index}"' if index else ""
    return f'   <Row{at}><Cell ss:MergeAcross="{width - 1}" ss:StyleID="judul"><Data ss:Type="String">{escape(text)}</Data></Cell></Row>\n'


def spreadsheet_xml(sheets: list[tuple[str, str]], *, hidden: tuple[str, ...] = ()) -> str:
    """A workbook of ``(name, rows XML)`` sheets; those named in ``hidden`` hidden as Excel marks them."""
    body = []
    for name, rows in sheets:
        visible = "<Visible>SheetHidden</Visible>\n   " if name in hidden else "<Selected/>\n   "
        body.append(
            f' <Worksheet ss:Name="{escape(name)}">\n  <Table x:FullColumns="1" x:FullRows="1" ss:DefaultRowHeight="15">\n'
            f'   <Column ss:Width="110"/>\n{rows}  </Table>\n{_OPTIONS.format(visible=visible)} </Worksheet>\n'
        )
    return _HEAD + "".join(body) + "</Workbook>\n"


def _dtks_workbook(people: list[list], *, hidden_row: int | None = None) -> str:
    """SIKS-NG's DTKS as XML Spreadsheet 2003: a title merged across, a blank row skipped (ss:Index),
    the header, the people (the ``hidden_row``-th hidden), the printed-by line; a hidden lookup sheet."""
    width = len(SIKS_DTKS)
    rows = xml_title("DATA TERPADU KESEJAHTERAAN SOSIAL - DESA WANGGUDU RAYA", width)
    rows += xml_row(SIKS_DTKS, index=3)
    rows += "".join(xml_row(person, hidden=number == hidden_row) for number, person in enumerate(people))
    rows += xml_title("Dicetak dari SIKS-NG pada 12/01/2024 10:22", width)
    lookup = xml_row(["KODE", "HUBUNGAN"]) + xml_row([1, "KEPALA KELUARGA"]) + xml_row([3, "ISTRI"])
    return spreadsheet_xml([("DTKS", rows), ("Referensi", lookup)], hidden=("Referensi",))


def _xml_people() -> list[list]:
    """``siks_rows`` as the export types them: the birth dates as DateTime cells, one aid cell left empty."""
    people = siks_rows()
    for person in people:
        day, month, year = (int(part) for part in person[9].split("/"))
        person[9] = datetime.date(year, month, day)
    people[2][15] = ""  # the child's PBI JKN: "-" in the text, an empty cell here
    return people


def test_dtks_as_excel_2003_xml_named_xls_imports_as_its_text_would(reference, tmp_path):
    path = tmp_path / "DTKS_WANGGUDU_RAYA.xls"
    path.write_text(_dtks_workbook(_xml_people(), hidden_row=3), encoding="utf-8")
    summary = imports_both_families(path)
    family = Household.objects.get(no_kk=KK_1)
    assert set(family.members.values_list("name", "birth_date")) == {
        ("LA ODE BAKRI", datetime.date(1980, 1, 5)), ("WA ODE SITTI", datetime.date(1980, 1, 5)),
        ("LA ODE ANAK", datetime.date(2010, 5, 17)),
    }
    assert Household.objects.get(no_kk=KK_2).head_name == "AHMAD"
    warnings = {(w["sheet"], w["row"], w["reason"].split(" (")[0].split(":")[0]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings}
    assert warnings == {
        ("Referensi", 0, "Lembar ini tersembunyi di Excel; tidak dibaca"),
        ("DTKS", 0, "1 baris tersembunyi di Excel"),
        ("DTKS", 8, "Tabel berakhir di baris catatan/jumlah/tanda tangan"),
    }, warnings
    hidden = next(w["reason"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings if "baris tersembunyi" in w["reason"])
    assert "tetap dibaca: baris 7." in hidden  # the fourth person: rows 1 (title), 3 (header), 4-7

    # The same people in SIKS-NG's text: nothing to change.
    people = siks_rows()
    people[2][15] = ""
    text_reads_unchanged(tmp_path, people)


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_excel_2003_xml_named_xlsx_imports(reference, tmp_path, suffix):
    path = tmp_path / f"DTKS_WANGGUDU_RAYA{suffix}"
    path.write_text(_dtks_workbook(_xml_people()), encoding="utf-8")
    imports_both_families(path)


def test_a_family_card_merged_down_over_its_members_is_read_on_each_row(reference, tmp_path):
    """A Dukcapil-style list: the family's No KK typed once and merged down over its members' rows
    (ss:MergeDown); the rows under it start at the next column (ss:Index), as Excel writes them."""
    people = siks_rows()
    rows = xml_row(SIKS_DTKS)
    for number, person in enumerate(people):
        if number in (1, 2):
            person[6] = ""  # under the merged No KK
        row = xml_row(person)
        if number == 0:
            row = row.replace(f'<Cell ss:StyleID="teks"><Data ss:Type="String">{KK_1}', f'<Cell ss:MergeDown="2" ss:StyleID="teks"><Data ss:Type="String">{KK_1}')
        rows += row
    path = tmp_path / "BIODATA_KK.xls"
    path.write_text(spreadsheet_xml([("Sheet1", rows)]), encoding="utf-8")
    assert path.read_text().count('ss:MergeDown="2"') == 1 and path.read_text().count('ss:Index="8"') == 2
    imports_both_families(path)
    assert set(Household.objects.get(no_kk=KK_1).members.values_list("name", flat=True)) == {"LA ODE BAKRI", "WA ODE SITTI", "LA ODE ANAK"}


@pytest.mark.parametrize("fork", [False, True])
def test_a_p3ke_extract_as_excel_2003_xml_reads_both_sheets_and_a_formula_cell_by_its_saved_value(reference, tmp_path, monkeypatch, fork):
    # Forked, the individual sheet is read by a child process, from the file again.
    monkeypatch.setattr(sheetfork, "MIN_BYTES", 0 if fork else 1 << 62)
    forks = []
    monkeypatch.setattr(p3ke_fork, "start", lambda *args, start=p3ke_fork.start: forks.append(args[1]) or start(*args))
    households = [household_row(str(122000001 + i), 100 + i) for i in range(2)]
    members = [head_member_row(h["ID Keluarga P3KE"], f"9{h['ID Keluarga P3KE']}1", 100 + i) for i, h in enumerate(households)]
    members.append(member_row("122000001", "91220000012", 500))
    sheets = []
    for name, headers, records in (("KEPALA-KELUARGA", HH_2023, households), ("INDIVIDU", IND_2023, members)):
        rows = xml_row(headers)
        for record in records:
            row = xml_row([record.get(header) for header in headers])
            if name == "KEPALA-KELUARGA":  # the desil looked up from another list, saved with its value
                desil = '<Cell><Data ss:Type="Number">1</Data></Cell>'
                assert row.count(desil) == 1
                row = row.replace(desil, '<Cell ss:Formula="=VLOOKUP(RC1,DESIL!C1:C2,2,FALSE)"><Data ss:Type="Number">1</Data></Cell>')
            rows += row
        sheets.append((name, rows))
    path = tmp_path / "P3KE_KONUT.xls"
    path.write_text(spreadsheet_xml(sheets), encoding="utf-8")
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 3
    warnings = [(w["sheet"], w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert warnings == [("KEPALA-KELUARGA", 2, "Desil Kesejahteraan", "Kolom ini berisi rumus Excel; nilai yang tersimpan di berkas dipakai (dicatat sekali, di sel rumus pertama)")]
    assert Member.objects.get(id_individu="91220000012").household.p3ke_id == "122000001"
    assert forks == (["INDIVIDU"] if fork else [])


def _html_dtks(tmp_path):
    header = "".join(f"<th>{title}</th>" for title in SIKS_DTKS)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in siks_rows())
    path = tmp_path / "DTKS_WANGGUDU_RAYA.xlsx"
    path.write_text(
        "<html><head><meta charset='utf-8'></head><body><table border='1'>"
        f"<tr>{header}</tr>{body}</table></body></html>", encoding="utf-8",
    )
    return path


def test_an_html_table_named_xlsx_imports(reference, tmp_path):
    imports_both_families(_html_dtks(tmp_path))


def _recipients(tmp_path):
    """Three families; a list of their heads' NIKs the way an agency's Excel holds them: the first as
    text, the second as a number cell (sixteen digits survive when the last one is not 0), the third as a
    number cell that lost its last digit."""
    families = [
        HouseholdFactory(p3ke_id=f"12200000{serial}", no_kk=f"74090101012000{serial:02d}", head_nik=nik(serial))
        for serial in (1, 2, 10)
    ]
    header = ["NO", "NIK", "NAMA", "TAHUN", "NOMINAL"]
    rows = [
        [1, families[0].head_nik, families[0].head_name, 2024, "Rp 300.000"],
        [2, int(families[1].head_nik), families[1].head_name, 2024, "Rp 300.000"],
        [3, int(families[2].head_nik), families[2].head_name, 2024, "Rp 300.000"],
    ]
    return families, header, rows


def test_a_number_nik_in_excel_2003_xml_is_checked_as_the_same_xlsx_cell(reference, tmp_path):
    families, header, rows = _recipients(tmp_path)
    assert families[2].head_nik.endswith("0")
    workbook = Workbook()
    workbook.active.title = "KPM BLT DESA"
    for row in (header, *rows):
        workbook.active.append(row)
    xlsx = tmp_path / "blt_desa.xlsx"
    workbook.save(xlsx)
    xml = tmp_path / "blt_desa.xls"
    xml.write_text(spreadsheet_xml([("KPM BLT DESA", "".join(xml_row(row) for row in (header, *rows)))]), encoding="utf-8")

    found = []
    for path in (xlsx, xml):
        code, out, err = run("import_recipients", str(path), "--program", "blt-desa", "--dry-run")
        assert code == 1, (out, err)
        found.append(out.replace(path.name, "FILE"))
    assert found[1] == found[0]
    assert "Kesalahan: 1, peringatan: 1" in found[1]
    assert "- KPM BLT DESA baris 4, NIK: NIK rusak oleh Excel" in found[1]
    assert "- KPM BLT DESA baris 3, NIK: NIK tersimpan sebagai angka, bukan teks" in found[1]
    assert not Enrollment.objects.exists()


def test_rows_hidden_in_an_excel_2003_xml_list_uploaded_are_read_and_named(bappeda_client, reference, tmp_path):
    families, header, rows = _recipients(tmp_path)
    rows = rows[:2]
    rows[1][1] = families[1].head_nik
    sheet = xml_row(header) + xml_row(rows[0]) + xml_row([*rows[1], "MENINGGAL"], hidden=True)
    path = tmp_path / "kpm_blt_desa.xls"
    path.write_text(spreadsheet_xml([("KPM BLT DESA", sheet)]), encoding="utf-8")
    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code="blt-desa").pk,
        })
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == "previewed", batch.message
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert "1 baris tersembunyi di Excel" in page and "baris 3." in page
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (families[0].pk, "blt-desa", 2024), (families[1].pk, "blt-desa", 2024),
    }


@pytest.mark.parametrize("name, content, message", [
    ("DTKS.xlsx", '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>NIK</text></svg>',
     "bukan berkas Excel .xlsx yang sah"),
    ("DTKS.xls", '<?xml version="1.0"?><laporan><baris>7409011005080001</baris></laporan>',
     "bukan berkas Excel 97-2003 (.xls) yang sah"),
])
def test_a_file_of_none_of_these_kinds_keeps_its_refusal(seeded, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    refused(code, out, err, seeded, expect_code=2)
    assert message in err and json.loads(out)["status"] == "unreadable"


@pytest.mark.parametrize("before", [
    "",
    # A comment naming a workbook before the DOCTYPE: still no workbook before the declaration.
    '<!-- <Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"> -->\n',
], ids=["doctype", "doctype-after-a-comment-naming-a-workbook"])
def test_excel_2003_xml_declaring_entities_is_refused_unread(seeded, tmp_path, before):
    bomb = before + '<!DOCTYPE Workbook [<!ENTITY a "KEPALA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    text = _dtks_workbook(_xml_people()).replace("LA ODE BAKRI", "&b;")
    text = text.replace('<?mso-application progid="Excel.Sheet"?>\n', '<?mso-application progid="Excel.Sheet"?>\n' + bomb)
    path = tmp_path / "DTKS.xls"
    path.write_text(text, encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    refused(code, out, err, seeded, expect_code=2)
    assert "DTKS.xls: berkas XML Spreadsheet 2003 ini memuat deklarasi DOCTYPE" in err
    assert "ditolak demi keamanan server" in err


def test_a_truncated_excel_2003_xml_is_damaged_and_nothing_is_written(seeded, tmp_path):
    text = _dtks_workbook(_xml_people())
    path = tmp_path / "DTKS.xls"
    path.write_text(text[: text.index("WA ODE SITTI")], encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code in (1, 2), (out, err)
    assert registry_state() == seeded
    assert "DTKS.xls rusak atau tidak lengkap" in out + err


def test_a_cell_placed_beyond_excels_last_column_is_refused(seeded, tmp_path):
    rows = xml_row(SIKS_DTKS) + xml_row(siks_rows()[0]).replace("<Cell ", '<Cell ss:Index="99999999" ', 1)
    path = tmp_path / "DTKS.xls"
    path.write_text(spreadsheet_xml([("DTKS", rows)]), encoding="utf-8")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code in (1, 2), (out, err)
    assert registry_state() == seeded
    assert "16.384 kolom" in out + err


def test_a_large_excel_2003_xml_is_read_in_flat_memory(tmp_path):
    person = siks_rows()[0]
    path = tmp_path / "DTKS.xls"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(spreadsheet_xml([("DTKS", xml_row(SIKS_DTKS) + "@ROWS@")]).split("@ROWS@")[0])
        for number in range(5_000):
            handle.write(xml_row([str(number), *person[1:7], nik(1 + number % 9000), *person[8:]]))
        handle.write("  </Table>\n </Worksheet>\n</Workbook>\n")
    size = path.stat().st_size
    source = open_source(path)
    table = source.table(source.sheet_names()[0], is_known_header=lambda h: h in ("nik", "nokk", "nama"),
                         is_identity_header=lambda h: h == "nik")
    tracemalloc.start()
    try:
        count = sum(1 for _ in table.rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 5_000
    assert peak < size / 10, (peak, size)
