"""A partial extract (one kecamatan, one village) marks nothing absent of what it does not carry,
but still lists whole families: a member gone from a family it carries is marked absent, as a full
extract marks them; a file older than the registry's data marks none, and says so."""

from __future__ import annotations

import json

import pytest

from households.models import Household, ImportBatch, Member

from .conftest import DTKS, head_member_row, household_row, member_row, nik, write_xlsx
from .test_import_bad_input import run
from .test_import_dtsen_mapping import DTSEN, dtsen_rows

pytestmark = pytest.mark.django_db


def families(count=3):
    """``count`` P3KE families (head and child each), as the household and individual sheets list them."""
    households = [household_row(str(122000001 + i), 100 + i) for i in range(count)]
    members = []
    for i, household in enumerate(households):
        pid = household["ID Keluarga P3KE"]
        members += [head_member_row(pid, f"9{pid}1", 100 + i), member_row(pid, f"9{pid}2", 500 + i)]
    return households, members


def imported(path, *extra, command="import_p3ke"):
    code, out, err = run(command, str(path), "--json", *extra)
    assert code == 0, (out, err)
    return json.loads(out)


def absent_ids():
    return sorted(Member.objects.filter(is_absent=True).values_list("id_individu", flat=True))


def test_a_partial_extract_marks_the_child_gone_from_an_unchanged_family(reference, p3ke_file):
    """Every row of family 1 is as imported (skipped as unchanged) but its child's row is gone: the
    child is marked absent, with the batch in the member's history; families 2 and 3, not in the
    file, keep their children; the same file again changes nothing."""
    households, members = families()
    imported(p3ke_file(households=households, members=members, name="a.xlsx"))
    path = p3ke_file(households=households[:1], members=members[:1], name="b.xlsx")

    result = imported(path, "--partial")

    assert result["households"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}
    assert result["members"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 1}
    assert result["skipped_rows"] == 2
    assert result["message"].startswith(
        "Diimpor: keluarga 0 baru, 0 diubah, 0 ditandai tidak ada di data terbaru; anggota keluarga 0 baru, 0 diubah, "
        "1 ditandai tidak ada."
    )
    assert absent_ids() == ["91220000012"]
    child = Member.objects.get(id_individu="91220000012")
    assert child.history.first().history_change_reason == f"Impor batch #{result['batch']}"
    assert not Household.objects.filter(is_absent=True).exists()
    assert Member.objects.filter(household__p3ke_id__in=["122000002", "122000003"], is_absent=False).count() == 4

    history = Member.history.count()
    again = imported(p3ke_file(households=households[:1], members=members[:1], name="c.xlsx"), "--partial")
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 1, "absent": 0}
    assert "Tidak ada perubahan." in again["message"]
    assert absent_ids() == ["91220000012"] and Member.history.count() == history


def test_a_p3ke_household_sheet_alone_marks_no_member(reference, p3ke_file):
    households, members = families()
    imported(p3ke_file(households=households, members=members, name="a.xlsx"))

    result = imported(p3ke_file(households=households[:1], members=[], name="b.xlsx"), "--partial")

    assert result["members"]["absent"] == 0 and not Member.objects.filter(is_absent=True).exists()


def test_an_older_partial_extract_marks_no_member_and_says_so(reference, p3ke_file):
    """A 2022 file after the 2023 data: the child it lacks may be newer than it, so stays present;
    the message and a warning say how many members were left as they are, and why."""
    households, members = families()
    imported(p3ke_file(households=households, members=members, name="a.xlsx"))
    path = p3ke_file(households=households[:1], members=members[:1], name="b.xlsx")

    result = imported(path, "--partial", "--year", "2022")

    assert result["members"]["absent"] == 0 and not Member.objects.filter(is_absent=True).exists()
    notice = (
        "1 anggota keluarga yang tidak ada lagi di berkas ini tidak ditandai tidak ada. Berkas ini data tahun 2022, "
        "lebih lama dari data terbaru di registri (2023)."
    )
    assert notice in result["message"]
    batch = ImportBatch.objects.get(pk=result["batch"])
    assert [(w["sheet"], w["reason"]) for w in batch.warnings if w["row"] == 0] == [("INDIVIDU", 
        "1 anggota keluarga yang tidak ada lagi di berkas ini tidak ditandai tidak ada: berkas ini lebih lama dari "
        "data terbaru registri (anggota itu mungkin lebih baru dari berkas ini)")
    ]


def dtks_family(i: int, *people: tuple[str, int, str]) -> list[dict]:
    family = {"Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": f"74090101012{i:05d}", "Alamat": f"Dusun {i}"}
    return [
        {**family, "ID DTKS": dtks_id, "Nomor NIK": nik(serial), "Nama": f"{relation} {serial}", "Tanggal Lahir": "05-01-1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": relation}
        for dtks_id, serial, relation in people
    ]


