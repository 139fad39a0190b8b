"""A province registry's full extract covers the regencies its rows are in: P3KE and DTKS extracts
are handed out per kabupaten, and one regency's file marks absent only the families of that regency
it lacks. The families of the other regencies are left as they are, and the preview, the
confirmation and the result say so."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Household, ImportBatch, ImportStatus

from .conftest import DTKS, household_row, nik, write_xlsx
from .test_import_admin import upload
from .test_import_bad_input import run
from .test_import_regions import konawe_family

pytestmark = pytest.mark.django_db

ONLY_KONUT = "Berkas ini hanya memuat Kabupaten Konawe Utara: keluarga di 16 kabupaten/kota lain tidak diubah."


@pytest.fixture
def registry(province, p3ke_file):
    """Three families of Konawe Utara and two of Konawe, from a full extract of the province."""
    konut = [household_row(str(122100001 + i), 100 + i) for i in range(3)]
    konawe = [konawe_family(str(122200001 + i), 300 + 2 * i)[0] for i in range(2)]
    code, out, err = run("import_p3ke", str(p3ke_file(households=konut + konawe, members=[], name="sultra.xlsx")))
    assert code == 0, out + err
    return konut


def konawe_present() -> int:
    return Household.objects.filter(desa__kecamatan__kabupaten__code="74.02", is_absent=False).count()


def test_one_regencys_full_extract_marks_absent_only_that_regencys_families(registry, p3ke_file):
    path = str(p3ke_file(households=registry[:1], members=[], name="konut.xlsx"))
    code, out, err = run("import_p3ke", path)
    # Two of the three families of Konawe Utara: the count is of that regency's families.
    assert code == 2
    assert "2 keluarga akan ditandai tidak ada di data terbaru (dari 3 keluarga saat ini)." in err
    assert ONLY_KONUT in err
    assert not Household.objects.filter(is_absent=True).exists()

    code, out, err = run("import_p3ke", path, "--dry-run")
    assert code == 0 and ONLY_KONUT in out

    code, out, err = run("import_p3ke", path, "--confirm-absent", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert result["households"]["absent"] == 2 and ONLY_KONUT in result["message"]
    assert konawe_present() == 2
    assert set(Household.objects.filter(is_absent=True).values_list("p3ke_id", flat=True)) == {"122100002", "122100003"}


def test_a_file_of_two_regencies_covers_both(registry, p3ke_file):
    konawe, _members = konawe_family("122200001", 300)
    code, out, err = run(
        "import_p3ke", str(p3ke_file(households=[*registry, konawe], members=[], name="two.xlsx")), "--confirm-absent", "--json"
    )
    result = json.loads(out)
    assert code == 0, err
    assert result["households"]["absent"] == 1 and konawe_present() == 1
    assert (
        "Berkas ini hanya memuat Kabupaten Konawe, Kabupaten Konawe Utara: keluarga di 15 kabupaten/kota lain tidak "
        "diubah." in result["message"]
    )


def test_the_admin_preview_and_result_name_the_regency(registry, p3ke_file, bappeda_client):
    upload(bappeda_client, p3ke_file(households=registry[:1], members=[], name="konut.xlsx"), full_extract="on")
    batch = ImportBatch.objects.latest("pk")
    preview = reverse("admin:households_importbatch_preview", args=[batch.pk])
    page = " ".join(re.sub(r"<[^>]+>", " ", bappeda_client.get(preview).content.decode()).split())
    assert "2 keluarga akan ditandai tidak ada di data terbaru (dari 3 keluarga saat ini)." in page
    assert ONLY_KONUT in page

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]), {"confirm_absent": "1"})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and batch.counts["households"]["absent"] == 2
    page = " ".join(re.sub(r"<[^>]+>", " ", bappeda_client.get(preview).content.decode()).split())
    assert ONLY_KONUT in page
    assert konawe_present() == 2


def test_a_dtks_full_extract_of_one_regency(province, tmp_path):
    def person(kk, serial, region, place):
        return {
            "ID DTKS": f"D{serial}", **place, "Nomor KK": kk, "Nomor NIK": nik(serial, region=region),
            "Nama": f"KEPALA {serial}", "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki",
            "Hubungan Keluarga": "KEPALA KELUARGA",
        }

    konut_place = {"Kabupaten/Kota": "KONAWE UTARA", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya"}
    konawe_place = {"Kabupaten/Kota": "KONAWE", "Kecamatan": "Lambuya", "Desa/Kelurahan": "Awuliti"}
    konut = [person(f"74090101012000{i + 1:02d}", 40 + i, "740901", konut_place) for i in range(4)]
    konawe = [person(f"74020101012000{i + 1:02d}", 60 + i, "740201", konawe_place) for i in range(3)]
    path = str(write_xlsx(tmp_path / "a.xlsx", {"DTKS": (DTKS, konut + konawe)}))
    assert run("import_dtks", path, "--year", "2024")[0] == 0
    path = str(write_xlsx(tmp_path / "b.xlsx", {"DTKS": (DTKS, konut[:2])}))
    code, out, err = run("import_dtks", path, "--year", "2024", "--confirm-absent", "--json")
    assert code == 0, err
    assert json.loads(out)["households"]["absent"] == 2 and ONLY_KONUT in json.loads(out)["message"]
    assert konawe_present() == 3


def test_a_partial_file_names_the_regencies_it_covers_too(registry, p3ke_file, bappeda_client):
    """A partial file (a regency's update, a list of new families) marks no family absent, but the
    province's operator still reads on the import's page which regencies it touched."""
    path = str(p3ke_file(households=registry[:1], members=[], name="konut-sebagian.xlsx"))
    code, out, err = run("import_p3ke", path, "--partial", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert result["households"]["absent"] == 0 and ONLY_KONUT in result["message"]
    batch = ImportBatch.objects.latest("pk")
    page = " ".join(re.sub(r"<[^>]+>", " ", bappeda_client.get(reverse("households:import_status", args=[batch.pk])).content.decode()).split())
    assert ONLY_KONUT in page


def _headers(page: str) -> list[str]:
    """The column headers of the page's list of batches."""
    thead = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S)]


