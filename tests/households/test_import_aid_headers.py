"""Aid columns headed by the program's name alone, as DTKS and DTSEN extracts carry them (``PKH``,
``BPNT``, ``SEMBAKO PPKM``, ``PBI JKN``), and SIKS-NG's own ``BANSOS BPNT-PPKM``: read as the
``Bansos ...`` / ``Penerima ...`` columns are, so a family's two aids are two enrollments and a
one-aid conflict. A column no mapping names whose cells are Ya/Tidak is named in a warning: no aid
column is dropped without a word."""

from __future__ import annotations

import datetime
import html
import json

import pytest
from django.urls import reverse

from dedup.models import Conflict
from households.models import Household, ImportBatch, ImportStatus
from programs.models import Enrollment

from .conftest import HH_2023, household_row, nik, write_xlsx
from .realfiles import write_text
from .test_import_bad_input import run

pytestmark = pytest.mark.django_db

KK_A = "7409081203160011"
KK_B = "7409081203160022"
PERSON = ["NOKK", "NIK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "HUB KELUARGA", "KECAMATAN", "DESA/KELUARAHAN"]
SIKS_AID = ["BANSOS BPNT", "BANSOS PKH", "BANSOS BPNT-PPKM", "PBI JKN"]
PLAIN_AID = ["BPNT", "PKH", "SEMBAKO PPKM", "PBI JKN"]


def _dtks_rows() -> list[list[str]]:
    """Family A: BPNT and PKH (a double aid), the wife PBI; family B: only BPNT-PPKM."""
    place = ["ASERA", "WANGGUDU RAYA"]
    return [
        [KK_A, nik(501), "BAHARUDDIN", "05/01/1980", "PRIA", "KEPALA KELUARGA", *place, "YA", "YA", "TIDAK", "TIDAK"],
        [KK_A, nik(502, female=True), "HASNA", "05/01/1980", "WANITA", "ISTRI", *place, "YA", "YA", "TIDAK", "YA"],
        [KK_B, nik(503), "MUSLIMIN", "05/01/1980", "PRIA", "KEPALA KELUARGA", *place, "TIDAK", "TIDAK", "YA", "TIDAK"],
    ]


def _enrollments() -> set[tuple[str, str, str | None]]:
    return set(Enrollment.objects.values_list("household__no_kk", "program__code", "member__name"))


def _import_dtks(tmp_path, aid_headers, name):
    path = write_text(tmp_path / f"{name}.txt", [*PERSON, *aid_headers], _dtks_rows(), separator="|")
    code, out, err = run("import_dtks", str(path), "--partial")
    assert code == 0, (out, err)
    return out


@pytest.mark.parametrize("aid_headers", [SIKS_AID, PLAIN_AID], ids=["bansos", "program-name"])
def test_a_dtks_aid_column_headed_by_the_program_alone_is_read_as_the_bansos_one(reference, tmp_path, aid_headers):
    out = _import_dtks(tmp_path, aid_headers, "dtks")
    assert "Tidak dikenali" not in out, out
    assert _enrollments() == {
        (KK_A, "sembako", None), (KK_A, "pkh", None), (KK_A, "pbi-jk", "HASNA"), (KK_B, "sembako", None),
    }
    double = Household.objects.get(no_kk=KK_A)
    assert Conflict.objects.filter(household=double).exists()
    assert not Conflict.objects.filter(household__no_kk=KK_B).exists()


def test_both_spellings_of_the_same_file_give_the_same_conflicts(reference, tmp_path):
    _import_dtks(tmp_path, SIKS_AID, "bansos")
    by_bansos = sorted(Conflict.objects.values_list("household__no_kk", "rule"))
    Conflict.objects.all().delete()
    Enrollment.objects.all().delete()
    Household.objects.all().delete()
    _import_dtks(tmp_path, PLAIN_AID, "plain")
    assert by_bansos and sorted(Conflict.objects.values_list("household__no_kk", "rule")) == by_bansos


def test_siks_ng_bpnt_ppkm_is_the_sembako_program(reference, tmp_path):
    path = write_text(tmp_path / "DTKS.txt", [*PERSON, *SIKS_AID], _dtks_rows(), separator="|")
    code, out, err = run("import_dtks", str(path), "--partial", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["unmapped_columns"] == []
    assert set(Enrollment.objects.filter(household__no_kk=KK_B).values_list("program__code", flat=True)) == {"sembako"}


DTSEN = [
    "IDSEMESTA", "NO KK", "NIK", "NAMA", "SHDK", "JENIS KELAMIN", "TANGGAL LAHIR", "KODE KEMENDAGRI", "DESIL NASIONAL",
    "PKH", "BPNT", "KARTU LANSIA",
]


def _dtsen_rows(pkh="YA", bpnt="YA") -> list[dict]:
    common = {"NO KK": KK_A, "KODE KEMENDAGRI": "7409012006", "DESIL NASIONAL": 2, "PKH": pkh, "BPNT": bpnt}
    return [
        {**common, "IDSEMESTA": "3101", "NIK": nik(401), "NAMA": "LA BAHARU", "SHDK": "KEPALA KELUARGA",
         "JENIS KELAMIN": "LAKI-LAKI", "TANGGAL LAHIR": "1980-01-05", "KARTU LANSIA": "TIDAK"},
        {**common, "IDSEMESTA": "3102", "NIK": nik(402, female=True), "NAMA": "WA NURI", "SHDK": "ISTRI",
         "JENIS KELAMIN": "PEREMPUAN", "TANGGAL LAHIR": "1980-01-05", "KARTU LANSIA": "YA"},
    ]


def test_dtsen_pkh_and_bpnt_columns_are_aid_and_a_yes_no_column_nothing_maps_is_named(reference, tmp_path):
    path = write_xlsx(tmp_path / "DTSEN.xlsx", {"DTSEN": (DTSEN, _dtsen_rows())})
    code, out, err = run("import_dtsen", str(path), "--partial")
    assert code == 0, (out, err)
    assert "kolom 'PKH'" not in out and "kolom 'BPNT'" not in out
    assert _enrollments() == {(KK_A, "pkh", None), (KK_A, "sembako", None)}
    assert Conflict.objects.filter(household__no_kk=KK_A).exists()
    # KARTU LANSIA holds Ya/Tidak under a header nothing maps: named, in case it is an aid column.
    assert "Kolom 'KARTU LANSIA' berisi Ya/Tidak: bila ini kolom bantuan, petakan di Admin" in out
    # IDSEMESTA holds numbers: listed as unknown, without that warning.
    assert "kolom 'IDSEMESTA'" in out and "'IDSEMESTA' berisi Ya/Tidak" not in out


@pytest.mark.parametrize("value", ["750000", "Rp 750.000", "15/03/2025"])
def test_a_program_named_column_holding_no_ya_tidak_is_warned_not_read_as_no_aid(reference, tmp_path, value):
    path = write_xlsx(tmp_path / "DTSEN.xlsx", {"DTSEN": (DTSEN, _dtsen_rows(pkh=value, bpnt="TIDAK"))})
    code, out, err = run("import_dtsen", str(path), "--partial", "--dry-run")
    assert code == 0, (out, err)
    assert f"PKH: Nilai '{value}' bukan Ya/Tidak; bantuan di sel ini tidak dihitung" in out
    code, out, err = run("import_dtsen", str(path), "--partial", "--json", "--dry-run")
    assert {"field": "penerima", "column": "PKH", "value": value, "rows": 2} in json.loads(out)["unmapped_values"]


def test_a_p3ke_household_sheet_column_named_by_its_program_is_aid(reference, tmp_path):
    headers = [h for h in HH_2023 if h != "Penerima BST"] + ["BST"]
    rows = [household_row("122000001", 100, BST="Ya"), household_row("122000002", 101, BST="Tidak")]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {"KEPALA-KELUARGA": (headers, rows)})
    code, out, err = run("import_p3ke", str(path), "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["unmapped_columns"] == []
    assert set(Enrollment.objects.values_list("household__p3ke_id", "program__code")) == {("122000001", "bst")}


def test_the_yes_no_warning_is_given_for_an_individual_sheet_too(reference, tmp_path):
    """A P3KE individual sheet read like the others: an unknown Ya/Tidak column on it is named."""
    from .conftest import IND_2023, head_member_row

    households = [household_row("122000001", 100)]
    members = [head_member_row("122000001", "91220000011", 100, **{"KARTU LANSIA": "YA"})]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, households), "INDIVIDU": ([*IND_2023, "KARTU LANSIA"], members),
    })
    code, out, err = run("import_p3ke", str(path), "--dry-run")
    assert code == 0, (out, err)
    assert "Kolom 'KARTU LANSIA' berisi Ya/Tidak" in out


