"""The individual sheet read in a forked process: the records, errors, warnings and kept cells must
be exactly those of the sequential reading, whenever the household sheet's refused families reach
the child (before its first row, between rows, after its last), when the child fails, and when the
sheets come in the other order."""

from __future__ import annotations

import datetime
import json
import time
from functools import partial

import pytest
from openpyxl import load_workbook

from households.imports import p3ke_fork, sheetfork, xlsxparts
from households.imports.compare import known_rows
from households.imports.context import build_context
from households.imports.p3ke import parse_p3ke
from households.imports.reader import open_source
from households.models import Household, Member

from .conftest import HH_2023, IND_2023, Formula, head_member_row, household_row, member_row, nik, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def _messy_workbook(path, *, members_first=False):
    """Two refused families (a bad desil, a bad village code) whose members are otherwise clean,
    duplicates that point at those members, unknown values, an unknown column holding Ya/Tidak, a
    formula and a notes row."""
    households = [
        household_row("122000001", 100),
        household_row("122000002", 101, **{"Desil Kesejahteraan": 11}),
        household_row("122000003", 102),
        household_row("122000004", 103, **{"Kode Kemdagri": "74090120"}),
        household_row("122000005", 104, **{"Jenis Atap": "Daun rumbia"}),
    ]
    shared = nik(700)
    members = [
        head_member_row("122000001", "9001", 100, **{"KARTU LANSIA": "YA"}),
        member_row("122000002", "9002", 701, NIK=shared, **{"KARTU LANSIA": "TIDAK"}),
        member_row("122000002", "9003", 702, NIK=shared),  # same NIK in the refused family
        member_row("122000003", "9002", 703),  # the refused member's ID Individu again
        member_row("122000001", "9005", 705, Pekerjaan="Penjual Sayur Keliling"),
        member_row("122000004", "9006", 706, **{"Tanggal Lahir": "31/02/2010"}),
        member_row("122000003", "9007", 707, Nama=Formula("=UPPER(\"budi\")")),
        member_row("122000001", "9001", 708),  # a kept member's ID Individu again
        member_row("122000005", "9009", 709, female=True),
        member_row("122000003", "9010", 710),
        member_row("122000004", "9012", 712),  # a refused family's member, nothing else wrong
        {"ID Keluarga P3KE": "Catatan: data per Desember"},
        member_row("122000003", "9011", 711),  # below the notes row: refused, not read
    ]
    sheets = {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": ([*IND_2023, "KARTU LANSIA"], members)}
    if members_first:
        sheets = dict(reversed(list(sheets.items())))
    return write_xlsx(path, sheets)


def _parse(path, *, resync=False):
    source = open_source(path)
    ctx = build_context(kind="p3ke")
    if resync:
        # As an import reads them: after the child is started, which receives them before its rows.
        ctx.load_known = partial(known_rows, "p3ke")
    try:
        return parse_p3ke([source], ctx)
    finally:
        source.close()


def _seen(extract) -> dict:
    """Everything of an extract that the preview, the write and the error report use."""
    issues = extract.issues
    return {
        "households": [
            (r.key, r.row, dict(r.values), dict(r.raw), sorted(r.recipients), r.head and dict(r.head.values))
            for r in extract.households.values()
        ],
        "members": [(m.household_key, m.sheet, m.row, dict(m.values), dict(m.raw), sorted(m.recipients)) for m in extract.members],
        "errors": [i.as_dict() for i in issues.errors],
        "warnings": [i.as_dict() for i in issues.warnings],
        "rows": (issues.error_rows, issues.warning_rows),
        "cells": issues.row_cells,
        "headers": issues.sheet_headers,
        "mapping": issues.mapping_summary(),
        "tables": [vars(t) for t in extract.tables],
        "counts": (extract.total_rows, extract.data_year, extract.rejected_households, extract.has_member_sheet),
        "row_hashes": [m.row_hash for m in extract.members],
        "skipped": [
            (s.household_key, s.sheet, s.row, s.pk, sorted(s.recipients), s.is_head)
            for s in (*extract.skipped_households.values(), *extract.skipped_members)
        ],
    }


@pytest.fixture
def forking(monkeypatch):
    """Switch the forked reading on or off; record the forks and the sheets read here instead."""
    calls = {"forks": 0, "read_here": 0}
    start, read_here = p3ke_fork.start, p3ke_fork.read_here

    def counted_start(*args):
        calls["forks"] += 1
        return start(*args)

    def counted_read_here(*args):
        calls["read_here"] += 1
        return read_here(*args)

    monkeypatch.setattr(p3ke_fork, "start", counted_start)
    monkeypatch.setattr(p3ke_fork, "read_here", counted_read_here)

    def switch(on: bool):
        monkeypatch.setattr(sheetfork, "MIN_BYTES", 0 if on else 1 << 62)
        return calls

    return switch


def _sequential(path, forking) -> dict:
    calls = forking(False)
    seen = _seen(_parse(path))
    assert calls["forks"] == 0
    return seen


@pytest.mark.parametrize(
    "early_rows, poll_rows",
    [(50_000, 1_000), (2, 1), (1, 1), (2, 2)],
    ids=["refusals-after-the-last-row", "refusals-between-rows", "refusals-from-the-second-row", "rows-set-aside-on-disk"],
)
def test_the_forked_reading_gives_what_the_sequential_reading_gives(reference, tmp_path, forking, monkeypatch, early_rows, poll_rows):
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    expected = _sequential(path, forking)
    monkeypatch.setattr(p3ke_fork, "MAX_EARLY_ROWS", early_rows)
    monkeypatch.setattr(p3ke_fork, "SET_ASIDE_ROWS", early_rows)
    monkeypatch.setattr(p3ke_fork, "POLL_ROWS", poll_rows)
    calls = forking(True)
    seen = _seen(_parse(path))
    assert calls == {"forks": 1, "read_here": 0}  # the child's work was used
    assert seen == expected
    # What the operator reads: the refused family's member is refused for it, and only for it (the
    # same NIK and the same ID Individu further down do not mark it again).
    row_9002 = 3  # the sheet's second member row, under the header row
    errors = [e for e in seen["errors"] if e["sheet"] == "INDIVIDU" and e["row"] == row_9002]
    assert [e["reason"] for e in errors] == ["Keluarga 122000002 ditolak (lihat baris 3 di lembar keluarga)"]
    assert ("INDIVIDU", row_9002) in seen["cells"]
    kept = [m[3].get("id_individu") for m in seen["members"]]
    assert "9002" not in kept and "9012" not in kept and "9010" in kept
    assert "9011" not in kept and ("INDIVIDU", 14) in seen["cells"]  # under the notes row: refused
    assert any("muncul lagi di baris 9" in e["reason"] for e in seen["errors"])  # 9001, kept, marked by row 9
    assert [w["column"] for w in seen["warnings"] if "berisi Ya/Tidak" in w["reason"]] == ["KARTU LANSIA"]


def test_a_failed_child_leaves_the_sheet_to_this_process(reference, tmp_path, forking, monkeypatch):
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    expected = _sequential(path, forking)

    def broken(*args, **kwargs):
        raise RuntimeError("the child stops halfway")

    monkeypatch.setattr(p3ke_fork.LateRejections, "apply", broken)  # runs only in the child
    calls = forking(True)
    assert _seen(_parse(path)) == expected
    assert calls == {"forks": 1, "read_here": 1}


def _counted(path, monkeypatch) -> tuple[list[int], list[int]]:
    """The rows read as the progress reports them: (while the child was still read from, after)."""
    while_reading: list[int] = []
    after: list[int] = []
    collect = p3ke_fork.collect

    def collected(*args, **kwargs):
        result = collect(*args, **kwargs)
        while_reading.append(None)  # the child's results are in: what follows is reported after
        return result

    monkeypatch.setattr(p3ke_fork, "collect", collected)

    def progress(rows):
        (after if None in while_reading else while_reading).append(rows)

    source = open_source(path)
    try:
        parse_p3ke([source], build_context(kind="p3ke"), progress=progress)
    finally:
        source.close()
    return [n for n in while_reading if n is not None], after


def test_the_rows_the_child_reads_are_counted_while_this_process_waits_for_it(reference, tmp_path, forking, monkeypatch):
    """A province's individual sheet takes the child a minute after this process is done with the
    household sheet: the count of rows read shown to the operator moves on meanwhile."""
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    calls = forking(True)
    # The child, its rows counted, takes a while before it sends them: this process waits for it.
    end = p3ke_fork.note_table_end
    monkeypatch.setattr(p3ke_fork, "note_table_end", lambda *args: (time.sleep(1.2), end(*args)))
    while_reading, after = _counted(path, monkeypatch)
    assert calls == {"forks": 1, "read_here": 0}
    # 5 household rows, 11 member rows above the notes row and the one refused below it: all of them
    # counted while the child was still at work, nothing after, and nothing twice.
    assert sum(while_reading) == 5 + 12 and after == []
    assert all(rows > 0 for rows in while_reading)


def test_a_failed_childs_rows_are_counted_once(reference, tmp_path, forking, monkeypatch):
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    calls = forking(True)

    def broken(*args, **kwargs):  # runs only in the child, after its rows are counted
        time.sleep(1.2)
        raise RuntimeError("the child stops halfway")

    monkeypatch.setattr(p3ke_fork.LateRejections, "apply", broken)
    while_reading, after = _counted(path, monkeypatch)
    assert calls == {"forks": 1, "read_here": 1}
    assert sum(while_reading) == 5 + 12  # the child's rows shown while it read them
    assert after == [-12, 12]  # then taken back, and the sheet read here counts its own


def test_an_individual_sheet_first_is_read_here_after_the_households(reference, tmp_path, forking):
    path = _messy_workbook(tmp_path / "p3ke.xlsx", members_first=True)
    expected = _sequential(path, forking)
    calls = forking(True)
    assert _seen(_parse(path)) == expected
    assert calls == {"forks": 1, "read_here": 1}  # the forked (last) sheet is the household sheet


def test_a_damaged_individual_sheet_is_refused_with_the_same_message(reference, tmp_path, forking, monkeypatch):
    path = _messy_workbook(tmp_path / "p3ke.xlsx")

    def damaged(self, sheet, *rest):
        if sheet == "INDIVIDU":
            raise ValueError("truncated sheet")
        return original(self, sheet, *rest)

    original = p3ke_fork.Source._raw_rows
    monkeypatch.setattr(p3ke_fork.Source, "_raw_rows", damaged)
    messages = []
    for on in (False, True):
        forking(on)
        with pytest.raises(Exception) as caught:
            _parse(path)
        messages.append((type(caught.value), str(caught.value)))
    assert messages[0] == messages[1]
    assert "rusak atau tidak lengkap, lembar INDIVIDU" in messages[0][1]


@pytest.mark.parametrize("resync", [True, False], ids=["re-sync", "first-import"])
def test_the_formula_cells_of_the_forked_sheet_are_found_here(reference, tmp_path, forking, monkeypatch, resync):
    """The parent looks for the individual sheet's formula cells and sends them with the stored
    row hashes, on a first import as on a re-sync (the child's sheet is the larger: the parent
    waits for it anyway). Either way the child refuses the same formula rows as the sequential
    reading."""
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    if resync:
        forking(False)
        code, out, _ = run("import_p3ke", str(path), "--skip-invalid", "--json")
        assert code == 0, out
    expected = _sequential_resync(path, forking)
    scanned = []
    original = xlsxparts.formula_cells

    def formula_cells(path, part):
        scanned.append(part)  # in this process only: the child's list is its own
        return original(path, part)

    monkeypatch.setattr(xlsxparts, "formula_cells", formula_cells)
    calls = forking(True)
    seen = _seen(_parse(path, resync=True))
    assert calls["forks"] == 1 and calls["read_here"] == 0
    assert seen == expected
    assert any("formula" in str(issue).lower() or "rumus" in str(issue) for issue in seen["errors"])
    assert sorted(scanned) == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]


