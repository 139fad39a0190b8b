"""A re-sync whose ``Penerima ...`` column no longer says Ya for an aid the registry holds from that
source and year: the enrollment is kept, and the preview and the result say how many families."""

from __future__ import annotations

import pytest

from programs.models import Enrollment

from .test_import_resync import families, imported, run

pytestmark = pytest.mark.django_db

NOTICE = "PKH 2023 tidak lagi tercantum untuk 1 keluarga; kepesertaan dipertahankan, periksa lewat verval"


def test_an_aid_no_longer_stated_is_kept_and_said(reference, p3ke_file):
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

    code, out, err = run("import_p3ke", str(path), "--partial")
    assert code == 0, err
    assert NOTICE in out
    assert set(Enrollment.objects.values_list("household__p3ke_id", "program__code", "status")) == {
        ("122000001", "pkh", "active"), ("122000002", "sembako", "active"),
    }

    # The same file again, its rows now skipped as unchanged: still said.
    code, out, err = run("import_p3ke", str(path), "--partial")
    assert code == 0, err
    assert NOTICE in out