def _cells_of(page: str, name: str) -> str:
    """The text of the list row of the batch of file ``name``."""
    start = page.index(f">{name}<")
    row = page[page.rfind("<tr", 0, start):page.index("</tr>", start)]
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S))


def test_the_import_lists_name_the_regencies_each_batch_covered(registry, p3ke_file, bappeda_client):
    """Both lists of batches (the admin's and the import page) have a Kabupaten/kota column, read
    from what each batch recorded: no query per row."""
    path = str(p3ke_file(households=registry[:1], members=[], name="konut-sebagian.xlsx"))
    assert run("import_p3ke", path, "--partial")[0] == 0
    for url in (reverse("admin:households_importbatch_changelist"), reverse("households:import_list")):
        with CaptureQueriesContext(connection) as two:
            page = bappeda_client.get(url).content.decode()
        assert "Kabupaten/kota" in _headers(page), url
        assert "Kabupaten Konawe, Kabupaten Konawe Utara" in _cells_of(page, "sultra.xlsx")
        konut_only = _cells_of(page, "konut-sebagian.xlsx")
        assert "Kabupaten Konawe Utara" in konut_only and "Kabupaten Konawe," not in konut_only
        assert run("import_p3ke", path, "--partial")[0] == 0
        with CaptureQueriesContext(connection) as three:
            assert bappeda_client.get(url).status_code == 200
        assert len(three) == len(two), url


def test_the_import_lists_say_when_a_batch_covered_every_regency(reference, p3ke_file, bappeda_client, settings):
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    konawe, _members = konawe_family("122200001", 300)
    path = str(p3ke_file(households=[household_row("122100001", 100), konawe], members=[], name="dua.xlsx"))
    code, out, err = run("import_p3ke", path)
    assert code == 0, err
    assert "Berkas ini hanya memuat" not in out
    for url in (reverse("admin:households_importbatch_changelist"), reverse("households:import_list")):
        assert "Semua kabupaten/kota" in _cells_of(bappeda_client.get(url).content.decode(), "dua.xlsx"), url


def test_with_one_regency_the_import_lists_have_no_regency_column(reference, p3ke_file, bappeda_client):
    assert run("import_p3ke", str(p3ke_file(name="konut.xlsx")))[0] == 0
    for url in (reverse("admin:households_importbatch_changelist"), reverse("households:import_list")):
        page = bappeda_client.get(url).content.decode()
        assert ">konut.xlsx<" in page and "Kabupaten/kota" not in _headers(page), url


def test_a_full_extract_reads_the_stored_families_once(registry, p3ke_file):
    """The keys, the families the confirmation counts and the regencies of those the file skips or
    lacks come from one pass over the stored families, not one each: a province's registry is read
    once per import."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [dict(row) for row in registry[:2]]
    rows[1]["Desil Kesejahteraan"] = 3  # one changed, one skipped as unchanged, one lacking
    path = str(p3ke_file(households=rows, members=[], name="konut.xlsx"))
    with CaptureQueriesContext(connection) as queries:
        code, out, err = run("import_p3ke", path, "--confirm-absent", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["households"] == {"created": 0, "updated": 1, "unchanged": 1, "absent": 1}
    assert ONLY_KONUT in result["message"] and konawe_present() == 2
    passes = [
        q["sql"] for q in queries.captured_queries
        if "SELECT" in q["sql"] and 'FROM "households_household"' in q["sql"]  # PostgreSQL streams it: DECLARE ... SELECT
        and '"merged_into_id" IS NULL' in q["sql"] and " IN (" not in q["sql"] and "COUNT(*)" not in q["sql"]
    ]
    assert len(passes) == 1, passes
