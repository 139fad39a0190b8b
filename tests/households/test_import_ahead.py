"""A P3KE import writes its new families while the forked process still reads the individual sheet
(``write.HouseholdsAhead``), in the import's one transaction: what it leaves must be what the usual
write leaves, and whatever stops the import afterwards (row errors, an unconfirmed absent check, a
failure) must leave none of them, with the batch's outcome recorded all the same."""

from __future__ import annotations

import pytest

from households.imports import sheetfork, write
from households.imports.outcome import APPLIED, FAILED, PREVIEWED, REFUSED, UNCONFIRMED
from households.imports.services import import_preview, run_file_import
from households.models import Household, ImportBatch, ImportStatus, Member
from programs.models import Enrollment

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def ahead(monkeypatch):
    """The individual sheet read in a forked process; the families each early write wrote."""
    monkeypatch.setattr(sheetfork, "MIN_BYTES", 0)
    written: list[int] = []
    call = write.HouseholdsAhead.__call__

    def spy(self, extract, known, progress=None):
        call(self, extract, known, progress)
        written.append(len(self.ids))

    monkeypatch.setattr(write.HouseholdsAhead, "__call__", spy)
    return written


def _workbook(path, ids, *, bad_member=False):
    households = [household_row(pid, 100 + i, **({"Penerima PKH": "Ya"} if i == 0 else {})) for i, pid in enumerate(ids)]
    members = []
    for i, pid in enumerate(ids):
        members.append(head_member_row(pid, f"9{pid}1", 100 + i))
        members.append(member_row(pid, f"9{pid}2", 500 + i))
    if bad_member:
        members.append(member_row(ids[0], "9z01", 990, **{"Tanggal Lahir": "31/02/2010"}))
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


IDS = [str(122000001 + i) for i in range(5)]


def _histories(model):
    return sorted(model.history.values_list("history_type", "history_change_reason", "history_user_id"))


def _failed_with_nothing_written(tmp_path, ahead):
    """Import the five families; the import fails after writing them ahead and leaves nothing (no
    record, history row or enrollment), its batch saying so."""
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "p3ke.xlsx", IDS))], skip_invalid=True)
    assert outcome.status == FAILED and ahead == [5]
    counts = (Household.objects.count(), Member.objects.count(), Household.history.count(), Enrollment.objects.count())
    assert counts == (0, 0, 0, 0)
    batch = ImportBatch.objects.get(pk=outcome.batch.pk)
    assert batch.status == ImportStatus.FAILED and "tidak ada data yang diubah" in batch.message


def test_the_new_families_written_ahead_are_those_the_usual_write_writes(reference, tmp_path, ahead, django_user_model):
    user = django_user_model.objects.create_user("operator")
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "p3ke.xlsx", IDS))], by=user, skip_invalid=True)
    assert outcome.status == APPLIED and ahead == [5]
    assert outcome.summary["households"]["created"] == 5 and outcome.summary["members"]["created"] == 10
    batch = outcome.batch
    assert sorted(Household.objects.values_list("p3ke_id", "last_batch_id", "source_year")) == [(pid, batch.pk, 2023) for pid in IDS]
    # One history row each, with who and why.
    households, members = _histories(Household), _histories(Member)
    assert len(households) == 5 and len(members) == 10
    assert {row[:3] for row in households + members} == {("+", f"Impor batch #{batch.pk}", user.pk)}
    assert Member.objects.filter(household__p3ke_id=IDS[0]).count() == 2
    assert Enrollment.objects.filter(household__p3ke_id=IDS[0]).exists()


def test_a_refused_import_leaves_none_of_the_families_written_ahead(reference, tmp_path, ahead):
    # A member row's error refuses the whole import (no skip_invalid) after the families were written.
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "p3ke.xlsx", IDS, bad_member=True))])
    assert outcome.status == REFUSED and ahead == [5]
    assert (Household.objects.count(), Member.objects.count(), Enrollment.objects.count()) == (0, 0, 0)
    assert Household.history.count() == 0
    batch = ImportBatch.objects.get(pk=outcome.batch.pk)  # recorded although the transaction rolled back
    assert batch.status == ImportStatus.REFUSED and "Tidak ada data yang diubah" in batch.message
    assert batch.counts["households"]["created"] == 5 and batch.errors


