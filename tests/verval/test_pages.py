"""The verval pages as each role sees them: who may open what, the officer's own list and its
exports, private photos, the proposal file and the returned list."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from agencies.models import ExportLog
from dedup.models import Conflict, ConflictStatus
from households.models import Desa, Household, Kabupaten, Relation
from households.xlsx import write_xlsx
from tests.factories import MemberFactory
from tests.verval.conftest import enroll, household
from programs.models import Enrollment, EnrollmentStatus, Program
from verval import services
from verval.models import CasePhoto, CaseStatus, Presence, ProposalExport, Verdict, VervalCase

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def assigned(registry, people):
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases[:1], officer=people.officer, by=people.bappeda)
    services.cases_assign(cases=cases[1:], officer=people.other_officer, by=people.bappeda)
    return batch, cases


def test_candidates_page_opens_cases_for_a_whole_village(registry, people):
    client = client_for(people.bappeda)
    page = client.get("/verval/kandidat/", {"kind": "inclusion", "desa": registry.desa.pk})
    assert page.status_code == 200
    assert 'id="candidate-total">2<' in page.content.decode()
    response = client.post("/verval/kandidat/buka/", {"kind": "inclusion", "desa": registry.desa.pk, "whole_village": "1"})
    assert response.status_code == 302
    detail = client.get(response.url).content.decode()
    assert registry.pkh_high.head_name in detail and registry.pkh_sembako_high.head_name in detail
    refused = client.post("/verval/kandidat/buka/", {"kind": "inclusion"}, follow=True)
    assert "Pilih paling sedikit satu keluarga." in refused.content.decode()


def test_candidates_filter_by_kabupaten_when_several_are_loaded(registry, people, settings):
    client = client_for(people.bappeda)
    assert 'name="kabupaten"' not in client.get("/verval/kandidat/", {"kind": "exclusion"}).content.decode()
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    konawe_poor = household(Desa.objects.get(code="74.02.01.2006"), 2)
    konawe, konut = Kabupaten.objects.get(code="74.02"), Kabupaten.objects.get(code="74.09")
    page = client.get("/verval/kandidat/", {"kind": "exclusion"}).content.decode()
    assert 'name="kabupaten"' in page and 'id="candidate-total">3<' in page
    page = client.get("/verval/kandidat/", {"kind": "exclusion", "kabupaten": konawe.pk}).content.decode()
    assert 'id="candidate-total">1<' in page and konawe_poor.head_name in page
    page = client.get("/verval/kandidat/", {"kind": "exclusion", "kabupaten": konut.pk}).content.decode()
    assert 'id="candidate-total">2<' in page and konawe_poor.head_name not in page
    # A kecamatan of another regency is refused with a message, not silently mixed in.
    page = client.get("/verval/kandidat/", {"kind": "exclusion", "kabupaten": konawe.pk,
                                            "kecamatan": registry.desa.kecamatan_id}).content.decode()
    assert "Pilih kecamatan dari daftar (kecamatan kabupaten/kota yang dipilih)." in page


def test_an_agency_opens_cases_only_for_the_households_its_candidate_page_shows(registry, people):
    # poor_1 receives nothing, so Dinas Sosial may not open it on the portal: nor through verval,
    # where the case pages would show its name and full NIK.
    client = client_for(people.dinsos_head)
    page = client.get("/verval/kandidat/", {"kind": "exclusion"}).content.decode()
    assert registry.poor_1.head_name not in page
    refused = client.post("/verval/kandidat/buka/", {"kind": "exclusion", "household": [registry.poor_1.pk]}, follow=True)
    assert "1 keluarga yang dipilih di luar cakupan OPD Anda" in refused.content.decode()
    assert not VervalCase.objects.exists()
    # The whole village opens its own households only: no_water (BSPS of Perkim) stays out.
    response = client.post("/verval/kandidat/buka/", {"kind": "incomplete", "desa": registry.desa.pk, "whole_village": "1"})
    assert response.status_code == 302
    assert set(VervalCase.objects.values_list("household", flat=True)) == {registry.no_desil.pk}
    detail = client.get(response.url).content.decode()
    assert registry.no_water.head_name not in detail and registry.no_water.head_nik not in detail
    empty = client.post("/verval/kandidat/buka/", {"kind": "exclusion", "desa": registry.other.pk, "whole_village": "1"},
                        follow=True).content.decode()
    assert "Tidak ada kandidat jenis ini" in empty and VervalCase.objects.count() == 1


@pytest.mark.parametrize("who", ["perkim_head", "officer", "bupati"])
def test_only_managers_see_candidates(registry, people, who):
    assert client_for(getattr(people, who)).get("/verval/kandidat/").status_code == 403
    response = client_for(getattr(people, who)).post("/verval/kandidat/buka/", {"kind": "exclusion", "household": [registry.poor_1.pk]})
    assert response.status_code == 403


def test_an_officer_sees_only_own_cases(assigned, people):
    batch, cases = assigned
    client = client_for(people.officer)
    assert client.get("/").url == "/verval/tugas/"
    page = client.get("/verval/tugas/").content.decode()
    assert cases[0].household.head_name in page and cases[1].household.head_name not in page
    assert client.get(f"/verval/kasus/{cases[0].pk}/").status_code == 200
    assert client.get(f"/verval/kasus/{cases[1].pk}/").status_code == 404
    assert cases[1].household.head_name not in client.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert client.get("/keluarga/").status_code == 403


def test_the_officer_records_a_visit_and_nothing_else_changes(assigned, people, registry):
    _batch, cases = assigned
    client = client_for(people.officer)
    bad = client.post(f"/verval/kasus/{cases[0].pk}/", {"visited_on": "31/02/2026", "presence": "ditemukan", "verdict": "layak"})
    assert "Tulis tanggal sebagai dd/mm/yyyy" in bad.content.decode()
    cases[0].refresh_from_db()
    assert cases[0].recorded_at is None
    day = timezone.localdate().strftime("%d/%m/%Y")
    response = client.post(f"/verval/kasus/{cases[0].pk}/", {
        "visited_on": day, "presence": "ditemukan", "verdict": "tidak_layak", "floor_type": "keramik", "note": "Rumah permanen.",
    })
    assert response.status_code == 302
    cases[0].refresh_from_db()
    assert (cases[0].verdict, cases[0].floor_type, cases[0].status) == (Verdict.NOT_ELIGIBLE, "keramik", CaseStatus.VISITED)
    cases[0].household.refresh_from_db()
    assert cases[0].household.floor_type == "semen"


def test_a_visit_form_posted_after_the_field_stage_names_the_stage(assigned, people):
    batch, cases = assigned
    for case, officer in zip(cases, (people.officer, people.other_officer)):
        services.case_visit_record(case=case, by=officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    client = client_for(people.officer)
    stage = "Berkas ini sudah melewati tahap kunjungan lapangan; hasil tidak dapat diubah."
    page = client.get(f"/verval/kasus/{cases[0].pk}/").content.decode()
    assert stage in page and 'id="record-visit"' not in page
    late = client.post(f"/verval/kasus/{cases[0].pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.MOVED, "verdict": Verdict.NOT_ELIGIBLE,
    }, follow=True)
    assert late.status_code == 200 and stage in late.content.decode()
    assert "tidak ditugaskan kepada Anda" not in late.content.decode()
    cases[0].refresh_from_db()
    assert (cases[0].presence, cases[0].verdict) == (Presence.FOUND, Verdict.ELIGIBLE)
    # Someone else's case is still refused as such.
    assert client_for(people.other_officer).post(f"/verval/kasus/{cases[0].pk}/", {}).status_code == 404


def test_a_form_error_names_its_field(assigned, people):
    batch, cases = assigned
    client = client_for(people.bappeda)
    page = client.post(f"/verval/berkas/{batch.pk}/tugaskan/", {"case": [cases[0].pk]}, follow=True).content.decode()
    assert "Petugas: Bidang ini tidak boleh kosong." in page
    page = client.post(f"/verval/berkas/{batch.pk}/musyawarah/", {
        "held_on": timezone.localdate().strftime("%d/%m/%Y"), "outcome": ""}, follow=True).content.decode()
    assert "Hasil musyawarah: Bidang ini tidak boleh kosong." in page
    batch.refresh_from_db()
    assert batch.stage == "lapangan" and not batch.deliberation_outcome


def test_the_officer_list_exports_with_nik_as_text(assigned, people):
    _batch, cases = assigned
    response = client_for(people.officer).get("/verval/tugas/ekspor.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    cell = sheet.cell(row=2, column=2)
    assert cell.value == cases[0].household.head_nik and cell.data_type == "s" and len(cell.value) == 16
    assert ExportLog.objects.filter(user=people.officer, kind="verval_daftar_petugas_xlsx", row_count=1).exists()
    assert client_for(people.officer).head("/verval/tugas/ekspor.xlsx").status_code == 200
    assert ExportLog.objects.filter(user=people.officer, kind="verval_daftar_petugas_xlsx", row_count=1).count() == 2
    printed = client_for(people.officer).get("/verval/tugas/cetak/").content.decode()
    assert cases[0].household.head_nik in printed
    # The print page shows the same full NIKs: logged too, on HEAD as on GET.
    assert client_for(people.officer).head("/verval/tugas/cetak/").status_code == 200
    assert list(ExportLog.objects.filter(kind="verval_daftar_petugas_cetak").values_list("user", "agency", "row_count")) == [
        (people.officer.pk, people.officer.agency_id, 1), (people.officer.pk, people.officer.agency_id, 1),
    ]


def test_the_officer_list_shows_open_work_with_the_members_and_finished_cases_on_request(assigned, people):
    batch, cases = assigned
    home = cases[0].household
    child = MemberFactory(household=home, name="Siti Anak Pertama", relation=Relation.CHILD)
    MemberFactory(household=home, name="Anggota Sudah Pindah", is_absent=True)
    client = client_for(people.officer)
    page = client.get("/verval/tugas/").content.decode()
    assert home.head_name in page and 'href="/verval/tugas/?selesai=1"' in page
    printed = client.get("/verval/tugas/cetak/").content.decode()
    assert f"Siti Anak Pertama · Anak · <span class=\"mono\">{child.nik}</span>" in printed
    assert "Anggota Sudah Pindah" not in printed
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(client.get("/verval/tugas/ekspor.xlsx").streaming_content))).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert row["Anggota keluarga"] == f"Siti Anak Pertama (Anak, {child.nik})"
    assert (row["Keberadaan"], row["Kesimpulan"], row["Catatan"]) == (None, None, None)  # filled in on paper

    # The batch leaves the field stage: the case is finished work, no longer on the default list.
    for case, officer in ((cases[0], people.officer), (cases[1], people.other_officer)):
        services.case_visit_record(case=case, by=officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    page = client.get("/verval/tugas/").content.decode()
    assert home.head_name not in page
    assert "Tidak ada kasus dalam tahap kunjungan lapangan yang ditugaskan kepada Anda." in page
    assert home.head_name not in client.get("/verval/tugas/cetak/").content.decode()
    empty = openpyxl.load_workbook(io.BytesIO(b"".join(client.get("/verval/tugas/ekspor.xlsx").streaming_content))).active
    assert empty.max_row == 1
    finished = client.get("/verval/tugas/", {"selesai": "1"}).content.decode()
    assert home.head_name in finished and 'href="/verval/tugas/cetak/?selesai=1"' in finished
    assert home.head_name in client.get("/verval/tugas/cetak/", {"selesai": "1"}).content.decode()


def test_photos_are_private_images_within_the_limit(assigned, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _batch, cases = assigned
    client = client_for(people.officer)
    url = f"/verval/kasus/{cases[0].pk}/foto/"
    page = client.post(url, {"kind": "kk", "photo": SimpleUploadedFile("kk.jpg", b"MZ not an image", "image/jpeg")}, follow=True)
    assert "bukan foto" in page.content.decode()
    settings.VERVAL_PHOTO_MAX_BYTES = 32
    page = client.post(url, {"kind": "kk", "photo": SimpleUploadedFile("kk.png", PNG, "image/png")}, follow=True)
    assert "Foto terlalu besar" in page.content.decode()
    assert not CasePhoto.objects.exists()
    settings.VERVAL_PHOTO_MAX_BYTES = 1024
    client.post(url, {"kind": "rumah_depan", "photo": SimpleUploadedFile("rumah.png", PNG, "image/png")})
    photo = CasePhoto.objects.get()
    assert photo.content_type == "image/png" and str(tmp_path) in photo.file.path
    served = client.get(f"/verval/foto/{photo.pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    assert client_for(people.other_officer).get(f"/verval/foto/{photo.pk}/").status_code == 404
    assert client_for(people.bupati).get(f"/verval/foto/{photo.pk}/").status_code == 403
    assert Client().get(f"/verval/foto/{photo.pk}/").status_code == 302  # to the login page


def test_leadership_sees_counts_and_agencies_their_own(assigned, people, registry):
    batch, cases = assigned
    page = client_for(people.bupati).get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert 'id="case-total">2<' in page and cases[0].household.head_name not in page
    assert client_for(people.bupati).get(f"/verval/kasus/{cases[0].pk}/").status_code == 403
    # Perkim's programs reach neither family: no batch, no case.
    assert client_for(people.perkim_head).get(f"/verval/berkas/{batch.pk}/").status_code == 404
    # Dinsos's operator sees the cases with NIK masked.
    operator_page = client_for(people.dinsos_operator).get(f"/verval/berkas/{batch.pk}/").content.decode()
    nik = cases[0].household.head_nik
    assert nik not in operator_page and nik[:6] + "*" * 10 in operator_page


def _stats(page: str) -> dict[str, str]:
    """The batch page's counts, by their label."""
    summary = page.split('aria-label="Ringkasan berkas"', 1)[1].split("</section>", 1)[0]
    return {label: count for count, label in re.findall(r"<strong[^>]*>([^<]*)</strong><span>([^<]*)</span>", summary)}


