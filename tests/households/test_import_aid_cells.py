"""The aid columns (``Penerima ...``) of many rows: each row's programs, and a warning on every row
with a value that is not Ya/Tidak, however often the same cells repeat."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch
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
        if w["reason"].startswith("Nilai 'Mungkin' bukan Ya/Tidak; bantuan di sel ini tidak dihitung.")
    ]
    assert warned == [(2, "Penerima KUR"), (4, "Penerima KUR")]


def _aids() -> set[tuple[str, str]]:
    return set(Enrollment.objects.values_list("household__p3ke_id", "program__code"))


def test_a_tick_is_ya_and_null_is_no_value(reference, p3ke_file):
    """A checklist ticks who receives: ✓ (Wingdings or typed), √ (the square-root sign offices use
    for it), V and v. A database export writes NULL, a failed lookup #N/A: no value, not unknown."""
    households, members = families(count=6)
    for household, tick in zip(households, ["✓", "✔", "√", "V", "v", "Ya"]):
        household["Penerima PKH"] = tick
    for household, empty in zip(households, ["NULL", "null", "#N/A", "(null)", "#NULL!", "-"]):
        household["Penerima BPNT"] = empty
        household["Kualitas Atap"] = empty

    result = imported(p3ke_file, households, members, "centang.xlsx")

    assert (result["errors"], result["warnings"], result["unmapped_values"]) == (0, 0, [])
    assert _aids() == {(household["ID Keluarga P3KE"], "pkh") for household in households}
    assert set(Household.objects.values_list("roof_quality", flat=True)) == {""}


def test_an_unknown_aid_value_is_listed_warned_on_its_cell_and_mapped_once(reference, bappeda_client, p3ke_file):
    """A cross (X) marks yes on some forms and no on others: not guessed. Each cell is warned (the
    column's other cells still count), the value is listed for mapping, and once Bappeda maps it the
    same file counts it."""
    households, members = families()
    households[0]["Penerima BPNT"] = "X"
    households[1]["Penerima BPNT"] = "x"
    households[1]["Penerima PKH"] = "Ya"
    households[2]["Penerima BPNT"] = "Ya"

    result = imported(p3ke_file, households, members, "silang.xlsx")

    assert result["errors"] == 0
    assert _aids() == {("122000002", "pkh"), ("122000003", "sembako")}
    warned = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings]
    assert warned == [
        (2, "Penerima BPNT", "Nilai 'X' bukan Ya/Tidak; bantuan di sel ini tidak dihitung. Petakan nilai ini di Admin, "
         "Pemetaan nilai impor."),
        (3, "Penerima BPNT", "Nilai 'x' bukan Ya/Tidak; bantuan di sel ini tidak dihitung. Petakan nilai ini di Admin, "
         "Pemetaan nilai impor."),
    ]
    assert result["unmapped_values"] == [
        {"field": "penerima", "column": "Penerima BPNT", "value": "X", "rows": 1},
        {"field": "penerima", "column": "Penerima BPNT", "value": "x", "rows": 1},
    ]

    # The preview's link opens the admin's form with the value filled in; Bappeda says X is Ya.
    form = bappeda_client.get(reverse("admin:households_valuemapping_add") + "?kind=p3ke&field=penerima&value=X")
    assert form.status_code == 200 and '<option value="penerima" selected>' in form.content.decode()
    response = bappeda_client.post(
        reverse("admin:households_valuemapping_add"), {"kind": "p3ke", "field": "penerima", "value": "X", "code": "ya"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = bappeda_client.post(
        reverse("admin:households_valuemapping_add"), {"kind": "p3ke", "field": "penerima", "value": "Y", "code": "L"}
    )
    assert response.status_code == 200 and "bukan pilihan kolom" in response.content.decode()

    again = imported(p3ke_file, households, members, "silang-lagi.xlsx")
    assert (again["errors"], again["warnings"], again["unmapped_values"]) == (0, 0, [])
    assert _aids() == {("122000001", "sembako"), ("122000002", "pkh"), ("122000002", "sembako"), ("122000003", "sembako")}


def test_a_one_or_zero_written_through_a_float_is_ya_or_tidak(reference, p3ke_file):
    """A 1/0 aid column saved from a database or a float column reads "1.0" and "0.0" as text: the
    same Ya and Tidak as 1 and 0, not an unknown value whose aid is dropped with a warning."""
    households, members = families(count=3)
    for household, cell in zip(households, ["1.0", "0.0", "1.00"]):
        household["Penerima PKH"] = cell

    result = imported(p3ke_file, households, members, "angka.xlsx")

    assert (result["errors"], result["warnings"], result["unmapped_values"]) == (0, 0, [])
    assert _aids() == {("122000001", "pkh"), ("122000003", "pkh")}