def test_an_unconfirmed_absent_check_counts_the_registry_before_the_families_written_ahead(reference, tmp_path, ahead):
    old = [str(122100001 + i) for i in range(20)]
    assert run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "old.xlsx", old))]).status == APPLIED
    before = sorted(Household.objects.values_list("pk", "p3ke_id", "is_absent"))
    ahead.clear()
    # Two of the twenty families again and five new ones: 18 of the 20 would be marked absent.
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "new.xlsx", old[:2] + IDS))])
    assert outcome.status == UNCONFIRMED and ahead == [5]
    check = outcome.summary["absent_check"]
    assert (check["households"], check["current"]) == (18, 20)
    assert sorted(Household.objects.values_list("pk", "p3ke_id", "is_absent")) == before
    batch = ImportBatch.objects.get(pk=outcome.batch.pk)
    assert batch.status == ImportStatus.REFUSED and "dikonfirmasi" in batch.message


def test_a_failed_write_after_the_families_written_ahead_writes_nothing(reference, tmp_path, ahead, monkeypatch):
    def failing(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(write, "_mark_absent", failing)  # after the members, in the write
    _failed_with_nothing_written(tmp_path, ahead)


def test_a_failure_of_the_early_write_leaves_the_families_to_the_usual_write(reference, tmp_path, ahead, monkeypatch):
    create = write._create_households
    calls = []

    def once_failing(records, *args, **kwargs):
        calls.append(len(records))
        if len(calls) == 1:
            raise RuntimeError("the connection hiccuped")
        return create(records, *args, **kwargs)

    monkeypatch.setattr(write, "_create_households", once_failing)
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "p3ke.xlsx", IDS))], skip_invalid=True)
    assert outcome.status == APPLIED and ahead == [0] and calls == [5, 5]
    assert sorted(Household.objects.values_list("p3ke_id", flat=True)) == IDS
    assert Household.history.count() == 5 and Member.objects.count() == 10


def test_a_preview_writes_no_family_ahead(reference, tmp_path, ahead, p3ke_file):
    from households.imports.batches import batch_create

    path = _workbook(tmp_path / "p3ke.xlsx", IDS)
    batch = batch_create(kind="p3ke", files=[(path.name, str(path))], by=None)
    outcome = import_preview(batch=batch)
    assert outcome.status == PREVIEWED and ahead == []
    assert Household.objects.count() == 0 and outcome.summary["households"]["created"] == 5


@pytest.mark.django_db(transaction=True)  # the commit itself is what fails
def test_a_failed_commit_is_recorded_and_leaves_nothing(reference, tmp_path, ahead, monkeypatch):
    """The database's deferred checks run at the commit, after the write: a row they refuse fails
    the import there, and the batch says so (it does not stay "running")."""
    mark_absent = write._mark_absent

    def and_an_orphan(*args, **kwargs):
        mark_absent(*args, **kwargs)
        if kwargs.get("households") is not None:  # the members' marks: the last write
            Member.objects.create(household_id=999_999, name="Tanpa keluarga")

    monkeypatch.setattr(write, "_mark_absent", and_an_orphan)
    _failed_with_nothing_written(tmp_path, ahead)


def test_the_refused_families_reach_the_forked_reader_before_the_early_write(reference, tmp_path, ahead, monkeypatch):
    """Past its first rows the forked reader waits for the household sheet's refused families: they
    go to it before the new families are written, not after (a province's write took minutes)."""
    from households.imports import p3ke_fork

    order: list[str] = []
    send_refused, early_write = p3ke_fork.send_refused, write.HouseholdsAhead.__call__

    def sent(table, extract):
        order.append("refused" if table.forked.refused_sent is None else "again")
        return send_refused(table, extract)

    def written(self, extract, known, progress=None):
        order.append("write")
        return early_write(self, extract, known, progress)

    monkeypatch.setattr(p3ke_fork, "send_refused", sent)
    monkeypatch.setattr(write.HouseholdsAhead, "__call__", written)
    outcome = run_file_import(kind="p3ke", paths=[str(_workbook(tmp_path / "p3ke.xlsx", IDS))], skip_invalid=True)
    assert outcome.status == APPLIED and outcome.summary["members"]["created"] == 10
    assert order == ["refused", "write", "again"]
