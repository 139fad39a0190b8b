"""Files as regency offices receive them import as an office expects: P3KE 2023 with ``=< 900 WATT``
and ``KOSONG``, HIMBARA aid columns, SIKS-NG ``|`` text with its own headers, CSV ids that went
through a float, legacy ``.xls`` with title and notes rows. Every file is built here from the real
headers and values (domain brief, "Real files are messier than any generator")."""

from __future__ import annotations

import datetime
import json

import pytest

from dedup.models import Conflict, ConflictStatus
from households.imports.services import run_file_import
from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from .conftest import HH_2022, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_csv, write_xlsx
from .realfiles import KK_1, KK_2, SIKS_DTKS, siks_rows, write_text, write_xls
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

HIMBARA = ["Keluarga Penerima PKH 2023 (HIMBARA)", "Keluarga Penerima SEMBAKO (HIMBARA 2023)"]


def _programs(household) -> set[str]:
    return set(Enrollment.objects.filter(household=household).values_list("program__code", flat=True))


def test_p3ke_2023_with_daya_listrik_and_kosong_imports_every_family(reference, tmp_path):
    households = [
        household_row("122000001", 100, **{"Daya Listrik Terpasang": "=< 900 WATT"}),
        household_row("122000002", 101, **{
            "Daya Listrik Terpasang": "> 900 WATT", "NIK Kepala Keluarga Padan Kemdagri": "KOSONG",
            "Memiliki Simpanan Uang/Perhiasan/Ternak/Lainnya": "KOSONG", "Kualitas Atap": "KOSONG",
            "Status Pekerjaan Kepala Keluarga": "Buruh/Karyawan/Pegawai", "Memiliki fasilitas Buang Air Besar": "-",
        }),
        household_row("122000003", 102, **{"Daya Listrik Terpasang": "KOSONG", "Status Pekerjaan Kepala Keluarga": "KOSONG"}),
    ]
    members = [head_member_row(h["ID Keluarga P3KE"], f"9{h['ID Keluarga P3KE']}1", 100 + i) for i, h in enumerate(households)]
    members[1]["Status Pekerjaan"] = "Berusaha Dibantu Buruh Tidak Tetap/Buruh Tidak Dibayar"
    members.append(member_row("122000002", "91220000022", 500, **{"Padan Dukcapil": "Kosong", "Status Pekerjaan": "-"}))
    path = write_xlsx(tmp_path / "p3ke-2023.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["warnings"] == 0
    assert summary["households"]["created"] == 3 and summary["members"]["created"] == 4
    assert summary["unmapped_columns"] == [] and summary["unmapped_values"] == []
    power = dict(Household.objects.values_list("p3ke_id", "electricity_power"))
    assert power == {"122000001": "=< 900 WATT", "122000002": "> 900 WATT", "122000003": ""}
    second = Household.objects.get(p3ke_id="122000002")
    assert (second.has_savings, second.roof_quality, second.toilet, second.raw_values) == (None, "kosong", "", {})
    assert second.desil == 1 and second.desil_source == "p3ke"
    head = Member.objects.get(id_individu="91220000021")
    assert head.work_status == "dibantu_tidak_tetap"
    child = Member.objects.get(id_individu="91220000022")
    assert (child.dukcapil_match, child.work_status) == ("kosong", "")


def test_himbara_columns_are_aid_and_an_unknown_aid_column_is_reported(reference, tmp_path):
    headers = [*HH_2023, *HIMBARA, "Penerima Bantuan Lansia"]
    households = [
        household_row("122000001", 100, **{HIMBARA[0]: "Ya", HIMBARA[1]: "Ya", "Penerima Bantuan Lansia": "Ya"}),
        household_row("122000002", 101, **{HIMBARA[0]: "Tidak", HIMBARA[1]: "Ya", "Penerima Bantuan Lansia": "Tidak"}),
    ]
    path = write_xlsx(tmp_path / "p3ke-himbara.xlsx", {"KEPALA-KELUARGA": (headers, households)})
    code, out, _ = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["errors"] == 0
    assert summary["unmapped_columns"] == [
        {"sheet": "KEPALA-KELUARGA", "column": "Penerima Bantuan Lansia", "layout": "keluarga", "aid": True}
    ]
    # The warning names the column where the office sees it: its header, on the header row.
    assert [(w["row"], w["column"]) for w in _batch_warnings(out)] == [(1, "Penerima Bantuan Lansia")]
    first, second = Household.objects.get(p3ke_id="122000001"), Household.objects.get(p3ke_id="122000002")
    assert _programs(first) == {"pkh", "sembako"} and _programs(second) == {"sembako"}
    # Two aids for one family: flagged, not dropped.
    conflict = Conflict.objects.get(household=first)
    assert conflict.status == ConflictStatus.OPEN
    assert not Conflict.objects.filter(household=second).exists()


def test_aid_columns_named_as_offices_name_the_registrys_programs(reference, tmp_path):
    """Columns an office adds for the programs the registry runs, by code or by another name."""
    local = ["Penerima BSPS", "Penerima BLT DD 2023", "Penerima Rutilahu"]
    households = [
        household_row("122000001", 100, **{"Penerima BSPS": "Ya", "Penerima BLT DD 2023": "Tidak", "Penerima Rutilahu": "Tidak"}),
        household_row("122000002", 101, **{"Penerima BSPS": "Tidak", "Penerima BLT DD 2023": "Ya", "Penerima Rutilahu": "Tidak"}),
    ]
    members = [
        head_member_row("122000001", "9001", 100, **{"Penerima PBI JK": "Ya", "Penerima PIP": "Tidak"}),
        member_row("122000001", "9002", 102, **{"Penerima PBI JK": "Tidak", "Penerima PIP": "Ya"}),
        head_member_row("122000002", "9003", 101, **{"Penerima PBI JK": "Tidak", "Penerima PIP": "Tidak"}),
    ]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": ([*HH_2023, *local], households),
        "INDIVIDU": ([*IND_2023, "Penerima PBI JK", "Penerima PIP"], members),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    received = set(Enrollment.objects.values_list("household__p3ke_id", "program__code", "member__id_individu"))
    assert received == {
        ("122000001", "bsps", None), ("122000001", "pbi-jk", "9001"), ("122000001", "pip", "9002"),
        ("122000002", "blt-desa", None),
    }


def test_the_commands_preview_says_what_it_did_not_read_and_the_aid_it_found(reference, tmp_path):
    """Without --json, the preview lists the unknown columns and values, the warnings, and the
    aid the file claims, not only their counts."""
    headers = [*HH_2023, "Penerima Bantuan Lansia"]
    households = [
        household_row("122000001", 100, **{"Penerima PKH": "Ya", "Penerima Bantuan Lansia": "Ya", "Jenis Atap": "Daun rumbia"}),
        household_row("122000002", 101, **{"Penerima Bantuan Lansia": "Tidak", "Jenis Kelamin Kepala Keluarga": "Perempuan"}),
    ]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, households)})
    code, out, err = run("import_p3ke", str(path), "--dry-run")
    assert code == 0, (out, err)
    assert "Kepesertaan di berkas: 1" in out
    assert "Tidak dikenali, tidak dibaca: kolom bantuan 'Penerima Bantuan Lansia' (lembar KEPALA-KELUARGA)" in out
    assert "Nilai tidak dikenali: 'Daun rumbia' di kolom Jenis Atap (1 baris)" in out
    assert "Peringatan:" in out and "Jenis kelamin tidak sesuai dengan NIK" in out
    assert not Household.objects.exists()


