"""Sync semantics: upsert by natural keys, no rewrite of unchanged rows, blank cells and local
corrections kept, absent households marked (never deleted), enrollments from Penerima columns."""

from __future__ import annotations

import json

import pytest

from households.models import Household, ImportBatch, Member
from programs.models import Enrollment, EnrollmentSource, Program

from .conftest import DTKS, HH_2022, HH_2023, IND_2023, household_row, head_member_row, member_row, nik, write_csv, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def summary_of(out):
    return json.loads(out)


def test_first_import_then_same_file_reports_zero_changes(reference, p3ke_file):
    path = p3ke_file()
    code, out, _ = run("import_p3ke", str(path), "--json")
    first = summary_of(out)
    assert code == 0 and first["households"]["created"] == 3 and first["members"]["created"] == 6
    household = Household.objects.get(p3ke_id="122000001")
    assert household.head_name == "KEPALA 100" and household.desa.code == "74.09.01.2006"
    assert household.roof_type == "asbes_seng" and household.roof_quality == "jelek" and household.has_savings is False
    assert household.source == "p3ke" and household.source_year == 2023 and household.last_batch_id == first["batch"]
    head = household.members.get(relation="kepala")
    assert head.nik == nik(100) and head.id_individu == "91220000011"
    stamps = dict(Household.objects.values_list("pk", "updated_at"))
    history = Household.history.count()

    code, out, _ = run("import_p3ke", str(path), "--json")
    again = summary_of(out)
    assert code == 0
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 6, "absent": 0}
    assert again["same_as_batch"] == first["batch"]
    assert "Berkas yang sama sudah diimpor pada batch #%d" % first["batch"] in again["message"]
    # Not rewritten: no new history rows, timestamps untouched.
    assert Household.history.count() == history
    assert dict(Household.objects.values_list("pk", "updated_at")) == stamps


def test_every_change_is_traced_to_its_batch(reference, p3ke_file):
    code, out, _ = run("import_p3ke", str(p3ke_file()), "--json")
    batch = summary_of(out)["batch"]
    reasons = set(Household.history.values_list("history_change_reason", flat=True))
    assert reasons == {f"Impor batch #{batch}"}
    assert set(Member.objects.values_list("last_batch_id", flat=True)) == {batch}


def test_changed_value_updates_and_blank_cell_does_not_wipe(reference, p3ke_file):
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    households[0]["Desil Kesejahteraan"] = 3  # a real change
    households[1]["Sumber Air Minum"] = None  # a blank cell
    households[1]["Alamat"] = ""
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, name="b.xlsx")), "--json")
    result = summary_of(out)
    assert code == 0 and result["households"] == {"created": 0, "updated": 1, "unchanged": 2, "absent": 0}
    changed = Household.objects.get(p3ke_id="122000001")
    assert changed.desil == 3 and changed.last_batch_id == result["batch"]
    latest = changed.history.order_by("-history_id").first()
    assert (latest.history_type, latest.desil, latest.history_change_reason) == ("~", 3, f"Impor batch #{result['batch']}")
    assert Household.history.filter(history_type="~").count() == 1
    kept = Household.objects.get(p3ke_id="122000002")
    assert kept.water_source == "sumur_terlindung" and kept.address == "Dusun 101"


def test_local_correction_survives_a_resync(reference, p3ke_file):
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    corrected = Household.objects.get(p3ke_id="122000001")
    corrected.desil = 2  # Bappeda verified the family in the field
    corrected.save()
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    households[0]["Desil Kesejahteraan"] = 4  # the new extract disagrees
    households[0]["Jenis Atap"] = "Genteng"  # and changes something nobody corrected
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, name="b.xlsx")), "--json")
    assert code == 0
    corrected.refresh_from_db()
    assert corrected.desil == 2 and corrected.roof_type == "genteng"
    batch = ImportBatch.objects.get(pk=summary_of(out)["batch"])
    assert any("Koreksi lokal dipertahankan: registri '2', data baru '4'" in w["reason"] for w in batch.warnings)
    # The next extract with the same value keeps the correction without a new warning.
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, name="c.xlsx")), "--json")
    assert summary_of(out)["households"]["updated"] == 0
    corrected.refresh_from_db()
    assert corrected.desil == 2


