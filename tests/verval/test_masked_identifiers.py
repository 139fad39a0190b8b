"""What of people's NIK and No KK the verval pages give away to roles that see those numbers
masked (Dinas operators, the Bupati): a NIK quoted in a batch's notes shows masked, and a photo of
a family card, which shows every member's NIK and the No KK, is neither served nor linked to them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.verval.conftest import client_for, words
from verval import services
from verval.models import Verdict

pytestmark = pytest.mark.django_db
QUOTED_NIK = "7409010304750123"


@pytest.fixture
def verified(registry, people):
    """A batch visited, deliberated and verified, its deliberation outcome and verification note
    each quoting a NIK."""
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case in cases:
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence="ditemukan",
                                   verdict=Verdict.ELIGIBLE)
    client_for(people.dinsos_operator).post(f"/verval/berkas/{batch.pk}/musyawarah/", {
        "held_on": timezone.localdate().strftime("%d/%m/%Y"), "outcome": f"Disepakati; warga NIK {QUOTED_NIK} menyusul"})
    client_for(people.dinsos_head).post(f"/verval/berkas/{batch.pk}/verifikasi/", {"note": f"Cek ulang NIK {QUOTED_NIK}"})
    batch.refresh_from_db()
    assert QUOTED_NIK in batch.deliberation_outcome and QUOTED_NIK in batch.verification_note
    return batch


@pytest.mark.parametrize("role", ["bupati", "dinsos_operator"])
def test_a_nik_quoted_in_a_batchs_notes_shows_masked_to_a_masked_role(verified, people, role):
    page = words(client_for(getattr(people, role)).get(f"/verval/berkas/{verified.pk}/").content.decode())
    assert QUOTED_NIK not in page
    assert "Disepakati; warga NIK 740901********** menyusul" in page
    assert "Cek ulang NIK 740901**********" in page


@pytest.mark.parametrize("role", ["bappeda", "dinsos_head"])
def test_a_role_that_verifies_people_reads_a_batchs_notes_as_written(verified, people, role):
    page = words(client_for(getattr(people, role)).get(f"/verval/berkas/{verified.pk}/").content.decode())
    assert f"Disepakati; warga NIK {QUOTED_NIK} menyusul" in page and f"Cek ulang NIK {QUOTED_NIK}" in page


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def to_photograph(registry, people, settings, tmp_path):
    """A case assigned to an officer who has not recorded the visit yet: the office may type it in."""
    settings.MEDIA_ROOT = tmp_path
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    case = batch.cases.order_by("id").first()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    return case


@pytest.fixture
def photographed(to_photograph, people):
    """A case whose officer photographed the family card and the front of the house."""
    case = to_photograph
    officer = client_for(people.officer)
    for kind, name in (("kk", "kk.png"), ("rumah_depan", "rumah.png")):
        officer.post(f"/verval/kasus/{case.pk}/foto/", {"kind": kind, "photo": SimpleUploadedFile(name, PNG, "image/png")})
    return case, {photo.kind: photo for photo in case.photos.all()}


def test_a_family_card_photo_is_neither_served_nor_linked_to_a_masked_role(photographed, people):
    case, photos = photographed
    operator = client_for(people.dinsos_operator)
    assert operator.get(f"/verval/foto/{photos['kk'].pk}/").status_code == 403
    house = operator.get(f"/verval/foto/{photos['rumah_depan'].pk}/")
    assert house.status_code == 200 and b"".join(house.streaming_content) == PNG
    page = operator.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert f'href="/verval/foto/{photos["kk"].pk}/"' not in page
    assert f'href="/verval/foto/{photos["rumah_depan"].pk}/"' in page
    assert "Foto Kartu Keluarga hanya untuk peran yang melihat NIK lengkap" in words(page)


@pytest.mark.parametrize("role", ["officer", "dinsos_head", "bappeda"])
def test_a_family_card_photo_is_served_to_the_roles_that_see_niks_in_full(photographed, people, role):
    case, photos = photographed
    client = client_for(getattr(people, role))
    served = client.get(f"/verval/foto/{photos['kk'].pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    assert f'href="/verval/foto/{photos["kk"].pk}/"' in client.get(f"/verval/kasus/{case.pk}/").content.decode()


def _kinds_offered(page: str) -> list[str]:
    upload = page.split('name="kind"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', upload)


def test_a_masked_role_is_not_offered_a_family_card_photo_to_upload(to_photograph, people):
    page = client_for(people.dinsos_operator).get(f"/verval/kasus/{to_photograph.pk}/").content.decode()
    assert _kinds_offered(page) == ["rumah_depan", "rumah_dalam"]
    assert "Foto Kartu Keluarga hanya untuk peran yang melihat NIK lengkap" in words(page)


@pytest.mark.parametrize("role", ["officer", "dinsos_head", "bappeda"])
def test_the_roles_that_see_niks_in_full_are_offered_a_family_card_photo(to_photograph, people, role):
    page = client_for(getattr(people, role)).get(f"/verval/kasus/{to_photograph.pk}/").content.decode()
    assert _kinds_offered(page) == ["rumah_depan", "rumah_dalam", "kk"]
    assert "Foto Kartu Keluarga hanya untuk peran yang melihat NIK lengkap" not in words(page)


def test_a_family_card_photo_posted_by_a_masked_role_is_refused_and_not_kept(to_photograph, people):
    operator = client_for(people.dinsos_operator)
    page = operator.post(f"/verval/kasus/{to_photograph.pk}/foto/",
                         {"kind": "kk", "photo": SimpleUploadedFile("kk.png", PNG, "image/png")}, follow=True)
    assert "Foto Kartu Keluarga tidak dapat diunggah dengan peran Anda" in words(page.content.decode())
    assert not to_photograph.photos.exists()
    operator.post(f"/verval/kasus/{to_photograph.pk}/foto/",
                  {"kind": "rumah_depan", "photo": SimpleUploadedFile("rumah.png", PNG, "image/png")})
    assert list(to_photograph.photos.values_list("kind", flat=True)) == ["rumah_depan"]
