"""An aid column whose header names a year (``Penerima PKH 2022``, ``Penerima SEMBAKO 2024
(HIMBARA)``): the claim is for that year, and a year after the file's data year is not read."""

from __future__ import annotations

import pytest

from households.models import ImportBatch
from programs.models import Enrollment

from .conftest import HH_2022, HH_2023, household_row, nik, write_xlsx
from .test_import_resync import run

pytestmark = pytest.mark.django_db


def _enrollments() -> set[tuple[str, str, int]]:
    return set(Enrollment.objects.values_list("household__p3ke_id", "program__code", "year"))


def _run(path, *extra):
    import json

    code, out, err = run("import_p3ke", str(path), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_the_year_in_an_aid_header_is_the_year_of_its_claim(reference, tmp_path):
    headers = [*HH_2023, "Penerima PKH 2022", "Penerima SEMBAKO 2024 (HIMBARA)"]
    rows = [household_row("122000001", 101, **{"Penerima PKH 2022": "Ya"}),
            household_row("122000002", 102, **{"Penerima SEMBAKO 2024 (HIMBARA)": "Ya", "Penerima BPNT": "Ya"})]
    path = write_xlsx(tmp_path / "p3ke23.xlsx", {"KEPALA-KELUARGA": (headers, rows)})

    result = _run(path)

    assert result["data_year"] == 2023
    assert _enrollments() == {("122000001", "pkh", 2022), ("122000002", "sembako", 2023)}
    warned = [w for w in ImportBatch.objects.get(pk=result["batch"]).warnings if w["column"] == "Penerima SEMBAKO 2024 (HIMBARA)"]
    assert len(warned) == 1
    assert "tahun 2024" in warned[0]["reason"] and "tahun data berkas (2023)" in warned[0]["reason"]
    assert "tidak dihitung" in warned[0]["reason"]


def test_a_2023_aid_column_in_a_2022_file_is_not_recorded_as_2022(reference, tmp_path):
    headers = [*HH_2022, "Penerima PKH 2023 (HIMBARA)"]
    row = {"ID Keluarga P3KE": "922000003", "Provinsi": "SULAWESI TENGGARA", "Kabupaten/Kota": "KONAWE UTARA",
           "Kecamatan": "ASERA", "Desa/Kelurahan": "WANGGUDU RAYA", "Kode Kemdagri": "7409012006",
           "Desil Kesejahteraan": 1, "Kepala Keluarga": "KEPALA", "NIK": nik(103), "Jenis Kelamin": "Laki-laki",
           "Tanggal Lahir": "05/01/1980", "Penerima PKH": "Tidak", "Penerima PKH 2023 (HIMBARA)": "Ya"}
    path = write_xlsx(tmp_path / "p3ke22.xlsx", {"keluarga": (headers, [row])})

    result = _run(path)

    assert result["data_year"] == 2022
    assert _enrollments() == set()
    reasons = [w["reason"] for w in ImportBatch.objects.get(pk=result["batch"]).warnings]
    assert any("tahun 2023" in reason and "tahun data berkas (2022)" in reason for reason in reasons)
