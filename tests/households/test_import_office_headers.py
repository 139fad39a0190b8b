"""Headers as offices write them, read without a mapping in the admin: ``FASILITAS_BAB`` (the
toilet) in P3KE and DTSEN extracts, ``NAMA_KEC``/``NAMA_DESA`` (the place's names beside the code
parts ``KD_PROV`` ... ``KD_DESA``) in DTSEN, ``NAMA PETANI`` (the farmer receiving) in Dinas
Pertanian's lists. Each file is built here."""

from __future__ import annotations

import json

import pytest

from households.models import Household, ImportBatch
from programs.models import Enrollment

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from ..programs.test_import_recipients_real import workbook
from .conftest import HH_2023, household_row, nik, write_xlsx

pytestmark = pytest.mark.django_db

DTSEN_PARTS = [
    "NO", "KD_PROV", "KD_KAB", "KD_KEC", "KD_DESA", "NAMA_KEC", "NAMA_DESA", "ALAMAT", "NO KK", "NIK", "NAMA",
    "JENIS KELAMIN", "TANGGAL LAHIR", "HUBUNGAN DENGAN KEPALA KELUARGA", "DESIL NASIONAL", "FASILITAS_BAB",
]


def dtsen_family(kk: str, serial: int, kecamatan: str, desa: str) -> list[dict]:
    place = {"KD_PROV": "74", "KD_KAB": "09", "KD_KEC": "01", "KD_DESA": "2006", "NAMA_KEC": kecamatan, "NAMA_DESA": desa,
             "ALAMAT": "DUSUN I", "NO KK": kk, "DESIL NASIONAL": 2, "FASILITAS_BAB": "Milik Sendiri"}
    return [
        {**place, "NO": 1, "NIK": nik(serial), "NAMA": f"KEPALA {serial}", "JENIS KELAMIN": "LAKI-LAKI",
         "TANGGAL LAHIR": "05/01/1980", "HUBUNGAN DENGAN KEPALA KELUARGA": "KEPALA KELUARGA"},
        {**place, "NO": 2, "NIK": nik(serial + 1, female=True), "NAMA": f"ISTRI {serial}", "JENIS KELAMIN": "PEREMPUAN",
         "TANGGAL LAHIR": "05/01/1980", "HUBUNGAN DENGAN KEPALA KELUARGA": "ISTRI"},
    ]


def test_dtsen_place_names_and_toilet_beside_the_code_parts(reference, tmp_path):
    rows = dtsen_family("7409011005080001", 401, "ASERA", "WANGGUDU RAYA") + dtsen_family("7409011005080002", 411, "ASERA", "LALEMBO")
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (DTSEN_PARTS, rows)})
    code, out, err = run("import_dtsen", str(path), "--json", "--partial")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["unmapped_columns"] == [] and summary["households"]["created"] == 2, summary
    assert set(Household.objects.values_list("toilet", "desa__code")) == {("milik_sendiri", "74.09.01.2006")}
    # The names are read: a village name that is not the coded village's is said, on each of its rows.
    warnings = ImportBatch.objects.get(pk=summary["batch"]).warnings
    assert [(w["row"], w["column"]) for w in warnings] == [(4, "NAMA_DESA"), (5, "NAMA_DESA")]
    assert "Nama Desa/Kelurahan 'LALEMBO' bukan nama desa berkode ini (Wanggudu Raya)" in warnings[0]["reason"]


def test_dtsen_placed_by_its_place_names(reference, tmp_path):
    headers = [h for h in DTSEN_PARTS if not h.startswith("KD_")]
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (headers, dtsen_family("7409011005080001", 401, "ASERA", "WANGGUDU RAYA"))})
    code, out, err = run("import_dtsen", str(path), "--json", "--partial")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert (summary["errors"], summary["unmapped_columns"]) == (0, []), summary
    assert list(Household.objects.values_list("desa__name", "toilet")) == [("Wanggudu Raya", "milik_sendiri")]


def test_p3ke_toilet_as_fasilitas_bab(reference, tmp_path):
    headers = ["FASILITAS_BAB" if h == "Memiliki fasilitas Buang Air Besar" else h for h in HH_2023]
    row = household_row("122000001", 100, FASILITAS_BAB="Umum/Bersama")
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, [row])})
    code, out, err = run("import_p3ke", str(path), "--json", "--partial")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["unmapped_columns"] == [] and summary["errors"] == 0, summary
    assert Household.objects.get().toilet == "umum_bersama"


def test_a_farmers_list_names_its_farmer(family, tmp_path):  # noqa: F811
    household, head, _child, other = family
    path = workbook(tmp_path / "bibit.xlsx", {"Sheet1": [
        ["NO", "NAMA PETANI", "NIK", "KELOMPOK TANI", "DESA", "JENIS BIBIT", "JUMLAH (BATANG)", "KET"],
        [1, "KEPALA", head.nik, "TANI MAJU", "", "KAKAO", 100, ""],
        [2, "NAMA YANG LAIN SAMA SEKALI", other.head_nik, "TANI MAJU", "", "KAKAO", 50, ""],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "bibit", "--year", "2024", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert "NAMA PETANI" not in {column["column"] for column in summary["unmapped_columns"]}, summary["unmapped_columns"]
    assert set(Enrollment.objects.filter(program__code="bibit").values_list("household", flat=True)) == {household.pk, other.pk}
    # The name is read: one that is not the NIK's owner's is said.
    reasons = [w["reason"] for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert reasons == [
        f"Nama di berkas 'NAMA YANG LAIN SAMA SEKALI' berbeda dengan nama pemilik NIK ini di registri ('{other.head_name}'); periksa NIK-nya"
    ]