def test_dates_are_not_taken_for_yes_no(reference, tmp_path):
    rows = _dtsen_rows()
    for row in rows:
        row["KARTU LANSIA"] = datetime.date(2025, 3, 15)
    path = write_xlsx(tmp_path / "DTSEN.xlsx", {"DTSEN": (DTSEN, rows)})
    code, out, err = run("import_dtsen", str(path), "--partial", "--dry-run")
    assert code == 0, (out, err)
    assert "berisi Ya/Tidak" not in out


@pytest.mark.parametrize("header", ["KIP", "PIP", "Penerima KIP"])
def test_kip_the_card_of_pip_is_the_pip_programs_aid_column(reference, tmp_path, header):
    headers = [h if h != "KARTU LANSIA" else header for h in DTSEN]
    rows = _dtsen_rows(pkh="TIDAK", bpnt="TIDAK")
    for row, says in zip(rows, ("TIDAK", "YA")):
        row[header] = says
    path = write_xlsx(tmp_path / "DTSEN.xlsx", {"DTSEN": (headers, rows)})
    code, out, err = run("import_dtsen", str(path), "--partial", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["unmapped_columns"] == [{"sheet": "DTSEN", "column": "IDSEMESTA", "layout": "dtsen", "aid": False}]
    assert _enrollments() == {(KK_A, "pip", "WA NURI")}


def test_the_upload_preview_page_shows_the_aid_read_and_names_the_yes_no_column(bappeda_client, tmp_path):
    path = write_xlsx(tmp_path / "DTSEN.xlsx", {"DTSEN": (DTSEN, _dtsen_rows())})
    with open(path, "rb") as handle:
        bappeda_client.post(reverse("admin:households_importbatch_upload"), {"kind": "dtsen", "file": handle})
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.PREVIEWED
    assert [c["column"] for c in batch.counts["unmapped_columns"]] == ["IDSEMESTA", "KARTU LANSIA"]
    assert batch.counts["enrollments_planned"] == 2  # PKH and BPNT (Program Sembako) of the family
    page = html.unescape(bappeda_client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode())
    assert "Kolom 'KARTU LANSIA' berisi Ya/Tidak: bila ini kolom bantuan, petakan di Admin" in page
