"""DTKS and DTSEN re-sync by family hash: a family whose rows (one per person, by No KK) are read
exactly as its stored records were is skipped (not checked, not compared, nothing written); a
family with a changed, added or removed row is read again, all its rows; so is every family after a
new mapping or another data year."""

from __future__ import annotations

import json

import pytest

from dedup.membership import household_mark_absent
from households.imports.columns import normalize_header
from households.choices import AbsentReason
from households.models import ColumnMapping, Household, Member
from programs.models import Enrollment

from .conftest import DTKS, nik, write_csv, write_xlsx
from .test_import_bad_input import run
from .test_import_dtsen_mapping import DTSEN, dtsen_rows

pytestmark = pytest.mark.django_db

PLACE = {"Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya"}


def kk(i: int) -> str:
    return f"74090101012{i:05d}"


def families(count=3) -> list[dict]:
    """``count`` DTKS families of a head and a child, each family's rows together."""
    rows = []
    for i in range(1, count + 1):
        family = {**PLACE, "Nomor KK": kk(i), "Alamat": f"Dusun {i}"}
        rows += [
            {**family, "ID DTKS": f"D{i}1", "Nomor NIK": nik(100 + i), "Nama": f"KEPALA {i}", "Tanggal Lahir": "05-01-1980",
             "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA"},
            {**family, "ID DTKS": f"D{i}2", "Nomor NIK": nik(500 + i), "Nama": f"ANAK {i}", "Tanggal Lahir": "05-01-1980",
             "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK"},
        ]
    return rows


def synced(tmp_path, rows, name, *extra, command="import_dtks", headers=DTKS, year=("--year", "2024")):
    path = write_xlsx(tmp_path / name, {"DATA": (headers, rows)})
    code, out, err = run(command, str(path), *year, "--json", *extra)
    assert code == 0, (out, err)
    return json.loads(out)


def history_rows():
    return Household.history.count() + Member.history.count()


def test_same_file_again_skips_every_family_and_writes_nothing(reference, tmp_path):
    rows = families()
    first = synced(tmp_path, rows, "a.xlsx")
    assert first["households"]["created"] == 3 and first.get("skipped_rows", 0) == 0
    assert not Household.objects.filter(source_row_hash__isnull=True).exists()
    assert not Member.objects.filter(source_row_hash__isnull=True).exists()
    stamps = dict(Member.objects.values_list("pk", "updated_at"))
    history = history_rows()

    again = synced(tmp_path, rows, "b.xlsx")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 6, "absent": 0}
    assert again["skipped_rows"] == 6 and again["rows"] == 6  # rows of the file: a family is no row of its own
    assert "6 baris tidak berubah sejak impor terakhir dan dilewati" in again["message"]
    assert "Tidak ada perubahan" in again["message"]
    assert history_rows() == history
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps


def test_a_changed_member_row_reads_its_family_again(reference, tmp_path):
    rows = families()
    synced(tmp_path, rows, "a.xlsx")
    history = history_rows()

    rows[3]["Nama"] = "ANAK BARU"  # the second family's child
    again = synced(tmp_path, rows, "b.xlsx")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 1, "unchanged": 5, "absent": 0}
    assert again["skipped_rows"] == 2 * 2  # the two other families: two rows each
    assert Member.objects.get(nik=nik(502)).name == "ANAK BARU"
    assert history_rows() == history + 1
    # Its new hashes are kept: the next run skips the family too.
    assert synced(tmp_path, rows, "c.xlsx")["skipped_rows"] == 6


def test_a_member_added_to_or_removed_from_a_family_reads_it_again(reference, tmp_path):
    rows = families(count=25)
    synced(tmp_path, rows, "a.xlsx")
    newborn = {**rows[0], "ID DTKS": "D13", "Nomor NIK": nik(900), "Nama": "BAYI", "Hubungan Keluarga": "ANAK"}

    added = synced(tmp_path, [rows[0], rows[1], newborn, *rows[2:]], "b.xlsx")
    assert added["members"] == {"created": 1, "updated": 0, "unchanged": 50, "absent": 0}
    assert added["skipped_rows"] == 24 * 2
    assert Household.objects.get(no_kk=kk(1)).members.filter(is_absent=False).count() == 3

    removed = synced(tmp_path, rows, "c.xlsx")  # the newborn's row is gone again
    assert removed["members"] == {"created": 0, "updated": 0, "unchanged": 50, "absent": 1}
    assert removed["skipped_rows"] == 24 * 2
    assert Member.objects.get(nik=nik(900)).is_absent


