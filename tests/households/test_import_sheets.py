"""Which sheets of a workbook are read, as an office's workbook holds them: the table the office
checked, and beside it a hidden old copy of it, a copied sheet (Excel names it "KEPALA-KELUARGA
(2)"), a table split per kecamatan over several sheets, cover and recap sheets. What is not read is
named in a warning; the same family on two sheets is an error naming both."""

from __future__ import annotations

import json

import pytest

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment

from ..programs.test_import_recipients import family  # noqa: F401 - the registry's two households
from .conftest import DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, write_xlsx
from .realfiles import write_xls
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def _families(count: int = 3, start: int = 0) -> tuple[list[dict], list[dict]]:
    """``count`` families of the current extract (desil 1, no aid), a head and a child each."""
    households, members = [], []
    for i in range(start, start + count):
        pid = str(122237000 + i)
        households.append(household_row(pid, 100 + i))
        members.append(head_member_row(pid, f"9{pid}1", 100 + i))
        members.append(member_row(pid, f"9{pid}2", 500 + i))
    return households, members


def _old_copy(households: list[dict]) -> list[dict]:
    """Last year's copy of the household table: every family desil 4 with PKH, and one family the
    current data no longer has."""
    old = [dict(row, **{"Desil Kesejahteraan": 4, "Penerima PKH": "Ya"}) for row in households]
    old.append(household_row("122237077", 177, **{"Desil Kesejahteraan": 4, "Penerima PKH": "Ya"}))
    return old


def _batch(out: str) -> ImportBatch:
    return ImportBatch.objects.get(pk=json.loads(out)["batch"])


def _sheet_warnings(batch: ImportBatch) -> dict[str, str]:
    return {w["sheet"]: w["reason"] for w in batch.warnings if w["row"] == 0 and not w["column"]}


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
@pytest.mark.parametrize("first", [False, True], ids=["hidden-last", "hidden-first"])
def test_a_hidden_old_copy_of_the_household_sheet_is_not_read_and_is_named(reference, tmp_path, state, first):
    households, members = _families()
    sheets = {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}
    hidden = {"Data Lama": (HH_2023, _old_copy(households))}
    sheets = {**hidden, **sheets} if first else {**sheets, **hidden}
    path = write_xlsx(tmp_path / "p3ke.xlsx", sheets, hidden={"Data Lama": state})
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["households"]["created"] == 3 and summary["members"]["created"] == 6
    assert sorted(Household.objects.values_list("p3ke_id", "desil")) == [
        ("122237000", 1), ("122237001", 1), ("122237002", 1)
    ]
    assert not Enrollment.objects.exists()
    warnings = _sheet_warnings(_batch(out))
    assert list(warnings) == ["Data Lama"] and "tersembunyi" in warnings["Data Lama"]


def test_a_hidden_sheet_of_a_legacy_xls_is_not_read(reference, tmp_path):
    households, members = _families()
    sheets = {
        "KEPALA-KELUARGA": (HH_2023, [[row[h] for h in HH_2023] for row in households]),
        "INDIVIDU": (IND_2023, [[row[h] for h in IND_2023] for row in members]),
        "Lama": (HH_2023, [[row[h] for h in HH_2023] for row in _old_copy(households)]),
    }
    path = write_xls(tmp_path / "p3ke.xls", sheets, hidden=("Lama",))
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 3
    assert set(Household.objects.values_list("desil", flat=True)) == {1}
    assert not Enrollment.objects.exists()
    assert list(_sheet_warnings(_batch(out))) == ["Lama"]


def test_a_workbook_whose_only_table_is_hidden_is_refused_naming_the_hidden_sheet(reference, tmp_path):
    households, members = _families()
    path = write_xlsx(
        tmp_path / "p3ke.xlsx", {"Petunjuk": (["PETUNJUK PENGISIAN"], []), "KEPALA-KELUARGA": (HH_2023, households)},
        hidden={"KEPALA-KELUARGA": "hidden"},
    )
    code, out, err = run("import_p3ke", str(path))
    assert code == 2, (out, err)
    assert "Lembar tersembunyi tidak dibaca: KEPALA-KELUARGA" in err
    assert not Household.objects.exists()


def _dtks_rows(start: int, count: int) -> list[dict]:
    rows = []
    for i in range(start, start + count):
        kk = f"74090110050800{i:02d}"
        rows.append({
            "ID DTKS": f"10{i:02d}", "Provinsi": "SULAWESI TENGGARA", "Kabupaten/Kota": "KONAWE UTARA",
            "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Alamat": "DUSUN I", "Nomor KK": kk,
            "Nomor NIK": head_member_row("1", "1", 300 + i)["NIK"], "Nama": f"KEPALA {i}", "Tanggal Lahir": "05/01/1980",
            "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "Kepala Keluarga", "Bansos PKH": "Tidak",
        })
    return rows


