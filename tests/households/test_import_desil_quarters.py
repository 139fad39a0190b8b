"""DTSEN re-ranks every quarter: a family's desil comes with the period of its ranking. A file of an
older quarter imported after a newer one (Triwulan I again after Triwulan II) does not roll the
desil back: the newer ranking and its date stay, and the row says why."""

from __future__ import annotations

import datetime
import json

import pytest

from households.models import Household, ImportBatch

from .conftest import nik, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

HEADERS = [
    "Nomor KK", "NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Hubungan Keluarga", "Kode Wilayah", "Alamat",
    "Desil Nasional", "Periode Desil", "Jenis Atap", "Bansos PKH",
]
KK = "7409010601250001"
OTHER_KK = "7409010601250002"


def quarter(tmp_path, name, *families):
    """A DTSEN file of one quarter: ``(No KK, head serial, desil, period, roof)`` per family."""
    rows = [
        {"Nomor KK": kk, "NIK": nik(serial), "Nama": f"KEPALA {serial}", "Tanggal Lahir": "05/01/1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "Kepala Keluarga", "Kode Wilayah": "7409012006",
         "Alamat": "Lorong 1", "Desil Nasional": desil, "Periode Desil": period, "Jenis Atap": roof, "Bansos PKH": "Ya"}
        for kk, serial, desil, period, roof in families
    ]
    return str(write_xlsx(tmp_path / name, {"DTSEN": (HEADERS, rows)}))


def ranking(kk=KK):
    return Household.objects.values_list("desil", "desil_source", "desil_date").get(no_kk=kk)


def test_an_older_quarter_keeps_the_newer_desil_and_says_so(reference, bappeda_client, tmp_path):
    q1 = quarter(tmp_path, "q1.xlsx", (KK, 801, 2, "Triwulan I 2025", "Asbes/Seng"), (OTHER_KK, 802, 3, "Triwulan I 2025", "Asbes/Seng"))
    q2 = quarter(tmp_path, "q2.xlsx", (KK, 801, 6, "Triwulan II 2025", "Genteng"), (OTHER_KK, 802, 3, "Triwulan II 2025", "Asbes/Seng"))
    assert run("import_dtsen", q1, "--year", "2025")[0] == 0
    assert ranking() == (2, "dtsen", datetime.date(2025, 1, 1))
    # The newer quarter re-ranks the family, as always.
    code, out, err = run("import_dtsen", q2, "--year", "2025", "--json")
    assert code == 0 and json.loads(out)["warnings"] == 0, (out, err)
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))

    # Triwulan I again: its ranking is older than the stored one.
    code, out, err = run("import_dtsen", q1, "--year", "2025", "--partial", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert ranking() == (6, "dtsen", datetime.date(2025, 4, 1))
    assert ranking(OTHER_KK) == (3, "dtsen", datetime.date(2025, 4, 1))
    warnings = [(w["row"], w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert warnings == [
        (2, "Tanggal desil", "Peringkat desil di berkas (01/01/2025) lebih lama dari yang tersimpan (01/04/2025); desil tidak diubah"),
        (3, "Tanggal desil", "Peringkat desil di berkas (01/01/2025) lebih lama dari yang tersimpan (01/04/2025); desil tidak diubah"),
    ]
    # The family's other values are the file's, as for any file (the house as that quarter saw it).
    assert Household.objects.get(no_kk=KK).roof_type == "asbes_seng"
    # The portal still lists the family under its newer desil.
    assert "KEPALA 801" in bappeda_client.get("/keluarga/?desil=6").content.decode()
    assert "KEPALA 801" not in bappeda_client.get("/keluarga/?desil=2").content.decode()

    # The same older file once more changes nothing.
    code, out, err = run("import_dtsen", q1, "--year", "2025", "--partial", "--json")
    assert code == 0 and ranking() == (6, "dtsen", datetime.date(2025, 4, 1)), (out, err)
    assert json.loads(out)["households"]["updated"] == 0
