"""The P3KE import in chunks: member records spooled to disk, compared and written a chunk at a time.

With chunks of two or three records (every family's members span chunks, duplicates and errors
fall in later chunks) a first import, a re-sync that updates, moves and marks members absent, and
their previews must give the registry, history, enrollments, counts and issues of the usual run;
an error in a later chunk still refuses the import, and a failure while writing a later chunk
leaves the registry untouched."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from dedup.models import IdentityMatch
from households.imports import compare, sheetfork, spool, write
from households.imports.firstrows import FirstRows, pack, refused, slot, unpack
from households.imports.outcome import APPLIED, FAILED, REFUSED
from households.imports.plan import ExtractPlan
from households.imports.services import run_file_import
from households.models import Household, Member
from konut_registry import bulkcopy
from programs.models import Enrollment

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx

pytestmark = pytest.mark.django_db


def _tiny_chunks(monkeypatch, *, fork: bool) -> None:
    monkeypatch.setattr(spool, "CHUNK", 2)
    monkeypatch.setattr(compare, "CHUNK", 3)
    monkeypatch.setattr(write, "CHUNK", 2)
    monkeypatch.setattr(write, "COPY_CHUNK", 2)
    monkeypatch.setattr(write, "UPDATE_CHUNK", 2)
    monkeypatch.setattr(sheetfork, "MIN_BYTES", 0 if fork else 1 << 62)


def _families(n: int, *, pkh=()):
    households, members = [], []
    for i in range(n):
        pid = str(122000001 + i)
        households.append(household_row(pid, 100 + i, **({"Penerima PKH": "Ya"} if i in pkh else {})))
    for i in range(n):
        pid = str(122000001 + i)
        members.append(head_member_row(pid, f"9{pid}1", 100 + i, **({"Penerima PKH": "Ya"} if i in pkh else {})))
        members.append(member_row(pid, f"9{pid}2", 500 + i, **({"Penerima Prakerja": "Ya"} if i % 2 else {})))
        members.append(member_row(pid, f"9{pid}3", 600 + i, female=True))
    return households, members


def _first_file(path):
    households, members = _families(6, pkh={0, 3})
    child = datetime.date(2010, 5, 17)
    shared = nik(900, birth=child)
    members += [
        member_row("122000002", "9x01", 901, NIK=shared),
        member_row("122000005", "9x02", 902, NIK=shared),  # the same NIK in another family: a warning
        member_row("122000001", "9x03", 903, NIK=nik(500, birth=child)),  # the same NIK in its family, chunks apart
        member_row("122000003", "9122000003" + "2", 904),  # an ID Individu again, chunks apart
        member_row("122000099", "9x05", 905),  # a family in neither the file nor the registry
        member_row("122000004", "9x06", 906, **{"Tanggal Lahir": "31/02/2010"}),  # an error in a late chunk
        member_row("122000006", "9x07", 907, **{"Penerima BPNT": "Ya"}),
    ]
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def _second_file(path):
    """A re-sync: one family gone (absent), a name changed, a member moved, one member left out."""
    households, members = _families(6, pkh={0, 1})
    households = [h for h in households if h["ID Keluarga P3KE"] != "122000006"]
    members = [m for m in members if m["ID Keluarga P3KE"] != "122000006" and m["ID Individu"] != "91220000033"]
    for member in members:
        if member["ID Individu"] == "91220000022":
            member["Nama"] = "NAMA BARU"
        if member["ID Individu"] == "91220000043":
            member["ID Keluarga P3KE"] = "122000005"
    members.append(member_row("122000002", "9y01", 950, **{"Penerima PKH": "Ya"}))
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def _registry() -> dict:
    """The registry by natural keys (ids differ between runs), with its history and enrollments."""
    households = sorted(
        (h.p3ke_id, h.head_name, h.head_nik, h.desil, h.is_absent, h.source_values, h.raw_values, h.source_row_hash,
         h.history.count())
        for h in Household.objects.all()
    )
    keys = dict(Household.objects.values_list("pk", "p3ke_id"))

    def sources(values: dict) -> dict:
        # A moved member's snapshot names its new family by id: by P3KE ID here.
        return {**values, "household_id": keys[values["household_id"]]} if "household_id" in values else values

    members = sorted(
        (m.id_individu, m.household.p3ke_id, m.nik, m.name, m.relation, m.is_absent, sources(m.source_values),
         m.raw_values, m.source_row_hash, m.history.count())
        for m in Member.objects.select_related("household")
    )
    enrollments = sorted(
        (e.program.code, e.year, e.household.p3ke_id, e.member.id_individu if e.member else None, e.status)
        for e in Enrollment.objects.select_related("program", "household", "member")
    )
    return {
        "households": households, "members": members, "enrollments": enrollments,
        "identity": sorted(IdentityMatch.objects.values_list("kind", "status")),
    }


def _seen(outcome) -> dict:
    summary = dict(outcome.summary)
    for key in ("new_identity_duplicates", "same_as_batch"):
        summary.pop(key, None)
    enrollments = summary.get("enrollments")
    if isinstance(enrollments, dict) and "new_conflicts" in enrollments:
        summary["enrollments"] = {**enrollments, "new_conflicts": enrollments["new_conflicts"]["count"]}
    issues = outcome.plan.issues
    return {
        "status": outcome.status, "summary": summary,
        "errors": [i.as_dict() for i in issues.errors], "warnings": [i.as_dict() for i in issues.warnings],
    }


def _scenario(tmp_path) -> list:
    first, second = _first_file(tmp_path / "first.xlsx"), _second_file(tmp_path / "second.xlsx")
    seen = []
    for path in (first, second):
        preview = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True, skip_invalid=True)
        applied = run_file_import(
            kind="p3ke", paths=[str(path)], skip_invalid=True, scan_identities=True, confirm_absent=True,
        )
        seen += [_seen(preview), _seen(applied), _registry()]
    return seen


@pytest.mark.parametrize("fork", [False, True], ids=["read-here", "forked-reader"])
def test_tiny_chunks_import_and_resync_as_the_usual_run(reference, tmp_path, monkeypatch, fork):
    with transaction.atomic():
        expected = _scenario(tmp_path)
        transaction.set_rollback(True)
    assert Household.objects.count() == 0
    _tiny_chunks(monkeypatch, fork=fork)
    seen = _scenario(tmp_path)
    assert seen == expected
    # What the scenario is about actually happened (the comparison above is not of two empty runs).
    first_preview, first, first_registry, _, second, second_registry = seen
    reasons = [e["reason"] for e in first["errors"]]
    assert "Keluarga 122000099 tidak ada di lembar keluarga maupun di registri" in reasons
    assert any("NIK ganda dalam keluarga yang sama: muncul lagi" in r for r in reasons)
    assert any("ID Individu 91220000032 ganda: muncul lagi" in r for r in reasons)
    assert first["status"] == APPLIED and first_preview["summary"]["members"]["created"] == first["summary"]["members"]["created"]
    # 18 family members and three more, less the two whose ID or NIK came again later (refused
    # with their repeats) and the rows refused for their own errors.
    kept = {m[0] for m in first_registry["members"]}
    assert len(kept) == 19 and first["summary"]["members"]["created"] == 19
    assert not kept & {"91220000012", "91220000032", "9x03", "9x05", "9x06"}
    assert {"9x01", "9x02", "9x07"} <= kept
    assert ("prakerja", 2023, "122000002", "91220000022", "active") in first_registry["enrollments"]
    assert second["summary"]["members"]["updated"] >= 2 and second["summary"]["members"]["absent"] >= 1
    moved = [m for m in second_registry["members"] if m[0] == "91220000043"]
    assert [m[1] for m in moved] == ["122000005"]
    assert ("9y01", "122000002") in [m[:2] for m in second_registry["members"]]


def test_an_error_in_a_late_chunk_refuses_the_import(reference, tmp_path, monkeypatch):
    _tiny_chunks(monkeypatch, fork=False)
    households, members = _families(4)
    members.append(member_row("122000004", "9z01", 990, **{"Tanggal Lahir": "31/02/2010"}))
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    outcome = run_file_import(kind="p3ke", paths=[str(path)])
    assert outcome.status == REFUSED
    assert (Household.objects.count(), Member.objects.count(), Enrollment.objects.count()) == (0, 0, 0)


def test_a_failure_while_writing_a_late_chunk_writes_nothing(reference, tmp_path, monkeypatch):
    _tiny_chunks(monkeypatch, fork=False)
    households, members = _families(4, pkh={1})
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    calls = {"members": 0}
    insert, bulk_create = bulkcopy.insert_with_history, write.bulk_create_with_history

    def failing(objects_or_model, *args, **kwargs):
        model = objects_or_model if isinstance(objects_or_model, type) else args[0]
        if model is Member:
            calls["members"] += 1
            if calls["members"] == 3:  # the third chunk of members
                raise RuntimeError("the disk is full")
        return (insert if isinstance(objects_or_model, type) else bulk_create)(objects_or_model, *args, **kwargs)

    monkeypatch.setattr(bulkcopy, "insert_with_history", failing)
    monkeypatch.setattr(write, "bulk_create_with_history", failing)
    outcome = run_file_import(kind="p3ke", paths=[str(path)], skip_invalid=True)
    assert outcome.status == FAILED
    assert calls["members"] == 3
    assert (Household.objects.count(), Member.objects.count(), Enrollment.objects.count()) == (0, 0, 0)
    assert "tidak ada data yang diubah" in outcome.message


def test_the_next_chunk_of_members_is_read_before_the_one_before_is_written(reference, tmp_path, monkeypatch):
    """The next chunk comes from the spool while the last rows of a chunk are still sent (on
    PostgreSQL, COPY: PostgreSQL writes the rows before them meanwhile), not after the write."""
    _tiny_chunks(monkeypatch, fork=False)
    households, members = _families(3)
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    events = []
    member_chunks = ExtractPlan.member_chunks

    def logged_chunks(self, size):
        for number, item in enumerate(member_chunks(self, size)):
            events.append(("read", number))
            yield item

    insert, bulk_create = bulkcopy.insert_with_history, write.bulk_create_with_history

    def logged(objects_or_model, *args, **kwargs):
        model = objects_or_model if isinstance(objects_or_model, type) else args[0]
        result = (insert if isinstance(objects_or_model, type) else bulk_create)(objects_or_model, *args, **kwargs)
        if model is Member:
            events.append(("written", sum(1 for event in events if event[0] == "written")))
        return result

    monkeypatch.setattr(ExtractPlan, "member_chunks", logged_chunks)
    monkeypatch.setattr(bulkcopy, "insert_with_history", logged)
    monkeypatch.setattr(write, "bulk_create_with_history", logged)
    assert run_file_import(kind="p3ke", paths=[str(path)]).status == APPLIED
    assert Member.objects.count() == 9
    written = [number for kind, number in events if kind == "written"]
    assert written == [0, 1, 2, 3, 4]  # nine members, two a chunk
    for number in written[:-1]:
        assert events.index(("read", number + 1)) < events.index(("written", number))


def test_first_rows_keep_ids_as_numbers_only_where_the_text_comes_back():
    first = FirstRows()
    first.ids[slot("0123")] = -5  # a leading zero: kept as text, not confused with 123
    first.ids[slot("123")] = 7
    first.niks[slot("7409010101800001")] = pack("122000001", -9)
    first.niks[slot("7409010101800002")] = pack("P3KE-01", 11)  # a family ID that is no plain number
    first.niks[slot("7409010101800003")] = pack("0122", 12)
    assert (slot("0123"), slot("123"), slot("P3KE-01")) == ("0123", 123, "P3KE-01")

    def nik(value):
        return unpack(first.niks[slot(value)])

    assert (first.ids.get(slot("0123")), first.ids.get(slot("123")), first.ids.get(slot("9"))) == (-5, 7, None)
    assert nik("7409010101800001") == ("122000001", -9)
    assert nik("7409010101800002") == ("P3KE-01", 11)
    assert nik("7409010101800003") == ("0122", 12)
    assert refused(pack("122000001", 4)) == pack("122000001", -4) and refused(pack("P3KE-01", 4)) == ("P3KE-01", -4)
    first.refuse({7, 11, 9})  # only kept rows (positive) become refused ones
    assert first.ids[slot("123")] == -7 and first.ids[slot("0123")] == -5
    assert nik("7409010101800002") == ("P3KE-01", -11)
    assert nik("7409010101800001") == ("122000001", -9)
    assert nik("7409010101800003") == ("0122", 12)


def test_a_duplicate_in_a_second_file_drops_nothing_of_the_first(reference, tmp_path, monkeypatch):
    """Two files each with an individual sheet of the same name: a row refused in the second file
    leaves the record of the same row number in the first alone."""
    _tiny_chunks(monkeypatch, fork=False)
    households, members = _families(2)
    first = write_xlsx(tmp_path / "a.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})
    second = write_xlsx(tmp_path / "b.xlsx", {"INDIVIDU": (IND_2023, [
        member_row("122000002", "9b01", 801), member_row("122000002", "9b01", 802),  # the same ID twice
        member_row("122000002", "9b03", 803),
    ])})
    outcome = run_file_import(kind="p3ke", paths=[str(first), str(second)], skip_invalid=True)
    assert outcome.status == APPLIED
    ids = set(Member.objects.values_list("id_individu", flat=True))
    assert ids == {m["ID Individu"] for m in members} | {"9b03"}
    assert sorted((e.sheet, e.row) for e in outcome.plan.issues.errors) == [("INDIVIDU", 2), ("INDIVIDU", 3)]