def test_a_hidden_sheet_of_a_dtks_workbook_is_not_read(reference, tmp_path):
    current = _dtks_rows(1, 3)
    old = [dict(row, **{"Bansos PKH": "Ya"}) for row in current] + _dtks_rows(9, 1)
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, current), "DTKS lama": (DTKS, old)}, hidden={"DTKS lama": "hidden"})
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["households"]["created"] == 3 and Member.objects.count() == 3
    assert not Enrollment.objects.exists()
    assert list(_sheet_warnings(_batch(out))) == ["DTKS lama"]


def test_a_hidden_sheet_of_a_recipient_list_is_not_read(family, tmp_path):  # noqa: F811
    household, head, _child, other = family
    headers = ["NOKK", "NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL"]
    current = {"NOKK": household.no_kk, "NIK_KTP": head.nik, "NAMA_PENERIMA": "KEPALA", "TAHAP": "TAHAP 2 2024", "BANSOS": "PKH", "NOMINAL": "Rp 750.000"}
    old = {"NOKK": other.no_kk, "NIK_KTP": "", "NAMA_PENERIMA": "LAIN", "TAHAP": "TAHAP 1 2023", "BANSOS": "BPNT", "NOMINAL": "Rp 200.000"}
    path = write_xlsx(tmp_path / "salur.xlsx", {"Sheet1": (headers, [current]), "Sheet2": (headers, [old])}, hidden={"Sheet2": "hidden"})
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, (out, err)
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {(household.pk, "pkh", 2024)}
    assert list(_sheet_warnings(_batch(out))) == ["Sheet2"]


def _registry():
    return (
        sorted(Household.objects.values_list("p3ke_id", "no_kk", "desil", "head_name")),
        sorted(Member.objects.values_list("nik", "name", "id_individu")),
        Enrollment.objects.count(),
    )


def _reasons(out: str) -> set[tuple[str, int, str]]:
    return {(e["sheet"], e["row"], e["reason"]) for e in _batch(out).errors}


@pytest.fixture
def imported(reference, tmp_path):
    """The registry after the current extract (three families) was imported."""
    households, members = _families()
    path = write_xlsx(tmp_path / "first.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    return households, members, _registry()


def test_a_copied_household_sheet_is_an_error_on_both_sheets_and_nothing_changes(imported, tmp_path):
    households, members, before = imported
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members),
        "KEPALA-KELUARGA (2)": (HH_2023, _old_copy(households)),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 1, (out, err)
    reasons = _reasons(out)
    assert ("KEPALA-KELUARGA (2)", 2, "ID Keluarga P3KE 122237000 ganda: sudah ada di lembar KEPALA-KELUARGA baris 2") in reasons
    assert ("KEPALA-KELUARGA", 2, "ID Keluarga P3KE 122237000 ganda: muncul lagi di lembar KEPALA-KELUARGA (2) baris 2") in reasons
    assert ("KEPALA-KELUARGA", 4, "ID Keluarga P3KE 122237002 ganda: muncul lagi di lembar KEPALA-KELUARGA (2) baris 4") in reasons
    assert _registry() == before


def test_a_copied_individual_sheet_is_an_error_on_both_sheets(reference, tmp_path):
    households, members = _families()
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members), "INDIVIDU (2)": (IND_2023, members[:2]),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 1, (out, err)
    reasons = _reasons(out)
    assert ("INDIVIDU (2)", 3, "ID Individu 91222370002 ganda: sudah ada di lembar INDIVIDU baris 3") in reasons
    assert ("INDIVIDU", 3, "ID Individu 91222370002 ganda: muncul lagi di lembar INDIVIDU (2) baris 3") in reasons
    assert ("INDIVIDU (2)", 2, "NIK ganda dalam keluarga yang sama: sudah ada di lembar INDIVIDU baris 2") in reasons
    assert not Household.objects.exists() and not Member.objects.exists()


def test_a_copied_individual_sheet_on_a_re_sync_is_an_error_and_nothing_changes(imported, tmp_path):
    households, members, before = imported
    stale = [dict(members[0], Nama="NAMA LAMA"), members[1]]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members), "INDIVIDU (2)": (IND_2023, stale),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 1, (out, err)
    reasons = _reasons(out)
    assert ("INDIVIDU (2)", 2, "ID Individu 91222370001 ganda: sudah ada di lembar INDIVIDU baris 2") in reasons
    assert ("INDIVIDU (2)", 3, "ID Individu 91222370002 ganda: sudah ada di lembar INDIVIDU baris 3") in reasons
    assert _registry() == before


def test_families_split_over_sheets_per_kecamatan_import_as_one_table(reference, tmp_path):
    first, first_members = _families(2)
    second, second_members = _families(2, start=2)
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KK ASERA": (HH_2023, first), "KK LASOLO": (HH_2023, second),
        "ART ASERA": (IND_2023, first_members), "ART LASOLO": (IND_2023, second_members),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["households"]["created"] == 4 and summary["members"]["created"] == 8


