"""A re-sync in which people with aid change family: it succeeds, person-level enrollments follow
the person (household-level ones stay), and every conflict that results is flagged, and every one
that ends is closed, by the import itself (a full re-check right after finds nothing new)."""

from __future__ import annotations

import json

import pytest

from dedup.engine import scan_all
from dedup.models import Conflict, ConflictEvent, ConflictEventKind, ConflictRule, ConflictStatus, WriteCause
from households.models import Household, Member
from programs.models import Enrollment

from .conftest import household_row, head_member_row, member_row
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def extract(p3ke_file, name, *, child_in="122700001", child_aid="Ya"):
    """Three families: A receives PKH, B receives KUR (both household-level aid), C none. A's child
    (ID Individu 91227000012) receives Prakerja (person-level) and sits in family ``child_in``."""
    households = [
        household_row("122700001", 301, **{"Penerima PKH": "Ya"}),
        household_row("122700002", 302, **{"Penerima KUR": "Ya"}),
        household_row("122700003", 303),
    ]
    members = [
        head_member_row("122700001", "91227000011", 301),
        head_member_row("122700002", "91227000021", 302),
        head_member_row("122700003", "91227000031", 303),
        member_row(child_in, "91227000012", 601, relation="Anak", **{"Penerima Prakerja": child_aid}),
    ]
    return p3ke_file(households=households, members=members, name=name)


def import_file(path):
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    return json.loads(out)


def open_pairs():
    return {
        (c.rule, c.household.p3ke_id or c.household.no_kk, frozenset((c.enrollment_a.program.code, c.enrollment_b.program.code)))
        for c in Conflict.objects.filter(status=ConflictStatus.OPEN).select_related(
            "household", "enrollment_a__program", "enrollment_b__program"
        )
    }


def test_resync_moves_person_level_aid_with_the_person_and_flags_every_conflict_itself(reference, p3ke_file):
    first = import_file(extract(p3ke_file, "a.xlsx"))
    assert first["enrollments"]["created"] == 3
    assert open_pairs() == {(ConflictRule.ONE_AID, "122700001", frozenset({"pkh", "prakerja"}))}
    [old_conflict] = Conflict.objects.all()

    # The newer extract puts A's child on B's family card; the child still receives Prakerja.
    second = import_file(extract(p3ke_file, "b.xlsx", child_in="122700002"))

    child = Member.objects.get(id_individu="91227000012")
    a, b = Household.objects.get(p3ke_id="122700001"), Household.objects.get(p3ke_id="122700002")
    assert child.household == b
    prakerja = Enrollment.objects.get(program__code="prakerja")
    assert (prakerja.household, prakerja.member) == (b, child)  # followed the person, not duplicated
    assert Enrollment.objects.get(program__code="pkh").household == a  # household-level aid stays
    assert Enrollment.objects.get(program__code="kur").household == b
    assert Enrollment.objects.count() == 3
    assert prakerja.history.first().history_change_reason.startswith(
        "Kepesertaan perorangan mengikuti anggotanya yang pindah keluarga."
    )
    assert second["enrollments"]["existing"] == 3 and second["enrollments"]["moved"] == 1
    assert second["enrollments"]["conflicts_closed"] == 1

    # A's PKH + Prakerja is over; B's KUR + Prakerja is the new double aid, both done by the import.
    old_conflict.refresh_from_db()
    assert old_conflict.status == ConflictStatus.RESOLVED and old_conflict.reviewed_by is None
    assert open_pairs() == {(ConflictRule.ONE_AID, "122700002", frozenset({"kur", "prakerja"}))}
    events = {
        (e.conflict_id, e.kind, e.cause, e.batch_id)
        for e in ConflictEvent.objects.filter(batch_id=second["batch"])
    }
    new_conflict = Conflict.objects.get(status=ConflictStatus.OPEN)
    assert events == {
        (old_conflict.pk, ConflictEventKind.CLOSED, WriteCause.IMPORT, second["batch"]),
        (new_conflict.pk, ConflictEventKind.CREATED, WriteCause.IMPORT, second["batch"]),
    }
    found = scan_all()
    assert (found.new, found.reopened, found.closed) == (0, 0, 0)

    # Back to family A in a third extract: the closed conflict reopens, B's closes.
    import_file(extract(p3ke_file, "c.xlsx"))
    assert open_pairs() == {(ConflictRule.ONE_AID, "122700001", frozenset({"pkh", "prakerja"}))}
    old_conflict.refresh_from_db()
    assert old_conflict.status == ConflictStatus.OPEN and old_conflict.decision_reason.startswith("Dibuka kembali")


def test_a_moved_person_without_a_claim_keeps_their_aid_and_no_database_text_reaches_the_operator(reference, p3ke_file):
    import_file(extract(p3ke_file, "a.xlsx"))
    # The newer extract moves the child and no longer states Prakerja: the enrollment follows anyway.
    summary = import_file(extract(p3ke_file, "b.xlsx", child_in="122700003", child_aid="Tidak"))
    prakerja = Enrollment.objects.get(program__code="prakerja")
    assert prakerja.household.p3ke_id == "122700003"
    assert "Key (" not in json.dumps(summary) and "UNIQUE" not in json.dumps(summary)
    assert open_pairs() == set()