def test_dropped_family_is_marked_absent_and_read_again_when_it_comes_back(reference, tmp_path):
    rows = families(count=25)
    synced(tmp_path, rows, "a.xlsx")

    dropped = synced(tmp_path, rows[2:], "b.xlsx")
    assert dropped["households"] == {"created": 0, "updated": 0, "unchanged": 24, "absent": 1}
    assert dropped["members"] == {"created": 0, "updated": 0, "unchanged": 48, "absent": 0}  # they go with it
    assert dropped["skipped_rows"] == 24 * 2
    gone = Household.objects.get(no_kk=kk(1))
    assert gone.is_absent

    back = synced(tmp_path, rows, "c.xlsx")
    assert back["households"] == {"created": 0, "updated": 1, "unchanged": 24, "absent": 0}
    assert back["members"] == {"created": 0, "updated": 0, "unchanged": 50, "absent": 0}
    assert back["skipped_rows"] == 24 * 2
    gone.refresh_from_db()
    assert not gone.is_absent
    assert synced(tmp_path, rows, "d.xlsx")["skipped_rows"] == 25 * 2


def test_a_family_a_verval_found_moved_is_no_longer_said_moved_once_the_data_brings_it_back(reference, tmp_path):
    """An approved visit found the family moved away (the portal says "pindah (verval)"); a later
    extract holds it again: it is present, and the visit's reason for its absence is gone with it."""
    rows = families(count=3)
    synced(tmp_path, rows, "a.xlsx")
    moved = Household.objects.get(no_kk=kk(1))
    household_mark_absent(household=moved, by=None, reason="Verval disahkan", absent_reason=AbsentReason.MOVED)
    assert Household.objects.get(pk=moved.pk).absent_reason == AbsentReason.MOVED
    back = synced(tmp_path, rows, "b.xlsx")
    assert back["households"]["updated"] == 1
    moved.refresh_from_db()
    assert (moved.is_absent, moved.absent_reason) == (False, "")


def test_local_correction_is_kept_through_skipped_and_changed_families(reference, tmp_path):
    rows = families()
    synced(tmp_path, rows, "a.xlsx")
    corrected = Household.objects.get(no_kk=kk(1))
    corrected.address = "Dusun 1, dekat masjid"  # corrected in the field
    corrected.save()
    stored_hash = corrected.source_row_hash

    again = synced(tmp_path, rows, "b.xlsx")
    assert again["skipped_rows"] == 6
    corrected.refresh_from_db()
    assert corrected.address == "Dusun 1, dekat masjid" and corrected.source_row_hash == stored_hash

    rows[1]["Nama"] = "ANAK SATU"  # the source changes another row of that family
    changed = synced(tmp_path, rows, "c.xlsx")
    assert changed["members"]["updated"] == 1 and changed["skipped_rows"] == 4
    corrected.refresh_from_db()
    assert corrected.address == "Dusun 1, dekat masjid"


def test_another_data_year_or_a_new_mapping_reads_every_family_again(reference, tmp_path):
    rows = families()
    synced(tmp_path, rows, "a.xlsx")

    next_year = synced(tmp_path, rows, "b.xlsx", year=("--year", "2025"))
    assert next_year.get("skipped_rows", 0) == 0 and next_year["households"]["updated"] == 3
    assert set(Household.objects.values_list("source_year", flat=True)) == {2025}
    assert synced(tmp_path, rows, "c.xlsx", year=("--year", "2025"))["skipped_rows"] == 6

    headers = ["Lokasi Tinggal" if h == "Dusun" else h for h in DTKS]
    for row in rows:
        row["Lokasi Tinggal"] = "Dusun Satu"
    synced(tmp_path, rows, "d.xlsx", headers=headers, year=("--year", "2025"))
    ColumnMapping.objects.create(layout="dtks", header=normalize_header("Lokasi Tinggal"), field="dusun")
    mapped = synced(tmp_path, rows, "e.xlsx", headers=headers, year=("--year", "2025"))
    assert mapped.get("skipped_rows", 0) == 0 and mapped["households"]["updated"] == 3
    assert Household.objects.get(no_kk=kk(2)).dusun == "Dusun Satu"


def test_a_family_whose_rows_are_apart_is_read_again(reference, tmp_path):
    rows = families()
    apart = [rows[0], rows[2], rows[3], rows[1], rows[4], rows[5]]  # the first family's child further down
    synced(tmp_path, apart, "a.xlsx")
    history = history_rows()

    again = synced(tmp_path, apart, "b.xlsx")
    assert again["skipped_rows"] == 2 * 2  # the other two families
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 6, "absent": 0}
    assert history_rows() == history


