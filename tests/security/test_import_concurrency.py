"""Imports under interruption and concurrency: nothing lost, nothing written twice.

``tests/households/test_import_bad_input.py`` already interrupts a first import at its enrollment
step. Here: an interruption half-way through the writes of a *re-sync* (updates and new rows),
the retry after it, and, on PostgreSQL, the same import started twice at the same moment (the same
batch confirmed twice, two batches of the same file; P3KE and DTKS, which has no unique family key).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from households.imports.batches import batch_create
from households.imports.outcome import APPLIED, FAILED
from households.imports.plan import ExtractPlan
from households.imports.progress import Progress
from households.imports.services import import_apply
from households.models import Household, ImportBatch, ImportKind, ImportStatus, Member
from programs.models import Enrollment
from tests.factories import UserFactory
from tests.households.conftest import DTKS, HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx


def p3ke_workbook(path: Path, *, families: int = 4, pkh: bool = True, desil: int = 1) -> Path:
    households, members = [], []
    for i in range(families):
        pid = str(122500001 + i)
        households.append(household_row(pid, 600 + i, **{"Penerima PKH": "Ya" if pkh else "Tidak", "Desil Kesejahteraan": desil}))
        members.append(head_member_row(pid, f"8{pid}1", 600 + i))
        members.append(member_row(pid, f"8{pid}2", 700 + i))
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def dtks_workbook(path: Path, *, families: int = 3) -> Path:
    rows = []
    for i in range(families):
        kk = f"74090101012{i + 1:05d}"
        rows.append({"ID DTKS": f"D{i}1", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk,
                     "Nomor NIK": nik(800 + i), "Nama": f"BAPAK {i}", "Tanggal Lahir": "05-01-1980",
                     "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "KEPALA KELUARGA", "Bansos PKH": "Ya"})
        rows.append({"ID DTKS": f"D{i}2", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk,
                     "Nomor NIK": nik(900 + i, female=True), "Nama": f"IBU {i}", "Tanggal Lahir": "05-01-1982",
                     "Jenis Kelamin": "Perempuan", "Hubungan Keluarga": "ISTRI"})
    return write_xlsx(path, {"DTKS": (DTKS, rows)})


def registry() -> tuple:
    """The registry as a user sees it, and its history."""
    return (
        sorted(Household.objects.values_list("p3ke_id", "no_kk", "head_name", "desil", "is_absent")),
        sorted(Member.objects.values_list("nik", "name", "is_absent")),
        sorted(Enrollment.objects.values_list("household__no_kk", "program__code", "year", "status")),
        Household.history.count(), Member.history.count(), Enrollment.history.count(),
    )


def new_batch(path: Path, kind=ImportKind.P3KE, by=None, **options) -> ImportBatch:
    return batch_create(kind=kind, files=[(path.name, path)], by=by, data_year=2024 if kind == ImportKind.DTKS else None,
                        **options)


# --- interruption --------------------------------------------------------------------------------------


class Interrupt(Progress):
    """Fails the import once ``after`` rows have been written (the connection drops, the worker is killed)."""

    def __init__(self, after: int):
        self.after, self.writing, self.done = after, False, 0

    def phase(self, name, total=0):
        self.writing = name == "write"

    def advance(self, count):
        if self.writing:
            self.done += count
            if self.done >= self.after:
                raise RuntimeError("koneksi basis data terputus")


@pytest.mark.django_db(transaction=True)
def test_a_resync_interrupted_half_way_leaves_the_registry_as_it_was_and_a_retry_applies_it_once(reference, tmp_path):
    bappeda = UserFactory(username="bappeda", role="bappeda_operator")
    first = import_apply(batch=new_batch(p3ke_workbook(tmp_path / "2023.xlsx", families=3), by=bappeda))
    assert first.status == APPLIED
    before = registry()

    # The next extract: one more family, the others poorer; it fails after the households are written.
    resync = new_batch(p3ke_workbook(tmp_path / "2024.xlsx", families=4, desil=2), by=bappeda)
    outcome = import_apply(batch=resync, progress=Interrupt(after=4))
    resync.refresh_from_db()
    assert outcome.status == FAILED and resync.status == ImportStatus.FAILED
    assert "tidak ada data yang diubah" in resync.message and "kesalahan tak terduga" in resync.message
    assert "koneksi basis data terputus" not in resync.message  # the error's own text stays in the log
    assert registry() == before

    # Retried (the worker picks it up again): applied exactly once.
    outcome = import_apply(batch=ImportBatch.objects.get(pk=resync.pk))
    assert outcome.status == APPLIED
    assert Household.objects.count() == 4 and set(Household.objects.values_list("desil", flat=True)) == {2}
    assert Member.objects.count() == 8 and Enrollment.objects.count() == 4
    assert Household.history.count() == 3 + 4  # 3 created, then 3 updated and 1 created
    assert Household.history.filter(history_change_reason=f"Impor batch #{resync.pk}").count() == 4


# --- concurrency (PostgreSQL) -----------------------------------------------------------------------------

postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so two connections cannot race.",
)


def _someone_waits_on_a_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def at_the_same_moment(monkeypatch, jobs) -> list:
    """Run each job in its own thread (its own connection). Every job, once it has compared its
    file with the registry and is about to write, waits until all the others have got that far too,
    or are blocked by a lock: without one, all of them plan against the same registry, then write."""
    arrived = threading.Semaphore(0)
    real = ExtractPlan.apply

    def rendezvous(*args, **kwargs):
        arrived.release()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if arrived._value >= len(jobs) or _someone_waits_on_a_lock():
                break
            time.sleep(0.05)
        return real(*args, **kwargs)

    monkeypatch.setattr(ExtractPlan, "apply", rendezvous)
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            results[index] = job()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "an import is still waiting: deadlock?"
    assert errors == []
    return results


@postgres
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_confirmed_twice_at_once_is_applied_once(reference, tmp_path, monkeypatch):
    bappeda = UserFactory(username="bappeda", role="bappeda_operator")
    batch = new_batch(p3ke_workbook(tmp_path / "p3ke.xlsx"), by=bappeda)

    def confirm():
        return import_apply(batch=ImportBatch.objects.get(pk=batch.pk))

    outcomes = at_the_same_moment(monkeypatch, [confirm, confirm])

    assert [o.status for o in outcomes] == [APPLIED, APPLIED], [o.message for o in outcomes]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert Household.objects.count() == 4 and Member.objects.count() == 8 and Enrollment.objects.count() == 4
    assert Household.history.count() == 4 and Member.history.count() == 8 and Enrollment.history.count() == 4


@postgres
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_the_same_p3ke_file_at_once_write_it_once(reference, tmp_path, monkeypatch):
    first, second = UserFactory(username="op-1", role="bappeda_operator"), UserFactory(username="op-2", role="bappeda_operator")
    path = p3ke_workbook(tmp_path / "p3ke.xlsx")
    batches = [new_batch(path, by=first), new_batch(path, by=second)]

    outcomes = at_the_same_moment(monkeypatch, [lambda b=b: import_apply(batch=b) for b in batches])

    assert [o.status for o in outcomes] == [APPLIED, APPLIED], [o.message for o in outcomes]
    created = sorted(o.summary["households"]["created"] for o in outcomes)
    assert created == [0, 4]  # one wrote the families, the other found them already there
    assert Household.objects.count() == 4 and Member.objects.count() == 8 and Enrollment.objects.count() == 4
    assert Household.history.count() == 4 and Member.history.count() == 8


@postgres
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_the_same_dtks_file_at_once_do_not_duplicate_families(reference, tmp_path, monkeypatch):
    """DTKS families have no unique key in the database (they are matched by No KK), so only
    running the imports one after the other keeps them single."""
    bappeda = UserFactory(username="bappeda", role="bappeda_operator")
    path = dtks_workbook(tmp_path / "dtks.xlsx")
    batches = [new_batch(path, kind=ImportKind.DTKS, by=bappeda) for _ in range(2)]

    outcomes = at_the_same_moment(monkeypatch, [lambda b=b: import_apply(batch=b) for b in batches])

    assert [o.status for o in outcomes] == [APPLIED, APPLIED], [o.message for o in outcomes]
    assert Household.objects.count() == 3, sorted(Household.objects.values_list("no_kk", flat=True))
    assert Member.objects.count() == 6
    assert Enrollment.objects.count() == 3


@postgres
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_import_failing_while_another_runs_takes_nothing_of_the_other(reference, tmp_path, monkeypatch):
    bappeda = UserFactory(username="bappeda", role="bappeda_operator")
    good = new_batch(p3ke_workbook(tmp_path / "good.xlsx", families=3), by=bappeda)
    households = [household_row(str(122600001 + i), 650 + i) for i in range(3)]
    bad_path = write_xlsx(tmp_path / "bad.xlsx", {"KEPALA-KELUARGA": (HH_2023, households)})
    bad = new_batch(bad_path, by=bappeda, full_extract=False)

    outcomes = at_the_same_moment(monkeypatch, [
        lambda: import_apply(batch=good),
        lambda: import_apply(batch=bad, progress=Interrupt(after=1)),
    ])

    assert [o.status for o in outcomes] == [APPLIED, FAILED]
    assert sorted(Household.objects.values_list("p3ke_id", flat=True)) == ["122500001", "122500002", "122500003"]
    assert Member.objects.count() == 6 and Household.history.count() == 3
