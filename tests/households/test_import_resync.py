"""Re-sync by row hash: a row read exactly as its stored record was is skipped (not checked, not
compared, nothing written); every other row goes the usual way."""

from __future__ import annotations

import json

import pytest

from households.imports.columns import normalize_header
from households.imports.values import norm
from households.models import ColumnMapping, Household, Member, ValueMapping
from programs.models import Enrollment

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def families(count=3, overrides=None):
    """The default three families (head + child each), with ``overrides`` in every household row."""
    households = [household_row(str(122000001 + i), 100 + i, **(overrides or {})) for i in range(count)]
    members = []
    for i, household in enumerate(households):
        pid = household["ID Keluarga P3KE"]
        members += [head_member_row(pid, f"9{pid}1", 100 + i), member_row(pid, f"9{pid}2", 500 + i)]
    return households, members


def imported(p3ke_file, households, members, name, *extra):
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name=name)), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def history_rows():
    return Household.history.count() + Member.history.count()


def test_same_file_again_skips_every_row_and_writes_nothing(reference, p3ke_file):
    households, members = families()
    first = imported(p3ke_file, households, members, "a.xlsx")
    assert first.get("skipped_rows", 0) == 0
    assert Household.objects.filter(source_row_hash__isnull=True).count() == 0
    assert Member.objects.filter(source_row_hash__isnull=True).count() == 0
    stamps = dict(Member.objects.values_list("pk", "updated_at"))
    history = history_rows()

    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 3, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 6, "absent": 0}
    assert again["skipped_rows"] == 9
    assert "9 baris tidak berubah sejak impor terakhir dan dilewati" in again["message"]
    assert "Tidak ada perubahan" in again["message"]
    assert history_rows() == history
    assert dict(Member.objects.values_list("pk", "updated_at")) == stamps
    assert set(Household.objects.values_list("last_batch_id", flat=True)) == {first["batch"]}


def test_a_changed_cell_is_taken_and_only_its_row_is_read_again(reference, p3ke_file):
    # Every family's roof is a value no list knows: each read row warns about it.
    households, members = families(overrides={"Jenis Atap": "Genteng Kaca"})
    first = imported(p3ke_file, households, members, "a.xlsx")
    assert first["warnings"] == 3
    history = history_rows()

    households[1]["Desil Kesejahteraan"] = 3
    members[5]["Nama"] = "ANGGOTA BARU"
    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again["households"] == {"created": 0, "updated": 1, "unchanged": 2, "absent": 0}
    assert again["members"] == {"created": 0, "updated": 1, "unchanged": 5, "absent": 0}
    assert again["skipped_rows"] == 7
    assert again["warnings"] == 1  # only the changed household row was checked again
    assert Household.objects.get(p3ke_id="122000002").desil == 3
    assert Member.objects.get(id_individu="91220000032").name == "ANGGOTA BARU"
    assert history_rows() == history + 2
    # Its new hash is kept: the next run skips it too.
    assert imported(p3ke_file, households, members, "c.xlsx")["skipped_rows"] == 9


def test_local_correction_is_kept_through_skipped_and_changed_rows(reference, p3ke_file):
    households, members = families()
    imported(p3ke_file, households, members, "a.xlsx")
    corrected = Household.objects.get(p3ke_id="122000001")
    corrected.desil = 2  # verified in the field
    corrected.save()
    stored_hash = corrected.source_row_hash

    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again["skipped_rows"] == 9
    corrected.refresh_from_db()
    assert corrected.desil == 2 and corrected.source_row_hash == stored_hash

    households[0]["Jenis Atap"] = "Genteng"  # the source changes another field of that family
    changed = imported(p3ke_file, households, members, "c.xlsx")
    assert changed["households"]["updated"] == 1 and changed["skipped_rows"] == 8
    corrected.refresh_from_db()
    assert corrected.desil == 2 and corrected.roof_type == "genteng"


