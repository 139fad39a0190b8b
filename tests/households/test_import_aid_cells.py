"""The aid columns (``Penerima ...``) of many rows: each row's programs, and a warning on every row
with a value that is not Ya/Tidak, however often the same cells repeat."""

from __future__ import annotations

import pytest

from households.models import ImportBatch
from programs.models import Enrollment

from .test_import_resync import families, imported

pytestmark = pytest.mark.django_db


def test_repeated_aid_cells_give_each_row_its_programs_and_its_warnings(reference, p3ke_file):
    households, members = families()
    for child in (members[1], members[3], members[5]):  # the same aid cells on three rows
        child["Penerima BPNT"] = "Ya"
    for head in (members[0], members[2]):  # the same unknown value on two rows
        head["Penerima KUR"] = "Mungkin"

    result = imported(p3ke_file, households, members, "a.xlsx")

    assert result["errors"] == 0
    assert set(Enrollment.objects.values_list("household__p3ke_id", flat=True)) == {"122000001", "122000002", "122000003"}
    warned = [
        (w["row"], w["column"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings
        if w["reason"] == "Nilai 'Mungkin' bukan Ya/Tidak; kolom ini diabaikan"
    ]
    assert warned == [(2, "Penerima KUR"), (4, "Penerima KUR")]