def test_a_row_joining_a_skipped_family_further_down_reads_the_file_in_full(reference, tmp_path):
    rows = families()
    alone = [rows[0], *rows[2:]]  # the first family: its head only
    synced(tmp_path, alone, "a.xlsx")

    # Its head's row is as stored, but a child with its No KK comes after the other families.
    again = synced(tmp_path, [*alone, rows[1]], "b.xlsx")
    assert again.get("skipped_rows", 0) == 0
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 1, "updated": 0, "unchanged": 5, "absent": 0}
    assert Household.objects.get(no_kk=kk(1)).members.count() == 2


def test_skipped_families_still_claim_their_aid_and_their_ids_are_checked(reference, tmp_path):
    rows = families()
    rows[0]["Bansos PKH"] = "Ya"
    rows[3]["PBI JKN"] = "Ya"
    first = synced(tmp_path, rows, "a.xlsx")
    assert first["enrollments"]["created"] == 2
    Enrollment.objects.filter(household__no_kk=kk(2)).delete()

    again = synced(tmp_path, rows, "b.xlsx")
    assert again["skipped_rows"] == 6
    assert again["enrollments"]["created"] == 1 and again["enrollments"]["existing"] == 1
    assert set(Enrollment.objects.values_list("household__no_kk", flat=True)) == {kk(1), kk(2)}

    twin = {**rows[1], "Nomor KK": kk(9), "Nomor NIK": nik(909), "Nama": "KEMBAR", "Hubungan Keluarga": "KEPALA KELUARGA"}
    path = write_xlsx(tmp_path / "c.xlsx", {"DATA": (DTKS, [*rows, twin])})
    code, out, _ = run("import_dtks", str(path), "--year", "2024", "--json")
    refused = json.loads(out)
    assert code != 0 and refused["status"] == "refused"
    assert refused["error_rows"] == 1  # the new row repeating a skipped row's ID DTKS
    assert not Household.objects.filter(no_kk=kk(9)).exists()


def test_dtsen_same_file_is_skipped_and_a_changed_desil_is_taken(reference, tmp_path):
    rows = dtsen_rows(desil=8)
    first = synced(tmp_path, rows, "a.xlsx", command="import_dtsen", headers=DTSEN, year=())
    assert first["households"]["created"] == 1
    history = history_rows()

    again = synced(tmp_path, rows, "b.xlsx", command="import_dtsen", headers=DTSEN, year=())
    assert again["skipped_rows"] == 2 and again["households"]["unchanged"] == 1
    assert history_rows() == history

    changed = synced(tmp_path, dtsen_rows(desil=9), "c.xlsx", command="import_dtsen", headers=DTSEN, year=())
    assert changed.get("skipped_rows", 0) == 0 and changed["households"]["updated"] == 1
    assert Household.objects.get(no_kk=dtsen_rows()[0]["NO KK"]).desil == 9


def test_the_message_counts_the_rows_of_the_file_not_families_and_members(reference, tmp_path):
    """A DTSEN CSV of 12 rows (four families of three) imported again: "12 baris tidak berubah",
    not 16 (the four families counted as rows besides their twelve people)."""
    headers = ["No", "Nomor KK", "Nomor NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kecamatan",
               "Desa/Kelurahan", "Alamat", "Desil Nasional", "Periode Desil"]
    rows = []
    for family in range(1, 5):
        common = {**PLACE, "Nomor KK": kk(family), "Alamat": "Jl. Poros", "Desil Nasional": str(family),
                  "Periode Desil": "Triwulan I 2025", "Tanggal Lahir": "05/01/1980"}
        for relation, serial, female in (("KEPALA KELUARGA", 100, False), ("ISTRI", 200, True), ("ANAK", 300, False)):
            rows.append({**common, "No": str(len(rows) + 1), "Nomor NIK": nik(serial + family, female=female),
                         "Nama": f"{relation} {family}", "Jenis Kelamin": "Perempuan" if female else "Laki-laki",
                         "Hubungan Keluarga": relation})
    path = write_csv(tmp_path / "dtsen.csv", headers, rows, delimiter=",")
    runs = []
    for _ in range(2):
        code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2025", "--json")
        assert code == 0, (out, err)
        runs.append(json.loads(out))
    first, again = runs
    assert first["households"]["created"] == 4 and first["members"]["created"] == 12 and first["rows"] == 12
    assert again["rows"] == 12 and again["skipped_rows"] == 12
    assert "12 baris tidak berubah sejak impor terakhir dan dilewati" in again["message"]
