"""Kecamatan stored before ``Kecamatan.reference_code`` are known by their code afterwards: a
kecamatan whose code Bappeda corrects later is not loaded a second time under its old one."""

import pytest
from django.core.management import call_command

from households.models import Desa, Kecamatan

from .conftest import apps_at, migrate_to_latest, old_desa

BEFORE = [("households", "0023_member_is_deceased")]


@pytest.mark.django_db(transaction=True)
def test_stored_kecamatan_get_their_code_as_the_lists_code():
    old_desa(apps_at(BEFORE))

    migrate_to_latest()

    assert list(Kecamatan.objects.values_list("code", "reference_code")) == [("74.09.01", "74.09.01")]
    # Asera's code corrected afterwards: loading the list again does not create a second Asera.
    Kecamatan.objects.filter(code="74.09.01").update(code="74.09.98")
    call_command("load_reference", verbosity=0)
    assert list(Kecamatan.objects.filter(name="Asera").values_list("code", flat=True)) == ["74.09.98"]
    assert Kecamatan.objects.count() == 13 and Desa.objects.count() == 170
