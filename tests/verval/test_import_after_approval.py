"""Living conditions a verval approval corrected, then a P3KE import: the conditions are one unit
with one source and date. While the visit's corrections stand, the file's other conditions are not
taken (the page keeps saying they are the visit's, and they are); a file that agrees with the visit
gives the conditions, and the page says they are the file's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import DataSource, Household, ImportBatch
from tests.households.conftest import HH_2023, IND_2023, head_member_row, household_row, write_xlsx
from tests.households.test_import_bad_input import run
from tests.households.test_import_desil_kept import the_family
from tests.households.test_import_dtsen_p3ke_family import KK, dtsen_file, dtsen_import
from verval import services
from verval.models import Presence, Verdict

from .conftest import client_for, words

pytestmark = pytest.mark.django_db

VISITED = {"floor_type": "keramik", "water_source": "ledeng"}


def p3ke(tmp_path, name, **family) -> str:
    households = [household_row("122000001", 100, **family)]
    return str(write_xlsx(tmp_path / name, {
        "KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": (IND_2023, [head_member_row("122000001", "91220000011", 100)]),
    }))


def approve_visit(family: Household, people) -> None:
    """An exclusion case on ``family``, visited (floor and water corrected), approved by the Bupati."""
    batch = services.cases_open(kind="exclusion", household_ids=[family.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    services.case_visit_record(
        case=case, by=people.officer, visited_on=timezone.localdate(), verdict=Verdict.ELIGIBLE, presence=Presence.FOUND,
        conditions=VISITED,
    )
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    services.batch_approve(batch=batch, by=people.bupati)


def conditions(family: Household) -> tuple:
    family.refresh_from_db()
    return family.roof_type, family.floor_type, family.water_source, family.conditions_source, family.conditions_date


def page_text(family: Household, people) -> str:
    return words(client_for(people.bappeda).get(reverse("agencies:household_detail", args=[family.pk])).content.decode())


def test_conditions_a_visit_corrected_stay_the_visits_until_a_file_agrees(people, tmp_path):
    assert run("import_p3ke", p3ke(tmp_path, "a.xlsx"))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    assert conditions(family) == ("asbes_seng", "kayu_papan", "sumur_terlindung", "", None)
    approve_visit(family, people)
    today = timezone.localdate()
    assert conditions(family) == ("asbes_seng", "keramik", "ledeng", DataSource.VERVAL, today)
    visit = f"Sumber kondisi: Verifikasi lapangan (verval), {today:%d/%m/%Y}"
    assert visit in page_text(family, people)
    rows = family.history.count()

    # The file says the roof is tile now and still gives the floor and water the visit corrected.
    code, out, err = run("import_p3ke", p3ke(tmp_path, "b.xlsx", **{"Jenis Atap": "Genteng"}))

    assert code == 0, (out, err)
    assert conditions(family) == ("asbes_seng", "keramik", "ledeng", DataSource.VERVAL, today)
    assert family.source_values["roof_type"] == "asbes_seng"  # the file's tile roof is no correction to keep
    assert family.history.count() == rows  # nothing changed: no history row
    warnings = [(w["column"], w["reason"]) for w in ImportBatch.objects.latest("pk").warnings]
    assert ("Jenis atap", "Tidak diubah: kondisi tempat tinggal dipertahankan bersama koreksi lokal "
            "(Jenis lantai, Sumber air minum); registri 'Asbes/Seng', data baru 'Genteng'") in warnings
    assert visit in page_text(family, people)

    # A file that agrees with the visit gives the conditions: its roof, and its source.
    agrees = {"Jenis Atap": "Genteng", "Jenis Lantai": "Keramik/Granit/Marmer/Ubin/Tegel/Teraso", "Sumber Air Minum": "Ledeng/PAM"}
    assert run("import_p3ke", p3ke(tmp_path, "c.xlsx", **agrees))[0] == 0

    assert conditions(family) == ("genteng", "keramik", "ledeng", DataSource.P3KE, None)
    assert family.history.count() == rows + 1
    latest = family.history.first()
    assert (latest.roof_type, latest.conditions_source, latest.conditions_date) == ("genteng", DataSource.P3KE, None)
    text = page_text(family, people)
    assert "Sumber kondisi: P3KE" in text and "verval" not in text.split("Kondisi tempat tinggal")[-1]


def test_a_dtsen_file_that_says_nothing_of_what_the_visit_corrected_leaves_the_visits_conditions(people, tmp_path):
    """DTSEN gives the roof only: the floor and water the visit corrected stand, so its roof is not
    taken (the conditions would be half the visit's, half DTSEN's); the rest of its row is."""
    assert run("import_p3ke", p3ke(tmp_path, "a.xlsx"))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    approve_visit(family, people)
    rows = family.history.count()

    summary = dtsen_import(dtsen_file(tmp_path, the_family(2)))

    today = timezone.localdate()
    assert conditions(family) == ("asbes_seng", "keramik", "ledeng", DataSource.VERVAL, today)
    assert (family.no_kk, family.desil, family.desil_source) == (KK, 2, "dtsen")
    assert family.history.count() == rows + 1
    warnings = [(w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert ("Jenis atap", "Tidak diubah: kondisi tempat tinggal dipertahankan bersama koreksi lokal "
            "(Jenis lantai, Sumber air minum); registri 'Asbes/Seng', data baru 'Genteng'") in warnings
    assert f"Sumber kondisi: Verifikasi lapangan (verval), {today:%d/%m/%Y}" in page_text(family, people)