def test_a_kept_correction_is_told_in_the_words_of_the_file(reference, p3ke_file):
    # Bappeda corrected a roof in the field; the next extract still says Asbes/Seng. The warning
    # names the column and both values as the operator knows them, not as stored codes.
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    corrected = Household.objects.get(p3ke_id="122000001")
    corrected.roof_type = "kayu_sirap"
    corrected.save()
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    households[0]["Jenis Atap"] = "Genteng"
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, name="b.xlsx")), "--json")
    assert code == 0
    batch = ImportBatch.objects.get(pk=summary_of(out)["batch"])
    kept = [(w["column"], w["reason"]) for w in batch.warnings if "Koreksi lokal" in w["reason"]]
    assert kept == [("Jenis atap", "Koreksi lokal dipertahankan: registri 'Kayu/Sirap', data baru 'Genteng'")]


def test_household_missing_from_full_extract_is_marked_absent_not_deleted(reference, p3ke_file):
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row(str(122000001 + i), 100 + i) for i in range(2)]
    members = [head_member_row(h["ID Keluarga P3KE"], f"9{h['ID Keluarga P3KE']}1", 100 + i) for i, h in enumerate(households)]
    path = str(p3ke_file(households=households, members=members, name="b.xlsx"))
    # One family in three is more than 5%: the marks need the explicit confirmation.
    code, out, err = run("import_p3ke", path, "--json")
    assert code == 2 and "1 keluarga akan ditandai tidak ada di data terbaru" in err and "--confirm-absent" in err
    assert not Household.objects.filter(is_absent=True).exists() and not Member.objects.filter(is_absent=True).exists()
    code, out, _ = run("import_p3ke", path, "--json", "--confirm-absent")
    result = summary_of(out)
    assert code == 0 and result["households"]["absent"] == 1 and result["members"]["absent"] == 2
    gone = Household.objects.get(p3ke_id="122000003")
    assert gone.is_absent and gone.members.count() == 2
    assert Member.objects.filter(is_absent=True).count() == 2 + 0  # the two children of the first two families
    # It comes back in a later extract: no longer absent.
    code, out, _ = run("import_p3ke", str(p3ke_file(name="c.xlsx")), "--json")
    assert summary_of(out)["households"]["updated"] == 1
    gone.refresh_from_db()
    assert not gone.is_absent


def test_partial_extract_marks_nothing_absent(reference, p3ke_file):
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row("122000001", 100)]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="b.xlsx")), "--partial", "--json")
    assert code == 0 and summary_of(out)["households"]["absent"] == 0
    assert not Household.objects.filter(is_absent=True).exists()


def test_partial_extract_marks_a_member_its_family_no_longer_lists(reference, p3ke_file):
    """A kecamatan's extract (partial) lists family 1 with its head only: the child who left is
    marked absent (kept, not deleted); the families the file does not carry are left alone."""
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row("122000001", 100)]
    members = [head_member_row("122000001", "91220000011", 100)]

    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="b.xlsx")), "--partial", "--json")

    result = summary_of(out)
    assert code == 0, err
    assert result["households"]["absent"] == 0 and result["members"]["absent"] == 1
    assert list(Member.objects.filter(is_absent=True).values_list("id_individu", flat=True)) == ["91220000012"]
    assert not Household.objects.filter(is_absent=True).exists()
    assert Member.objects.filter(is_absent=False).count() == 5


@pytest.mark.parametrize("fork", [False, True], ids=["read-here", "forked-reader"])
@pytest.mark.parametrize("partial", [False, True], ids=["full", "partial"])
def test_a_member_whose_row_was_refused_is_not_marked_absent(reference, p3ke_file, monkeypatch, fork, partial):
    """'Import valid rows only' with the child's row refused (no name): the file still lists the
    child, so the child is not marked absent; the row's error says what to mend."""
    from households.imports import sheetfork
    monkeypatch.setattr(sheetfork, "MIN_BYTES", 0 if fork else 1 << 62)
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row(str(122000001 + i), 100 + i) for i in range(3)]
    members = []
    for i, household in enumerate(households):
        pid = household["ID Keluarga P3KE"]
        members.append(head_member_row(pid, f"9{pid}1", 100 + i))
        members.append(member_row(pid, f"9{pid}2", 500 + i, **({"Nama": ""} if i == 0 else {})))

    args = ["--skip-invalid", "--json", *(["--partial"] if partial else [])]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="b.xlsx")), *args)

    result = summary_of(out)
    assert code == 0, err
    assert result["errors"] == 1 and result["members"]["absent"] == 0
    assert not Member.objects.filter(is_absent=True).exists()


