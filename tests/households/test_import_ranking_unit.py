"""A family's ranking is one unit in an import: its desil, its persentil, their source and date are
kept together (one of them corrected here, the file saying otherwise) or taken together. The family
is never ranked half by a local correction and half by the file: its page and the program lists
ranked poorest first (desil, then persentil) read one ranking."""

from __future__ import annotations


import pytest
from django.urls import reverse

from households.models import Household, ImportBatch
from programs.distribution import distribution_plan
from programs.models import Program, TargetingRule

from .conftest import HH_2023, IND_2023, head_member_row, household_row, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db


def p3ke(tmp_path, name, first: dict, second: dict) -> str:
    """Families 122000001 and 122000002, their ranking cells as given."""
    households = [
        household_row("122000001", 100, **{"Desil Kesejahteraan": first["desil"], "Persentil": first["persentil"]}),
        household_row("122000002", 101, **{"Desil Kesejahteraan": second["desil"], "Persentil": second["persentil"]}),
    ]
    members = [head_member_row("122000001", "91220000011", 100), head_member_row("122000002", "91220000021", 101)]
    return str(write_xlsx(tmp_path / name, {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)}))


def ranking(family: Household) -> tuple:
    family.refresh_from_db()
    return family.desil, family.persentil, family.desil_source, family.source_values.get("persentil")


def poorest_first() -> list[str]:
    """The P3KE IDs of a program's candidates for a desil <= 4 rule, in the order it would enroll them."""
    program = Program.objects.get(code="bsps")
    rule, _new = TargetingRule.objects.get_or_create(program=program, name="uji peringkat")
    rule.conditions.get_or_create(field="desil", operator="lte", value="4")
    plan = distribution_plan(program, year=2026, include_aided=True)
    return list(plan.candidates.values_list("p3ke_id", flat=True))


def warnings_of() -> list[tuple[str, str]]:
    batch = ImportBatch.objects.latest("pk")
    return [(w["column"], w["reason"]) for w in batch.warnings]


def test_a_desil_kept_as_a_local_correction_keeps_its_persentil(without_rules, bappeda_client, tmp_path):
    assert run("import_p3ke", p3ke(tmp_path, "a.xlsx", {"desil": 1, "persentil": 5}, {"desil": 1, "persentil": 5}))[0] == 0
    family, other = Household.objects.get(p3ke_id="122000001"), Household.objects.get(p3ke_id="122000002")
    family.desil = 2  # corrected here after a field check
    family.save()
    rows = family.history.count()

    code, out, err = run("import_p3ke", p3ke(tmp_path, "b.xlsx", {"desil": 1, "persentil": 3}, {"desil": 2, "persentil": 4}))

    assert code == 0, (out, err)
    # The correction and the persentil it was ranked with (what P3KE said of it: not a correction of its own).
    assert ranking(family) == (2, 5, "p3ke", 5)
    assert ranking(other) == (2, 4, "p3ke", 4)
    assert family.history.count() == rows  # nothing of it changed: no history row
    latest = family.history.first()
    assert (latest.desil, latest.persentil, latest.desil_source, latest.desil_date) == (2, 5, "p3ke", None)
    warnings = warnings_of()
    assert ("Persentil", "Tidak diubah: peringkat (desil dan persentil) dipertahankan bersama koreksi lokal (Desil); "
            "registri '5', data baru '3'") in warnings
    page = bappeda_client.get(reverse("agencies:household_detail", args=[family.pk])).content.decode()
    assert "2 / 5 · <span class=\"desil-correction\">koreksi lokal (P3KE: desil 1)" in page
    # Desil 2 both: the other family's persentil 4 comes before the corrected family's 5.
    assert poorest_first() == ["122000002", "122000001"]

    # A later file that agrees with the corrected desil gives the whole ranking: its persentil too.
    assert run("import_p3ke", p3ke(tmp_path, "c.xlsx", {"desil": 2, "persentil": 3}, {"desil": 2, "persentil": 4}))[0] == 0
    assert ranking(family) == (2, 3, "p3ke", 3)
    assert family.history.count() == rows + 1
    latest = family.history.first()
    assert (latest.desil, latest.persentil, latest.desil_source, latest.desil_date) == (2, 3, "p3ke", None)
    page = bappeda_client.get(reverse("agencies:household_detail", args=[family.pk])).content.decode()
    assert "2 / 3" in page and "koreksi lokal" not in page
    assert poorest_first() == ["122000001", "122000002"]


def test_a_persentil_corrected_here_keeps_the_desil_it_was_ranked_with(without_rules, tmp_path):
    assert run("import_p3ke", p3ke(tmp_path, "a.xlsx", {"desil": 1, "persentil": 5}, {"desil": 2, "persentil": 12}))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    family.persentil = 15
    family.save()

    assert run("import_p3ke", p3ke(tmp_path, "b.xlsx", {"desil": 2, "persentil": 5}, {"desil": 2, "persentil": 12}))[0] == 0

    assert ranking(family) == (1, 15, "p3ke", 5)
    assert ("Desil", "Tidak diubah: peringkat (desil dan persentil) dipertahankan bersama koreksi lokal (Persentil); "
            "registri '1', data baru '2'") in warnings_of()
    assert poorest_first() == ["122000001", "122000002"]
