"""A recipient row that the registry finds by its No KK alone is checked against the family it lands
on: a NIK that is nobody in the registry and a name that is none of the family's members is said,
not taken in silence. A NIK Excel damaged beside a good No KK is not needed (the reverse of a
damaged No KK beside a good NIK): a warning, the row matched by its No KK. Lists are written as
Kemensos distribution lists come (``;``-separated, ids behind an apostrophe, or as Excel's text
formula ``="..."``)."""

from __future__ import annotations

import datetime
import html
import json

import pytest
from django.urls import reverse

from households.identifiers import make_nik
from households.models import ImportBatch
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory, MemberFactory
from tests.households.realfiles import write_text

from .test_import_recipients import run

pytestmark = pytest.mark.django_db

KEMENSOS = ["NO", "NOKK", "NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL"]
# A NIK that no one in the registry holds: a woman born 05/03/1988 in Lembo.
STRANGER = "7409054503880007"


def _family(kk: str, serial: int, names: list[str]):
    head_nik = make_nik(region="740905", birth=datetime.date(1980, 1, 5), female=False, serial=serial)
    household = HouseholdFactory(p3ke_id=f"12200{serial:04d}", no_kk=kk, head_nik=head_nik, head_name=names[0])
    MemberFactory(household=household, nik=head_nik, relation="kepala", name=names[0])
    for number, name in enumerate(names[1:], 1):
        nik = make_nik(region="740905", birth=datetime.date(1985, 6, number), female=True, serial=serial + number)
        MemberFactory(household=household, nik=nik, relation="istri" if number == 1 else "anak", name=name)
    return household


@pytest.fixture
def families(reference):
    sudirman = _family("7409050101200011", 10, ["SUDIRMAN SARANANI", "WA ODE HASNIA", "RISKA AMALIA"])
    arfan = _family("7409050101200012", 20, ["LA ODE MUHAMMAD ARFAN", "SITTI RAHMA"])
    return sudirman, arfan


def kemensos(path, rows):
    return write_text(path, KEMENSOS, rows, separator=";")


def preview(client, path, program="pkh"):
    """The preview page of ``path`` uploaded as a recipient list of ``program``: (batch, page text)."""
    with open(path, "rb") as handle:
        client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code=program).pk,
        })
    batch = ImportBatch.objects.latest("pk")
    page = client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    return batch, html.unescape(page)


def warnings_of(batch, text):
    return [(w["row"], w["column"], w["reason"]) for w in batch.warnings if text in w["reason"]]


def test_a_row_found_by_its_no_kk_alone_whose_nik_and_name_are_no_one_of_that_family_is_warned(
    bappeda_client, families, tmp_path
):
    sudirman, arfan = families
    path = kemensos(tmp_path / "pkh_tahap1.csv", [
        [1, "'" + sudirman.no_kk, "'" + STRANGER, "WA ODE SITTI NURHALIZA", "TAHAP 1 2024", "PKH", "Rp 750.000"],
        # A NIK the registry does not know, but the name of the family's wife (spelled as lists do): no word.
        [2, "'" + arfan.no_kk, "'7409054101900003", "SITI RAHMAH", "TAHAP 1 2024", "PKH", "Rp 750.000"],
    ])
    batch, page = preview(bappeda_client, path)
    expected = (
        f"NIK {STRANGER} tidak ada di registri, dan nama 'WA ODE SITTI NURHALIZA' tidak cocok dengan anggota "
        f"keluarga No KK {sudirman.no_kk} (SUDIRMAN SARANANI, WA ODE HASNIA, RISKA AMALIA); penerima dicocokkan "
        "dengan No KK saja: periksa NIK dan No KK-nya"
    )
    assert warnings_of(batch, "tidak cocok dengan anggota keluarga") == [(2, "NIK", expected)]
    assert expected in page
    assert batch.errors == [] and batch.counts["enrollments_planned"] == 2

    # A warning: the row is kept, and enrolled on confirmation.
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    assert set(Enrollment.objects.values_list("household_id", "program__code", "year")) == {
        (sudirman.pk, "pkh", 2024), (arfan.pk, "pkh", 2024),
    }


def test_a_nik_that_matches_a_member_is_checked_as_before_not_against_the_family(families, tmp_path):
    sudirman, arfan = families
    wife = sudirman.members.get(relation="istri")
    path = kemensos(tmp_path / "pkh.csv", [
        [1, "'" + sudirman.no_kk, "'" + wife.nik, "WA ODE HASNIA", "TAHAP 1 2024", "PKH", "Rp 750.000"],
        # No NIK: the family its No KK finds is checked by name, and the head's name (spelled as lists do) fits.
        [2, "'" + arfan.no_kk, "", "LA ODE M. ARFAN", "TAHAP 1 2024", "PKH", "Rp 750.000"],
    ])
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["warnings"] == 0
    assert Enrollment.objects.count() == 2