def test_a_partial_dtks_extract_marks_the_member_gone_from_a_family_it_carries(reference, tmp_path):
    first = dtks_family(1, ("D11", 101, "KEPALA KELUARGA"), ("D12", 501, "ANAK"), ("D13", 601, "ANAK"))
    other = dtks_family(2, ("D21", 102, "KEPALA KELUARGA"), ("D22", 502, "ANAK"))
    imported(write_xlsx(tmp_path / "a.xlsx", {"DATA": (DTKS, first + other)}), "--year", "2024", command="import_dtks")

    result = imported(
        write_xlsx(tmp_path / "b.xlsx", {"DATA": (DTKS, first[:2])}), "--year", "2024", "--partial", command="import_dtks",
    )

    assert result["households"]["absent"] == 0
    assert result["members"] == {"created": 0, "updated": 0, "unchanged": 2, "absent": 1}
    assert list(Member.objects.filter(is_absent=True).values_list("dtks_id", flat=True)) == ["D13"]
    assert Member.objects.filter(household__no_kk=other[0]["Nomor KK"], is_absent=False).count() == 2


def test_a_partial_dtsen_extract_marks_the_member_gone_from_a_family_it_carries(reference, tmp_path):
    rows = dtsen_rows()
    other = [{**row, "NO KK": "7409011005080002", "NIK": nik(700 + i)} for i, row in enumerate(rows)]
    imported(write_xlsx(tmp_path / "a.xlsx", {"DTSEN": (DTSEN, rows + other)}), command="import_dtsen")

    result = imported(write_xlsx(tmp_path / "b.xlsx", {"DTSEN": (DTSEN, rows[:1])}), "--partial", command="import_dtsen")

    assert result["members"]["absent"] == 1
    assert list(Member.objects.filter(is_absent=True).values_list("nik", flat=True)) == [rows[1]["NIK"]]
    assert not Household.objects.filter(is_absent=True).exists()
    assert Member.objects.filter(household__no_kk="7409011005080002", is_absent=False).count() == 2


def test_a_member_a_verval_approval_found_dead_is_not_brought_back(reference, p3ke_file):
    """An extract still listing a child whom an approved verval found dead: the child stays absent
    (the aid of their own could be claimed again), and the row's warning says why; the rest of the
    file is imported as usual."""
    from django.utils import timezone

    from households.services import members_record_deceased

    households, members = families()
    imported(p3ke_file(households=households, members=members, name="a.xlsx"))
    child = Member.objects.get(id_individu="91220000012")
    Member.objects.filter(pk=child.pk).update(is_absent=True)
    members_record_deceased(members=[child.pk], by=None, reason="Meninggal (Verval disahkan)")
    Member.objects.filter(id_individu="91220000022").update(is_absent=True)  # left out by a newer file, alive

    result = imported(p3ke_file(households=households, members=members, name="b.xlsx"))

    assert absent_ids() == ["91220000012"]
    assert Member.objects.get(pk=child.pk).is_deceased
    batch = ImportBatch.objects.get(pk=result["batch"])
    day = timezone.localdate().strftime("%d/%m/%Y")
    assert [(w["sheet"], w["reason"]) for w in batch.warnings if "meninggal" in w["reason"]] == [
        ("INDIVIDU", f"Tercatat meninggal menurut verval yang disahkan pada {day}; tidak diaktifkan kembali")]


def _dead(*id_individu):
    from households.services import members_record_deceased

    members = list(Member.objects.filter(id_individu__in=id_individu).values_list("pk", flat=True))
    Member.objects.filter(pk__in=members).update(is_absent=True)
    members_record_deceased(members=members, by=None, reason="Meninggal (Verval disahkan)")


def _history_reads(path) -> tuple[int, list[str]]:
    """The reads of the members' history while importing ``path``, and the warnings about the dead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = imported(path)
    reads = sum(1 for q in queries.captured_queries
                if q["sql"].lstrip().upper().startswith("SELECT") and 'FROM "households_historicalmember"' in q["sql"])
    batch = ImportBatch.objects.get(pk=result["batch"])
    return reads, [w["reason"] for w in batch.warnings if "meninggal" in w["reason"]]


def test_the_days_of_death_of_many_rows_are_read_at_once(reference, p3ke_file):
    """An extract listing three children an approved verval found dead reads the days their deaths
    were recorded as one child's does (not once a row), and each row's warning names its day."""
    from django.utils import timezone

    households, members = families()
    imported(p3ke_file(households=households, members=members, name="a.xlsx"))
    _dead("91220000012")
    one, one_warned = _history_reads(p3ke_file(households=households, members=members, name="b.xlsx"))
    _dead("91220000022", "91220000032")
    three, three_warned = _history_reads(p3ke_file(households=households, members=members, name="c.xlsx"))

    assert three == one, (one, three)
    day = timezone.localdate().strftime("%d/%m/%Y")
    warning = f"Tercatat meninggal menurut verval yang disahkan pada {day}; tidak diaktifkan kembali"
    assert one_warned == [warning] and three_warned == [warning] * 3
    assert absent_ids() == ["91220000012", "91220000022", "91220000032"]