def _listed_counts(page: str, batch) -> list[str]:
    """Kasus, Dikunjungi and Tidak layak of ``batch``'s row on the batch list."""
    row = page.split(f'href="/verval/berkas/{batch.pk}/"', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_an_agency_counts_only_the_cases_it_sees(assigned, people, registry):
    """Perkim reaches one family of Bappeda's batch of two: its name, and its counts only, on the
    batch page and the list; Bappeda and the Bupati keep the batch's counts."""
    batch, cases = assigned
    enroll(registry.pkh_high, "bsps")  # Perkim's program reaches this family
    for case in cases:
        verdict = Verdict.NOT_ELIGIBLE if case.household_id == registry.pkh_high.pk else Verdict.ELIGIBLE
        services.case_visit_record(case=case, by=people.bappeda, visited_on=timezone.localdate(),
                                   presence=Presence.FOUND, verdict=verdict)
    page = client_for(people.perkim_head).get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert registry.pkh_high.head_name in page and registry.pkh_sembako_high.head_name not in page
    stats = _stats(page)
    assert (stats["kasus"], stats["Layak"], stats["Tidak layak"], stats["Ditemukan"]) == ("1", "0", "1", "1")
    listed = client_for(people.perkim_head).get("/verval/berkas/").content.decode()
    assert _listed_counts(listed, batch) == ["1", "1", "1"]
    for user in (people.bappeda, people.bupati):
        stats = _stats(client_for(user).get(f"/verval/berkas/{batch.pk}/").content.decode())
        assert (stats["kasus"], stats["Layak"], stats["Tidak layak"], stats["Ditemukan"]) == ("2", "1", "1", "2")
        assert _listed_counts(client_for(user).get("/verval/berkas/").content.decode(), batch) == ["2", "2", "1"]


def _approved(batch, cases, people):
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case, verdict in zip(cases, (Verdict.NOT_ELIGIBLE, Verdict.ELIGIBLE)):
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=verdict, note='=HYPERLINK("http://x","klik")', conditions={"floor_type": "tanah"})
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    services.batch_approve(batch=batch, by=people.bupati)


