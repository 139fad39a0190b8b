"""What the fast paths must not change: values with characters COPY escapes, the error report
written from the rows kept while reading (and from a second read when a row is refused later),
an individual sheet placed before the household sheet, the source year set after all sheets."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from households.imports.reader import open_source
from households.imports.report import write_error_report
from households.imports.services import run_file_import
from households.models import Household, Member

from .conftest import HH_2022, HH_2023, IND_2023, head_member_row, household_row, member_row, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def test_values_with_backslash_quotes_and_tabs_are_stored_exactly(reference, tmp_path):
    name = 'LA ODE \\ "BAKRI"'
    households = [
        household_row("122000001", 100, **{"Nama Kepala Keluarga": name, "Jenis Atap": 'Seng "bekas"\\x'}),
        household_row("122000002", 101, **{"Alamat": "Dusun\t2 \\ RT 1"}),
    ]
    members = [
        head_member_row("122000001", "91220000011", 100, Nama=name),
        member_row("122000001", "91220000012", 500, Nama="ANAK\\SATU"),
        head_member_row("122000002", "91220000021", 101),
    ]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    code, out, _ = run("import_p3ke", str(path), "--json")
    assert code == 0, out
    first = Household.objects.get(p3ke_id="122000001")
    assert first.head_name == name
    assert first.raw_values == {"roof_type": 'Seng "bekas"\\x'}
    assert first.roof_type == ""
    assert first.source_values["head_name"] == name
    assert Household.objects.get(p3ke_id="122000002").address == "Dusun 2 \\ RT 1"
    assert Member.objects.get(id_individu="91220000012").name == "ANAK\\SATU"
    # The history row carries the same values.
    assert first.history.get().head_name == name and first.history.get().raw_values == {"roof_type": 'Seng "bekas"\\x'}

    code, out, _ = run("import_p3ke", str(path), "--json")
    again = json.loads(out)
    assert code == 0 and again["households"]["unchanged"] == 2 and again["members"]["unchanged"] == 3


def _report_rows(path_or_buffer):
    workbook = load_workbook(path_or_buffer)
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def test_error_report_from_kept_rows_equals_report_read_again(reference, tmp_path):
    households = [
        household_row("122000001", 100, **{"Desil Kesejahteraan": 11}),
        household_row("122000002", 101),
        household_row("122000003", 102, **{"Kode Kemdagri": "7402012001"}),
        household_row("122000002", 103),  # duplicate: refuses row 3 as well, after it was read
    ]
    members = [head_member_row(h["ID Keluarga P3KE"], f"9{h['ID Keluarga P3KE']}{i}", 100 + i) for i, h in enumerate(households[:3])]
    members.append(member_row("122000001", "91220000019", 500, NIK="74090112345"))
    path = write_xlsx(
        tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}, title_rows=2,
    )
    report = tmp_path / "report.xlsx"
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True, error_report=str(report))
    issues = outcome.plan.extract.issues
    refused = {(i.sheet, i.row) for i in issues.errors}
    assert ("KEPALA-KELUARGA", 5) in refused and ("KEPALA-KELUARGA", 7) in refused  # the duplicated pair
    kept = _report_rows(report)

    # The same report written with nothing kept: every refused row read again from the file.
    issues.row_cells.clear()
    source = open_source(path)
    buffer = io.BytesIO()
    write_error_report(buffer, [source], issues)
    source.close()
    again = _report_rows(io.BytesIO(buffer.getvalue()))
    assert kept == again
    assert [row[-2] for row in kept["KEPALA-KELUARGA"][1:]] == [4, 5, 6, 7]
    assert any("Desil harus antara 1 dan 10, bukan 11" in row[-1] for row in kept["KEPALA-KELUARGA"][1:])
    assert [row[-2] for row in kept["INDIVIDU"][1:]] == [4, 5, 6, 7]
    assert "NIK" in kept["INDIVIDU"][4][-1] and "ditolak" in kept["INDIVIDU"][1][-1]


def test_individual_sheet_before_household_sheet_gives_the_same_result(reference, tmp_path):
    households = [household_row("122000001", 100, **{"Penerima PKH": "Ya"}), household_row("122000002", 101)]
    members = [
        head_member_row("122000001", "91220000011", 100),
        member_row("122000001", "91220000012", 500),
        head_member_row("122000002", "91220000021", 101),
    ]
    normal = write_xlsx(tmp_path / "a.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    swapped = write_xlsx(tmp_path / "b.xlsx", {"INDIVIDU": (IND_2023, members), "KEPALA-KELUARGA": (HH_2023, households)})
    first = run_file_import(kind="p3ke", paths=[str(normal)], dry_run=True)
    second = run_file_import(kind="p3ke", paths=[str(swapped)], dry_run=True)
    assert first.status == second.status == "previewed"
    assert first.summary == second.summary
    assert first.summary["members"]["created"] == 3
    assert [t.kind for t in second.plan.extract.tables] == ["keluarga", "individu"]
    assert Household.objects.count() == 0


def test_unknown_sheet_warning_comes_first_and_source_year_follows_the_release(reference, tmp_path):
    households = [household_row("122000001", 100)]
    old = [{h: households[0].get(h) for h in HH_2022} | {"Kepala Keluarga": "KEPALA 100", "NIK": households[0]["NIK Kepala Keluarga"]}]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2022, old), "Catatan": (["Kecamatan", "Desa", "NIK", "Lain"], [])})
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True)
    extract = outcome.plan.extract
    assert extract.data_year == 2022
    record = next(record for record in extract.households.values() if record.key == "122000001")
    assert record.values["source_year"] == 2022
    assert extract.issues.warnings[0].sheet == "Catatan" and "tidak dikenali" in extract.issues.warnings[0].reason

    code, out, _ = run("import_p3ke", str(path), "--json")
    assert code == 0 and Household.objects.get(p3ke_id="122000001").source_year == 2022


def test_large_sheet_read_in_chunks_gives_the_same_rows(reference, tmp_path, monkeypatch):
    from households.imports import columns as cols
    from households.imports import reader

    households = [household_row(str(122000001 + i), 100 + i, **({"Desil Kesejahteraan": 11} if i == 7 else {})) for i in range(40)]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households)}, title_rows=3)

    def read(chunked: bool):
        monkeypatch.setattr(reader, "CHUNKED_PART_BYTES", 0 if chunked else 10**12)
        monkeypatch.setattr(reader, "CHUNK_BYTES", 4096)  # many chunks of a few rows each
        source = open_source(path)
        table = source.table("KEPALA-KELUARGA", is_known_header=cols.is_known)
        rows = (table.header_row, table.headers, list(table.rows))
        source.close()
        return rows

    whole, chunked = read(False), read(True)
    assert chunked == whole
    assert whole[0] == 4 and [number for number, _ in whole[2]] == list(range(5, 45))
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True)
    assert outcome.summary["households"]["created"] == 39
    assert [(i.row, i.column) for i in outcome.plan.extract.issues.errors] == [(12, "Desil Kesejahteraan")]


def test_rows_keep_their_excel_numbers_when_the_sheet_starts_below_row_one(reference, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "KEPALA-KELUARGA"
    rows = [HH_2023] + [[household_row("122000001", 100, **{"Desil Kesejahteraan": 11}).get(h) for h in HH_2023]]
    for r, values in enumerate(rows, start=3):  # rows 1-2 empty, header on row 3, data on row 4
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, as Excel saves "=< 900 WATT"
    path = tmp_path / "p3ke.xlsx"
    workbook.save(path)
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True)
    assert [(i.row, i.column) for i in outcome.plan.extract.issues.errors] == [(4, "Desil Kesejahteraan")]
    assert outcome.plan.extract.tables[0].header_row == 3
