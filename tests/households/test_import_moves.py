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
        (c.rule, c.household.p3ke_id, frozenset((c.enrollment_a.program.code, c.enrollment_b.program.code)))
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
