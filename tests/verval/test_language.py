"""The user's language stays on the user's pages: what verval stores (case reasons, batch titles,
enrollment reasons) is Indonesian whoever wrote it, and so is the proposal file sent to the
ministry; messages that count read right in English, one case as well as several."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from programs.models import Enrollment, EnrollmentStatus
from verval import services
from verval.models import Presence, Verdict, VervalBatch, VervalCase

pytestmark = pytest.mark.django_db


def client_for(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def _workbook(response):
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return sheet.title, [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_what_an_english_user_writes_is_stored_and_sent_in_indonesian(registry, people):
    bappeda = client_for(people.bappeda, "en")
    opened = bappeda.post("/verval/kandidat/buka/", {"kind": "inclusion", "desa": registry.desa.pk, "whole_village": "1"},
                          follow=True)
    assert "2 cases opened." in opened.content.decode()  # the user's own page stays in English
    batch = VervalBatch.objects.get()
    assert batch.title == f"Salah sasaran (inklusi) · {registry.desa.name} · {_today()}"
    high = batch.cases.get(household=registry.pkh_high)
    assert high.reason == "Desil di atas batas kelayakan: Program Keluarga Harapan (PKH) 2025 (desil 6 > 4)"
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    officer_page = client_for(people.officer, "id").get("/verval/tugas/").content.decode()
    assert escape(high.reason) in officer_page and "Decile" not in officer_page

    both = batch.cases.get(household=registry.pkh_sembako_high)
    services.case_visit_record(case=high, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=Verdict.NOT_ELIGIBLE, conditions={"floor_type": "tanah"})
    services.case_visit_record(case=both, by=people.officer, visited_on=timezone.localdate(), presence=Presence.MOVED,
                               verdict=Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    approved = client_for(people.bupati, "en").post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True)
    assert "Batch approved." in approved.content.decode()
    prefix = f"Verval disahkan {_today()}: {batch.title}"
    suspended = Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk)
    assert (suspended.status, suspended.status_reason) == (EnrollmentStatus.SUSPENDED, f"{prefix} (Tidak layak)")
    ended = Enrollment.objects.filter(household=registry.pkh_sembako_high)
    assert {e.status_reason for e in ended} == {f"{prefix} (Pindah)"}

    # The ministry's file is Indonesian whatever the language of who downloads it.
    title, rows = _workbook(bappeda.get(f"/verval/berkas/{batch.pk}/usulan.xlsx"))
    assert title == "Usulan verval"
    assert rows[0][:4] == ["No", "NIK", "No KK", "Nama Kepala Keluarga"]
    assert rows[0][10:14] == ["Jenis Usulan", "Alasan", "Keberadaan", "Kesimpulan"]
    by_nik = {row[1]: row for row in rows[1:]}
    assert by_nik[registry.pkh_high.head_nik][10:14] == ["Usulan hapus", high.reason, "Ditemukan", "Tidak layak"]
    assert by_nik[registry.pkh_high.head_nik][14] == "Jenis lantai: Tanah"
    assert by_nik[registry.pkh_sembako_high.head_nik][12:14] == ["Pindah", "Layak"]
    assert _workbook(client_for(people.bappeda, "id").get(f"/verval/berkas/{batch.pk}/usulan.xlsx")) == (title, rows)

    returned = SimpleUploadedFile("kembali.csv", f"NIK;Alasan\n{registry.pkh_high.head_nik};Alamat tidak padan\n".encode())
    page = bappeda.post("/verval/berkas/pengembalian/", {"file": returned}, follow=True).content.decode()
    assert "1 case reopened." in page
    again = VervalCase.objects.get(reopened_from=high)
    assert again.batch.title == f"Dikembalikan kementerian · Salah sasaran (inklusi) · {_today()}"
    assert again.reason == "Dikembalikan: Alamat tidak padan"


def _visit(case, officer, verdict=Verdict.NOT_ELIGIBLE, **conditions):
    services.case_visit_record(case=case, by=officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                               verdict=verdict, conditions=conditions)


@pytest.mark.parametrize("language, assigned, unvisited, approved", [
    ("en", "1 case assigned to Ani Pendamping.",
     "1 case has not been visited yet; the deliberation is recorded once all are visited.",
     "Batch approved. 1 enrollment suspended, 0 ended, 0 families marked absent, living conditions of 1 family "
     "updated."),
    ("id", "1 kasus ditugaskan kepada Ani Pendamping.",
     "Masih ada 1 kasus yang belum dikunjungi; musyawarah dicatat setelah semua dikunjungi.",
     "Berkas disahkan. 1 kepesertaan ditangguhkan, 0 diakhiri, 0 keluarga ditandai tidak ada, kondisi tempat "
     "tinggal 1 keluarga diperbarui."),
])
def test_messages_count_one_case_in_the_singular(registry, people, language, assigned, unvisited, approved):
    batch = services.cases_open(kind="inclusion", household_ids=[registry.pkh_high.pk, registry.sembako_7.pk],
                                by=people.bappeda).batch
    high, other = batch.cases.get(household=registry.pkh_high), batch.cases.get(household=registry.sembako_7)
    bappeda = client_for(people.bappeda, language)
    page = bappeda.post(f"/verval/berkas/{batch.pk}/tugaskan/", {"case": [high.pk], "officer": people.officer.pk},
                        follow=True).content.decode()
    assert assigned in page
    services.cases_assign(cases=[other], officer=people.officer, by=people.bappeda)
    _visit(high, people.officer, floor_type="tanah")
    page = bappeda.post(f"/verval/berkas/{batch.pk}/musyawarah/", {"held_on": _today(), "outcome": "Setuju"},
                        follow=True).content.decode()
    assert unvisited in page
    _visit(other, people.officer, Verdict.ELIGIBLE)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    page = client_for(people.bupati, language).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"},
                                                     follow=True).content.decode()
    assert approved in page
