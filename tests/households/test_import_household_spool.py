"""The household records of a P3KE import wait on disk (``spool.HouseholdSpool``), as the member
records do: memory holds a key, a row and a shared aid set per family, not the record. Read back
from disk, chunk by chunk, they must give the import of the records kept in memory: a family ID
repeated after its first record went to disk, the heads of a file without an individual sheet,
the data year set after all sheets were read, the family rows' aid claims."""

from __future__ import annotations

import tracemalloc

import pytest
from django.db import transaction

from households.imports import spool
from households.imports.common import HouseholdRecord, MemberRecord
from households.imports.outcome import APPLIED
from households.imports.services import run_file_import
from households.models import Household, Member
from programs.models import Enrollment

from .conftest import HH_2023, household_row, write_xlsx

pytestmark = pytest.mark.django_db


def _file(path):
    rows = [household_row(str(122000001 + i), 100 + i) for i in range(7)]
    rows[2]["Penerima PKH"] = "Ya"
    rows.append(household_row("122000001", 200, **{"Nama Kepala Keluarga": "KEPALA LAIN"}))  # the first family again
    rows.append(household_row("122000009", 300, **{"Penerima SEMBAKO": "Ya"}))
    return write_xlsx(path, {"KEPALA-KELUARGA": (HH_2023, rows)})


def _run(path) -> tuple[dict, list]:
    outcome = run_file_import(kind="p3ke", paths=[str(path)], skip_invalid=True)
    assert outcome.status == APPLIED, outcome.message
    registry = {
        "households": sorted(Household.objects.values_list("p3ke_id", "head_name", "source_year", "source_row_hash")),
        "members": sorted(Member.objects.values_list("household__p3ke_id", "name", "relation", "nik")),
        "enrollments": sorted(Enrollment.objects.values_list("program__code", "household__p3ke_id", "member__name")),
        "history": Household.history.count(),
    }
    return registry, [(i.row, i.reason) for i in outcome.plan.issues.errors]


def test_household_records_read_back_from_disk_import_as_kept_in_memory(reference, tmp_path, monkeypatch):
    path = _file(tmp_path / "p3ke.xlsx")
    with transaction.atomic():
        expected = _run(path)  # one chunk: every record still in memory when read
        transaction.set_rollback(True)
    monkeypatch.setattr(spool, "CHUNK", 2)  # the first family's record is on disk when it comes again
    seen = _run(path)
    assert seen == expected
    registry, errors = seen
    assert [p3ke_id for p3ke_id, *_ in registry["households"]] == [str(122000002 + i) for i in range(6)] + ["122000009"]
    assert {year for _, _, year, _ in registry["households"]} == {2023} and all(h[3] for h in registry["households"])
    assert len(registry["members"]) == 7 and {m[2] for m in registry["members"]} == {"kepala"}
    assert ("pkh", "122000003", None) in registry["enrollments"]
    assert any(e[0] == "sembako" and e[1] == "122000009" for e in registry["enrollments"])
    reasons = dict(errors)
    assert "ID Keluarga P3KE 122000001 ganda: sudah ada di baris 2" in reasons[9]
    assert "ID Keluarga P3KE 122000001 ganda: muncul lagi di baris 9" in reasons[2]


PKH = frozenset({"pkh"})  # one shared set, as the reader keeps them (``shared_recipients``)


def _record(i: int) -> HouseholdRecord:
    values = {
        "p3ke_id": str(740000000 + i), "desa_id": 83, "desil": 2, "desil_source": "p3ke", "persentil": 15,
        "updated_year": 2000 + (i % 50) + 1000, "head_name": f"KEPALA KELUARGA {i}", "address": f"DUSUN {i}",
        "roof_type": "asbes_seng", "wall_type": "tembok", "floor_type": "semen", "head_nik": f"74090661075{i:05d}",
    }
    head = MemberRecord(values["p3ke_id"], "KEPALA-KELUARGA", i + 2, {"name": values["head_name"]}, {}, frozenset())
    record = HouseholdRecord(values["p3ke_id"], "KEPALA-KELUARGA", i + 2, values, {}, PKH if i % 3 else frozenset(), head)
    record.row_hash = (i + 1) * 2**40
    return record


def test_a_household_record_on_disk_takes_a_fraction_of_its_memory(tmp_path):
    """Stored in the spool, 20,000 records hold well under a third of what they take as objects."""
    count = 20_000
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        kept = {}
        for i in range(count):
            record = _record(i)
            kept[record.key] = record
        in_memory = tracemalloc.get_traced_memory()[0] - start
        del kept, record
        start = tracemalloc.get_traced_memory()[0]
        stored = spool.HouseholdSpool()
        for i in range(count):
            record = _record(i)
            stored[record.key] = record
        del record
        stored._flush()
        on_disk = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert on_disk < in_memory / 3, (on_disk / count, in_memory / count)

    # Read back as they were, in order, less a popped one, with a value set on all of them.
    place = stored.pop(str(740000010))
    assert (place.sheet, place.row) == ("KEPALA-KELUARGA", 12)
    stored.set_all("source_year", 2023)
    records = list(stored.values())
    assert len(records) == len(stored) == count - 1 and str(740000010) not in stored
    again = _record(11)
    assert records[10].key == again.key and records[10].row == again.row and records[10].row_hash == again.row_hash
    assert dict(records[10].values) == {**again.values, "source_year": 2023}
    assert records[10].head.get("name") == "KEPALA KELUARGA 11" and records[10].recipients == {"pkh"}
    assert dict(stored.recipients())[again.key] == {"pkh"} and str(740000000) not in dict(stored.recipients())
    stored.drop_heads()
    assert next(iter(stored.values())).head is None