def test_a_new_saved_column_mapping_reads_the_table_again(reference, p3ke_file, tmp_path):
    households, members = families()
    headers = ["Lokasi Tinggal" if h == "Alamat" else h for h in HH_2023]
    for row in households:
        row["Lokasi Tinggal"] = row.pop("Alamat")

    def workbook(name):
        return str(write_xlsx(tmp_path / name, {"KEPALA-KELUARGA": (headers, households), "INDIVIDU": (IND_2023, members)}))

    code, out, err = run("import_p3ke", workbook("a.xlsx"), "--json")
    assert code == 0, err
    assert Household.objects.get(p3ke_id="122000001").address == ""
    ColumnMapping.objects.create(layout="keluarga", header=normalize_header("Lokasi Tinggal"), field="address")

    code, out, err = run("import_p3ke", workbook("b.xlsx"), "--json")
    again = json.loads(out)
    assert code == 0 and again["households"]["updated"] == 3
    assert again["skipped_rows"] == 6  # the individual sheet's layout did not change
    assert Household.objects.get(p3ke_id="122000001").address == "Dusun 100"


def test_dropped_family_is_marked_absent_and_comes_back_unchanged(reference, p3ke_file):
    households, members = families(count=25)
    imported(p3ke_file, households, members, "a.xlsx")

    dropped = imported(p3ke_file, households[1:], members[2:], "b.xlsx")
    assert dropped["households"] == {"created": 0, "updated": 0, "unchanged": 24, "absent": 1}
    assert dropped["skipped_rows"] == 24 * 3
    gone = Household.objects.get(p3ke_id="122000001")
    assert gone.is_absent

    back = imported(p3ke_file, households, members, "c.xlsx")
    assert back["households"] == {"created": 0, "updated": 1, "unchanged": 24, "absent": 0}
    assert back["skipped_rows"] == 24 + 50  # the family's members were not marked: skipped as well
    gone.refresh_from_db()
    assert not gone.is_absent


def test_member_left_out_of_an_unchanged_family_is_marked_absent(reference, p3ke_file):
    households, members = families()
    imported(p3ke_file, households, members, "a.xlsx")
    result = imported(p3ke_file, households, members[:-1], "b.xlsx")
    assert result["members"] == {"created": 0, "updated": 0, "unchanged": 5, "absent": 1}
    assert Member.objects.get(id_individu="91220000032").is_absent


def test_a_new_row_repeating_a_skipped_rows_id_refuses_both(reference, p3ke_file):
    households, members = families()
    imported(p3ke_file, households, members, "a.xlsx")
    twin = member_row("122000002", "91220000022", 777)  # the same ID Individu as an unchanged row
    code, out, _ = run("import_p3ke", str(p3ke_file(households=households, members=[*members, twin], name="b.xlsx")), "--json")
    result = json.loads(out)
    assert code != 0 and result["status"] == "refused"
    assert result["error_rows"] == 2


def test_skipped_rows_still_claim_their_aid(reference, p3ke_file):
    households, members = families()
    households[0]["Penerima PKH"] = "Ya"
    members[3]["Penerima BPNT"] = "Ya"
    first = imported(p3ke_file, households, members, "a.xlsx")
    assert first["enrollments"]["created"] == 2
    Enrollment.objects.filter(household__p3ke_id="122000002").delete()

    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again["skipped_rows"] == 9
    assert again["enrollments"]["created"] == 1 and again["enrollments"]["existing"] == 1
    assert set(Enrollment.objects.values_list("household__p3ke_id", flat=True)) == {"122000001", "122000002"}


def test_records_without_a_hash_get_one_without_a_history_row(reference, p3ke_file):
    households, members = families()
    imported(p3ke_file, households, members, "a.xlsx")
    Household.objects.update(source_row_hash=None)  # imported before row hashes
    Member.objects.update(source_row_hash=None)
    history = history_rows()

    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again.get("skipped_rows", 0) == 0 and again["households"]["unchanged"] == 3
    assert history_rows() == history
    assert not Household.objects.filter(source_row_hash__isnull=True).exists()
    assert not Member.objects.filter(source_row_hash__isnull=True).exists()
    assert imported(p3ke_file, households, members, "c.xlsx")["skipped_rows"] == 9


def test_a_new_saved_value_mapping_reads_the_rows_again(reference, p3ke_file):
    households, members = families(overrides={"Jenis Atap": "Genteng Kaca"})
    imported(p3ke_file, households, members, "a.xlsx")
    household = Household.objects.get(p3ke_id="122000001")
    assert household.roof_type == "" and household.raw_values == {"roof_type": "Genteng Kaca"}
    ValueMapping.objects.create(kind="", field="roof_type", value=norm("Genteng Kaca"), code="genteng")

    again = imported(p3ke_file, households, members, "b.xlsx")
    assert again["households"]["updated"] == 3 and again["skipped_rows"] == 0
    household.refresh_from_db()
    assert household.roof_type == "genteng" and household.raw_values == {}
