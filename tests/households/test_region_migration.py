"""The regency level arrives without losing data: kecamatan stored before it get Konawe Utara."""

import pytest
from django.core.management import call_command

from households.models import Desa, Kabupaten, Kecamatan

from .conftest import apps_at, migrate_to_latest

BEFORE = [("households", "0005_desil_1_10_source_date")]


@pytest.mark.django_db(transaction=True)
def test_existing_kecamatan_and_villages_belong_to_konawe_utara_after_migrating():
    old = apps_at(BEFORE)
    OldKecamatan, OldDesa = old.get_model("households", "Kecamatan"), old.get_model("households", "Desa")
    asera = OldKecamatan.objects.create(code="74.09.01", name="Asera", bps_code="7410050")
    lembo = OldKecamatan.objects.create(code="74.09.06", name="Lembo (nama lokal)", bps_code="")
    OldDesa.objects.create(code="74.09.01.2006", code_plain="7409012006", name="Wanggudu Raya", kind="desa", kecamatan=asera)
    OldDesa.objects.create(code="74.09.06.2099", code_plain="7409062099", name="Desa Lokal", kind="desa", kecamatan=lembo)

    migrate_to_latest()

    assert list(Kabupaten.objects.values_list("code", "name", "provinsi__code", "provinsi__name")) == [
        ("74.09", "Kabupaten Konawe Utara", "74", "Sulawesi Tenggara"),
    ]
    assert list(Kecamatan.objects.values_list("code", "name", "bps_code", "kabupaten__code")) == [
        ("74.09.01", "Asera", "7410050", "74.09"), ("74.09.06", "Lembo (nama lokal)", "", "74.09"),
    ]
    assert Desa.objects.count() == 2
    # Each stored village is known by its code when the list is loaded again.
    assert sorted(Desa.objects.values_list("code", "reference_code")) == [
        ("74.09.01.2006", "74.09.01.2006"), ("74.09.06.2099", "74.09.06.2099"),
    ]

    # Loading the reference afterwards adds what is missing and keeps what was there.
    call_command("load_reference", verbosity=0)
    assert Kecamatan.objects.count() == 13 and Desa.objects.count() == 171
    assert Kecamatan.objects.get(code="74.09.06").name == "Lembo (nama lokal)"
    assert Desa.objects.filter(code="74.09.06.2099", name="Desa Lokal").exists()
