"""Papua's regencies have distrik instead of kecamatan and many kampung instead of desa: a DTKS file
of Kota Jayapura headed DISTRIK and KAMPUNG/KELURAHAN is read as any other, its families placed by
those names."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from households.models import Household

from .conftest import write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

HEADERS = ["NO", "PROVINSI", "KABUPATEN/KOTA", "DISTRIK", "KAMPUNG/KELURAHAN", "NOKK", "NIK", "NAMA", "TANGGAL LAHIR",
           "JENIS KELAMIN", "HUB KELUARGA"]


@pytest.fixture
def jayapura(db, settings):
    settings.KONUT_WILAYAH = "91.71"
    call_command("load_reference", verbosity=0)


def person(number, distrik, kampung, kk, nik, name, sex, relation):
    return dict(zip(HEADERS, [number, "PAPUA", "KOTA JAYAPURA", distrik, kampung, kk, nik, name, "10-10-1970", sex, relation]))


def test_a_dtks_file_headed_distrik_and_kampung_is_read(jayapura, tmp_path):
    rows = [
        person(1, "MUARA TAMI", "SKOUW MABO", "9171041010100001", "9171041010700001", "YAKOB NUEK", "PRIA", "KEPALA KELUARGA"),
        person(2, "MUARA TAMI", "SKOUW MABO", "9171041010100001", "9171045010700002", "MARIA NUEK", "WANITA", "ISTRI"),
        person(3, "HERAM", "YOKA", "9171051010100003", "9171051010700003", "PAULUS OHEE", "PRIA", "KEPALA KELUARGA"),
    ]
    path = write_xlsx(tmp_path / "dtks_jayapura.xlsx", {"DTKS": (HEADERS, rows)})
    code, out, err = run("import_dtks", str(path), "--partial", "--year", "2024")
    assert code == 0, (out, err)
    placed = dict(Household.objects.values_list("no_kk", "desa__name"))
    assert placed == {"9171041010100001": "Skouw Mabo", "9171051010100003": "Yoka"}
    assert "DISTRIK" not in out and "KAMPUNG" not in out  # no column left unread