def test_the_bupati_approves_only_after_ticking_the_statement(assigned, people):
    # Approval applies every correction and cannot be undone: a press of the button alone does not.
    batch, cases = assigned
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case in cases:
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=Verdict.ELIGIBLE, note="", conditions={})
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    bupati = client_for(people.bupati)
    # Every page the Bupati opens says a batch waits for approval (the dashboard is the landing page).
    landing = bupati.get("/dasbor/").content.decode()
    assert 'id="verval-waiting"' in landing and "1 berkas verval menunggu pengesahan Anda." in landing
    assert 'id="verval-waiting"' not in client_for(people.bappeda).get("/dasbor/").content.decode()
    page = bupati.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert 'name="setuju"' in page and "Saya telah memeriksa 2 kasus berkas ini" in page

    refused = bupati.post(f"/verval/berkas/{batch.pk}/sahkan/", follow=True).content.decode()
    batch.refresh_from_db()
    assert not batch.is_approved and "Berkas belum disahkan: centang pernyataan pengesahan" in refused

    bupati.post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"})
    batch.refresh_from_db()
    assert batch.is_approved
    assert 'id="verval-waiting"' not in bupati.get("/dasbor/").content.decode()


def test_the_approval_form_lists_what_approval_will_do(assigned, people, registry):
    batch, cases = assigned
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    services.case_visit_record(case=cases[0], by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=Verdict.NOT_ELIGIBLE, conditions={"floor_type": "keramik"})
    services.case_visit_record(case=cases[1], by=people.officer, visited_on=timezone.localdate(),
                               presence=Presence.NOT_FOUND, verdict=Verdict.NOT_ELIGIBLE, conditions={"floor_type": "tanah"})
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    page = client_for(people.bupati).get(f"/verval/berkas/{batch.pk}/").content.decode()
    preview = page.split('id="approval-preview"', 1)[1].split("</ul>", 1)[0]
    assert ("1 keluarga ditandai tidak ada (pindah, tidak ditemukan atau meninggal) dan seluruh kepesertaannya "
            "diakhiri") in preview
    assert "1 keluarga tidak layak: 1 kepesertaan ditangguhkan (Program Keluarga Harapan (PKH) 2025)" in preview
    assert "1 keluarga: kondisi tempat tinggal dikoreksi sesuai hasil kunjungan" in preview  # not the family gone
    assert "kehilangan kepala keluarga" not in preview
    # The same counts as approval then applies.
    result = services.batch_approve(batch=batch, by=people.bupati)
    assert (result.absent, result.conditions) == (1, 1)
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.SUSPENDED


