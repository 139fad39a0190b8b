"""How a Kabupaten/Kota cell is matched with a regency's name: the cities and the regency of
Jakarta are "Administrasi" (Kota Administrasi Jakarta Pusat), which offices leave out or shorten."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from households.imports.cells import named_regencies, regency_name, same_regency
from households.models import Household, ImportBatch

from .conftest import household_row, nik
from .test_import_bad_input import run

PUSAT = "Kota Administrasi Jakarta Pusat"
SERIBU = "Kabupaten Administrasi Kepulauan Seribu"


def test_the_administrative_word_is_not_part_of_the_name():
    assert regency_name(PUSAT) == ("kota", "jakartapusat")
    assert regency_name("KAB. ADM. KEPULAUAN SERIBU") == ("kabupaten", "kepulauanseribu")
    assert regency_name("Kabupaten Konawe Utara") == ("kabupaten", "konaweutara")


@pytest.mark.parametrize("cell, name", [
    ("KOTA JAKARTA PUSAT", PUSAT), ("JAKARTA PUSAT", PUSAT), ("Kota Adm. Jakarta Pusat", PUSAT),
    ("KOTA ADM JAKARTA PUSAT", PUSAT), ("Kota Administrasi Jakarta Pusat", PUSAT), ("JAKPUS", PUSAT),
    ("KAB. KEPULAUAN SERIBU", SERIBU), ("KEPULAUAN SERIBU", SERIBU), ("KAB. ADM. KEP. SERIBU", SERIBU),
])
def test_jakarta_cells_name_their_regency(cell, name):
    assert same_regency(cell, name)


@pytest.mark.parametrize("cell, name", [
    ("KOTA JAKARTA UTARA", PUSAT), ("KAB. JAKARTA PUSAT", PUSAT), ("KOTA KEPULAUAN SERIBU", SERIBU),
])
def test_another_jakarta_regency_is_not_this_one(cell, name):
    assert not same_regency(cell, name)


def test_the_cell_names_one_regency_of_indonesia():
    assert named_regencies("JAKARTA PUSAT") == ("3171",)
    assert named_regencies("KAB. KEPULAUAN SERIBU") == ("3101",)


@pytest.mark.django_db
def test_jakarta_pusat_rows_are_not_warned_about_their_regency(reference, p3ke_file, settings):
    settings.KONUT_WILAYAH = "31.71"
    call_command("load_reference", wilayah="31.71", verbosity=0)
    place = {"Kecamatan": "GAMBIR", "Desa/Kelurahan": "GAMBIR"}
    households = [
        household_row("122999001", 201, **place, **{
            "Kode Kemdagri": "3171011001", "Kabupaten/Kota": "KOTA JAKARTA PUSAT", "NIK Kepala Keluarga": nik(201, region="317101"),
        }),
        household_row("122999002", 202, **place, **{
            "Kode Kemdagri": None, "Kabupaten/Kota": "JAKARTA PUSAT", "NIK Kepala Keluarga": nik(202, region="317101"),
        }),
    ]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="jakpus.xlsx")))
    assert code == 0, (out, err)
    assert set(Household.objects.values_list("desa__code", flat=True)) == {"31.71.01.1001"}
    assert not [w for w in ImportBatch.objects.get().warnings if w["column"] == "Kabupaten/Kota"]
