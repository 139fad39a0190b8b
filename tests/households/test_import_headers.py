"""Header matching as offices' files need it, and text tables whatever their separator and encoding
(pure code, no database)."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from households.imports import columns as cols
from households.imports.reader import HEADER_SCAN_ROWS, normalize_header, open_source
from households.imports.textfile import decode, sniff_separator
from households.imports.values import ChoiceMap, id_text, parse_int, text, yes_no


@pytest.mark.parametrize("layout, header, field", [
    (cols.DTKS, "NOKK", "no_kk"), (cols.DTKS, "No. KK", "no_kk"), (cols.DTKS, "Nomor KK", "no_kk"), (cols.DTKS, "NO_KK", "no_kk"),
    (cols.DTKS, "NIK", "nik"), (cols.DTKS, "NIK KTP", "nik"), (cols.DTKS, "No NIK", "nik"), (cols.DTKS, "nik_ktp", "nik"),
    (cols.DTKS, "HUB KELUARGA", "relation"), (cols.DTKS, "Hubungan Keluarga", "relation"), (cols.DTKS, "SHDK", "relation"),
    (cols.DTKS, "DESA/KELUARAHAN", "desa"), (cols.DTKS, "  Desa / Kelurahan ", "desa"), (cols.DTKS, "KECAMATN", "kecamatan"),
    (cols.HOUSEHOLD, "nama  kepala   keluarga", "head_name"), (cols.HOUSEHOLD, "KODE KEMDAGRI", "region_code"),
    (cols.HOUSEHOLD, "Memiliki fasilitas Buang Air Besar", "toilet"), (cols.RECIPIENTS, "NAMA_PENERIMA", "name"),
    (cols.RECIPIENTS, "NIK_KTP", "nik"), (cols.RECIPIENTS, "Peserta", "participant"),
])
def test_aliases_case_punctuation_and_small_typos(layout, header, field):
    assert cols.BUILTIN.field(layout, header) == field


@pytest.mark.parametrize("header, key", [
    ("Penerima PKH", "pkh"), ("Penerima PKH 2023 (HIMBARA)", "pkh"), ("Keluarga Penerima PKH 2023 (HIMBARA)", "pkh"),
    ("Keluarga Penerima SEMBAKO (HIMBARA 2023)", "sembako"), ("Penerima SEMBAKO 2023 (HIMBARA)", "sembako"),
    ("BANSOS BPNT", "bpnt"), ("BANSOS BPNT-PPKM", "bpnt"), ("Bansos PPKM", "ppkm"), ("PBI JKN", "pbi"), ("PBI-JK", "pbi"),
    ("Penerima Prakerja", "prakerja"), ("Nama Penerima", None), ("BANSOS", None), ("Kepala Keluarga", None),
])
def test_aid_columns(header, key):
    assert cols.aid_key(normalize_header(header)) == key


def test_an_aid_column_no_program_lists_is_unmapped_and_unknown_headers_are_listed():
    layouts = cols.Layouts(cols.builtin_rows(), aid_keys=frozenset({"pkh", "sembako", "bpnt", "pbi"}))
    mapped = layouts.map_headers(cols.DTKS, ["NOKK", "NIK", "NAMA", "DESA", "BANSOS BPNT", "BANSOS LANSIA", "PBI JKN", "WARNA RUMAH"])
    assert mapped.missing == []
    assert sorted(mapped.index.values()) == ["desa", "name", "nik", "no_kk", "penerima:bpnt", "penerima:pbi"]
    assert mapped.unmapped == {"BANSOS LANSIA": "aid", "WARNA RUMAH": "unknown"}


@pytest.mark.parametrize("layout", [cols.HOUSEHOLD, cols.INDIVIDUAL, cols.DTKS, cols.DTSEN])
def test_a_header_that_is_only_a_programs_name_is_its_aid_column_in_central_data(layout):
    """``PKH``, ``BPNT``, ``SEMBAKO PPKM``, ``BLT DD`` alone, as DTKS and DTSEN extracts head them:
    the aid a ``Penerima`` header with the same words names; another word stays unknown."""
    layouts = cols.Layouts(
        cols.builtin_rows(), aid_keys=frozenset({"pkh", "sembako", "bpnt", "pbi", "blt_desa"}),
        aid_spellings={"bltdd": "blt_desa", "bltdesa": "blt_desa", "pbijk": "pbi"},
    )
    headers = ["NIK", "PKH", "BPNT", "SEMBAKO PPKM", "BLT DD", "PKH 2023", "PBI-JK", "KARTU LANSIA", "HIMBARA"]
    mapped = layouts.map_headers(layout, headers)
    assert {headers[i]: f for i, f in mapped.index.items() if f.startswith(cols.AID_PREFIX)} == {
        "PKH": "penerima:pkh", "BPNT": "penerima:bpnt", "SEMBAKO PPKM": "penerima:sembako", "BLT DD": "penerima:blt_desa",
        "PKH 2023": "penerima:pkh", "PBI-JK": "penerima:pbi",
    }
    assert mapped.unmapped == {"KARTU LANSIA": "unknown", "HIMBARA": "unknown"}


def test_a_recipient_lists_program_named_column_is_no_aid_column():
    layouts = cols.Layouts(cols.builtin_rows(), aid_keys=frozenset({"pkh"}))
    assert layouts.field(cols.RECIPIENTS, "PKH") is None and layouts.field(cols.DTKS, "PKH") == "penerima:pkh"


def test_a_saved_mapping_overrides_the_built_in_one():
    layouts = cols.Layouts([*cols.builtin_rows(), ("dtks", "nik", ""), ("dtks", "nik anggota", "nik")])
    assert layouts.field(cols.DTKS, "NIK") == "" and layouts.field(cols.DTKS, "NIK ANGGOTA") == "nik"


def test_opensids_peserta_column_is_a_row_of_the_recipient_layout_that_a_saved_mapping_can_change():
    """``Peserta`` (a NIK or a No KK) is the participant's id in recipient lists only; Bappeda may
    map another header to it, or leave the column unused."""
    assert cols.BUILTIN.field(cols.DTKS, "Peserta") is None
    layouts = cols.Layouts([*cols.builtin_rows(), ("recipients", "id peserta", "participant")])
    assert layouts.map_headers(cols.RECIPIENTS, ["ID Peserta", "Nama"]).index == {0: "participant", 1: "name"}
    unused = cols.Layouts([*cols.builtin_rows(), ("recipients", "peserta", "")])
    assert unused.map_headers(cols.RECIPIENTS, ["Peserta", "NIK"]).index == {1: "nik"}


@pytest.mark.parametrize("separator", [",", ";", "|", "\t"])
def test_the_separator_is_sniffed_even_with_commas_in_addresses(separator):
    lines = ["DATA DTKS", "KABUPATEN KONAWE UTARA", separator.join(["NOKK", "NIK", "NAMA", "ALAMAT"])]
    lines += [separator.join(["7409011005080001", "7409010501800001", "LA ODE", '"JL. POROS, RT 1"'])] * 5
    assert sniff_separator("\n".join(lines)) == separator


def test_windows_1252_and_utf8_with_bom():
    assert decode("NAMA;RÉZA".encode("cp1252")) == "NAMA;RÉZA"
    assert decode("\ufeffNAMA;RÉZA".encode("utf-8")) == "NAMA;RÉZA"


def test_kosong_and_dash_are_blank_and_float_ids_are_integers():
    quality = ChoiceMap([("bagus", "Bagus/Kualitas Tinggi"), ("kosong", "Kosong")])
    status = ChoiceMap([("buruh_karyawan", "Buruh/Karyawan/Pegawai")])
    assert quality("KOSONG") == ("kosong", True)  # a real choice where the vocabulary has it
    assert status("KOSONG") == ("", True) and status("-") == ("", True) and status("Buruh / Karyawan / Pegawai") == ("buruh_karyawan", True)
    assert yes_no("Kosong") == (None, True) and yes_no("-") == (None, True)
    assert text("-") == "" and text(" kosong ") == "" and text("=< 900 WATT") == "=< 900 WATT"
    assert parse_int("KOSONG", low=1, high=10) == (None, None) and parse_int("8.0", low=1, high=10) == (8, None)
    assert id_text("122237092.0") == "122237092" and id_text(122237092.0) == "122237092" and id_text("12.5") == "12.5"


def test_txt_and_xls_are_accepted_and_other_types_refused(tmp_path):
    from households.imports.reader import ReadError

    path = tmp_path / "DTKS.txt"
    path.write_text("NOKK|NIK|NAMA\n7409011005080001|7409010501800001|LA ODE\n", encoding="utf-8")
    source = open_source(path)
    table = source.table(None, is_known_header=cols.is_known, is_identity_header=cols.BUILTIN.is_identity)
    assert table.headers == ["NOKK", "NIK", "NAMA"] and list(table.rows) == [(2, ["7409011005080001", "7409010501800001", "LA ODE"])]
    with pytest.raises(ReadError, match="unggah berkas .xlsx, .xlsm, .xls, .csv atau .txt"):
        open_source(tmp_path / "x.pdf")


def test_place_names_with_their_prefix_and_desil_with_its_word():
    from households.imports.cells import place_name
    from households.imports.values import desil_cell

    assert place_name("KEC. ASERA") == "asera" and place_name("Kecamatan  Asera") == "asera"
    # Spaces and hyphens do not count: ALO-ALO is the region list's Alo Alo.
    assert place_name("DESA WANGGUDU RAYA") == place_name("Wanggudu Raya") == "wangguduraya"
    assert place_name("Kel. Wanggudu") == place_name("Kel.Wanggudu") == "wanggudu"
    assert place_name("ALO-ALO") == place_name("Alo Alo")
    assert place_name("Desaku") == "desaku"
    assert parse_int(desil_cell("Desil 3"), low=1, high=10) == (3, None) and desil_cell(3) == 3


def test_every_shipped_value_mapping_names_a_choice_of_its_field():
    from households.imports.context import CHOICE_FIELDS

    rows = cols.builtin_values()
    assert rows and all(code == "" or code in CHOICE_FIELDS[field].values for _kind, field, _value, code in rows)
    layouts = {layout for layout, _h, _f in cols.builtin_rows()}
    assert layouts == set(cols.LAYOUTS)


def test_a_sheet_of_key_value_rows_is_read_as_its_keys_values(tmp_path):
    """OpenSID's Program sheet: each key's first value, "" for a key with nothing after it; rows
    below the header scan are not read."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Program"
    for line in (
        ["id", 7], ["Nama Program", "BLT  DANA DESA"], ["Sasaran Program", 2], [None, "Tahun", None],
        ["Rentang Waktu (Awal)", "2024-01-01"], ["Nama Program", "Lain"],
        *[["x"]] * HEADER_SCAN_ROWS, ["Tahun Anggaran", 2025],
    ):
        sheet.append(line)
    book.save(tmp_path / "program_bantuan.xlsx")
    source = open_source(tmp_path / "program_bantuan.xlsx")
    keys = {"nama program", "tahun", "rentang waktu awal", "tahun anggaran"}
    assert source.key_values("Program", keys) == {"nama program": "BLT DANA DESA", "tahun": "", "rentang waktu awal": "2024-01-01"}


