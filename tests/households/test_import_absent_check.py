"""The re-sync trap: a full extract that would mark many families absent (more than 5% of the current
ones), or any family when the file is older than the registry's data, is applied only after an
explicit confirmation that shows the count; without it nothing at all is written."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from households.imports.plan import absent_warning
from households.models import Household, ImportBatch, ImportStatus, Member

from .conftest import DTKS, HH_2022, household_row, nik, write_xlsx
from .test_import_admin import upload
from .test_import_bad_input import registry_state, run

pytestmark = pytest.mark.django_db

CURRENT = 40


@pytest.fixture
def registry(reference, p3ke_file, tmp_path):
    """40 families of the 2022 release, as the registry holds them, three of which (a kecamatan's
    share) the 2023 release has updated since: the registry's data is of 2023."""
    households = [household_row(str(122100001 + i), 100 + i) for i in range(CURRENT)]
    code, out, err = run("import_p3ke", str(release_2022(tmp_path, households, name="registry_2022.xlsx")))
    assert code == 0, out + err
    code, out, err = run("import_p3ke", str(p3ke_file(households=households[:3], members=[], name="2023.xlsx")), "--partial")
    assert code == 0, out + err
    return households


def release_2022(tmp_path, households, name="2022.xlsx"):
    """The same families as a 2022 household sheet (the 2022 release's own headers)."""
    rows = [
        {
            "ID Keluarga P3KE": row["ID Keluarga P3KE"], "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya",
            "Kode Kemdagri": "7409012006", "Desil Kesejahteraan": "2", "Kepala Keluarga": row["Nama Kepala Keluarga"],
            "NIK": row["NIK Kepala Keluarga"], "Jenis Kelamin": "Laki-laki", "Tanggal Lahir": "1980-01-05",
        }
        for row in households
    ]
    return write_xlsx(tmp_path / name, {"KEPALA-KELUARGA": (HH_2022, rows)})


def test_an_older_full_extract_is_refused_without_confirmation_and_writes_nothing(registry, tmp_path):
    path = str(release_2022(tmp_path, registry[:3]))
    before = registry_state()
    code, out, err = run("import_p3ke", path)
    assert code == 2
    assert "37 keluarga akan ditandai tidak ada di data terbaru (dari 40 keluarga saat ini)." in err
    assert "Berkas ini data tahun 2022, lebih lama dari data terbaru di registri (2023)." in err
    assert "--confirm-absent" in err and "--partial" in err and "tidak ada data yang diubah" in err
    assert registry_state() == before  # no absent mark, and not one value of the older file either
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.REFUSED and batch.counts["absent_check"]["households"] == 37

    # A preview says the same and exits 0 (nothing is ever written by it).
    code, out, err = run("import_p3ke", path, "--dry-run")
    assert code == 0 and "Perlu konfirmasi (--confirm-absent): 37 keluarga akan ditandai" in out

    # As a partial extract it is applied, and nothing is marked absent.
    code, out, err = run("import_p3ke", path, "--partial", "--json")
    assert code == 0 and json.loads(out)["households"]["absent"] == 0, err
    assert not Household.objects.filter(is_absent=True).exists()


def test_an_older_full_extract_marks_absent_only_with_confirm_absent(registry, tmp_path):
    code, out, err = run("import_p3ke", str(release_2022(tmp_path, registry[:3])), "--confirm-absent", "--json")
    result = json.loads(out)
    assert code == 0, err
    assert result["households"]["absent"] == 37 and result["absent_check"]["older"] is True
    assert Household.objects.filter(is_absent=True).count() == 37


def test_an_older_file_needs_confirmation_even_for_one_family(registry, tmp_path):
    code, out, err = run("import_p3ke", str(release_2022(tmp_path, registry[:-1])))
    assert code == 2 and "1 keluarga akan ditandai tidak ada di data terbaru" in err
    assert not Household.objects.filter(is_absent=True).exists()


def test_a_newer_full_extract_missing_a_few_families_needs_no_confirmation(registry, p3ke_file):
    # 2 of 40 is 5%, not more: the usual re-sync goes through as before.
    households = registry[:-2]
    code, out, err = run("import_p3ke", str(p3ke_file(households=households, members=[], name="b.xlsx")), "--json")
    assert code == 0, err
    assert json.loads(out)["households"]["absent"] == 2 and "absent_check" not in json.loads(out)
    # 3 of the 38 still current is more than 5%: refused until confirmed.
    code, out, err = run("import_p3ke", str(p3ke_file(households=households[:-3], members=[], name="c.xlsx")))
    assert code == 2 and "3 keluarga akan ditandai tidak ada di data terbaru (dari 38 keluarga saat ini)." in err
    assert Household.objects.filter(is_absent=True).count() == 2