def test_siks_ng_pipe_text_with_its_own_headers(reference, tmp_path):
    path = write_text(
        tmp_path / "DTKS_ASERA.txt", SIKS_DTKS, siks_rows(), separator="|",
        above=["DATA TERPADU KESEJAHTERAAN SOSIAL", "KABUPATEN KONAWE UTARA"],
    )
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    assert summary["unmapped_columns"] == []  # BANSOS BPNT-PPKM: the PPKM months' BPNT, Program Sembako
    family = Household.objects.get(no_kk=KK_1)
    assert (family.head_name, family.head_nik, family.source) == ("LA ODE BAKRI", nik(301), "dtks")
    assert dict(family.members.values_list("name", "relation")) == {
        "LA ODE BAKRI": "kepala", "WA ODE SITTI": "pasangan", "LA ODE ANAK": "anak",
    }
    assert dict(family.members.values_list("name", "sex")) == {"LA ODE BAKRI": "L", "WA ODE SITTI": "P", "LA ODE ANAK": "L"}
    assert _programs(family) == {"sembako", "pbi-jk"}
    assert Enrollment.objects.get(household=family, program__code="pbi-jk").member.name == "WA ODE SITTI"
    assert _programs(Household.objects.get(no_kk=KK_2)) == {"pkh"}
    assert Conflict.objects.filter(household=family).count() == 1


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_in_windows_1252_with_float_ids(reference, tmp_path, separator):
    households = [
        household_row("122237092", 100, **{"Kode Kemdagri": "7409012006.0", "Nama Kepala Keluarga": "LA ODE MUHAMMAD RÉZA"}),
    ]
    members = [
        head_member_row("122237092.0", "91222370921.0", 100, Nama="LA ODE MUHAMMAD RÉZA", **{"Kode Kemdagri": "7409012006.0"}),
    ]
    first = write_csv(tmp_path / "keluarga.csv", HH_2023, households, delimiter=separator)
    second = write_csv(tmp_path / "individu.csv", IND_2023, members, delimiter=separator)
    for path in (first, second):
        path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    code, out, err = run("import_p3ke", str(first), str(second), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 1 and summary["members"]["created"] == 1
    household = Household.objects.get()
    assert (household.p3ke_id, household.head_name, household.desa.code_plain) == ("122237092", "LA ODE MUHAMMAD RÉZA", "7409012006")
    assert household.members.get().id_individu == "91222370921"


def test_every_relation_of_the_dtks_code_list_is_known(reference, tmp_path):
    """Hubungan dengan kepala rumah tangga, as SIKS-NG lists them (codes 1-8)."""
    rows = siks_rows()
    rows[2][11] = "ORANG TUA/MERTUA"
    for id_dtks, serial, name, sex, relation in (
        ("1005", 305, "WA ODE RUTA", "WANITA", "PEMBANTU RUTA"), ("1006", 306, "LA ODE CUCU", "PRIA", "CUCU"),
        ("1007", 307, "LA ODE LAIN", "PRIA", "LAINNYA"),
    ):
        rows.append([id_dtks, *rows[2][1:7], nik(serial, female=sex == "WANITA"), name, "05/01/1980", sex, relation, *rows[2][12:]])
    path = write_text(tmp_path / "DTKS_ASERA.txt", SIKS_DTKS, rows, separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["unmapped_values"] == []
    relations = dict(Household.objects.get(no_kk=KK_1).members.values_list("name", "relation"))
    assert relations == {
        "LA ODE BAKRI": "kepala", "WA ODE SITTI": "pasangan", "LA ODE ANAK": "lainnya", "WA ODE RUTA": "lainnya",
        "LA ODE CUCU": "lainnya", "LA ODE LAIN": "lainnya",
    }


def test_a_siks_ng_row_without_its_village_is_refused_in_the_files_own_terms(reference, tmp_path):
    """The file has no Kode Kemdagri column: the message names its village column, in Indonesian."""
    rows = siks_rows()
    rows[3][4] = ""
    path = write_text(tmp_path / "DTKS_ASERA.txt", SIKS_DTKS, rows, separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 1, (out, err)
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    assert [(e["row"], e["column"], e["reason"]) for e in batch.errors] == [
        (5, "DESA/KELUARAHAN", "Nama Desa/Kelurahan kosong; isi nama Kecamatan dan Desa/Kelurahan"),
    ]


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_excel_unicode_text_in_utf_16_imports(reference, tmp_path, suffix):
    """Excel's "Save As, Unicode Text": UTF-16 with its byte-order mark, tab-separated."""
    rows = siks_rows()
    rows[0][8] = "LA ODE RÉZA"
    path = write_text(tmp_path / f"DTKS_ASERA{suffix}", SIKS_DTKS, rows, separator="\t", encoding="utf-16")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    assert Household.objects.get(no_kk=KK_1).head_name == "LA ODE RÉZA"


def test_a_csv_pasted_from_a_utf_8_file_and_a_windows_1252_file_keeps_both_names(reference, tmp_path):
    """Two villages' lists pasted into one file: one saved as UTF-8, the other by Excel (ANSI)."""
    rows = siks_rows()
    rows[0][8], rows[3][8] = "LA ODE RÉZA", "WA ODE NURAÉNI"
    lines = [",".join(SIKS_DTKS).encode()]
    lines += [",".join(row).encode("utf-8" if index < 3 else "cp1252") for index, row in enumerate(rows)]
    path = tmp_path / "dtks.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert set(Member.objects.filter(name__contains="É").values_list("name", flat=True)) == {"LA ODE RÉZA", "WA ODE NURAÉNI"}


def _web_table(rows: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td style='mso-number-format:\"\\@\"'>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)


def test_a_web_applications_html_table_named_xls_imports_as_its_text_would(reference, tmp_path):
    # A web application's "Excel" export: an HTML page named .xls, which Excel opens. A title table
    # above, the data table with its <th> header, entities and a line break in a cell, a notes line.
    header = "".join(f"<th>{title}</th>" for title in SIKS_DTKS)
    people = [[cell.replace("DUSUN I", "DUSUN&nbsp;I") for cell in row] for row in siks_rows()]
    people[1][8] = "WA ODE<br>SITTI"
    page = (
        "\ufeff<html xmlns:o='urn:schemas-microsoft-com:office:office' xmlns:x='urn:schemas-microsoft-com:office:excel'>"
        "<head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'>"
        "<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet><x:Name>DTKS</x:Name>"
        "</x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]-->"
        "<style>td { mso-number-format: '\\@'; }</style><script>var x = '<tr><td>1</td></tr>';</script></head><body>"
        f"<table><tr><td colspan='{len(SIKS_DTKS)}'><b>DATA TERPADU KESEJAHTERAAN SOSIAL &amp; BANSOS</b></td></tr></table>"
        f"<table border='1'><thead><tr>{header}</tr></thead><tbody>{_web_table(people)}</tbody></table>"
        "<p>Dicetak dari aplikasi</p></body></html>"
    )
    path = tmp_path / "DTKS_ASERA.xls"
    path.write_text(page, encoding="utf-8")
    imports_both_families(path)
    family = Household.objects.get(no_kk=KK_1)
    assert set(family.members.values_list("name", flat=True)) == {"LA ODE BAKRI", "WA ODE SITTI", "LA ODE ANAK"}
    assert _programs(family) == {"sembako", "pbi-jk"}

    # The same data as SIKS-NG's text: nothing to change.
    text_reads_unchanged(tmp_path, siks_rows())


def imports_both_families(path) -> dict:
    """``import_dtks`` of ``siks_rows`` in some form: both families and their four people, without an
    error; the summary."""
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["households"]["created"] == 2 and summary["members"]["created"] == 4
    family = Household.objects.get(no_kk=KK_1)
    assert (family.head_name, family.head_nik, family.address) == ("LA ODE BAKRI", nik(301), "DUSUN I")
    return summary


def text_reads_unchanged(tmp_path, rows: list[list[str]]) -> None:
    """SIKS-NG's ``|`` text of ``rows``, imported after the same people came in another form, changes nothing."""
    text = write_text(tmp_path / "DTKS_ASERA.txt", SIKS_DTKS, rows, separator="|")
    code, out, err = run("import_dtks", str(text), "--json")
    assert code == 0, (out, err)
    again = json.loads(out)
    assert again["households"]["updated"] == 0 and again["members"] == {"created": 0, "updated": 0, "unchanged": 4, "absent": 0}


@pytest.mark.parametrize("suffix", [".xls", ".xlsx", ".csv", ".txt"])
def test_an_html_page_without_a_table_says_what_to_do_whatever_its_name(reference, tmp_path, suffix):
    # Offices save the page under any name, a text table's too: read by its content all the same.
    path = tmp_path / f"DTKS{suffix}"
    path.write_text("<!DOCTYPE html><html><body><p>Sesi Anda telah berakhir, silakan masuk lagi.</p></body></html>")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 2, (out, err)
    assert f"halaman web (HTML) yang diberi nama {suffix}, dan tidak berisi tabel" in err
    assert not Household.objects.exists()


def test_legacy_xls_from_phpexcel_with_title_and_notes_rows(reference, tmp_path):
    headers = ["No", *HH_2022]
    rows = []
    for i, serial in enumerate((100, 101)):
        row = household_row(str(122000001 + i), serial)
        row.update({"Kepala Keluarga": f"KEPALA {serial}", "NIK": row["NIK Kepala Keluarga"], "Jenis Kelamin": "Laki-laki",
                    "Tanggal Lahir": "05/01/1980", "Pekerjaan": "Petani", "Pendidikan": "Tamat SD/Sederajat",
                    "Padan Dukcapil": "Padan"})
        # PHPExcel writes the ids and the region code as numbers.
        rows.append([i + 1, *[(float(row[h]) if h in ("ID Keluarga P3KE", "Kode Kemdagri") else row.get(h)) for h in HH_2022]])
    titles = [["DATA P3KE"], ["PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM"], *[[""]] * 9, ["Kabupaten: KONAWE UTARA"]]
    below = [[""], ["Catatan: data bersifat rahasia"], ["Mengetahui,"], ["###"]]
    path = write_xls(tmp_path / "P3KE_2022.xls", {"keluarga": (headers, rows)}, title_rows=titles, below=below)
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True)
    issues = outcome.plan.issues
    assert [i.reason for i in issues.errors] == []
    assert outcome.plan.extract.tables[0].header_row == 13
    assert sorted(outcome.plan.extract.households) == ["122000001", "122000002"]
    assert [(w.row, "Catatan" in w.reason) for w in issues.warnings] == [(17, True)]
    code, out, _ = run("import_p3ke", str(path), "--json")
    assert code == 0 and Household.objects.get(p3ke_id="122000002").desa.code_plain == "7409012006"


def test_a_name_that_looks_like_a_formula_is_imported_as_data_and_exported_as_text(reference, bappeda_client, tmp_path):
    import io

    from openpyxl import load_workbook

    name = '=HYPERLINK("x")'
    households = [household_row("122000001", 100, **{"Nama Kepala Keluarga": name})]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households)})
    code, out, _ = run("import_p3ke", str(path), "--json")
    assert code == 0 and json.loads(out)["errors"] == 0
    household = Household.objects.get()
    assert household.head_name == name
    response = bappeda_client.get(f"/keluarga/ekspor/?desa={household.desa_id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == name]
    # Excel shows the text as it came: a string cell marked "quote prefix", never a formula.
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix


def test_the_error_report_keeps_formula_like_values_as_text(reference, tmp_path):
    from openpyxl import load_workbook

    households = [household_row("122000001", 100, **{"Desil Kesejahteraan": 11, "Daya Listrik Terpasang": "=< 900 WATT"})]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households)})
    report = tmp_path / "laporan.xlsx"
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True, error_report=str(report))
    assert [(i.row, i.column) for i in outcome.plan.issues.errors] == [(2, "Desil Kesejahteraan")]
    sheet = load_workbook(report).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == "=< 900 WATT"]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix


def test_abbreviated_person_headers_are_read_in_p3ke_and_dtks(reference, tmp_path):
    # Offices retype the headers of a P3KE INDIVIDU sheet and of a DTKS list with the usual short forms.
    short = {"Tanggal Lahir": "Tgl. Lahir", "Jenis Kelamin": "JK", "Hubungan dengan Kepala Keluarga": "Hub. KK",
             "Status Kawin": "Status Perkawinan", "Padan Dukcapil": "Padan"}
    headers = [short.get(h, h) for h in IND_2023]
    rows = [
        head_member_row("122000001", "91220000011", 100),
        member_row("122000001", "91220000012", 200, relation="Istri/Suami", female=True, birth=datetime.date(1985, 3, 2),
                   **{"Status Kawin": "Kawin"}),
    ]
    members = [{short.get(h, h): value for h, value in row.items()} for row in rows]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100)]),
                                             "INDIVIDU": (headers, members)})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["warnings"] == 0 and summary["unmapped_columns"] == []
    wife = Member.objects.get(id_individu="91220000012")
    assert (wife.sex, wife.relation, wife.birth_date, wife.marital_status, wife.dukcapil_match) == (
        "P", "pasangan", datetime.date(1985, 3, 2), "kawin", "padan")

    siks = ["JK" if h == "JENIS KELAMIN" else "HUB. KK" if h == "HUB KELUARGA" else h for h in SIKS_DTKS]
    path = write_text(tmp_path / "DTKS.txt", siks, siks_rows(), separator="|")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    family = Household.objects.get(no_kk=KK_1)
    assert dict(family.members.values_list("name", "relation")) == {
        "LA ODE BAKRI": "kepala", "WA ODE SITTI": "pasangan", "LA ODE ANAK": "anak",
    }
    assert dict(family.members.values_list("name", "sex")) == {"LA ODE BAKRI": "L", "WA ODE SITTI": "P", "LA ODE ANAK": "L"}