def test_the_approval_counts_only_the_conflicts_it_raised(assigned, people, registry):
    # pkh_sembako_high's PKH and Sembako conflict since the registry was loaded; suspending both
    # touches that one conflict twice and raises none.
    batch, cases = assigned
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case in cases:
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=Verdict.NOT_ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    open_before = Conflict.objects.filter(status=ConflictStatus.OPEN).count()
    assert open_before == 1
    page = client_for(people.bupati).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True).content.decode()
    assert "3 kepesertaan ditangguhkan" in page
    assert "konflik satu bantuan baru" not in page
    assert "1 konflik satu bantuan yang sudah terbuka tetap terbuka" in page
    assert Conflict.objects.filter(status=ConflictStatus.OPEN).count() == open_before


def test_a_family_found_eligible_is_not_a_candidate_again_until_its_desil_changes(assigned, people, registry):
    # _approved finds pkh_high not eligible (its aid is suspended) and pkh_sembako_high eligible.
    batch, cases = assigned
    _approved(batch, cases, people)
    client = client_for(people.bappeda)
    page = client.get("/verval/kandidat/", {"kind": "inclusion", "desa": registry.desa.pk}).content.decode()
    assert 'id="candidate-total">0<' in page
    assert ("1 keluarga tidak dicantumkan: verval yang disahkan Bupati menyatakannya layak pada desil yang masih "
            "sama.") in page
    other_village = client.get("/verval/kandidat/", {"kind": "inclusion", "desa": registry.other.pk}).content.decode()
    assert 'id="candidate-total">1<' in other_village and 'id="candidate-settled"' not in other_village
    dashboard = client.get("/dasbor/").content.decode()
    card = dashboard.split('id="verval-inclusion"', 1)[1].split("</a>", 1)[0]
    assert '<span class="dash-card-value">1</span>' in card  # sembako_7 only
    again = services.cases_open(kind="inclusion", household_ids=[registry.pkh_sembako_high.pk], by=people.bappeda)
    assert again.batch is None and again.skipped == 1
    # New data ranks the family desil 8: the verification no longer speaks for it.
    home = Household.objects.get(pk=registry.pkh_sembako_high.pk)
    home.desil = 8
    home.save()
    page = client.get("/verval/kandidat/", {"kind": "inclusion", "desa": registry.desa.pk}).content.decode()
    assert 'id="candidate-total">1<' in page and 'id="candidate-settled"' not in page


