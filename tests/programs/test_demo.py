"""The demo registry (``make run``) holds only what an operator could have saved."""

import datetime
import json

import pytest

from households.models import Household, ImportBatch, Member
from households.services import household_conditions_update
from programs.demo import seed_demo
from tests.households.conftest import write_xlsx
from tests.households.test_import_bad_input import run

pytestmark = pytest.mark.django_db


def test_every_demo_household_and_member_passes_the_model_checks(reference):
    seed_demo(families=80, seed=5, users=False)
    assert Household.objects.count() == 80
    refused = {}
    for record in [*Household.objects.all(), *Member.objects.all()]:
        try:
            record.full_clean(validate_unique=False)
        except Exception as error:  # noqa: BLE001 - every refusal is listed below
            refused[str(record)] = getattr(error, "message_dict", str(error))
    assert refused == {}


def test_an_operator_can_save_a_demo_households_living_conditions(reference, bappeda_user):
    seed_demo(families=20, seed=6, users=False)
    household = Household.objects.order_by("id").first()
    water = "ledeng" if household.water_source != "ledeng" else "sumur_terlindung"
    household_conditions_update(household=household, values={"water_source": water}, on=datetime.date(2024, 8, 1), by=bappeda_user)
    household.refresh_from_db()
    assert household.water_source == water


def test_the_demo_gives_every_verval_candidate_list_something_to_show(reference):
    """`make run` opens a registry where verval's doubts can be walked through: aid that no longer
    fits a desil, aided families not found, records missing a ranking variable, poor families no aid
    reaches."""
    from programs.candidates import SELECTORS

    seed_demo(families=600, seed=2023, users=False)
    counts = {kind: select().count() for kind, select in SELECTORS.items()}
    assert all(counts.values()), counts


KONUT_ROADS = ("Poros Kendari-Asera", "Trans Sulawesi", "Sungai Lasolo")


def streets() -> set[str]:
    return {address.split(" No. ")[0] for address in Household.objects.values_list("address", flat=True)}


def test_konawe_utaras_demo_families_live_on_its_roads(reference):
    seed_demo(families=60, seed=7, users=False)
    assert {f"Jl. {road}" for road in KONUT_ROADS} <= streets()


def test_another_areas_demo_families_live_on_no_konawe_utara_road(reference, settings):
    """Another regency's (here the province's) demo shown to its agencies names none of Konut's roads."""
    settings.KONUT_WILAYAH = "74"
    seed_demo(families=60, seed=7, users=False)
    found = streets()
    assert len(found) > 3 and not [street for street in found if any(road in street for road in KONUT_ROADS)], found


def test_a_first_dtsen_import_over_a_demo_family_takes_its_ranking_as_over_an_imported_one(reference, tmp_path):
    """The demo's families carry what their source said (as a P3KE import keeps it): a DTSEN file that
    ranks one again replaces its desil, source and names, and no value is kept as a local correction."""
    seed_demo(families=20, seed=8, users=False)
    family = Household.objects.order_by("id").first()
    assert family.desil <= 4 and family.desil_source == "p3ke"
    headers = ["Nomor KK", "NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kode Wilayah", "Alamat",
               "Desil Nasional", "Periode Desil"]
    rows = [{
        "Nomor KK": family.no_kk, "NIK": member.nik, "Nama": member.name.upper(), "Tanggal Lahir": f"{member.birth_date:%d/%m/%Y}",
        "Jenis Kelamin": member.get_sex_display(), "Hubungan Keluarga": member.get_relation_display(),
        "Kode Wilayah": family.desa.code_plain, "Alamat": family.address, "Desil Nasional": family.desil + 4,
        "Periode Desil": "31/03/2026",
    } for member in family.members.order_by("id")]
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (headers, rows)})

    code, out, err = run("import_dtsen", str(path), "--partial", "--year", "2026", "--json")

    assert code == 0, (out, err)
    batch = ImportBatch.objects.get(pk=json.loads(out)["batch"])
    assert [w["reason"] for w in batch.warnings if "Koreksi lokal" in w["reason"]] == []
    desil = family.desil + 4
    family.refresh_from_db()
    assert (family.desil, family.desil_source, family.desil_date) == (desil, "dtsen", datetime.date(2026, 3, 31))
    assert family.head_name == rows[0]["Nama"] and family.desil_correction is None
