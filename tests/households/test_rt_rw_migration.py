"""RT and RW stored before the import read them in one form are brought to it: the next re-sync of
the same data finds them unchanged."""

import pytest

from households.models import Household

from .conftest import apps_at, migrate_to_latest

BEFORE = [("households", "0019_household_verval_eligible_desil")]


@pytest.mark.django_db(transaction=True)
def test_stored_rt_and_rw_get_three_digits_with_their_snapshot():
    old = apps_at(BEFORE)
    Kecamatan, Desa, OldHousehold = (old.get_model("households", name) for name in ("Kecamatan", "Desa", "Household"))
    kabupaten = old.get_model("households", "Kabupaten").objects.create(
        code="74.09", name="Konawe Utara", provinsi=old.get_model("households", "Provinsi").objects.create(code="74", name="Sultra")
    )
    asera = Kecamatan.objects.create(code="74.09.01", name="Asera", bps_code="7410050", kabupaten=kabupaten)
    desa = Desa.objects.create(code="74.09.01.2006", code_plain="7409012006", name="Wanggudu Raya", kind="desa", kecamatan=asera)
    stored = {
        "7409011005080001": ("1", "02", {"rt": "1", "rw": "02", "address": "Dusun I"}),  # from an .xls
        "7409011005080002": ("001", "0012", {"rt": "001", "rw": "0012"}),
        "7409011005080003": ("007", "", {}),  # a local correction kept with its snapshot
        "7409011005080004": ("1A", "1234", {"rt": "1A", "rw": "1234"}),  # not a plain number, and four digits
        # Five digits are no RT/RW number to the import, which keeps them as their text.
        "7409011005080005": ("00012", "003", {"rt": "00012", "rw": "003"}),
        # Three digits already (typed in the admin), the snapshot still as an .xls gave it.
        "7409011005080006": ("001", "002", {"rt": "1", "rw": "2"}),
    }
    for no_kk, (rt, rw, snapshot) in stored.items():
        OldHousehold.objects.create(no_kk=no_kk, head_name="KEPALA", desa=desa, rt=rt, rw=rw, source_values=snapshot)

    migrate_to_latest()

    assert {h.no_kk: (h.rt, h.rw, h.source_values) for h in Household.objects.all()} == {
        "7409011005080001": ("001", "002", {"rt": "001", "rw": "002", "address": "Dusun I"}),
        "7409011005080002": ("001", "012", {"rt": "001", "rw": "012"}),
        "7409011005080003": ("007", "", {}),
        "7409011005080004": ("1A", "1234", {"rt": "1A", "rw": "1234"}),
        "7409011005080005": ("00012", "003", {"rt": "00012", "rw": "003"}),
        "7409011005080006": ("001", "002", {"rt": "001", "rw": "002"}),
    }
    assert not Household.history.exists()  # the same numbers, written the registry's way: no history
