"""The NIK and the No KK under the titles offices give them: the official long form (``Nomor Induk
Kependudukan``), the card (``NIK/No. KTP``), a note of the length (``NIK (16 digit)``), the usual
abbreviation (``NKK``), the head named after the family's No KK (``No KK Kepala``). Read as NIK and
No KK in recipient lists, DTKS and P3KE sheets alike; another person's NIK (``NIK Ibu``, the head's on
a member's row) and a lone ``No`` are not. A file whose ids nothing recognises is refused naming the
titles it has and the admin screen that maps them. Each file is built here."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from households.models import ColumnMapping, Household, ImportBatch, Member
from programs.models import Enrollment, Program

from ..programs.test_import_recipients import family, run  # noqa: F401 - the registry's two households
from ..programs.test_import_recipients_real import workbook
from .conftest import HH_2023, IND_2023, head_member_row, household_row, member_row, nik, write_xlsx
from .realfiles import SIKS_DTKS, siks_rows
from .test_import_real_files import imports_both_families

pytestmark = pytest.mark.django_db


def registry():
    return (
        sorted(Household.objects.values_list("no_kk", "head_nik", "head_name")),
        sorted(Member.objects.values_list("nik", "name", "relation")),
        sorted(Enrollment.objects.values_list("household_id", "member_id", "program__code", "year")),
    )


@pytest.mark.parametrize("nik_title", [
    "Nomor Induk Kependudukan", "No. Induk Kependudukan", "NIK/No. KTP", "NIK (16 digit)",
    "NOMOR INDUK KEPENDUDUKAN (NIK)", "No. KTP",
])
def test_a_pupils_list_names_its_pupil_by_the_nik_however_titled(family, tmp_path, nik_title):  # noqa: F811
    """A PIP list was refused row by row ("NIK penerima harus NIK anggota keluarga") although the
    pupil's NIK was in the file; the mother's NIK and name beside it are no pupil's, and are said."""
    household, head, child, other = family
    path = workbook(tmp_path / "pip.xlsx", {"DATA": [
        ["No", nik_title, "Nomor Kartu Keluarga", "Nama", "NIK Ibu", "Nama Ibu Kandung"],
        [1, child.nik, household.no_kk, child.name, head.nik, "KEPALA"],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "pip", "--year", "2024", "--json")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0, summary
    assert {"NIK Ibu", "Nama Ibu Kandung"} <= {c["column"] for c in summary["unmapped_columns"]}, summary
    assert list(Enrollment.objects.values_list("member__nik", "program__code", "year")) == [(child.nik, "pip", 2024)]


@pytest.mark.parametrize("kk_title", ["NKK", "No KK Kepala", "NO. KK KEPALA KELUARGA"])
def test_a_family_list_finds_the_family_by_its_no_kk_however_titled(family, tmp_path, kk_title):  # noqa: F811
    """``NKK`` was not read (the list refused as having no NIK or No KK column); ``No. KK Kepala
    Keluarga`` was taken for the head's NIK, the No KK in it refused as no NIK."""
    household, head, child, other = family
    path = workbook(tmp_path / "pkh.xlsx", {"DATA": [
        ["NO", kk_title, "NAMA KEPALA KELUARGA", "NOMINAL"],
        [1, household.no_kk, "KEPALA", "750000"],
        [2, other.no_kk, "LAIN", "750000"],
    ]})
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2024", "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["errors"] == 0
    assert set(Enrollment.objects.values_list("household__no_kk", "program__code", "amount")) == {
        (household.no_kk, "pkh", 750000), (other.no_kk, "pkh", 750000),
    }


def test_a_dtks_file_with_nkk_and_the_long_nik_title(reference, tmp_path):
    """A village's DTKS file was refused: "baris judul kolom DTKS tidak ditemukan". The head's NIK
    repeated on each member's row (``NIK Kepala Keluarga``) is not the member's own."""
    headers = [{"NOKK": "NKK", "NIK": "NOMOR INDUK KEPENDUDUKAN"}.get(h, h) for h in SIKS_DTKS] + ["NIK KEPALA KELUARGA"]
    rows = siks_rows()
    heads = {row[6]: row[7] for row in rows if row[11] == "KEPALA KELUARGA"}
    rows = [dict(zip(headers, [*row, heads[row[6]]])) for row in rows]
    path = write_xlsx(tmp_path / "DTKS_DESA.xlsx", {"DTKS": (headers, rows)})
    summary = imports_both_families(path)
    assert [c["column"] for c in summary["unmapped_columns"]] == ["NIK KEPALA KELUARGA"], summary
    assert list(Member.objects.filter(nik=nik(302, female=True)).values_list("name", "household__no_kk")) == [
        ("WA ODE SITTI", rows[0]["NKK"]),
    ]


def test_a_p3ke_individual_sheet_with_the_long_nik_title(reference, tmp_path):
    headers = ["Nomor Induk Kependudukan" if h == "NIK" else h for h in IND_2023]
    assert headers != IND_2023
    rows = [
        {("Nomor Induk Kependudukan" if k == "NIK" else k): v for k, v in row.items()}
        for row in (head_member_row("122000001", "91220000011", 100), member_row("122000001", "91220000012", 500))
    ]
    path = write_xlsx(tmp_path / "p3ke.xlsx", {
        "KEPALA-KELUARGA": (HH_2023, [household_row("122000001", 100)]), "INDIVIDU": (headers, rows),
    })
    code, out, err = run("import_p3ke", str(path), "--json", "--partial")
    summary = json.loads(out)
    assert code == 0, (out, err)
    assert summary["errors"] == 0 and summary["members"]["created"] == 2, summary
    assert set(Member.objects.values_list("nik", flat=True)) == {row["Nomor Induk Kependudukan"] for row in rows}


LONG_TITLE = "KETERANGAN TAMBAHAN DARI OPERATOR DESA TENTANG KONDISI RUMAH TANGGA"


def test_a_dtks_file_whose_ids_nothing_recognises_names_its_titles_and_the_mapping_screen(reference, tmp_path):
    """The refusal named neither the file's titles nor where to map them; it names both, the long
    title shortened. Mapped there, the file is read."""
    titles = {"NOKK": "NOMOR KELUARGA", "NIK": "NOMOR PENDUDUK", "IDDTKS": "NO URUT DTKS"}
    headers = [titles.get(h, h) for h in SIKS_DTKS] + [LONG_TITLE]
    rows = [dict(zip(headers, row)) for row in siks_rows()]
    path = write_xlsx(tmp_path / "DTKS_DESA.xlsx", {"DTKS": (["DATA DESA WANGGUDU RAYA"], []), "DATA": (headers, rows)})
    before = registry()

    code, out, err = run("import_dtks", str(path), "--json")

    assert code == 2, (out, err)
    assert registry() == before
    assert "DTKS_DESA.xlsx: baris judul kolom DTKS tidak ditemukan: tidak ada kolom Nomor KK atau NIK yang dikenali" in err
    assert "Judul kolom yang terbaca: lembar DTKS baris 1: 'DATA DESA WANGGUDU RAYA'; lembar DATA baris 1: 'NO URUT DTKS', " in err
    assert "'NOMOR KELUARGA', 'NOMOR PENDUDUK', 'NAMA'" in err and "dan 5 judul lain" in err
    assert "petakan judul itu di Admin, Pemetaan kolom impor (jenis tabel DTKS), lalu unggah lagi" in err

    ColumnMapping.objects.create(layout="dtks", header="nomor keluarga", field="no_kk")
    ColumnMapping.objects.create(layout="dtks", header="nomor penduduk", field="nik")
    imports_both_families(path)


def test_a_long_title_is_shortened_in_the_refusal(reference, tmp_path):
    path = workbook(tmp_path / "penerima.xlsx", {"DATA": [["NO", "NOMOR PENDUDUK", LONG_TITLE], [1, nik(1), "x"]]})
    code, out, err = run("import_recipients", str(path), "--program", "pkh", "--year", "2024")
    assert code == 2, (out, err)
    assert f"lembar DATA baris 1: 'NO', 'NOMOR PENDUDUK', '{LONG_TITLE[:39]}…'" in err
    assert LONG_TITLE not in err
    assert "(jenis tabel Daftar penerima OPD)" in err


def test_the_upload_page_previews_a_list_titled_nomor_induk_kependudukan(bappeda_client, family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = workbook(tmp_path / "pip.xlsx", {"DATA": [
        ["Nomor Induk Kependudukan", "NKK", "Nama"], [child.nik, household.no_kk, child.name],
    ]})
    with open(path, "rb") as handle:
        response = bappeda_client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code="pip").pk, "data_year": 2024,
        })
    batch = ImportBatch.objects.get()
    assert response.status_code == 302, response.content.decode()[:3000]
    page = bappeda_client.get(response["Location"]).content.decode()
    assert "Konfirmasi impor" in page and "NIK penerima harus NIK anggota keluarga" not in page
    assert batch.errors == [] and batch.counts["enrollments_planned"] == 1, batch.counts

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "applied", batch.message
    assert list(Enrollment.objects.values_list("member__nik", "program__code", "year", "batch_id")) == [
        (child.nik, "pip", 2024, batch.pk),
    ]