def test_dtks_command_refuses_the_same_way(reference, tmp_path):
    def person(kk, serial, name):
        return {
            "ID DTKS": f"D{serial}", "Kecamatan": "Asera", "Desa/Kelurahan": "Wanggudu Raya", "Nomor KK": kk,
            "Nomor NIK": nik(serial), "Nama": name, "Tanggal Lahir": "05-01-1980", "Jenis Kelamin": "Laki-laki",
            "Hubungan Keluarga": "KEPALA KELUARGA",
        }

    families = [person(f"74090101012000{i + 1:02d}", 40 + i, f"KEPALA {i}") for i in range(10)]
    code, out, err = run("import_dtks", str(write_xlsx(tmp_path / "a.xlsx", {"DTKS": (DTKS, families)})), "--year", "2024")
    assert code == 0, out + err
    path = str(write_xlsx(tmp_path / "b.xlsx", {"DTKS": (DTKS, families[:5])}))
    code, out, err = run("import_dtks", path, "--year", "2024")
    assert code == 2 and "5 keluarga akan ditandai tidak ada di data terbaru (dari 10 keluarga saat ini)." in err
    assert not Household.objects.filter(is_absent=True).exists()
    code, out, err = run("import_dtks", path, "--year", "2024", "--confirm-absent")
    assert code == 0 and Household.objects.filter(is_absent=True).count() == 5


def test_the_warning_uses_thousands_separators():
    check = {"households": 3000, "members": 9500, "current": 3300, "data_year": 2022, "registry_year": 2023, "older": True}
    with translation.override("id"):
        text = absent_warning(check)
    assert text.startswith("3.000 keluarga akan ditandai tidak ada di data terbaru (dari 3.300 keluarga saat ini).")
    assert "9.500 anggota keluarga juga akan ditandai tidak ada." in text


# --- the admin upload -------------------------------------------------------------------------------


def test_the_upload_form_does_not_tick_full_extract(bappeda_client):
    html = bappeda_client.get(reverse("admin:households_importbatch_upload")).content.decode()
    assert 'name="full_extract"' in html
    tag = html[html.index('name="full_extract"') - 80 : html.index('name="full_extract"') + 80]
    assert "checked" not in tag


def test_preview_warns_with_the_count_and_confirm_needs_the_checkbox(registry, bappeda_client, tmp_path):
    before = registry_state()
    upload(bappeda_client, release_2022(tmp_path, registry[:3]), full_extract="on")
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.PREVIEWED
    preview = reverse("admin:households_importbatch_preview", args=[batch.pk])
    page = bappeda_client.get(preview).content.decode()
    assert "37 keluarga akan ditandai tidak ada di data terbaru" in page
    assert "Berkas ini data tahun 2022, lebih lama dari data terbaru di registri (2023)." in page
    assert 'name="confirm_absent"' in page and "Saya mengerti: tandai 37 keluarga tidak ada di data terbaru" in page

    # Confirming without the checkbox queues nothing and says why.
    response = bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED and registry_state() == before
    assert "Centang konfirmasi penandaan" in response.content.decode()

    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]), {"confirm_absent": "1"})
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and batch.options["absent_confirmed"] is True
    assert Household.objects.filter(is_absent=True).count() == 37
    # The result says what was done, not what would be nor to cancel an import no longer cancellable.
    for result in (preview, reverse("households:import_status", args=[batch.pk])):
        page = " ".join(re.sub(r"<[^>]+>", " ", bappeda_client.get(result).content.decode()).split())
        assert "37 keluarga ditandai tidak ada di data terbaru (dari 40 keluarga sebelumnya)." in page, result
        assert "akan ditandai" not in page and "batalkan dan unggah lagi" not in page, result


def test_cancel_after_the_warning_marks_nothing(registry, bappeda_client, tmp_path):
    before = registry_state()
    upload(bappeda_client, release_2022(tmp_path, registry[:3]), full_extract="on")
    batch = ImportBatch.objects.latest("pk")
    bappeda_client.post(reverse("admin:households_importbatch_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED and registry_state() == before
    assert not Household.objects.filter(is_absent=True).exists() and not Member.objects.filter(is_absent=True).exists()


def test_the_same_file_without_full_extract_needs_no_confirmation(registry, bappeda_client, tmp_path):
    upload(bappeda_client, release_2022(tmp_path, registry[:3]))
    batch = ImportBatch.objects.latest("pk")
    assert "absent_check" not in batch.counts and batch.full_extract is False
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and not Household.objects.filter(is_absent=True).exists()


def test_dtsen_command_shares_the_confirmation(reference, tmp_path):
    from .test_import_dtsen_mapping import DTSEN

    def family(index):
        kk = f"74090110050800{index + 1:02d}"
        return {
            "NO KK": kk, "KODE KEMENDAGRI": "7409012006", "DESIL NASIONAL": 3, "NIK": nik(600 + index),
            "NAMA": f"KEPALA {index}", "SHDK": "KEPALA KELUARGA", "JENIS KELAMIN": "LAKI-LAKI", "TANGGAL LAHIR": "1980-01-05",
        }

    families = [family(i) for i in range(4)]
    assert run("import_dtsen", str(write_xlsx(tmp_path / "a.xlsx", {"DTSEN": (DTSEN, families)})), "--year", "2026")[0] == 0
    path = str(write_xlsx(tmp_path / "b.xlsx", {"DTSEN": (DTSEN, families[:2])}))
    code, out, err = run("import_dtsen", path, "--year", "2026")
    assert code == 2 and "2 keluarga akan ditandai tidak ada di data terbaru (dari 4 keluarga saat ini)." in err
    assert not Household.objects.filter(is_absent=True).exists()
    assert run("import_dtsen", path, "--year", "2026", "--confirm-absent")[0] == 0
    assert Household.objects.filter(is_absent=True).count() == 2
