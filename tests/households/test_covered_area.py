"""A registry covers the area ``KONUT_WILAYAH`` names, whatever else its database holds: a database
first set up for Konawe Utara and then switched to another regency says so when the reference is
loaded, refuses the other regency's rows in imports, and names its demo accounts after the new area."""

from __future__ import annotations

import io

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from agencies.models import User
from households.models import Household
from programs.demo import ensure_demo_users

from .conftest import household_row
from .test_import_bad_input import refused, registry_state, run
from .test_import_regions import konawe_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def switched_to_konawe(reference, settings):
    """Konawe Utara loaded first (the default area), then KONUT_WILAYAH set to Kabupaten Konawe and
    the reference loaded again, as an operator who tried the demo first would do."""
    settings.KONUT_WILAYAH = "74.02"
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    return out.getvalue()


def test_loading_the_reference_says_that_regions_outside_the_area_are_loaded(switched_to_konawe):
    out = " ".join(switched_to_konawe.split())
    assert "Data acuan Kabupaten Konawe dimuat" in out
    assert (
        "Perhatian: basis data ini juga memuat wilayah di luar KONUT_WILAYAH (Kabupaten Konawe): Kabupaten Konawe "
        "Utara. Impor menolak baris wilayah itu;" in out
    )
    assert "Untuk mulai bersih, pakai basis data baru" in out and "manage.py flush" in out
    # Both regencies are of Sulawesi Tenggara: its code covers both.
    assert "untuk mencakup semuanya, isi KONUT_WILAYAH dengan kode provinsinya, 74" in out


def test_a_region_of_another_province_cannot_be_covered_with_it(reference, settings):
    settings.KONUT_WILAYAH = "73.08"
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    out = " ".join(out.getvalue().split())
    assert "di luar KONUT_WILAYAH (Kabupaten Bone): Kabupaten Konawe Utara." in out
    assert "kode provinsi" not in out
    assert "satu registri mencakup satu kabupaten/kota atau satu provinsi" in out


def test_the_province_covers_every_loaded_regency_and_nothing_is_said(reference, settings):
    settings.KONUT_WILAYAH = "74"
    out = io.StringIO()
    call_command("load_reference", "74.02", stdout=out)
    assert "Perhatian" not in out.getvalue()


def test_an_import_refuses_a_row_of_a_loaded_regency_outside_the_area(switched_to_konawe, p3ke_file):
    before = registry_state()
    konawe, _members = konawe_family("122999001", 301)
    by_code = household_row("122999002", 302)  # Wanggudu Raya, Konawe Utara, by its code
    by_names = household_row("122999003", 303, **{"Kode Kemdagri": None, "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya"})
    path = p3ke_file(households=[konawe, by_code, by_names], members=[], name="konawe.xlsx")
    code, out, err = run("import_p3ke", str(path))
    refused(code, out, err, before)
    assert "Desa dengan kode 7409012006 berada di luar wilayah yang dimuat (Kabupaten Konawe)" in out
    assert "Desa 'Wanggudu Raya' di kecamatan 'Asera' tidak ada di wilayah yang dimuat (Kabupaten Konawe)" in out

    code, out, err = run("import_p3ke", str(p3ke_file(households=[konawe], members=[], name="only.xlsx")))
    assert code == 0, (out, err)
    assert list(Household.objects.values_list("desa__kecamatan__kabupaten__name", flat=True)) == ["Kabupaten Konawe"]


def test_a_system_check_warns_of_regions_outside_the_area(switched_to_konawe, settings):
    warnings = [m for m in run_checks(include_deployment_checks=False, databases=["default"]) if m.id == "households.W001"]
    assert len(warnings) == 1
    assert "Kabupaten Konawe Utara" in warnings[0].msg and "KONUT_WILAYAH (Kabupaten Konawe)" in warnings[0].msg
    settings.KONUT_WILAYAH = "74"
    assert not [m for m in run_checks(databases=["default"]) if m.id == "households.W001"]


def test_the_demo_accounts_follow_the_area_when_seeded_again(reference, settings):
    ensure_demo_users()
    assert User.objects.get(username="bupati").get_full_name() == "Bupati Konawe Utara"
    settings.KONUT_WILAYAH = "74.71"
    ensure_demo_users()
    assert User.objects.get(username="bupati").get_full_name() == "Wali Kota Kendari"