def test_a_dtks_sheet_without_a_no_kk_column_names_the_titles_not_recognised(reference, tmp_path):
    """A sheet found by its ID DTKS, whose No KK has a title not known: the refusal names that title."""
    headers = [{"NOKK": "NOMOR KELUARGA"}.get(h, h) for h in SIKS_DTKS]
    path = write_xlsx(tmp_path / "DTKS_DESA.xlsx", {"DATA": (headers, [dict(zip(headers, row)) for row in siks_rows()])})
    code, out, err = run("import_dtks", str(path), "--json")
    assert code == 2, (out, err)
    assert "lembar DATA: tidak ada kolom Nomor KK (baris judul kolom: baris 1; judul yang tidak dikenali: 'NOMOR KELUARGA')" in err
    assert "petakan di Admin, Pemetaan kolom impor (jenis tabel DTKS)" in err
    assert not Household.objects.exists()


def test_a_pupils_list_without_a_nik_says_so_and_where_to_map_its_column(family, tmp_path):  # noqa: F811
    """A row found by its No KK alone was told its NIK "must be a member's NIK", though it had none read."""
    household, head, child, other = family
    path = workbook(tmp_path / "pip.xlsx", {"DATA": [["NOMOR PENDUDUK", "NO KK", "NAMA"], [child.nik, household.no_kk, child.name]]})
    code, out, err = run("import_recipients", str(path), "--program", "pip", "--year", "2024")
    assert code == 1, (out, err)
    assert "Program perorangan: baris ini tidak berisi NIK penerima (keluarganya ditemukan lewat No KK saja)" in out
    assert "petakan judul itu di Admin, Pemetaan kolom impor (jenis tabel Daftar penerima OPD)" in out
    assert not Enrollment.objects.exists()