def test_a_copied_dtks_sheet_is_an_error_naming_both_sheets_and_split_sheets_import(reference, tmp_path):
    rows = _dtks_rows(1, 3)
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, rows), "DTKS (2)": (DTKS, rows[:1])})
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 1, (out, err)
    reasons = _reasons(out)
    assert ("DTKS (2)", 2, "ID DTKS 1001 ganda: sudah ada di lembar DTKS baris 2") in reasons
    assert ("DTKS (2)", 2, "NIK ganda dalam KK yang sama: sudah ada di lembar DTKS baris 2") in reasons
    assert ("DTKS", 2, "NIK ganda dalam KK yang sama: muncul lagi di lembar DTKS (2) baris 2") in reasons
    assert not Household.objects.exists()

    path = write_xlsx(tmp_path / "dtks-split.xlsx", {"ASERA": (DTKS, rows[:2]), "LASOLO": (DTKS, rows[2:])})
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 3


def _renamed(headers: list[str], rows: list[dict], names: dict[str, str]) -> tuple[list[str], list[dict]]:
    """The table with some headers spelled as an office's file spells them."""
    return [names.get(h, h) for h in headers], [{names.get(h, h): v for h, v in row.items()} for row in rows]


def test_an_individual_sheet_with_its_own_spelling_of_the_identity_headers_is_read(reference, tmp_path):
    households, members = _families()
    spelled = _renamed(IND_2023, members, {"ID Keluarga P3KE": "IDKeluarga", "ID Individu": "IDIndividu", "NIK": "NIK_ART"})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "Sheet2": spelled})
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["warnings"] == 0 and summary["unmapped_columns"] == []
    assert summary["members"]["created"] == 6
    assert sorted(Member.objects.values_list("id_individu", "nik")) == sorted((m["ID Individu"], m["NIK"]) for m in members)


def test_a_household_sheet_with_typos_in_its_identity_headers_is_read_on_a_re_sync(imported, tmp_path):
    households, members, _before = imported
    changed = [dict(row, **{"Desil Kesejahteraan": 3, "Penerima PKH": "Ya"}) for row in households]
    spelled = _renamed(HH_2023, changed, {"ID Keluarga P3KE": "ID Keluaraga P3KE", "NIK Kepala Keluarga": "NIK Kepala Kelurga"})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": spelled, "INDIVIDU": (IND_2023, members)})
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["errors"] == 0 and summary["households"]["updated"] == 3
    assert set(Household.objects.values_list("desil", flat=True)) == {3}
    assert Enrollment.objects.filter(program__code="pkh").count() == 3


def test_every_sheet_not_read_for_want_of_a_header_row_is_named(reference, tmp_path):
    households, members = _families()
    unknown = _renamed(IND_2023, members, {"ID Keluarga P3KE": "KD_KEL", "ID Individu": "KD_ART", "NIK": "NO_IDENTITAS"})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "Petunjuk": (["PETUNJUK PENGISIAN"], [{"PETUNJUK PENGISIAN": "1. Kolom NIK diisi 16 digit"}]),
        "KEPALA-KELUARGA": (HH_2023, households),
        "INDIVIDU": unknown,
        "Rekap": (["Kecamatan", "Desa/Kelurahan", "Jumlah KK"], [{"Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Jumlah KK": 3}]),
    })
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["households"]["created"] == 3
    warnings = _sheet_warnings(_batch(out))
    assert list(warnings) == ["Petunjuk", "INDIVIDU", "Rekap"]
    assert all("baris judul kolom tidak ditemukan" in reason for reason in warnings.values())


def test_a_dtks_sheet_not_read_is_named(reference, tmp_path):
    path = write_xlsx(tmp_path / "dtks.xlsx", {
        "DTKS": (DTKS, _dtks_rows(1, 2)),
        "Rekap": (["Desa/Kelurahan", "Jumlah KK"], [{"Desa/Kelurahan": "WANGGUDU RAYA", "Jumlah KK": 2}]),
        "Catatan": (["NIK", "Keterangan"], [{"NIK": _dtks_rows(1, 1)[0]["Nomor NIK"], "Keterangan": "pindah"}]),
    })
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 0, (out, err)
    warnings = _sheet_warnings(_batch(out))
    assert list(warnings) == ["Rekap", "Catatan"] and "tidak ada kolom Nomor KK" in warnings["Catatan"]


def test_a_recipient_list_sheet_not_read_is_named(family, tmp_path):  # noqa: F811
    household, head, _child, _other = family
    headers = ["NOKK", "NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL"]
    row = {"NOKK": household.no_kk, "NIK_KTP": head.nik, "NAMA_PENERIMA": "KEPALA", "TAHAP": "TAHAP 2 2024", "BANSOS": "PKH", "NOMINAL": "Rp 750.000"}
    path = write_xlsx(tmp_path / "salur.xlsx", {"Sheet1": (headers, [row]), "Rekap": (["BANSOS", "JUMLAH"], [{"BANSOS": "PKH", "JUMLAH": 1}])})
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, (out, err)
    assert list(_sheet_warnings(_batch(out))) == ["Rekap"]