@pytest.mark.parametrize("resync", [True, False], ids=["re-sync", "first-import"])
def test_the_hidden_rows_of_the_forked_sheet_are_named_as_read_here(reference, tmp_path, forking, resync):
    """The child names the rows Excel hides in its sheet as the sequential reading does, whether it
    found them itself or the parent sent them with the formula cells (on a re-sync)."""
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    workbook = load_workbook(path)
    for sheet, row in (("KEPALA-KELUARGA", 3), ("INDIVIDU", 4), ("INDIVIDU", 9)):
        workbook[sheet].row_dimensions[row].hidden = True
    workbook.save(path)
    if resync:
        forking(False)
        code, out, _ = run("import_p3ke", str(path), "--skip-invalid", "--json")
        assert code == 0, out
    expected = _sequential_resync(path, forking) if resync else _sequential(path, forking)
    hidden = [(w["sheet"], w["reason"].split(":")[1].split(".")[0]) for w in expected["warnings"] if "tersembunyi di Excel" in w["reason"]]
    assert hidden == [("KEPALA-KELUARGA", " baris 3"), ("INDIVIDU", " baris 4, 9")]
    calls = forking(True)
    assert _seen(_parse(path, resync=resync)) == expected
    assert calls["forks"] == 1 and calls["read_here"] == 0


