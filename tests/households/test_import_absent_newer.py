"""An older full extract marks absent only the families it is as new as: a family (and its people)
the registry holds from newer data (P3KE 2023 uploaded again after DTSEN 2026) is not missing from
the newest data because an older file lacks it. The run says how many it kept so."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch, Member

from .conftest import HH_2023, IND_2023, head_member_row, household_row, write_xlsx
from .test_import_admin import upload
from .test_import_bad_input import run
from .test_import_dtsen_p3ke_family import dtsen_file, dtsen_import, p3ke_file, the_family

pytestmark = pytest.mark.django_db

KEPT = (
    "1 keluarga yang tidak ada di berkas ini tidak ditandai tidak ada: data keluarga itu di registri lebih baru "
    "dari berkas ini (tahun 2023)."
)


@pytest.fixture
def registry(reference, tmp_path):
    """P3KE 2023: families 122000001 and 122000002, and 122000003; DTSEN 2026 then updated 122000001."""
    first = p3ke_file(tmp_path)
    third = write_xlsx(
        tmp_path / "p3ke_third.xlsx",
        {"KEPALA-KELUARGA": (HH_2023, [household_row("122000003", 103)]),
         "INDIVIDU": (IND_2023, [head_member_row("122000003", "91220000031", 103)])},
    )
    for path in (first, str(third)):
        code, out, err = run("import_p3ke", path, "--partial")
        assert code == 0, (out, err)
    dtsen_import(dtsen_file(tmp_path, the_family()))
    assert Household.objects.get(p3ke_id="122000001").source_year == 2026


def older_full_file(tmp_path):
    """The P3KE 2023 extract again, holding family 122000002 alone."""
    households = [household_row("122000002", 101, **{"Nama Kepala Keluarga": "HASNAH TOSUKA"})]
    members = [head_member_row("122000002", "91220000021", 101, Nama="HASNAH TOSUKA")]
    return write_xlsx(tmp_path / "p3ke_older.xlsx", {"KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, members)})


def absent():
    return sorted(Household.objects.filter(is_absent=True).values_list("p3ke_id", flat=True))


def test_an_older_full_extract_leaves_a_family_newer_data_holds(registry, tmp_path):
    path = str(older_full_file(tmp_path))
    family = Household.objects.get(p3ke_id="122000001")
    people = sorted(family.members.values_list("name", "is_absent"))
    # Only the family as old as the file asks for the confirmation.
    code, out, err = run("import_p3ke", path)
    assert code == 2 and "1 keluarga akan ditandai tidak ada di data terbaru" in err, err
    assert absent() == []

    code, out, err = run("import_p3ke", path, "--confirm-absent", "--json")
    assert code == 0, (out, err)
    result = json.loads(out)
    assert result["households"]["absent"] == 1 and result["households_kept"] == 1, result
    assert KEPT in result["message"]
    assert absent() == ["122000003"]
    family.refresh_from_db()
    assert family.source_year == 2026 and sorted(family.members.values_list("name", "is_absent")) == people
    assert Member.objects.filter(household__p3ke_id="122000003", is_absent=True).count() == 0  # as every import does
    assert ImportBatch.objects.get(pk=result["batch"]).counts["households_kept"] == 1


def test_the_preview_says_how_many_families_it_keeps(registry, bappeda_client, tmp_path):
    upload(bappeda_client, older_full_file(tmp_path), full_extract="on")
    batch = ImportBatch.objects.latest("pk")
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert KEPT in page
    assert "1 keluarga akan ditandai tidak ada di data terbaru" in page
    assert absent() == []
