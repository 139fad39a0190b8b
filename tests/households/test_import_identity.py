"""After an applied P3KE/DTKS import, the identity-duplicate scan runs (after the import's own
transaction) and the summary tells how many identity duplicates are open."""

from __future__ import annotations

import json

import pytest

from dedup.models import IdentityKind, IdentityMatch
from households.imports.batches import batch_create
from households.imports.outcome import APPLIED
from households.imports.services import run_file_import
from households.imports.tasks import apply_import_task
from households.models import Household, ImportBatch, ImportStatus

from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_person_file(tmp_path):
    """Two families; the child listed in the second one carries the first family's head NIK."""
    second_head = {"Nama Kepala Keluarga": "HASNAH TOSUKA"}
    households = [household_row("122000001", 100), household_row("122000002", 101, **second_head)]
    members = [
        head_member_row("122000001", "91220000011", 100),
        head_member_row("122000002", "91220000021", 101, Nama="HASNAH TOSUKA"),
        member_row("122000002", "91220000022", 0, NIK=nik(100), Nama="KEPALA 100"),
    ]
    return write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def test_command_reports_open_identity_duplicates(reference, shared_person_file):
    code, out, _ = run("import_p3ke", str(shared_person_file), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["households"]["created"] == 2
    assert summary["identity_duplicates"] == 1
    match = IdentityMatch.objects.get()
    assert match.kind == IdentityKind.SAME_NIK and nik(100) in match.evidence["niks"]
    assert set(Household.objects.values_list("pk", flat=True)) == {match.household_a_id, match.household_b_id}
    batch = ImportBatch.objects.get(pk=summary["batch"])
    assert batch.counts["identity_duplicates"] == 1

    # The same file again changes nothing; the open duplicate is still reported, not recorded twice.
    code, out, _ = run("import_p3ke", str(shared_person_file), "--json")
    again = json.loads(out)
    assert again["households"]["unchanged"] == 2 and again["identity_duplicates"] == 1
    assert IdentityMatch.objects.count() == 1

    code, out, _ = run("import_p3ke", str(shared_person_file))
    assert "Duplikat identitas terbuka (perlu ditinjau): 1" in out


def test_dry_run_neither_scans_nor_reports(reference, shared_person_file):
    code, out, _ = run("import_p3ke", str(shared_person_file), "--json", "--dry-run")
    assert code == 0 and "identity_duplicates" not in json.loads(out)
    assert not IdentityMatch.objects.exists() and not Household.objects.exists()


def test_background_task_scans_after_applying(reference, shared_person_file):
    batch = batch_create(kind="p3ke", files=[("p3ke.xlsx", shared_person_file)])
    apply_import_task.enqueue(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert batch.counts["identity_duplicates"] == 1 and IdentityMatch.objects.count() == 1


def test_failed_scan_leaves_the_import_applied(reference, shared_person_file, monkeypatch):
    from dedup import services as dedup_services

    def broken():
        raise RuntimeError("scan broke")

    monkeypatch.setattr(dedup_services, "identity_scan", broken)
    outcome = run_file_import(kind="p3ke", paths=[str(shared_person_file)], scan_identities=True)
    assert outcome.status == APPLIED and "identity_duplicates" not in outcome.summary
    assert Household.objects.count() == 2 and not IdentityMatch.objects.exists()