def test_an_older_partial_extract_marks_no_member_absent(reference, p3ke_file, tmp_path):
    """A 2022 file sent after the 2023 data: a member it does not list may be newer than it."""
    run("import_p3ke", str(p3ke_file(name="a.xlsx")))
    households = [household_row("122000001", 100)]
    members = [head_member_row("122000001", "91220000011", 100)]
    path = p3ke_file(households=households, members=members, name="b.xlsx")

    code, out, err = run("import_p3ke", str(path), "--partial", "--year", "2022", "--json")

    assert code == 0, err
    assert summary_of(out)["members"]["absent"] == 0 and not Member.objects.filter(is_absent=True).exists()


def test_an_individual_sheet_alone_into_an_empty_registry_says_to_send_the_family_sheet(reference, tmp_path):
    """Every row refused as 'family not in the family sheet nor in the registry' left the operator
    guessing; the refusal says once what is missing."""
    members = [head_member_row("122000001", "91220000011", 100), member_row("122000001", "91220000012", 500)]
    path = write_xlsx(tmp_path / "P3KE_INDIVIDU.xlsx", {"INDIVIDU": (IND_2023, members)})

    code, out, err = run("import_p3ke", str(path))

    assert code == 1 and not Member.objects.exists()
    batch = ImportBatch.objects.latest("pk")
    assert [w["reason"] for w in batch.warnings if w["row"] == 0] == [
        "2 baris individu menyebut keluarga yang belum ada di registri, dan berkas ini tidak memuat lembar "
        "keluarga: unggah berkas keluarga (KEPALA-KELUARGA) bersama berkas individu ini."
    ]


def test_unknown_categorical_value_kept_raw_with_a_warning(reference, p3ke_file):
    households = [household_row("122999001", 201, **{"Jenis Atap": " GENTENG ", "Sumber Air Minum": "Air Sungai Kecil"})]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="raw.xlsx")), "--json")
    assert code == 0 and summary_of(out)["warnings"] == 1
    household = Household.objects.get(p3ke_id="122999001")
    assert household.roof_type == "genteng"
    assert household.water_source == "" and household.raw_values == {"water_source": "Air Sungai Kecil"}


def test_skip_invalid_imports_the_valid_rows(reference, p3ke_file):
    households = [household_row("122999001", 201), household_row("122999002", 202, **{"Kode Kemdagri": "7402012001"})]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="mixed.xlsx")))
    assert code == 1 and not Household.objects.exists()
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="mixed2.xlsx")), "--skip-invalid", "--json")
    result = summary_of(out)
    assert code == 0 and result["errors"] == 1 and result["households"]["created"] == 1
    assert list(Household.objects.values_list("p3ke_id", flat=True)) == ["122999001"]


def test_dry_run_writes_nothing_at_all(reference, p3ke_file):
    code, out, _ = run("import_p3ke", str(p3ke_file()), "--dry-run", "--json")
    result = summary_of(out)
    assert code == 0 and result["households"]["created"] == 3 and result["batch"] is None
    assert not Household.objects.exists() and not ImportBatch.objects.exists()


