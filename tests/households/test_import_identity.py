"""After an applied P3KE/DTKS import, the identity-duplicate scan runs (after the import's own
transaction) and the summary tells how many identity duplicates are open."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from dedup.identity import find_identity_matches
from dedup.models import IdentityKind, IdentityMatch
from dedup.services import identity_scan
from households.imports.batches import batch_create
from households.imports.outcome import APPLIED
from households.imports.services import run_file_import
from households.imports.tasks import apply_import_task
from households.models import Household, ImportBatch, ImportStatus, Member
from tests.factories import HouseholdFactory

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

    def broken(**kwargs):
        raise RuntimeError("scan broke")

    monkeypatch.setattr(dedup_services, "identity_scan", broken)
    outcome = run_file_import(kind="p3ke", paths=[str(shared_person_file)], scan_identities=True)
    assert outcome.status == APPLIED and "identity_duplicates" not in outcome.summary
    assert Household.objects.count() == 2 and not IdentityMatch.objects.exists()



HEADS = {401: "JUMADI TOSULI", 402: "RUSLAN MEKUO", 403: "IRWAN PAGALA", 404: "SYAMSUL WOLASI", 405: "BAHARUDIN ANAKIA"}
KK = {serial: f"74090120060{serial}01" for serial in HEADS}
CHILD_BIRTH = datetime.date(2011, 3, 3)


def family(serial, *, kk=None):
    """A KEPALA-KELUARGA row and its head's INDIVIDU row, the head named ``HEADS[serial]``."""
    p3ke_id = f"122100{serial:03d}"
    row = household_row(p3ke_id, serial, **{"Nama Kepala Keluarga": HEADS[serial], "No KK": kk or KK[serial]})
    return row, head_member_row(p3ke_id, f"9{p3ke_id}1", serial, Nama=HEADS[serial])


def extract(path, families, members):
    households = [row for row, _ in families]
    individuals = [head for _, head in families] + members
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023 + ["No KK"], households), "INDIVIDU": (IND_2023, individuals)})


def recorded():
    return sorted(
        (m.kind, m.household_a_id, m.household_b_id, m.member_a_id, m.member_b_id, m.score, m.evidence)
        for m in IdentityMatch.objects.all()
    )


def test_an_import_scans_the_families_it_wrote_against_the_whole_registry(reference, tmp_path):
    child = {"Nama": "LA ODE SABARA", "birth": CHILD_BIRTH}
    cousin = member_row("122100402", "91221004022", 802, Nama="LA ODE SABARAH", birth=CHILD_BIRTH)
    first = extract(tmp_path / "first.xlsx", [family(401), family(402), family(403)], [
        cousin, member_row("122100403", "91221004032", 801, **child),
    ])
    code, out, _ = run("import_p3ke", str(first), "--json")
    assert code == 0 and json.loads(out)["identity_duplicates"] == 1  # the child and the cousin
    by_id = dict(Household.objects.values_list("p3ke_id", "pk"))
    before = recorded()
    assert [(kind, a, b) for kind, a, b, *_ in before] == [
        (IdentityKind.SIMILAR_MEMBER, by_id["122100402"], by_id["122100403"]),
    ]
    # Two old records of one family card, from no extract and written past any import: only the
    # whole scan sees them.
    old = [HouseholdFactory(p3ke_id=None, no_kk="7409012006099901") for _ in range(2)]

    # The next extract: the child moves to the first family, a new family holds a member carrying
    # the first family's head NIK, another new family holds the second family's card.
    second = extract(tmp_path / "second.xlsx", [family(serial) for serial in (401, 402, 403, 404)] + [family(405, kk=KK[402])], [
        cousin,
        member_row("122100401", "91221004032", 801, **child),
        member_row("122100404", "91221004042", 0, NIK=nik(401), Nama="JUMADI", birth=datetime.date(1980, 1, 5)),
    ])
    code, out, _ = run("import_p3ke", str(second), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["households"]["created"] == 2
    assert Member.objects.get(id_individu="91221004032").household.p3ke_id == "122100401"
    by_id = dict(Household.objects.values_list("p3ke_id", "pk"))
    touched = {by_id["122100401"], by_id["122100403"], by_id["122100404"], by_id["122100405"]}
    whole = [
        (m.kind, m.household_a_id, m.household_b_id, m.member_a_id, m.member_b_id, m.score, m.evidence)
        for m in find_identity_matches()
    ]
    theirs = [row for row in whole if row[1] in touched or row[2] in touched]
    assert {(kind, a, b) for kind, a, b, *_ in theirs} == {
        (IdentityKind.SAME_NIK, by_id["122100401"], by_id["122100404"]),
        (IdentityKind.SAME_KK, by_id["122100402"], by_id["122100405"]),
        (IdentityKind.SIMILAR_MEMBER, by_id["122100401"], by_id["122100402"]),
    }
    # Recorded: what the whole scan finds for the families the import wrote, each once, and what
    # earlier scans recorded; not the old records' own duplicate.
    assert recorded() == sorted(before + theirs)
    # The child left the third family: the cousins' pair of the first extract is no longer there,
    # and closed by the import's scan; the three new ones are open.
    assert summary["identity_duplicates"] == 3
    assert IdentityMatch.objects.get(kind=IdentityKind.SIMILAR_MEMBER, household_b=by_id["122100403"]).status == "closed"
    assert not IdentityMatch.objects.filter(household_a__in=old).exists()

    # The whole scan (the identity-duplicate page's button, the dedup_scan command) still finds it.
    assert identity_scan().new == 1
    assert IdentityMatch.objects.filter(kind=IdentityKind.SAME_KK, household_a=old[0], household_b=old[1]).exists()


def test_an_import_that_corrects_the_nik_closes_the_duplicate_it_made(reference, shared_person_file, tmp_path, bappeda_client):
    """The next extract gives the child of the second family a NIK of their own: the duplicate the
    first one made is closed by the import's scan, the summary and the batch count none open, and
    the queue says why."""
    run("import_p3ke", str(shared_person_file), "--json")
    match = IdentityMatch.objects.get()
    second_head = {"Nama Kepala Keluarga": "HASNAH TOSUKA"}
    corrected = write_xlsx(tmp_path / "p3ke-corrected.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100), household_row("122000002", 101, **second_head)]),
        "INDIVIDU": (IND_2023, [
            head_member_row("122000001", "91220000011", 100),
            head_member_row("122000002", "91220000021", 101, Nama="HASNAH TOSUKA"),
            member_row("122000002", "91220000022", 0, NIK=nik(102), Nama="KEPALA 100"),
        ]),
    })

    code, out, _ = run("import_p3ke", str(corrected), "--json")

    summary = json.loads(out)
    assert code == 0 and summary["identity_duplicates"] == 0
    assert ImportBatch.objects.get(pk=summary["batch"]).counts["identity_duplicates"] == 0
    match.refresh_from_db()
    assert (match.status, match.decision_reason) == ("closed", "Ditutup otomatis: tidak lagi ditemukan pada data terbaru.")
    assert match.history.first().history_change_reason == match.decision_reason
    listing = bappeda_client.get(reverse("admin:dedup_identitymatch_changelist")).content.decode()
    assert "Ditutup otomatis" in listing