def _batch_warnings(out) -> list[dict]:
    return ImportBatch.objects.get(pk=json.loads(out)["batch"]).warnings


def test_a_second_column_with_the_same_header_is_warned_not_dropped_in_silence(reference, tmp_path):
    # A column pasted twice at the end of the sheet, with other values: only the first is read, and
    # the office is told which one.
    headers = [*HH_2023, "Alamat", "Nama Kepala Keluarga"]
    row = household_row("122000001", 100)
    values = [row.get(h) for h in HH_2023] + ["Jl. Poros", "X"]
    path = write_text(tmp_path / "keluarga.csv", headers, [values], separator=";")
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["warnings"] == 2
    family = Household.objects.get(p3ke_id="122000001")
    assert (family.head_name, family.address) == ("KEPALA 100", "Dusun 100")
    reasons = sorted(w["reason"] for w in _batch_warnings(out))
    assert reasons[0].startswith("Kolom AP berjudul sama (atau sepadan) dengan kolom K ('Alamat'); hanya kolom K yang dibaca")
    assert reasons[1].startswith("Kolom AQ berjudul sama (atau sepadan) dengan kolom L ('Nama Kepala Keluarga')")


def test_a_sheet_without_sex_birth_date_or_relation_columns_says_so(reference, tmp_path):
    # A DTKS list typed by a village office: only the ids, the name and the village. It imports, and
    # the office learns which person fields stay empty and where to map a column it named otherwise.
    headers = ["NOKK", "NIK", "NAMA", "KECAMATAN", "DESA"]
    rows = [[KK_1, nik(301), "LA ODE BAKRI", "ASERA", "WANGGUDU RAYA"]]
    path = write_text(tmp_path / "dtks.csv", headers, rows, separator=",")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    warnings = [w for w in _batch_warnings(out) if w["reason"].startswith("Kolom")]
    assert [w["reason"].split(";")[0] for w in warnings] == [
        "Kolom Jenis Kelamin tidak ditemukan", "Kolom Tanggal Lahir tidak ditemukan",
        "Kolom Hubungan dengan Kepala Keluarga tidak ditemukan",
    ]
    assert {w["row"] for w in warnings} == {1} and "Pemetaan kolom impor" in warnings[0]["reason"]
    assert Member.objects.get(nik=nik(301)).sex == ""