def test_a_row_without_a_nik_whose_name_is_no_one_of_the_no_kks_family_is_warned(families, tmp_path):
    # A list by No KK and name only (no NIK column filled): a No KK copied from the row above lands on
    # another family, who would get the aid; the name tells.
    sudirman, arfan = families
    path = kemensos(tmp_path / "pkh.csv", [
        [1, "'" + arfan.no_kk, "", "ORANG LAIN SAMA SEKALI", "TAHAP 1 2024", "PKH", "Rp 750.000"],
    ])
    code, out, err = run("import_recipients", str(path), "--json")
    assert code == 0, (out, err)
    expected = (
        f"Nama 'ORANG LAIN SAMA SEKALI' tidak cocok dengan anggota keluarga No KK {arfan.no_kk} "
        "(LA ODE MUHAMMAD ARFAN, SITTI RAHMA); penerima dicocokkan dengan No KK saja: periksa No KK-nya"
    )
    assert warnings_of(ImportBatch.objects.latest("pk"), "tidak cocok dengan anggota keluarga") == [(2, "NAMA", expected)]
    assert Enrollment.objects.filter(household=arfan).count() == 1  # a warning: the row is kept


def scientific(identifier: str) -> str:
    """A 16-digit id as a CSV saved from Excel writes a number cell: ``7.40905030157E+15``."""
    return "%.11E" % float(identifier)


@pytest.mark.parametrize("shape, reason", [
    (scientific, "NIK rusak oleh Excel (tersimpan sebagai angka, digit terakhir hilang); ketik ulang sebagai teks. "),
    (lambda identifier: identifier[:14], "NIK harus 16 digit, bukan 14 digit"),  # the cell lost its last digits
])
def test_a_damaged_nik_beside_a_good_no_kk_is_a_warning_and_the_row_matched_by_the_no_kk(
    bappeda_client, families, tmp_path, shape, reason
):
    sudirman, arfan = families
    path = kemensos(tmp_path / "pkh.csv", [
        [1, "'" + sudirman.no_kk, shape(sudirman.head_nik), "SUDIRMAN SARANANI", "TAHAP 3 2024", "PKH", "Rp 750.000"],
        [2, "'" + arfan.no_kk, "'" + arfan.head_nik, "LA ODE MUHAMMAD ARFAN", "TAHAP 3 2024", "PKH", "Rp 750.000"],
    ])
    batch, page = preview(bappeda_client, path)
    assert batch.errors == [], batch.errors
    warned = warnings_of(batch, "NIK ini tidak dipakai")
    assert [(row, column) for row, column, _ in warned] == [(2, "NIK_KTP")]
    assert warned[0][2].startswith(reason)
    assert warned[0][2].endswith("NIK ini tidak dipakai: penerima dicocokkan dengan No KK-nya")
    assert warned[0][2] in page
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    assert set(Enrollment.objects.values_list("household_id", "member_id", "year")) == {
        (sudirman.pk, None, 2024), (arfan.pk, None, 2024),
    }


def test_a_damaged_nik_beside_a_no_kk_of_no_family_or_for_a_person_program_is_still_an_error(families, tmp_path):
    sudirman, arfan = families
    damaged = scientific(sudirman.head_nik)
    path = kemensos(tmp_path / "pkh.csv", [
        [1, "'7409050101209999", damaged, "SUDIRMAN SARANANI", "TAHAP 3 2024", "PKH", "Rp 750.000"],
        [2, "", scientific(arfan.head_nik), "LA ODE MUHAMMAD ARFAN", "TAHAP 3 2024", "PKH", "Rp 750.000"],
    ])
    code, out, _ = run("import_recipients", str(path))
    assert code == 1
    assert "baris 2, NIK_KTP: NIK rusak oleh Excel (tersimpan sebagai angka, digit terakhir hilang)" in out
    assert "baris 2, NIK: Penerima tidak ditemukan di registri (No KK 7409050101209999)" in out
    assert "baris 3, NIK_KTP: NIK rusak oleh Excel" in out
    assert not Enrollment.objects.exists()

    # PIP is given to a person: the family's No KK does not say which member.
    path = kemensos(tmp_path / "pip.csv", [
        [1, "'" + sudirman.no_kk, damaged, "RISKA AMALIA", "2024", "PIP", "Rp 450.000"],
    ])
    code, out, _ = run("import_recipients", str(path))
    assert code == 1
    assert "baris 2, NIK_KTP: NIK rusak oleh Excel" in out
    assert not Enrollment.objects.exists()


def test_ids_written_as_excels_text_formula_are_read_as_the_text_inside(families, tmp_path):
    sudirman, arfan = families
    path = kemensos(tmp_path / "pkh.csv", [
        [1, f'="{sudirman.no_kk}"', f'="{sudirman.head_nik}"', "SUDIRMAN SARANANI", "TAHAP 3 2024", "PKH", "Rp 750.000"],
        [2, f'="{arfan.no_kk}"', "", "LA ODE MUHAMMAD ARFAN", "TAHAP 3 2024", "PKH", "Rp 750.000"],
    ])
    code, out, err = run("import_recipients", str(path), "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert result["errors"] == 0 and result["warnings"] == 0
    assert set(Enrollment.objects.values_list("household_id", "year")) == {(sudirman.pk, 2024), (arfan.pk, 2024)}
