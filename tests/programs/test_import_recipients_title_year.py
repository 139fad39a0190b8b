"""A list whose year is written only in its title rows ("DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA.
2024" above the header), as agencies print them: the rows are of that year, not the current one,
and the import says where the year came from. A title naming two years is no guess."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from openpyxl import Workbook

from households.models import ImportBatch
from programs.models import Enrollment
from tests.factories import MemberFactory

from .test_import_recipients import family, run  # noqa: F401 - the registry's two households

pytestmark = pytest.mark.django_db

HEADERS = ["NO", "NAMA PETANI", "NIK", "KELOMPOK TANI", "JENIS BIBIT", "JUMLAH (BATANG)"]


def bibit(path, titles: list[str], people, stage=""):
    """Dinas Pertanian's list of ``people`` (members), one sheet per kecamatan, each under ``titles``;
    a TAHAP column only with a ``stage``."""
    book = Workbook()
    book.remove(book.active)
    for name in ("Kec. Asera", "Kec. Langgikima"):
        sheet = book.create_sheet(name)
        for title in titles:
            sheet.append([title])
        sheet.append([])
        sheet.append([*HEADERS, "TAHAP"] if stage else HEADERS)
        for number, person in enumerate(people, 1):
            sheet.append([number, person.name, person.nik, "Poktan Maju", "Kakao", 500, *([stage] if stage else [])])
        people = people[:0]  # the second sheet's kecamatan: no one of the registry's two families
    book.save(path)
    return path


def imported(path, *args):
    code, out, err = run("import_recipients", str(path), "--program", "bibit", "--json", *args)
    assert code == 0, (out, err)
    result = json.loads(out)
    return result, [(w["sheet"], w["row"], w["reason"]) for w in ImportBatch.objects.get(pk=result["batch"]).warnings]


@pytest.mark.parametrize("title", [
    "DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2024", "DAFTAR PENERIMA BANTUAN BIBIT KAKAO T.A 2024",
    "DAFTAR PENERIMA BANTUAN BIBIT KAKAO TAHUN 2024", "DAFTAR PENERIMA BANTUAN BIBIT KAKAO TAHUN ANGGARAN 2024",
    "DAFTAR PENERIMA BANTUAN BIBIT KAKAO 2024",
])
def test_the_year_of_a_list_is_read_from_its_title(family, tmp_path, title):  # noqa: F811
    household, head, child, other = family
    path = bibit(tmp_path / "bibit.xlsx", [title, "DINAS PERTANIAN KABUPATEN KONAWE UTARA"], [head])
    result, warnings = imported(path)
    assert list(Enrollment.objects.values_list("household_id", "program__code", "year")) == [(household.pk, "bibit", 2024)]
    assert ("Kec. Asera", 0, f"Tahun tidak ada di baris data; dipakai tahun 2024 dari judul lembar (baris 1: '{title}')") in warnings
    assert not [w for w in warnings if "Tahun tidak ada di berkas" in w[2]]
    assert result["data_year"] == 2024


def test_a_stage_without_its_year_takes_the_titles_year(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    path = bibit(tmp_path / "bibit.xlsx", ["DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2024"], [head], stage="TAHAP II")
    imported(path)
    assert list(Enrollment.objects.values_list("year", "stages")) == [(2024, "TAHAP 2 2024")]


def test_a_title_naming_another_year_than_the_chosen_one_is_warned_and_the_choice_kept(family, tmp_path):  # noqa: F811
    """The title is the rows' year when nothing else gives one; against a chosen year it is only a
    warning: a title also names a decree's year or a data date, the operator's choice is deliberate."""
    household, head, child, other = family
    title = "DAFTAR PENERIMA BPNT TAHUN 2024"
    path = bibit(tmp_path / "chosen.xlsx", [title, "DINAS SOSIAL KABUPATEN KONAWE UTARA"], [head])
    result, warnings = imported(path, "--year", "2023")
    assert list(Enrollment.objects.values_list("year", flat=True)) == [2023]
    reason = (
        f"Judul lembar menyebut tahun 2024 (baris 1: '{title}'), berbeda dengan tahun yang dipilih (2023); dipakai "
        "2023: periksa pilihan tahunnya"
    )
    assert ("Kec. Asera", 0, reason) in warnings and ("Kec. Langgikima", 0, reason) in warnings

    Enrollment.objects.all().delete()
    result, warnings = imported(path, "--year", "2024")
    assert list(Enrollment.objects.values_list("year", flat=True)) == [2024]
    assert not [w for w in warnings if w[2].startswith("Judul lembar menyebut tahun")]


def test_a_title_naming_two_years_agrees_with_either_as_the_chosen_one(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    titles = ["DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2023", "PERUBAHAN TAHUN 2024"]
    path = bibit(tmp_path / "two.xlsx", titles, [head])
    result, warnings = imported(path, "--year", "2025")
    assert list(Enrollment.objects.values_list("year", flat=True)) == [2025]
    assert ("Kec. Asera", 0, (
        f"Judul lembar menyebut tahun 2023 (baris 1: '{titles[0]}'), 2024 (baris 2: '{titles[1]}'), berbeda dengan "
        "tahun yang dipilih (2025); dipakai 2025: periksa pilihan tahunnya"
    )) in warnings
    Enrollment.objects.all().delete()
    result, warnings = imported(path, "--year", "2023")
    assert list(Enrollment.objects.values_list("year", flat=True)) == [2023]
    assert not [w for w in warnings if w[2].startswith("Judul lembar menyebut tahun")]


def test_a_title_with_two_years_is_no_guess(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    this_year = timezone.localdate().year
    path = bibit(tmp_path / "two.xlsx", ["DAFTAR PENERIMA BANTUAN BIBIT KAKAO TA. 2023", "PERUBAHAN TAHUN 2024"], [child])
    result, warnings = imported(path)
    assert Enrollment.objects.filter(year=this_year).count() == 1
    expected = (
        f"Tahun tidak ada di berkas maupun formulir; dipakai tahun {this_year} (judul lembar menyebut lebih dari satu "
        "tahun: 2023, 2024; pilih tahunnya di formulir)"
    )
    assert ("Kec. Asera", 0, expected) in warnings


def test_a_stage_without_its_year_under_a_title_naming_two_years_asks_for_the_year_once(family, tmp_path):  # noqa: F811
    household, head, child, other = family
    second = MemberFactory(household=other, nik=other.head_nik, relation="kepala", name="LAIN")
    path = bibit(tmp_path / "two.xlsx", ["DAFTAR PENERIMA BANTUAN BIBIT TAHUN 2023/2024"], [head, second], stage="Tahap Satu")
    code, out, err = run("import_recipients", str(path), "--program", "bibit", "--json")
    assert code != 0 and Enrollment.objects.count() == 0
    errors = ImportBatch.objects.latest("pk").errors
    assert [(e["sheet"], e["row"], e["column"], e["reason"]) for e in errors] == [(
        "Kec. Asera", 0, "TAHAP",
        "Judul lembar menyebut lebih dari satu tahun (2023, 2024) dan kolom TAHAP tidak menyebut tahunnya: pilih "
        "tahunnya (--year, atau Tahun di formulir unggah), atau tulis tahun di kolom TAHAP (mis. Tahap 1 2024)",
    )], errors

    code, out, err = run("import_recipients", str(path), "--program", "bibit", "--json", "--year", "2024")
    assert code == 0, ImportBatch.objects.latest("pk").errors
    assert sorted(Enrollment.objects.values_list("year", "stages")) == [(2024, "TAHAP 1 2024"), (2024, "TAHAP 1 2024")]