def test_penerima_columns_become_enrollments_through_the_service(reference, p3ke_file, monkeypatch):
    import programs.services

    checked = []
    real_check = programs.services.recheck_households_of_write

    def check(households, **kwargs):
        households = list(households)  # may come as an iterator
        checked.append(sorted(set(households)))
        return real_check(households, **kwargs)

    monkeypatch.setattr(programs.services, "recheck_households_of_write", check)
    households = [
        household_row("122999001", 201, **{"Penerima PKH": "Ya", "Penerima BPNT": "YA", "Penerima Prakerja": "ya"}),
        household_row("122999002", 202, **{"Penerima SEMBAKO": "Ya"}),
    ]
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="aid.xlsx")), "--json")
    result = summary_of(out)
    assert code == 0 and result["enrollments"]["created"] == 4
    rows = set(Enrollment.objects.values_list("program__code", "household__p3ke_id", "member__relation", "year", "status", "source"))
    assert rows == {
        ("pkh", "122999001", None, 2023, "active", EnrollmentSource.P3KE),
        ("sembako", "122999001", None, 2023, "active", EnrollmentSource.P3KE),
        ("prakerja", "122999001", "kepala", 2023, "active", EnrollmentSource.P3KE),
        ("sembako", "122999002", None, 2023, "active", EnrollmentSource.P3KE),
    }
    # one re-check of the one-aid rule: the new enrollments' households and every household the import wrote
    assert len(checked) == 1
    assert checked[0] == sorted(Household.objects.values_list("pk", flat=True))
    assert set(Enrollment.objects.values_list("household_id", flat=True)) <= set(checked[0])
    assert set(Enrollment.objects.values_list("batch_id", flat=True)) == {result["batch"]}
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[], name="aid2.xlsx")), "--json")
    assert summary_of(out)["enrollments"] == {"created": 0, "existing": 4, "conflicts": 0}


def test_release_2022_household_sheet_with_text_dates(reference, tmp_path):
    row = {
        "ID Keluarga P3KE": "122237092", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya",
        "Kode Kemdagri": 7409012006, "Desil Kesejahteraan": "1", "Kepala Keluarga": "LA ODE", "NIK": nik(5),
        "Padan Dukcapil": "PADAN", "Jenis Kelamin": "LAKI-LAKI", "Tanggal Lahir": "5/1/1980 00:00",
        "Pekerjaan": "PETANI", "Jenis Atap": "jerami/ijuk/rumbia/daun-daunan", "Penerima PKH": "Ya",
    }
    path = write_xlsx(tmp_path / "p3ke2022.xlsx", {"keluarga": (HH_2022, [row])}, title_rows=4)
    code, out, _ = run("import_p3ke", str(path), "--json")
    result = summary_of(out)
    assert code == 0 and result["data_year"] == 2022, out
    household = Household.objects.get(p3ke_id="122237092")
    assert household.roof_type == "jerami" and household.source_year == 2022
    assert Enrollment.objects.get().year == 2022


def test_two_files_and_csv(reference, tmp_path):
    households = [household_row("122999001", 201)]
    members = [head_member_row("122999001", "9001", 201), member_row("122999001", "9002", 301)]
    first = write_xlsx(tmp_path / "keluarga.xlsx", {"Sheet1": (HH_2023, households)})
    second = write_csv(tmp_path / "individu.csv", IND_2023, members)
    code, out, _ = run("import_p3ke", str(second), str(first), "--json")
    result = summary_of(out)
    assert code == 0 and result["households"]["created"] == 1 and result["members"]["created"] == 2, out


def test_dtks_groups_people_by_kk(reference, tmp_path):
    kk = "7409010101200001"
    rows = [
        {"ID DTKS": "D1", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk, "Nomor NIK": nik(11),
         "Nama": "BAPAK", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA",
         "Bansos PKH": "Ya", "PBI JKN": "Ya"},
        {"ID DTKS": "D2", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk, "Nomor NIK": nik(12, female=True),
         "Nama": "IBU", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Perempuan", "Hubungan Keluarga": "ISTRI"},
        {"ID DTKS": "D3", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": "740901010120000", "Nomor NIK": nik(13),
         "Nama": "SALAH", "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA"},
    ]
    path = write_xlsx(tmp_path / "dtks.xlsx", {"DTKS": (DTKS, rows)})
    code, out, _ = run("import_dtks", str(path), "--year", "2024")
    assert code == 1 and "No KK harus 16 digit, bukan 15 digit" in out and not Household.objects.exists()
    code, out, _ = run("import_dtks", str(path), "--year", "2024", "--skip-invalid", "--json")
    assert code == 0, out
    household = Household.objects.get(no_kk=kk)
    assert household.head_name == "BAPAK" and household.source == "dtks" and household.members.count() == 2
    codes = set(Enrollment.objects.values_list("program__code", "member__name"))
    assert codes == {("pkh", None), ("pbi-jk", "BAPAK")}
    assert Program.objects.get(code="pbi-jk").target_unit == "person"