def test_an_html_table_row_wider_than_excel_is_refused_with_what_to_do(reference, tmp_path):
    # Each cell may span up to 1,000 columns: a row of them alone would build a list of millions of
    # cells. No sheet is wider than Excel's 16,384 columns; a row that is, is refused at once.
    path = tmp_path / "DTKS.xls"
    path.write_text("<html><body><table><tr><td>NIK</td></tr><tr>" + "<td colspan=999>x</td>" * 20 + "</tr></table></body></html>")
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 2, (out, err)
    assert "baris 2" in err and "lebih dari 16.384 kolom" in err and "colspan" in err
    assert not Household.objects.exists()


# A DTKS list re-typed by a district office, its headers abbreviated as such lists head them.
ABBREVIATED_DTKS = [
    "NO", "IDDTKS", "PROV", "KAB/KOTA", "KEC", "DESA/KEL", "ALAMAT", "NO. KK", "NIK", "NAMA LENGKAP", "TMP. LAHIR",
    "TGL. LAHIR", "JNS KELAMIN", "NAMA IBU", "STATUS HUBUNGAN DALAM KELUARGA", "STATUS PERKAWINAN", "PBI-JKN",
    "BANSOS PKH",
]


def test_a_dtks_list_with_abbreviated_headers_imports_every_column(reference, tmp_path):
    rows = [
        ["1", "1001", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN I", KK_1, nik(301),
         "LA BAADA", "WANGGUDU", "05/01/1980", "L", "WA SAMBI", "KEPALA KELUARGA", "KAWIN", "YA", "YA"],
        ["2", "1002", "SULAWESI TENGGARA", "KONAWE UTARA", "ASERA", "WANGGUDU RAYA", "DUSUN I", KK_1,
         nik(302, female=True), "WA ODE SITI", "KENDARI", "05/01/1980", "P", "WA MUNA", "ISTRI", "KAWIN", "YA", "TIDAK"],
    ]
    path = write_text(tmp_path / "dtks_asera.csv", ABBREVIATED_DTKS, rows, separator=",")
    code, out, err = run("import_dtks", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["unmapped_columns"] == []
    assert summary["households"]["created"] == 1 and summary["members"]["created"] == 2
    family = Household.objects.get(no_kk=KK_1)
    assert (family.desa.name, family.desa.kecamatan.name, family.head_name) == ("Wanggudu Raya", "Asera", "LA BAADA")
    assert sorted(family.members.values_list("name", "birth_place", "mother_name", "relation")) == [
        ("LA BAADA", "WANGGUDU", "WA SAMBI", "kepala"), ("WA ODE SITI", "KENDARI", "WA MUNA", "pasangan"),
    ]

