"""Mapping a new DTSEN/DTKS layout once: a region code split over KD_PROV/KD_KAB/KD_KEC/KD_DESA, a No
KK column under an unknown title, code numbers that went through a float or were zero-padded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from households.imports.services import run_file_import
from households.imports.values import ChoiceMap
from households.models import Household, ImportBatch, ImportStatus

from .conftest import nik, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

KK = "7409011005080001"
PARTS = ["NO_KK", "NIK", "NAMA", "SHDK", "JENIS KELAMIN", "TANGGAL LAHIR", "KD_PROV", "KD_KAB", "KD_KEC", "KD_DESA"]


def part_rows(prov, kab, kec, desa) -> list[dict]:
    common = {"NO_KK": KK, "KD_PROV": prov, "KD_KAB": kab, "KD_KEC": kec, "KD_DESA": desa, "TANGGAL LAHIR": "1980-01-05"}
    return [
        {**common, "NIK": nik(401), "NAMA": "LA BAHARU", "SHDK": "KEPALA KELUARGA", "JENIS KELAMIN": "LAKI-LAKI"},
        {**common, "NIK": nik(402, female=True), "NAMA": "WA NURI", "SHDK": "ISTRI", "JENIS KELAMIN": "PEREMPUAN"},
    ]


@pytest.mark.parametrize("kind", ["dtsen", "dtks"])
def test_a_region_code_in_parts_places_the_family(reference, tmp_path, kind):
    """KD_PROV 74, KD_KAB 9 and KD_KEC 1 as number cells (their leading zero lost), KD_DESA 2006:
    the village 74.09.01.2006."""
    path = write_xlsx(tmp_path / "parts.xlsx", {"DATA": (PARTS, part_rows(74, 9, 1, 2006))})
    outcome = run_file_import(kind=kind, paths=[str(path)], dry_run=False)
    assert [issue.reason for issue in outcome.plan.issues.errors] == []
    assert Household.objects.get(no_kk=KK).desa.code == "74.09.01.2006"


def test_a_full_code_in_the_village_part_is_read_too(reference, tmp_path):
    headers = [("KODE_DESA" if header == "KD_DESA" else header) for header in PARTS]
    rows = [{("KODE_DESA" if key == "KD_DESA" else key): value for key, value in row.items()} for row in part_rows("74", "09", "01", "2006")]
    path = write_csv(tmp_path / "parts.csv", headers, rows)
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=False)
    assert [issue.reason for issue in outcome.plan.issues.errors] == []
    assert Household.objects.get(no_kk=KK).desa.code == "74.09.01.2006"


def test_bps_code_parts_are_refused_naming_the_name_columns(reference, tmp_path):
    """BPS numbers its kecamatan and villages with three digits (010, 005): not a Kemendagri code."""
    path = write_csv(tmp_path / "bps.csv", PARTS, part_rows("74", "09", "010", "005"))
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    reasons = {issue.reason for issue in outcome.plan.issues.errors}
    assert any("KD_KEC '010'" in reason and "Kecamatan dan Desa/Kelurahan" in reason for reason in reasons), reasons
    assert not Household.objects.exists()


def test_a_part_of_the_code_missing_is_named(reference, tmp_path):
    headers = [header for header in PARTS if header != "KD_KEC"]
    path = write_csv(tmp_path / "parts.csv", headers, part_rows("74", "09", "01", "2006"))
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    assert outcome.plan is None and "kode kecamatan" in outcome.message.lower(), outcome.message


def test_a_no_kk_column_under_an_unknown_title_says_so_and_lists_it(bappeda_client, reference, tmp_path):
    headers = ["NOMOR_KARTU_KELUARGA_ART" if header == "NO_KK" else header for header in PARTS]
    rows = [{("NOMOR_KARTU_KELUARGA_ART" if key == "NO_KK" else key): value for key, value in row.items()} for row in part_rows("74", "09", "01", "2006")]
    path = write_csv(tmp_path / "nokk.csv", headers, rows)
    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtsen", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.FAILED
    assert "tidak ada kolom Nomor KK" in batch.message and "tidak ditemukan (dicari" not in batch.message
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    assert reverse("admin:households_columnmapping_add") + "?layout=dtsen&amp;header=NOMOR_KARTU_KELUARGA_ART" in page


@pytest.mark.parametrize("cell", ["1.0", "01", "001", 1.0, "1"])
def test_a_value_mapped_as_1_matches_its_float_and_padded_spellings(cell):
    sex = ChoiceMap([("L", "Laki-laki"), ("P", "Perempuan")], {"1": "L", "2": "P"})
    assert sex(cell) == ("L", True)
    assert sex("2.00") == ("P", True) and sex("3.0") == ("", False) and sex("1.5") == ("", False)


def test_a_value_mapped_with_its_zeros_keeps_them():
    """A mapping of "01" and one of "1" to different choices: each matches as written."""
    relation = ChoiceMap([("kepala", "Kepala"), ("anak", "Anak")], {"01": "kepala", "1": "anak"})
    assert relation("01") == ("kepala", True) and relation("1") == ("anak", True)
    padded = ChoiceMap([("kepala", "Kepala")], {"01": "kepala"})
    assert padded("1") == ("kepala", True) and padded(1.0) == ("kepala", True)


def test_the_code_parts_are_offered_on_the_mapping_form(bappeda_client):
    page = bappeda_client.get(reverse("admin:households_columnmapping_add")).content.decode()
    assert ">Kode Kemdagri: bagian kecamatan (2 angka) (region_code_kec)</option>" in page
    response = bappeda_client.post(
        reverse("admin:households_columnmapping_add"), {"layout": "dtsen", "header": "KODE_KEC_ART", "field": "region_code_kec"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_two_headers_mapped_to_one_field_are_named_as_a_mapping_with_links(bappeda_client, reference, tmp_path):
    from households.models import ColumnMapping

    ColumnMapping.objects.create(layout="dtsen", header="jns atap", field="roof_type")
    ColumnMapping.objects.create(layout="dtsen", header="jenis atap rumah", field="roof_type")
    headers = [*PARTS, "JNS_ATAP", "JENIS_ATAP_RUMAH"]
    rows = [{**row, "JNS_ATAP": "Beton", "JENIS_ATAP_RUMAH": "Genteng"} for row in part_rows("74", "09", "01", "2006")]
    path = write_csv(tmp_path / "roofs.csv", headers, rows)
    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtsen", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    reasons = [warning["reason"] for warning in batch.warnings]
    twice = [reason for reason in reasons if "JENIS_ATAP_RUMAH" in reason]
    assert len(twice) == 1 and "berjudul sama" not in twice[0], reasons
    assert "'JNS_ATAP'" in twice[0] and "dipetakan ke Jenis Atap" in twice[0] and "Pemetaan kolom impor" in twice[0]
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    changelist = reverse("admin:households_columnmapping_changelist")
    assert f"{changelist}?layout__exact=dtsen&amp;q=JENIS_ATAP_RUMAH" in page
    assert f"{changelist}?layout__exact=dtsen&amp;q=JNS_ATAP" in page


def test_a_village_part_mapped_as_the_whole_code_says_which_fields_take_the_parts(reference, tmp_path):
    from households.models import ColumnMapping

    ColumnMapping.objects.update_or_create(layout="dtsen", header="kd desa", defaults={"field": "region_code"})
    ColumnMapping.objects.update_or_create(layout="dtsen", header="kd kec", defaults={"field": ""})
    path = write_csv(tmp_path / "parts.csv", PARTS, part_rows("74", "09", "01", "1005"))
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    reasons = {issue.reason for issue in outcome.plan.issues.errors}
    assert any("'1005'" in reason and "Kode Kemdagri: bagian desa/kelurahan" in reason for reason in reasons), reasons


def test_village_names_without_a_kecamatan_column_say_the_column_is_missing(reference, tmp_path):
    """KD_DESA mapped to the village's name, no Kecamatan column: the column is missing, not a cell."""
    from households.models import ColumnMapping

    ColumnMapping.objects.update_or_create(layout="dtsen", header="kd desa", defaults={"field": "desa"})
    headers = [header for header in PARTS if header not in ("KD_PROV", "KD_KAB", "KD_KEC")]
    path = write_csv(tmp_path / "names.csv", headers, part_rows("74", "09", "01", "WANGGUDU"))
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    reasons = {issue.reason for issue in outcome.plan.issues.errors}
    assert any("tidak ada kolom Kecamatan" in reason for reason in reasons), reasons


def test_the_code_example_of_a_refused_part_is_the_loaded_regencys(db, tmp_path):
    """Kabupaten Bone's operator is shown a code of Bone as the example, not one of Konawe Utara."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(KONUT_WILAYAH="73.08"):
        call_command("load_reference", verbosity=0)
        path = write_csv(tmp_path / "bps.csv", PARTS, part_rows("73", "11", "010", "005"))
        outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    reasons = [issue.reason for issue in outcome.plan.issues.errors]
    assert any("KD_KEC '010' bukan bagian Kode Kemdagri" in reason and "mis. 73 08 01 2006" in reason for reason in reasons), reasons
    assert not any("74 09" in reason for reason in reasons)
