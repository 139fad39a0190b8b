"""In a province registry a file is older or not than the data of the regencies it covers (those its
rows are in), not than the newest data of the whole registry: one regency's newer release says
nothing of another's. A file of Konawe Utara newer than Konawe Utara's data is applied as any newer
file is, whatever year Konawe's data is of; one older than Konawe Utara's data is flagged as before."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch

from .conftest import DTKS, nik, write_xlsx
from .test_import_admin import upload
from .test_import_bad_input import run
from .test_import_desil_quarters import HEADERS as DTSEN

pytestmark = pytest.mark.django_db

KONUT_PLACE = {"Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya"}
KONAWE_PLACE = {"Kabupaten/Kota": "KONAWE", "Kecamatan": "Lambuya", "Desa/Kelurahan": "Awuliti"}


def person(kk, serial, region, place):
    return {
        "ID DTKS": f"D{serial}", **place, "Nomor KK": kk, "Nomor NIK": nik(serial, region=region),
        "Nama": f"KEPALA {serial}", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki",
        "Hubungan Keluarga": "KEPALA KELUARGA",
    }


KONUT = [person(f"74090101012000{i + 1:02d}", 40 + i, "740901", KONUT_PLACE) for i in range(21)]
KONAWE = [person(f"74020101012000{i + 1:02d}", 80 + i, "740201", KONAWE_PLACE) for i in range(3)]


def dtks(tmp_path, name, rows) -> str:
    return str(write_xlsx(tmp_path / name, {"DTKS": (DTKS, rows)}))


@pytest.fixture
def registry(province, tmp_path):
    """21 families of Konawe Utara (data of 2023, one marked absent since) and 3 of Konawe, whose
    data Konawe's 2025 release has updated since: the registry's newest data is Konawe's, of 2025."""
    assert run("import_dtks", dtks(tmp_path, "all.xlsx", KONUT + KONAWE), "--year", "2023")[0] == 0
    code, out, err = run("import_dtks", dtks(tmp_path, "konut.xlsx", KONUT[1:]), "--year", "2023")
    assert code == 0, out + err
    assert run("import_dtks", dtks(tmp_path, "konawe.xlsx", KONAWE), "--year", "2025")[0] == 0
    assert absent() == {KONUT[0]["Nomor KK"]}


def absent() -> set[str]:
    return set(Household.objects.filter(is_absent=True).values_list("no_kk", flat=True))


def test_a_regencys_newer_file_is_not_older_than_another_regencys_data(registry, tmp_path):
    # Konawe Utara's 2024 file: one family gone (1 of 20, no more than 5%), one back.
    path = dtks(tmp_path, "konut_2024.xlsx", KONUT[:20])
    code, out, err = run("import_dtks", path, "--year", "2024", "--dry-run")
    assert code == 0, err
    assert "Perlu konfirmasi" not in out and "lebih lama" not in out

    code, out, err = run("import_dtks", path, "--year", "2024", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert "absent_check" not in result and result["households"]["absent"] == 1
    # The family the 2024 file lists again comes back; the one it lacks is marked absent.
    assert absent() == {KONUT[20]["Nomor KK"]}
    warnings = ImportBatch.objects.get(pk=result["batch"]).warnings
    assert not [w for w in warnings if "lebih lama" in w["reason"]], warnings
    konut = Household.objects.filter(no_kk__startswith="7409", is_absent=False)
    assert set(konut.values_list("source_year", flat=True)) == {2024}
    assert set(Household.objects.filter(no_kk__startswith="7402").values_list("source_year", flat=True)) == {2025}


def test_the_preview_of_a_regencys_newer_file_asks_for_no_confirmation(registry, tmp_path, bappeda_client):
    upload(bappeda_client, dtks(tmp_path, "konut_2024.xlsx", KONUT[:20]), kind="dtks", data_year="2024", full_extract="on")
    batch = ImportBatch.objects.latest("pk")
    page = " ".join(re.sub(r"<[^>]+>", " ", bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()).split())
    assert "lebih lama dari data terbaru di registri" not in page
    assert "Saya mengerti" not in page
    assert "Berkas ini hanya memuat Kabupaten Konawe Utara" in page
    assert "absent_check" not in batch.counts


def test_a_file_older_than_its_own_regencys_data_is_still_flagged(registry, tmp_path):
    # Konawe Utara's 2024 release of a kecamatan's share of its families: its data is of 2024 now.
    assert run("import_dtks", dtks(tmp_path, "konut_2024.xlsx", KONUT[1:4]), "--year", "2024", "--partial")[0] == 0
    # Its 2023 file is older, whatever Konawe's data is of.
    code, out, err = run("import_dtks", dtks(tmp_path, "konut_2023.xlsx", KONUT[:20]), "--year", "2023")
    assert code == 2
    assert "1 keluarga akan ditandai tidak ada di data terbaru (dari 20 keluarga saat ini)." in err
    assert "Berkas ini data tahun 2023, lebih lama dari data terbaru di registri (2024)." in err
    assert absent() == {KONUT[0]["Nomor KK"]}


def dtsen(tmp_path, name, families, period, region="7409012006") -> str:
    rows = [
        {"Nomor KK": kk, "NIK": nik(serial, region=region[:6]), "Nama": f"KEPALA {serial}", "Tanggal Lahir": "05/01/1980",
         "Jenis Kelamin": "Laki-laki", "Hubungan Keluarga": "Kepala Keluarga", "Kode Wilayah": region,
         "Alamat": "Lorong 1", "Desil Nasional": 3, "Periode Desil": period, "Jenis Atap": "Genteng", "Bansos PKH": "Ya"}
        for kk, serial in families
    ]
    return str(write_xlsx(tmp_path / name, {"DTSEN": (DTSEN, rows)}))


def test_a_dtsen_ranking_is_compared_with_its_own_regencys(province, tmp_path):
    konut = [(f"74090106012500{i + 1:02d}", 40 + i) for i in range(21)]
    konawe = [(f"74020106012500{i + 1:02d}", 80 + i) for i in range(3)]
    assert run("import_dtsen", dtsen(tmp_path, "konut_q1.xlsx", konut, "Triwulan I 2025"), "--year", "2025")[0] == 0
    path = dtsen(tmp_path, "konawe_q3.xlsx", konawe, "Triwulan III 2025", region="7402012006")
    assert run("import_dtsen", path, "--year", "2025")[0] == 0
    # Konawe Utara's second quarter after Konawe's third: newer than Konawe Utara's ranking.
    code, out, err = run("import_dtsen", dtsen(tmp_path, "konut_q2.xlsx", konut[:20], "Triwulan II 2025"), "--year", "2025", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert "absent_check" not in result and result["households"]["absent"] == 1
    assert "households_kept" not in result
