"""What an import holds to its end is kept out of the garbage collector's passes while it runs
(``households.imports.longlived``), and given back when it ends."""

from __future__ import annotations

import gc

import pytest

from households.imports import write
from households.imports.batches import open_sources
from households.imports.compare import known_rows
from households.imports.context import build_context
from households.imports.longlived import keep, long_lived
from households.imports.p3ke import parse_p3ke
from households.imports.rowhash import KnownRows

from .conftest import member_row
from .test_import_resync import families, imported


@pytest.fixture
def nothing_frozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_kept_objects_leave_the_collector_until_the_outer_scope_ends(nothing_frozen):
    with long_lived():
        held = [[index] for index in range(1000)]  # containers the collector tracks
        keep()
        frozen = gc.get_freeze_count()
        assert frozen >= len(held)
        with long_lived():  # an inner scope (the write inside the import) does not let them go
            keep()
        assert gc.get_freeze_count() >= len(held)
    assert gc.get_freeze_count() == 0
    keep()  # outside any scope: nothing happens
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_is_left_alone(nothing_frozen):
    gc.freeze()
    before = gc.get_freeze_count()  # (it drops as frozen objects are freed)
    with long_lived():
        held = [[index] for index in range(1000)]
        keep()
        assert gc.get_freeze_count() <= before  # nothing more frozen
    assert len(held) == 1000 and gc.get_freeze_count() > before // 2  # nor let go


def test_an_import_writes_with_what_it_read_kept_and_gives_it_back(reference, p3ke_file, monkeypatch, nothing_frozen):
    seen = []
    original = write.write_records

    def write_records(plan, **kwargs):
        seen.append(gc.get_freeze_count())
        return original(plan, **kwargs)

    monkeypatch.setattr(write, "write_records", write_records)
    households, members = families()
    summary = imported(p3ke_file, households, members, "a.xlsx")

    assert summary["households"]["created"] == 3
    assert seen and seen[0] > 0  # the plan and the extract were out of the collector's way
    assert gc.get_freeze_count() == 0  # and back in its reach once the import ended


def test_reading_a_p3ke_file_makes_no_reference_cycles(reference, p3ke_file, nothing_frozen):
    """The forked reader of the individual sheet runs without the cycle collector: reading a file
    (its refused rows, warnings and aid columns included), as a first import and as a re-sync, must
    leave nothing that only the collector would free."""
    households, members = families()
    households[1]["Desil Kesejahteraan"] = 42  # refused
    households[2]["Penerima PKH"] = "Ya"
    members[1]["Nama"] = ""  # refused
    members[3]["Penerima PKH"] = "Mungkin"  # a warning
    members.append(member_row(households[0]["ID Keluarga P3KE"], members[1]["ID Individu"], 900))  # a duplicate ID
    path = p3ke_file(households=households, members=members, name="a.xlsx")
    imported(p3ke_file, households, members, "b.xlsx", "--skip-invalid")
    for known in (KnownRows(), known_rows("p3ke")):
        sources = open_sources([path], ["a.xlsx"])
        ctx = build_context(kind="p3ke")
        ctx.load_known = lambda known=known: known
        gc.collect()
        gc.disable()
        try:
            extract = parse_p3ke(sources, ctx)
            assert extract.issues.errors and extract.issues.warnings
            assert gc.collect() == 0
        finally:
            gc.enable()
            for source in sources:
                source.close()