def test_the_import_command_writes_what_the_forked_reading_gave(reference, tmp_path, forking):
    path = _messy_workbook(tmp_path / "p3ke.xlsx")
    expected = _sequential(path, forking)
    forking(True)
    code, out, _ = run("import_p3ke", str(path), "--skip-invalid", "--json")
    summary = json.loads(out)
    assert code == 0, out
    assert summary["errors"] == len(expected["errors"])
    assert Household.objects.count() == len(expected["households"])
    assert sorted(Member.objects.values_list("id_individu", flat=True)) == sorted(m[3]["id_individu"] for m in expected["members"])


@pytest.mark.parametrize(
    "early_rows, poll_rows",
    [(50_000, 1_000), (1, 1)],
    ids=["refusals-after-the-last-row", "refusals-from-the-second-row"],
)
def test_a_forked_resync_skips_what_the_sequential_one_skips(reference, tmp_path, forking, monkeypatch, early_rows, poll_rows):
    first = _messy_workbook(tmp_path / "first.xlsx")
    forking(False)
    code, out, _ = run("import_p3ke", str(first), "--skip-invalid", "--json")
    assert code == 0, out
    # The same file again, but family 122000001 now refused on the household sheet while its
    # member rows are unchanged: they are refused with it, not skipped.
    path = tmp_path / "again.xlsx"
    _messy_workbook(path)
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["KEPALA-KELUARGA"]
    desil = [c.value for c in sheet[1]].index("Desil Kesejahteraan") + 1
    sheet.cell(row=2, column=desil, value=12)
    book.save(path)
    expected = _sequential_resync(path, forking)
    skipped_families = {s[0] for s in expected["skipped"]}
    assert "122000003" in skipped_families and "122000001" not in skipped_families
    refused = [e for e in expected["errors"] if e["sheet"] == "INDIVIDU" and "Keluarga 122000001 ditolak" in e["reason"]]
    assert len(refused) == 3  # each of its member rows, unchanged as they are
    monkeypatch.setattr(p3ke_fork, "MAX_EARLY_ROWS", early_rows)
    monkeypatch.setattr(p3ke_fork, "POLL_ROWS", poll_rows)
    calls = forking(True)
    seen = _seen(_parse(path, resync=True))
    assert calls == {"forks": 1, "read_here": 0}
    # The child skips those rows before it learns that their family is refused, so it does not warn
    # about their other cells (an unknown occupation): on a refused row, only the refusal is the same.
    refused_rows = {("INDIVIDU", e["row"]) for e in refused}
    for view in (seen, expected):
        view["warnings"] = [w for w in view["warnings"] if (w["sheet"], w["row"]) not in refused_rows]
        view["rows"] = (view["rows"][0], view["rows"][1] - refused_rows)
        del view["mapping"]
    assert seen == expected


