"""What an import holds to its end is kept out of the garbage collector's passes while it runs
(``households.imports.longlived``), and given back when it ends."""

from __future__ import annotations

import gc

import pytest

from households.imports import write
from households.imports.longlived import keep, long_lived

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
        assert gc.get_freeze_count() >= frozen
    assert gc.get_freeze_count() == 0
    keep()  # outside any scope: nothing happens
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_objects_itself_is_left_alone(nothing_frozen):
    gc.freeze()
    before = gc.get_freeze_count()
    with long_lived():
        [[index] for index in range(1000)]
        keep()
        assert gc.get_freeze_count() == before
    assert gc.get_freeze_count() == before


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
