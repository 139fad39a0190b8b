"""A re-sync whose ``Penerima ...`` column no longer says Ya for an aid the registry holds from that
source and year: the enrollment is kept, and the preview and the result say which families (the
first ten by name, the others counted), each with a warning on its own row of the file."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from households.imports.services import run_file_import
from households.models import ImportBatch
from programs.models import Enrollment

from .conftest import nik
from .realfiles import write_text
from .test_import_resync import families, imported, run

pytestmark = pytest.mark.django_db

NOTICE = (
    "PKH 2023 tidak lagi tercantum untuk 1 keluarga (ID Keluarga P3KE 122000001 (KEPALA 100)); kepesertaan "
    "dipertahankan, periksa lewat verval"
)
ROW_NOTICE = "PKH 2023 tidak lagi tercantum untuk keluarga ini (ID Keluarga P3KE 122000001 (KEPALA 100)); kepesertaan dipertahankan, periksa lewat verval"


def _row_warnings(path):
    outcome = run_file_import(kind="p3ke", paths=[str(path)], dry_run=True, full_extract=False)
    return [(w.sheet, w.row, w.reason) for w in outcome.plan.issues.warnings if "untuk keluarga ini" in w.reason]


def test_an_aid_no_longer_stated_is_kept_and_said_with_the_family(reference, p3ke_file):
    households, members = families()
    households[0]["Penerima PKH"] = "Ya"
    households[1]["Penerima BPNT"] = "Ya"
    first = imported(p3ke_file, households, members, "a.xlsx", "--partial")
    assert first["enrollments"]["created"] == 2
    assert "tidak lagi tercantum" not in first.get("message", "")

    households[0]["Penerima PKH"] = "Tidak"  # the row's only change: an aid column
    path = p3ke_file(households=households, members=members, name="b.xlsx")
    code, out, err = run("import_p3ke", str(path), "--partial", "--dry-run")
    assert code == 0, err
    assert NOTICE in out
    # The family's own row in the file (the household sheet's first data row) carries it too.
    assert f"- KEPALA-KELUARGA baris 2: {ROW_NOTICE}" in out

    code, out, err = run("import_p3ke", str(path), "--partial")
    assert code == 0, err
    assert NOTICE in out
    assert set(Enrollment.objects.values_list("household__p3ke_id", "program__code", "status")) == {
        ("122000001", "pkh", "active"), ("122000002", "sembako", "active"),
    }

    # The same file again, its rows now skipped as unchanged: still said, on the same row.
    code, out, err = run("import_p3ke", str(path), "--partial")
    assert code == 0, err
    assert NOTICE in out and f"- KEPALA-KELUARGA baris 2: {ROW_NOTICE}" in out


def test_the_first_ten_families_are_named_and_the_others_counted(reference, p3ke_file):
    households, members = families(count=12, overrides={"Penerima PKH": "Ya"})
    imported(p3ke_file, households, members, "a.xlsx", "--partial")
    for household in households:
        household["Penerima PKH"] = "Tidak"
    path = p3ke_file(households=households, members=members, name="b.xlsx")
    code, out, err = run("import_p3ke", str(path), "--partial", "--dry-run")
    assert code == 0, err
    named = ", ".join(f"ID Keluarga P3KE {122000001 + i} (KEPALA {100 + i})" for i in range(10))
    assert f"PKH 2023 tidak lagi tercantum untuk 12 keluarga ({named} dan 2 lainnya); kepesertaan dipertahankan" in out
    rows = _row_warnings(path)
    assert [(sheet, row) for sheet, row, _ in rows] == [("KEPALA-KELUARGA", 2 + i) for i in range(12)]
    assert "ID Keluarga P3KE 122000012 (KEPALA 111)" in rows[-1][2]


def test_a_dtks_family_is_named_by_its_no_kk(reference, tmp_path):
    headers = ["NOKK", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA", "KECAMATAN", "DESA/KELUARAHAN", "BANSOS PKH"]

    def rows(pkh):
        return [
            ["7409081203160011", nik(601), "MUSLIMIN", "05/01/1980", "PRIA", "KEPALA KELUARGA", "ASERA", "WANGGUDU RAYA", pkh],
            ["7409081203160011", nik(602, female=True), "WA ODE", "05/01/1980", "WANITA", "ISTRI", "ASERA", "WANGGUDU RAYA", pkh],
        ]

    code, out, err = run("import_dtks", str(write_text(tmp_path / "a.txt", headers, rows("YA"), separator="|")), "--partial", "--year", "2025")
    assert code == 0, (out, err)
    code, out, err = run("import_dtks", str(write_text(tmp_path / "b.txt", headers, rows("TIDAK"), separator="|")), "--partial", "--year", "2025", "--dry-run")
    assert code == 0, (out, err)
    assert "PKH 2025 tidak lagi tercantum untuk 1 keluarga (No KK 7409081203160011 (MUSLIMIN))" in out
    assert "- b baris 2: PKH 2025 tidak lagi tercantum untuk keluarga ini (No KK 7409081203160011 (MUSLIMIN))" in out


def test_the_upload_preview_page_lists_the_familys_row(reference, p3ke_file, bappeda_client):
    households, members = families()
    households[0]["Penerima PKH"] = "Ya"
    imported(p3ke_file, households, members, "a.xlsx", "--partial")
    households[0]["Penerima PKH"] = "Tidak"
    path = p3ke_file(households=households, members=members, name="b.xlsx")
    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "p3ke", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    assert {"sheet": "KEPALA-KELUARGA", "row": 2, "column": "", "reason": ROW_NOTICE + "."} in batch.warnings
    page = html.unescape(bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode())
    assert NOTICE in page
    assert re.search(r"<td>KEPALA-KELUARGA</td><td>2</td><td></td><td>" + re.escape(ROW_NOTICE), page)


@pytest.mark.parametrize("few", [2000, 0], ids=["by-id", "read-whole-year"])
def test_a_family_the_partial_extract_leaves_out_is_not_named(reference, p3ke_file, monkeypatch, few):
    # Both ways of reading the year's enrollments (by the file's households, or the whole year kept
    # in Python for a large file) name the same families: those of the file only.
    import programs.claims

    monkeypatch.setattr(programs.claims, "FEW_HOUSEHOLDS", few)
    households, members = families(count=3, overrides={"Penerima PKH": "Ya"})
    imported(p3ke_file, households, members, "a.xlsx", "--partial")
    kept = [household for household in households if household["ID Keluarga P3KE"] != "122000003"]
    for household in kept:
        household["Penerima PKH"] = "Tidak"
    kept_members = [member for member in members if member["ID Keluarga P3KE"] != "122000003"]
    path = p3ke_file(households=kept, members=kept_members, name="b.xlsx")
    code, out, err = run("import_p3ke", str(path), "--partial", "--dry-run")
    assert code == 0, err
    assert (
        "PKH 2023 tidak lagi tercantum untuk 2 keluarga (ID Keluarga P3KE 122000001 (KEPALA 100), "
        "ID Keluarga P3KE 122000002 (KEPALA 101)); kepesertaan dipertahankan" in out
    )
    assert "122000003" not in out