def _sequential_resync(path, forking) -> dict:
    calls = forking(False)
    seen = _seen(_parse(path, resync=True))
    assert calls["forks"] == 0
    return seen


@pytest.mark.parametrize("forked", [False, True], ids=["sequential", "forked"])
def test_a_skipped_member_refused_by_a_later_twin_is_not_marked_absent(reference, p3ke_file, forking, forked):
    """The member hashes the child's skipped rows took count as taken here too: a refused row's
    member is still listed by the file, so it is not marked absent, whichever process read it."""
    households = [household_row("122000001", 100), household_row("122000002", 101)]
    members = [
        head_member_row("122000001", "9001", 100), member_row("122000001", "9002", 500),
        head_member_row("122000002", "9003", 101),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=members, name="a.xlsx")), "--json")
    assert code == 0, err
    calls = forking(forked)
    twin = member_row("122000002", "9002", 777)  # the same ID Individu as the unchanged child's row
    path = p3ke_file(households=households, members=[*members, twin], name="b.xlsx")
    code, out, err = run("import_p3ke", str(path), "--json", "--skip-invalid")
    result = json.loads(out)
    assert code == 0, err
    assert calls["forks"] == (1 if forked else 0) and calls["read_here"] == 0
    assert result["error_rows"] == 2 and result["members"]["absent"] == 0
    assert not Member.objects.filter(is_absent=True).exists()