def test_the_proposal_file_and_the_returned_list(assigned, people, registry):
    batch, cases = assigned
    client = client_for(people.bappeda)
    assert client.get(f"/verval/berkas/{batch.pk}/usulan.xlsx").status_code == 403  # not approved yet
    _approved(batch, cases, people)
    assert client_for(people.dinsos_operator).get(f"/verval/berkas/{batch.pk}/usulan.xlsx").status_code == 403  # masked role
    response = client.get(f"/verval/berkas/{batch.pk}/usulan.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 2
    niks = {row[header.index("NIK")].value for row in rows}
    assert niks == {c.household.head_nik for c in cases}
    assert all(row[header.index("NIK")].data_type == "s" for row in rows)
    assert {row[header.index("Jenis Usulan")].value for row in rows} == {"Usulan hapus", "Perbaikan data"}
    assert rows[0][header.index("Kode Desa/Kelurahan")].value == "74.09.01.2006"
    reason = rows[0][header.index("Alasan")]
    assert reason.data_type == "s" and reason.value.endswith('=HYPERLINK("http://x","klik")')
    assert "Jenis lantai: Tanah" in rows[0][header.index("Variabel Terverifikasi")].value
    export = ProposalExport.objects.get()
    assert export.row_count == 2 and set(export.cases.all()) == set(cases)
    # Full NIKs and No KK left the building: the central export log has it too, with its batch.
    logged = ExportLog.objects.get(kind="verval_usulan_xlsx")
    assert (logged.user, logged.row_count, logged.filters) == (people.bappeda, 2, {"batch": batch.pk})
    # A HEAD request builds the same file (its length tells about its content): logged as well.
    assert client.head(f"/verval/berkas/{batch.pk}/usulan.xlsx").status_code == 200
    assert ExportLog.objects.filter(kind="verval_usulan_xlsx").count() == 2

    returned = io.StringIO()
    returned.write("NIK;Alasan\n")
    returned.write(f"{cases[0].household.head_nik};Alamat tidak padan Dukcapil\n")
    returned.write("12345;x\n")
    upload = SimpleUploadedFile("kembali.csv", returned.getvalue().encode(), "text/csv")
    page = client.post("/verval/berkas/pengembalian/", {"file": upload}, follow=True).content.decode()
    assert "1 kasus dibuka ulang." in page and "NIK harus 16 angka" in page
    cases[0].refresh_from_db()
    assert cases[0].status == CaseStatus.RETURNED
    wrong = SimpleUploadedFile("kembali.pdf", b"%PDF-1.4\n", "application/pdf")
    page = client.post("/verval/berkas/pengembalian/", {"file": wrong}, follow=True).content.decode()
    assert "kembali.pdf: jenis berkas &#x27;.pdf&#x27; tidak didukung" in page


def test_unreached_families_found_eligible_are_offered_to_distribution(registry, people):
    batch = services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk, registry.poor_4.pk], by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case, verdict in zip(cases, (Verdict.ELIGIBLE, Verdict.NEEDS_DATA)):
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=verdict)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    services.batch_approve(batch=batch, by=people.bupati)
    client = client_for(people.bappeda)
    page = client.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert 'id="offer-form"' in page and "1 keluarga belum terjangkau dinyatakan layak" in page
    assert 'id="offer-form"' not in client_for(people.dinsos_head).get(f"/verval/berkas/{batch.pk}/").content.decode()
    year = timezone.localdate().year
    pkh = Program.objects.get(code="pkh")
    page = client.post(f"/verval/berkas/{batch.pk}/distribusi/", {"program": pkh.pk, "year": year}, follow=True).content.decode()
    assert "1 keluarga diusulkan ke Program Keluarga Harapan (PKH)" in page
    enrollment = Enrollment.objects.get(program=pkh, year=year, household__in=[c.household for c in cases])
    assert enrollment.household == cases[0].household and enrollment.status == EnrollmentStatus.PROPOSED