@pytest.mark.parametrize("header, layout, field", [
    ("IDKeluarga", cols.INDIVIDUAL, "p3ke_id"), ("ID_KELUARGA", cols.HOUSEHOLD, "p3ke_id"),
    ("IDIndividu", cols.INDIVIDUAL, "id_individu"), ("NIK_ART", cols.INDIVIDUAL, "nik"), ("NIK ART", cols.DTKS, "nik"),
    ("ID Keluaraga P3KE", cols.HOUSEHOLD, "p3ke_id"), ("NIK Kepala Kelurga", cols.HOUSEHOLD, "head_nik"),
    ("NOMORKK", cols.DTKS, "no_kk"),
])
def test_identity_headers_tolerate_spacing_and_small_typos(header, layout, field):
    """Without its identity header a sheet's header row is not found: those headers tolerate what
    the other columns do (``DESA/KELUARAHAN``), their spacing left out included."""
    assert cols.BUILTIN.is_identity(normalize_header(header))
    assert cols.BUILTIN.field(layout, header) == field


@pytest.mark.parametrize("header", [
    "NIK Kepala Keluarga Padan Kemdagri", "Hubungan dengan Kepala Keluarga", "Nama Kepala Kelurga", "NIK Ibu",
    "SULAWESI TENGGARA", "7409012006000001", "JUMLAH KK",
])
def test_other_columns_and_values_are_not_identity_headers(header):
    assert not cols.BUILTIN.is_identity(normalize_header(header))


def test_sheets_are_classified_by_headers_with_small_typos():
    assert cols.classify("Sheet2", ["IDKeluarga", "IDIndividu", "Nama"]) == cols.INDIVIDUAL
    assert cols.classify("Sheet1", ["ID Keluaraga P3KE", "Nama Kepala Kelurga"]) == cols.HOUSEHOLD
    assert cols.classify("Sheet1", ["NIK", "Nama", "Hubungan dengan Kepala Keluarga"]) is None