class _Channel:
    """The parent's end as the child sees it: the refused families, once sent."""

    def __init__(self, refused=None):
        self.refused = refused

    def poll(self):
        return self.refused is not None

    def recv(self):
        return self.refused


def test_a_first_import_sets_early_rows_aside_and_finds_the_refused_ones_with_their_cells(monkeypatch):
    monkeypatch.setattr(p3ke_fork, "SET_ASIDE_ROWS", 2)
    monkeypatch.setattr(p3ke_fork, "MAX_EARLY_ROWS", 3)
    late = p3ke_fork.LateRejections(_Channel())
    born = datetime.date(1990, 5, 17)
    for index in range(5):
        late.note(index + 2, f"12200000{index % 2}", index, [f"12200000{index % 2}", f"Nama {index}", born, 3.0])
        # The refused families have not come: the child reads on, whatever it has read.
        assert late.ready(skipping=False) is False
    assert late._blocks.items == 2 and len(late.rows) == 1  # two blocks of two on disk, one row held
    hit = late._hit({"122000001": 7})
    assert hit == [(3, "122000001", 1, ["122000001", "Nama 1", born, 3.0]), (5, "122000001", 3, ["122000001", "Nama 3", born, 3.0])]
    assert late._blocks.items == 0 and late.rows == []


def test_a_resync_waits_for_the_refused_families_without_setting_rows_aside(monkeypatch):
    monkeypatch.setattr(p3ke_fork, "SET_ASIDE_ROWS", 2)
    monkeypatch.setattr(p3ke_fork, "MAX_EARLY_ROWS", 3)
    late = p3ke_fork.LateRejections(_Channel())
    answers = []
    for index in range(3):
        late.note(index + 2, "122000001", index, ["122000001"])
        answers.append(late.ready(skipping=True))
    assert answers == [False, False, True]  # past MAX_EARLY_ROWS rows it takes them in (and waits)
    assert late._blocks.items == 0 and len(late.rows) == 3


def test_a_forked_sheets_column_without_a_header_is_said_as_the_sequential_reading_says_it(reference, tmp_path, forking):
    from ..programs.test_import_recipients_real import workbook

    power = {"Daya Listrik Terpasang": "> 900 WATT"}  # openpyxl would write "=< 900 WATT" as a formula
    households = [HH_2023, [household_row("122000001", 100, **power)[h] for h in HH_2023]]
    members = [IND_2023]
    for row in (head_member_row("122000001", "9001", 100), member_row("122000001", "9002", 101)):
        members.append([*(row[h] for h in IND_2023), "KETERANGAN"])
    path = workbook(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": households, "INDIVIDU": members})
    expected = _sequential(path, forking)
    calls = forking(True)
    seen = _seen(_parse(path))
    assert calls == {"forks": 1, "read_here": 0}
    assert seen == expected
    assert [w["reason"] for w in seen["warnings"] if "berjudul" in w["reason"]] == [
        "Kolom AD berisi data tetapi tidak berjudul; isinya tidak dibaca. Beri judul kolom, lalu unggah lagi."
    ]
