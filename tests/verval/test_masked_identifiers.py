"""What of people's NIK and No KK the verval pages give away to roles that see those numbers
masked (Dinas operators, the Bupati): a NIK quoted in a batch's notes shows masked, and a photo of
a family card, which shows every member's NIK and the No KK, is neither served nor linked to them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.verval.conftest import client_for, sent_back, words
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


GROUPED_NIK = " ".join(QUOTED_NIK[i:i + 4] for i in range(0, 16, 4))


def test_a_nik_quoted_in_groups_in_a_batchs_notes_and_case_reason_shows_masked(registry, people):
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    dotted = ".".join(QUOTED_NIK[i:i + 4] for i in range(0, 16, 4))
    case = batch.cases.order_by("id").first()
    case.reason = f"Ganda dengan {dotted}"
    case.save()
    for each in batch.cases.all():
        services.case_visit_record(case=each, by=people.bappeda, visited_on=timezone.localdate(), presence="ditemukan",
                                   verdict=Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), by=people.bappeda,
                                       outcome=f"Warga NIK {GROUPED_NIK} menyusul, RT 003 / RW 002")
    for role in ("bupati", "dinsos_operator"):
        page = words(client_for(getattr(people, role)).get(f"/verval/berkas/{batch.pk}/").content.decode())
        assert "Warga NIK 740901********** menyusul, RT 003 / RW 002" in page
        if role == "dinsos_operator":  # the Bupati sees no cases by name
            assert "Ganda dengan 740901**********" in page
        assert GROUPED_NIK not in page and dotted not in page
    page = words(client_for(people.dinsos_head).get(f"/verval/berkas/{batch.pk}/").content.decode())
    assert f"Warga NIK {GROUPED_NIK} menyusul" in page and f"Ganda dengan {dotted}" in page


NOTE = f"Anak pindah dari KK lain, NIK {QUOTED_NIK}; adiknya NIK {GROUPED_NIK}. Bantuan Rp 1.500.000."
MASKED_NOTE = "Anak pindah dari KK lain, NIK 740901**********; adiknya NIK 740901**********. Bantuan Rp 1.500.000."


@pytest.fixture
def noted(to_photograph, people):
    """Dinas Sosial's head types in the officer's paper form: the note names two NIKs, as the app
    asks when a member's NIK is held by another family."""
    case = to_photograph
    services.case_visit_record(case=case, by=people.dinsos_head, visited_on=timezone.localdate(), presence="ditemukan",
                               verdict=Verdict.ELIGIBLE, note=NOTE)
    return case


def test_a_masked_role_sees_the_visit_notes_niks_masked_in_the_box_it_edits(noted, people):
    page = client_for(people.dinsos_operator).get(f"/verval/kasus/{noted.pk}/").content.decode()
    assert 'id="record-visit"' in page  # the operator may still type in the form
    assert QUOTED_NIK not in page and GROUPED_NIK not in page
    assert sent_back(page)["note"] == MASKED_NOTE


@pytest.mark.parametrize("role", ["dinsos_head", "bappeda", "officer"])
def test_a_role_that_sees_niks_in_full_edits_the_note_as_written(noted, people, role):
    page = client_for(getattr(people, role)).get(f"/verval/kasus/{noted.pk}/").content.decode()
    assert sent_back(page)["note"] == NOTE


def test_the_masked_note_saved_unchanged_or_edited_around_keeps_the_niks(noted, people):
    operator = client_for(people.dinsos_operator)
    page = operator.get(f"/verval/kasus/{noted.pk}/").content.decode()
    assert operator.post(f"/verval/kasus/{noted.pk}/", sent_back(page)).status_code == 302
    noted.refresh_from_db()
    assert noted.note == NOTE

    edited = "Dicek ulang 02/12: " + MASKED_NOTE.replace("adiknya", "adik kandungnya") + " Kepala keluarga ada."
    assert operator.post(f"/verval/kasus/{noted.pk}/", sent_back(page, note=edited)).status_code == 302
    noted.refresh_from_db()
    assert noted.note == ("Dicek ulang 02/12: " + NOTE.replace("adiknya", "adik kandungnya") + " Kepala keluarga ada.")


def test_a_masked_nik_the_note_did_not_hold_is_refused_and_nothing_changes(noted, people):
    operator = client_for(people.dinsos_operator)
    page = operator.get(f"/verval/kasus/{noted.pk}/").content.decode()
    typed = MASKED_NOTE + " Tetangga NIK 740902**********."
    refused = operator.post(f"/verval/kasus/{noted.pk}/", sent_back(page, note=typed, verdict=Verdict.NOT_ELIGIBLE))
    assert refused.status_code == 200
    assert "NIK yang tampil disamarkan tidak dapat disimpan" in words(refused.content.decode())
    noted.refresh_from_db()
    assert noted.note == NOTE and noted.verdict == Verdict.ELIGIBLE
