"""DTSEN extracts (one row per person, families by No KK, national desil 1-10) and mapping a new
layout once, as data: an unknown header and an unknown value are listed by the preview, Bappeda maps
them in the admin, and the next preview of the same file has nothing left to map."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from households.imports.services import run_file_import
from households.imports.values import ChoiceMap
from households.models import ColumnMapping, Household, ImportBatch, ImportStatus, Member, ValueMapping

from .conftest import nik, write_xlsx
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

DTSEN = [
    "NO KK", "NIK", "NAMA", "SHDK", "JENIS KELAMIN", "TANGGAL LAHIR", "KODE KEMENDAGRI", "ALAMAT", "DESIL NASIONAL",
    "TANGGAL DESIL", "STATUS KEPEMILIKAN RUMAH", "JENIS LANTAI", "DAYA LISTRIK", "SUMBER AIR", "PBI JKN",
]
KK = "7409011005080001"


def dtsen_rows(*, ownership="Milik Sendiri", desil=8) -> list[dict]:
    common = {"NO KK": KK, "KODE KEMENDAGRI": "7409012006", "ALAMAT": "DUSUN I", "DESIL NASIONAL": desil,
              "TANGGAL DESIL": "31/03/2026", "STATUS KEPEMILIKAN RUMAH": ownership, "JENIS LANTAI": "TANAH",
              "DAYA LISTRIK": "=< 900 WATT", "SUMBER AIR": "Sumur Bor", "PBI JKN": "TIDAK"}
    return [
        {**common, "NIK": nik(401), "NAMA": "LA BAHARU", "SHDK": "KEPALA KELUARGA", "JENIS KELAMIN": "LAKI-LAKI",
         "TANGGAL LAHIR": "1980-01-05"},
        {**common, "NIK": nik(402, female=True), "NAMA": "WA NURI", "SHDK": "ISTRI", "JENIS KELAMIN": "PEREMPUAN",
         "TANGGAL LAHIR": "1980-01-05", "PBI JKN": "YA"},
    ]


def upload(client, path):
    with open(path, "rb") as handle:
        client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtsen", "file": handle, "full_extract": "on"})
    return ImportBatch.objects.latest("pk")


def test_import_dtsen_command_keeps_desil_1_10_with_source_and_date(reference, bappeda_client, tmp_path):
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (DTSEN, dtsen_rows(desil=10))})
    code, out, err = run("import_dtsen", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["households"]["created"] == 1 and summary["members"]["created"] == 2 and summary["errors"] == 0
    household = Household.objects.get(no_kk=KK)
    assert (household.source, household.desil, household.desil_source, household.desil_date) == (
        "dtsen", 10, "dtsen", datetime.date(2026, 3, 31),
    )
    assert (household.head_name, household.house_ownership, household.floor_type, household.electricity_power) == (
        "LA BAHARU", "milik_sendiri", "tanah", "=< 900 WATT",
    )
    assert set(household.enrollments.values_list("program__code", "member__name")) == {("pbi-jk", "WA NURI")}
    assert summary["unmapped_columns"] == [{"sheet": "DTSEN", "column": "SUMBER AIR", "layout": "dtsen", "aid": False}]
    # Desil 10 is a desil like any other in the portal's filter.
    assert "LA BAHARU" in bappeda_client.get("/keluarga/?desil=10").content.decode()
    assert "LA BAHARU" not in bappeda_client.get("/keluarga/?desil=1").content.decode()


def test_desil_above_10_is_refused(reference, tmp_path):
    path = write_xlsx(tmp_path / "dtsen.xlsx", {"DTSEN": (DTSEN, dtsen_rows(desil=11))})
    outcome = run_file_import(kind="dtsen", paths=[str(path)], dry_run=True)
    assert {(i.row, i.column, i.reason) for i in outcome.plan.issues.errors} >= {
        (2, "DESIL NASIONAL", "Desil harus antara 1 dan 10, bukan 11"),
    }
    code, _out, _ = run("import_dtsen", str(path), "--json")
    assert code == 1 and not Household.objects.exists()


def test_unknown_header_and_value_are_mapped_once_in_the_admin(bappeda_client, tmp_path):
    path = write_xlsx(tmp_path / "dtsen-baru.xlsx", {"DTSEN": (DTSEN, dtsen_rows(ownership="MENUMPANG"))})
    first = upload(bappeda_client, path)
    assert first.status == ImportStatus.PREVIEWED and first.counts["errors"] == 0
    assert first.counts["unmapped_columns"] == [{"sheet": "DTSEN", "column": "SUMBER AIR", "layout": "dtsen", "aid": False}]
    assert first.counts["unmapped_values"] == [
        {"field": "house_ownership", "column": "STATUS KEPEMILIKAN RUMAH", "value": "MENUMPANG", "rows": 2}
    ]
    page = bappeda_client.get(reverse("admin:households_importbatch_preview", args=[first.pk])).content.decode()
    assert "Belum terpetakan" in page and "SUMBER AIR" in page and "MENUMPANG" in page
    add_column = reverse("admin:households_columnmapping_add") + "?layout=dtsen&amp;header=SUMBER%20AIR"
    assert add_column in page

    # Bappeda maps the header to a field and the value to a choice, on the admin's own forms.
    form = bappeda_client.get(reverse("admin:households_columnmapping_add") + "?layout=dtsen&header=SUMBER%20AIR")
    assert form.status_code == 200 and 'value="SUMBER AIR"' in form.content.decode()
    response = bappeda_client.post(
        reverse("admin:households_columnmapping_add"), {"layout": "dtsen", "header": "SUMBER AIR", "field": "water_source"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = bappeda_client.post(
        reverse("admin:households_valuemapping_add"),
        {"kind": "dtsen", "field": "house_ownership", "value": "MENUMPANG", "code": "bebas_sewa"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = ColumnMapping.objects.get(layout="dtsen", header="sumber air")
    assert mapping.field == "water_source" and not mapping.builtin and mapping.history.count() == 1
    assert ValueMapping.objects.get(kind="dtsen", field="house_ownership", value="menumpang").code == "bebas_sewa"

    second = upload(bappeda_client, path)
    assert second.status == ImportStatus.PREVIEWED
    assert (second.counts["errors"], second.counts["warnings"]) == (0, 0)
    assert second.counts["unmapped_columns"] == [] and second.counts["unmapped_values"] == []
    assert "Belum terpetakan" not in bappeda_client.get(reverse("admin:households_importbatch_preview", args=[second.pk])).content.decode()
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[second.pk]))
    household = Household.objects.get(no_kk=KK)
    assert (household.house_ownership, household.water_source, household.desil) == ("bebas_sewa", "sumur_bor", 8)


def test_a_wrong_mapping_is_refused_with_a_message(bappeda_client):
    response = bappeda_client.post(
        reverse("admin:households_columnmapping_add"), {"layout": "recipients", "header": "KODE LANTAI", "field": "floor_type"}
    )
    assert response.status_code == 200 and "tidak dipakai untuk jenis tabel tersebut" in response.content.decode()
    response = bappeda_client.post(
        reverse("admin:households_valuemapping_add"), {"kind": "", "field": "sex", "value": "X", "code": "tanah"}
    )
    assert response.status_code == 200 and "bukan pilihan kolom" in response.content.decode()
    assert not ColumnMapping.objects.filter(header="kode lantai").exists() and not ValueMapping.objects.filter(value="x").exists()


def test_only_bappeda_reaches_the_mapping_pages(client, reference):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="opd", role="agency_operator"))
    for name in ("admin:households_columnmapping_changelist", "admin:households_valuemapping_add"):
        response = client.get(reverse(name))
        assert response.status_code in (302, 403) and "SUMBER" not in response.content.decode()


def test_the_mapping_form_names_every_field_as_the_registry_does(bappeda_client):
    # The field list Bappeda picks from: identifiers keep their capitals, a recipient list's own
    # columns are named in Indonesian, and each shows its key.
    page = bappeda_client.get(reverse("admin:households_columnmapping_add")).content.decode()
    for label in ("NIK (nik)", "No KK (no_kk)", "RT (rt)", "ID DTKS (dtks_id)", "Tahun (year)", "Nilai (Rp) (amount)",
                  "Tanggal penyaluran (delivered_on)", "Catatan (note)", "Kode Kemdagri (region_code)"):
        assert f">{label}</option>" in page, label
    for english in ("Year (year)", "Amount (amount)", "Delivered on", "Nik (nik)", "No kk (no_kk)"):
        assert english not in page


# A BPS-style extract: relation and sex as code numbers (number cells, as Excel keeps them), headers
# as a database export writes them.
CODED = ["NO", "KODE_WILAYAH", "NOMOR_KK", "NIK", "NAMA", "HUB_KK", "JNS_KEL", "TGL_LAHIR", "DESIL_NASIONAL"]


def coded_rows() -> list[dict]:
    common = {"KODE_WILAYAH": "74.09.01.2006", "NOMOR_KK": KK, "TGL_LAHIR": "1980-01-05", "DESIL_NASIONAL": 4}
    return [
        {**common, "NO": 1, "NIK": nik(411), "NAMA": "LA BAHARU", "HUB_KK": 1, "JNS_KEL": 1},
        {**common, "NO": 2, "NIK": nik(412, female=True), "NAMA": "WA NURI", "HUB_KK": 2, "JNS_KEL": 2},
    ]


def test_code_numbers_mapped_once_are_read_from_number_cells(bappeda_client, tmp_path):
    """Relation 1/2 and sex 1/2 in number cells (read as 1.0 and 2.0): the preview lists them as 1
    and 2, Bappeda maps 1 and 2 in the admin, and the next preview of the same file reads them."""
    path = write_xlsx(tmp_path / "dtsen-kode.xlsx", {"DTSEN": (CODED, coded_rows())})
    # HUB_KK is a known header (Hub. KK); JNS_KEL is mapped once.
    response = bappeda_client.post(reverse("admin:households_columnmapping_add"), {"layout": "dtsen", "header": "JNS_KEL", "field": "sex"})
    assert response.status_code == 302, response.content.decode()[:2000]
    first = upload(bappeda_client, path)
    assert first.status == ImportStatus.PREVIEWED and first.counts["errors"] == 0
    listed = {(item["field"], item["value"]) for item in first.counts["unmapped_values"]}
    assert listed == {("relation", "1"), ("relation", "2"), ("sex", "1"), ("sex", "2")}

    for field, value, code in (("relation", "1", "kepala"), ("relation", "2", "pasangan"), ("sex", "1", "L"), ("sex", "2", "P")):
        response = bappeda_client.post(
            reverse("admin:households_valuemapping_add"), {"kind": "dtsen", "field": field, "value": value, "code": code}
        )
        assert response.status_code == 302, response.content.decode()[:2000]

    second = upload(bappeda_client, path)
    assert second.status == ImportStatus.PREVIEWED
    assert (second.counts["errors"], second.counts["warnings"], second.counts["unmapped_values"]) == (0, 0, [])
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[second.pk]))
    assert set(Member.objects.values_list("name", "relation", "sex")) == {
        ("LA BAHARU", "kepala", "L"), ("WA NURI", "pasangan", "P"),
    }
    assert Household.objects.get(no_kk=KK).head_name == "LA BAHARU"


@pytest.mark.parametrize("cell", [1.0, 1, "1", " 1 "])
def test_a_value_mapped_as_a_number_matches_the_number_cell(cell):
    """calamine reads a number cell as a float (1.0); the mapping and the preview say 1."""
    sex = ChoiceMap([("L", "Laki-laki"), ("P", "Perempuan")], {"1": "L", "2": "P"})
    assert sex(cell) == ("L", True)
    assert sex(2.0) == ("P", True) and sex(3.0) == ("", False) and sex(1.5) == ("", False)


def test_a_layout_that_could_not_be_read_is_previewed_again_not_confirmed(bappeda_client, tmp_path):
    """A DTSEN extract whose name column has a title nothing maps (NAMA_ART) fails to be read. Once
    Bappeda maps the column, the failed batch is read again ("Pratinjau ulang") and shows its
    preview; confirming before that is refused with a message and writes nothing."""
    headers = ["NAMA_ART" if header == "NAMA" else header for header in DTSEN]
    rows = [{("NAMA_ART" if key == "NAMA" else key): value for key, value in row.items()} for row in dtsen_rows()]
    batch = upload(bappeda_client, write_xlsx(tmp_path / "dtsen-baru.xlsx", {"DTSEN": (headers, rows)}))
    assert batch.status == ImportStatus.FAILED and "kolom wajib DTSEN tidak ada" in batch.message
    preview_url = reverse("admin:households_importbatch_preview", args=[batch.pk])
    page = bappeda_client.get(preview_url).content.decode()
    assert "Pratinjau ulang" in page and "Konfirmasi impor" not in page
    # The status page, where the upload's progress ended, leads there too.
    status = bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()
    assert "Buka halaman impor untuk pratinjau ulang atau batal" in status and preview_url in status

    response = bappeda_client.post(
        reverse("admin:households_columnmapping_add"), {"layout": "dtsen", "header": "NAMA_ART", "field": "name"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The mapping alone does not make the failed batch confirmable: it has no preview to confirm.
    response = bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]), follow=True)
    assert "jalankan Pratinjau ulang lalu periksa hasilnya sebelum konfirmasi" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and not Household.objects.exists() and not Member.objects.exists()

    bappeda_client.post(reverse("admin:households_importbatch_repreview", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED and batch.counts["households"]["created"] == 1
    assert not Household.objects.exists()
    page = bappeda_client.get(preview_url).content.decode()
    assert "Konfirmasi impor" in page and "Pratinjau ulang" not in page
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert set(Member.objects.values_list("name", flat=True)) == {"LA BAHARU", "WA NURI"}