def dtks_rows(child_kk, child_pbi="Ya"):
    """Two DTKS families; the child (PBI JKN, a person-level aid) is listed under ``child_kk``.
    Family 1 receives PKH, family 2 BPNT."""
    from .conftest import nik

    kk1, kk2 = "7409010101200001", "7409010101200002"
    place = {"Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya"}
    return [
        {"ID DTKS": "D1", **place, "Nomor KK": kk1, "Nomor NIK": nik(21), "Nama": "BAPAK SATU", "Tanggal Lahir": "05-01-1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA", "Bansos PKH": "Ya"},
        {"ID DTKS": "D2", **place, "Nomor KK": kk2, "Nomor NIK": nik(22), "Nama": "BAPAK DUA", "Tanggal Lahir": "05-01-1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA", "Bansos BPNT": "Ya"},
        {"ID DTKS": "D3", **place, "Nomor KK": kk1 if child_kk == 1 else kk2, "Nomor NIK": nik(23), "Nama": "ANAK",
         "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "ANAK", "PBI JKN": child_pbi},
    ]


@pytest.mark.parametrize("chunk", [None, 1], ids=["usual-chunks", "one-record-chunks"])
def test_dtks_resync_moves_a_persons_aid_to_their_new_record_in_the_new_family(reference, tmp_path, monkeypatch, chunk):
    """DTKS carries no person id: the child comes in as a new record in family 2 and the old one is
    marked absent. The child's PBI-JK follows to the new record; nothing is counted twice. The same
    when the members are compared and written one record at a time."""
    from households.imports import compare, write

    from .conftest import DTKS, write_xlsx

    if chunk:
        for module, name in ((compare, "CHUNK"), (write, "CHUNK"), (write, "COPY_CHUNK"), (write, "UPDATE_CHUNK")):
            monkeypatch.setattr(module, name, chunk)

    def sync(name, rows):
        code, out, err = run("import_dtks", str(write_xlsx(tmp_path / name, {"DTKS": (DTKS, rows)})), "--year", "2024", "--json")
        assert code == 0, (out, err)
        return json.loads(out)

    sync("a.xlsx", dtks_rows(1))
    assert open_pairs() == {(ConflictRule.ONE_AID, "7409010101200001", frozenset({"pkh", "pbi-jk"}))}
    summary = sync("b.xlsx", dtks_rows(2))

    pbi = Enrollment.objects.get(program__code="pbi-jk")
    assert (pbi.household.no_kk, pbi.member.is_absent, pbi.member.name) == ("7409010101200002", False, "ANAK")
    assert summary["enrollments"]["existing"] >= 1 and summary["enrollments"]["moved"] == 1
    assert Enrollment.objects.filter(program__code="pbi-jk").count() == 1
    assert open_pairs() == {(ConflictRule.ONE_AID, "7409010101200002", frozenset({"sembako", "pbi-jk"}))}
    found = scan_all()
    assert (found.new, found.reopened, found.closed) == (0, 0, 0)


def test_a_person_moving_to_a_family_new_in_the_file_keeps_their_record_and_aid(reference, p3ke_file):
    """A child marries and forms a family of their own: the newer extract lists a family the registry
    does not hold yet, with the child (same ID Individu) in it. The child's record moves to the new
    family; it is not created twice (the ID Individu is one person's)."""
    import_file(extract(p3ke_file, "a.xlsx"))
    child = Member.objects.get(id_individu="91227000012")
    households = [
        household_row("122700001", 301, **{"Penerima PKH": "Ya"}),
        household_row("122700002", 302, **{"Penerima KUR": "Ya"}),
        household_row("122700003", 303),
        household_row("122700004", 304),
    ]
    members = [
        head_member_row("122700001", "91227000011", 301),
        head_member_row("122700002", "91227000021", 302),
        head_member_row("122700003", "91227000031", 303),
        head_member_row("122700004", "91227000041", 304),
        member_row("122700004", "91227000012", 601, relation="Istri/Suami", **{"Penerima Prakerja": "Ya"}),
    ]
    summary = import_file(p3ke_file(households=households, members=members, name="b.xlsx"))

    new_family = Household.objects.get(p3ke_id="122700004")
    moved = Member.objects.get(id_individu="91227000012")
    assert moved.pk == child.pk and moved.household == new_family and not moved.is_absent
    assert summary["households"]["created"] == 1
    assert summary["members"]["created"] == 1 and summary["members"]["updated"] == 1
    prakerja = Enrollment.objects.get(program__code="prakerja")
    assert (prakerja.household, prakerja.member) == (new_family, moved)
    assert Enrollment.objects.count() == 3
    assert open_pairs() == set()
    found = scan_all()
    assert (found.new, found.reopened, found.closed) == (0, 0, 0)