def test_the_returned_list_speaks_the_page_language(assigned, people):
    client = client_for(people.bappeda)
    client.post("/i18n/setlang/", {"language": "en", "next": "/verval/"})
    no_nik = SimpleUploadedFile("kembali.csv", b"Nama;Alasan\nAni;x\n", "text/csv")
    page = client.post("/verval/berkas/pengembalian/", {"file": no_nik}, follow=True).content.decode()
    assert "No NIK column was found in the file&#x27;s header row." in page
    short = SimpleUploadedFile("kembali.csv", b"NIK;Alasan\n12345;x\n", "text/csv")
    page = client.post("/verval/berkas/pengembalian/", {"file": short}, follow=True).content.decode()
    assert "Row 2: a NIK must be 16 digits (12345)." in page
    assert "Baris 2" not in page


def _bomb_xlsx(rows: int) -> bytes:
    """A small .xlsx whose one sheet unpacks to ``rows`` rows of 20 inline cells (about 900 bytes
    of XML each, compressed about twenty times)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheet_title="S", headers=["NIK", *[f"K{n}" for n in range(19)]], rows=(("x",) * 20 for _ in range(rows)))
    return buffer.getvalue()


def test_the_returned_list_is_refused_before_a_zip_bomb_is_unpacked(assigned, people):
    bomb = _bomb_xlsx(48_000)  # fewer rows than the limit, unpacking to more than 40 MB
    assert len(bomb) < 5 * 1024 * 1024  # within the upload limit, which alone let it through
    assert sum(part.file_size for part in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 40 * 1024 * 1024
    client = client_for(people.bappeda)
    page = client.post("/verval/berkas/pengembalian/", {"file": SimpleUploadedFile("kembali.xlsx", bomb)},
                       follow=True).content.decode()
    assert "isi berkas setelah diekstrak terlalu besar" in page
    assert not VervalCase.objects.filter(status=CaseStatus.RETURNED).exists()


def test_a_returned_list_longer_than_the_limit_is_refused_whole(assigned, people, registry):
    from verval.returns import MAX_ROWS

    lines = ["NIK;Alasan"] + [f"74090100000{n:05d};x" for n in range(MAX_ROWS)] + [f"{registry.pkh_high.head_nik};x"]
    upload = SimpleUploadedFile("kembali.csv", "\n".join(lines).encode(), "text/csv")
    page = client_for(people.bappeda).post("/verval/berkas/pengembalian/", {"file": upload}, follow=True).content.decode()
    assert "Berkas berisi lebih dari 50.000 baris; bagi daftar menjadi beberapa berkas." in page
    assert not VervalCase.objects.filter(status=CaseStatus.RETURNED).exists()


@pytest.mark.parametrize("language, expected", [
    ("id", ["Ditemukan", "Tidak layak", "Tanah", "Rumah permanen."]),
    ("en", ["Found", "Not eligible", "Earth", "Rumah permanen."]),
])
def test_a_visit_after_the_deliberation_reads_in_words(assigned, people, language, expected):
    """Once the village has deliberated, the visit is shown read-only: each finding by its label in
    the page's language, the date as dd/mm/yyyy, never the stored codes."""
    batch, cases = assigned
    services.case_visit_record(case=cases[0], by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=Verdict.NOT_ELIGIBLE, note="Rumah permanen.", conditions={"floor_type": "tanah"})
    for case in cases[1:]:
        services.case_visit_record(case=case, by=people.other_officer, visited_on=timezone.localdate(),
                                   presence=Presence.FOUND, verdict=Verdict.ELIGIBLE, note="", conditions={})
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    client = client_for(people.bappeda)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(f"/verval/kasus/{cases[0].pk}/").content.decode()
    form = page.split('id="visit-form"', 1)[1].split("</form>", 1)[0]
    assert "<select" not in form and "<textarea" not in form and 'type="text"' not in form
    for text in [*expected, timezone.localdate().strftime("%d/%m/%Y")]:
        assert f"</span>{text}</label>" in form, text
    for code in ("ditemukan", "tidak_layak", "tanah"):
        assert f"</span>{code}</label>" not in form


class _Controls(HTMLParser):
    """The form controls of a page and whether each has a name a screen reader can say."""

    def __init__(self):
        super().__init__()
        self.depth, self.label_for, self.controls = 0, set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            named = self.depth > 0 or any(attrs.get(a) for a in ("aria-label", "aria-labelledby", "title"))
            self.controls.append((attrs.get("name"), attrs.get("id"), named))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1


def unlabelled(html: str) -> list[str]:
    parser = _Controls()
    parser.feed(html)
    return [name for name, id_, named in parser.controls if not named and id_ not in parser.label_for]


def test_every_form_control_of_the_verval_pages_has_a_label(assigned, people):
    """The returned-list upload and the visit page's photo type and file were read out as a bare
    "file" or "combo box"."""
    _batch, cases = assigned
    batches = client_for(people.bappeda).get("/verval/berkas/").content.decode()
    assert 'name="file"' in batches and unlabelled(batches) == []
    visit = client_for(people.officer).get(f"/verval/kasus/{cases[0].pk}/").content.decode()
    assert 'name="photo"' in visit and 'name="kind"' in visit and unlabelled(visit) == []
