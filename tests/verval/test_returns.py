"""The ministry's returned list as Bappeda uploads it: which sent proposals it reopens, in which
batches, and what the page says about the rows it cannot reopen."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from households.identifiers import make_nik, mask
from households.models import Household
from verval import services
from verval.models import CaseKind, CaseStatus, Presence, ProposalExport, Verdict, VervalBatch, VervalCase

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sent(people, kind, households, verdict):
    """Cases of ``kind`` for ``households`` taken through approval, and their proposal file
    downloaded from the batch page (what was sent to the ministry)."""
    batch = services.cases_open(kind=kind, household_ids=[h.pk for h in households], by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    for case in cases:
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                   verdict=verdict)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    services.batch_approve(batch=batch, by=people.bupati)
    response = client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/usulan.xlsx")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    return batch, cases


def _upload(client, *rows):
    body = "NIK;Alasan\n" + "".join(f"{nik};{reason}\n" for nik, reason in rows)
    upload = SimpleUploadedFile("kembali.csv", body.encode(), "text/csv")
    response = client.post("/verval/berkas/pengembalian/", {"file": upload}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _batch_rows(page: str) -> list[tuple[str, str, str, str]]:
    """The batch list as the user reads it: (title, kind, stage, cases) per row."""
    table = page[page.index('id="batches"'):page.index("</table>")]
    return [
        tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in row[:4])
        for row in (re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S))
        if row
    ]


def _status(case) -> str:
    case.refresh_from_db()
    return case.status


def _open_cases(household, kind) -> int:
    return VervalCase.objects.filter(household=household, kind=kind, status__in=["baru", "ditugaskan", "dikunjungi"]).count()


def test_a_family_with_an_open_case_is_named_and_the_other_rows_reopen(registry, people):
    batch, cases = _sent(people, CaseKind.EXCLUSION, [registry.poor_1, registry.poor_4], Verdict.ELIGIBLE)
    poor_1_case, poor_4_case = (next(c for c in cases if c.household == h) for h in (registry.poor_1, registry.poor_4))
    # While the ministry checks the proposal, poor_1 (still unreached) gets a new case of the same kind.
    again = services.cases_open(kind=CaseKind.EXCLUSION, household_ids=[registry.poor_1.pk], by=people.bappeda)
    assert again.batch is not None
    client = client_for(people.bappeda)
    page = _upload(client, (registry.poor_1.head_nik, "NIK tidak padan Dukcapil"), (registry.poor_4.head_nik, "Alamat tidak sesuai"))
    assert "1 kasus dibuka ulang." in page
    assert "sudah memiliki kasus verval terbuka" in page and registry.poor_1.head_nik in page
    assert _status(poor_4_case) == CaseStatus.RETURNED and poor_4_case.return_reason == "Alamat tidak sesuai"
    assert _status(poor_1_case) == CaseStatus.APPLIED and poor_1_case.return_reason == ""
    assert _open_cases(registry.poor_1, CaseKind.EXCLUSION) == 1  # the newer case alone
    assert _open_cases(registry.poor_4, CaseKind.EXCLUSION) == 1

    english = client_for(people.bappeda)
    english.post("/i18n/setlang/", {"language": "en", "next": "/verval/"})
    page = _upload(english, (registry.poor_1.head_nik, "NIK tidak padan Dukcapil"))
    assert "already have an open verval case" in page and registry.poor_1.head_nik in page
    assert "sudah memiliki" not in page


def test_a_family_sent_twice_is_reopened_once(registry, people):
    first, (old,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_1], Verdict.ELIGIBLE)
    second, (newer,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_1], Verdict.ELIGIBLE)
    page = _upload(client_for(people.bappeda), (registry.poor_1.head_nik, "Anggota di dua KK"))
    assert "1 kasus dibuka ulang." in page
    assert _open_cases(registry.poor_1, CaseKind.EXCLUSION) == 1
    reopened = VervalCase.objects.get(household=registry.poor_1, status=CaseStatus.OPEN)
    assert reopened.reopened_from == newer and "Anggota di dua KK" in reopened.reason


def test_a_refusal_from_the_rules_is_a_message_and_nothing_is_written(registry, people, monkeypatch):
    batch, cases = _sent(people, CaseKind.EXCLUSION, [registry.poor_1, registry.poor_4], Verdict.ELIGIBLE)
    batches_before = VervalBatch.objects.count()
    full_clean = VervalCase.full_clean

    def refuse_poor_4(case, *args, **kwargs):
        if case.household_id == registry.poor_4.pk and case.reopened_from_id:
            raise ValidationError("Aturan kasus verval dilanggar.")
        return full_clean(case, *args, **kwargs)

    monkeypatch.setattr(VervalCase, "full_clean", refuse_poor_4)
    page = _upload(client_for(people.bappeda), (registry.poor_1.head_nik, "x"), (registry.poor_4.head_nik, "y"))
    assert "Aturan kasus verval dilanggar." in page and "Tidak ada yang diubah." in page
    assert "dibuka ulang." not in page
    assert [_status(c) for c in cases] == [CaseStatus.APPLIED, CaseStatus.APPLIED]
    assert VervalBatch.objects.count() == batches_before


def test_a_return_is_matched_on_the_nik_that_was_sent(registry, people):
    batch, (case,) = _sent(people, CaseKind.INCLUSION, [registry.pkh_high], Verdict.NOT_ELIGIBLE)
    sent_nik = registry.pkh_high.head_nik
    # Bappeda corrects the head's NIK after the proposal went out (the usual reason for a return).
    corrected = make_nik(region="740901", birth=datetime.date(1970, 5, 6), female=False, serial=77)
    Household.objects.filter(pk=registry.pkh_high.pk).update(head_nik=corrected)
    client = client_for(people.bappeda)
    page = _upload(client, (corrected, "NIK tidak padan Dukcapil"))
    assert "NIK tanpa usulan terkirim" in page and _status(case) == CaseStatus.APPLIED  # the ministry never saw it
    page = _upload(client, (sent_nik, "NIK tidak padan Dukcapil"))
    assert "1 kasus dibuka ulang." in page and "NIK tanpa usulan terkirim" not in page
    assert _status(case) == CaseStatus.RETURNED and case.return_reason == "NIK tidak padan Dukcapil"
    assert _open_cases(registry.pkh_high, CaseKind.INCLUSION) == 1


def test_a_proposal_sent_before_the_nik_was_kept_is_matched_on_the_current_head(registry, people):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    # An export recorded before the sent NIK was kept knows its cases only.
    legacy = ProposalExport.objects.create(batch=batch, created_by=people.bappeda, row_count=1, filename="usulan-lama.xlsx")
    legacy.cases.set([case])
    ProposalExport.objects.exclude(pk=legacy.pk).delete()
    page = _upload(client_for(people.bappeda), (registry.poor_4.head_nik, "Alamat tidak sesuai"))
    assert "1 kasus dibuka ulang." in page
    assert _status(case) == CaseStatus.RETURNED


def test_a_return_of_two_kinds_reopens_one_batch_per_kind(registry, people):
    _sent(people, CaseKind.INCLUSION, [registry.pkh_high], Verdict.NOT_ELIGIBLE)
    _sent(people, CaseKind.EXCLUSION, [registry.poor_1], Verdict.ELIGIBLE)
    client = client_for(people.bappeda)
    page = _upload(client, (registry.pkh_high.head_nik, "Alamat tidak padan"), (registry.poor_1.head_nik, "Anggota di dua KK"))
    assert "2 kasus dibuka ulang." in page
    rows = _batch_rows(client.get("/verval/berkas/").content.decode())
    reopened = sorted((kind, stage, count) for title, kind, stage, count in rows if title.startswith("Dikembalikan kementerian"))
    assert reopened == [
        ("Belum terjangkau (eksklusi)", "Kunjungan lapangan", "1"),
        ("Salah sasaran (inklusi)", "Kunjungan lapangan", "1"),
    ]
    for kind, household in ((CaseKind.INCLUSION, registry.pkh_high), (CaseKind.EXCLUSION, registry.poor_1)):
        case = VervalCase.objects.get(household=household, status=CaseStatus.OPEN)
        assert case.kind == kind and case.batch.kind == kind


def _every_serial(nik: str) -> list[tuple[str, str]]:
    """The guess a masked role can make from what the case page shows (the region and the birth
    date of a masked NIK): the same first 12 digits with serials around the real one, each row's
    reason being the row's own number, so that the reopened case's reason names the one that matched."""
    serial = int(nik[12:])
    return [(f"{nik[:12]}{s:04d}",) * 2 for s in range(max(serial - 50, 0), serial + 50)]


def test_a_role_that_sees_masked_niks_cannot_import_the_returned_list(registry, people):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    nik = registry.poor_4.head_nik
    operator = client_for(people.dinsos_operator)
    assert "/verval/berkas/pengembalian/" not in operator.get("/verval/berkas/").content.decode()
    batches_before = VervalBatch.objects.count()
    body = "NIK;Alasan\n" + "".join(f"{guess};{reason}\n" for guess, reason in _every_serial(nik))
    response = operator.post("/verval/berkas/pengembalian/",
                             {"file": SimpleUploadedFile("kembali.csv", body.encode(), "text/csv")}, follow=True)
    page = response.content.decode()
    assert response.status_code == 403 and "NIK lengkap" in page
    assert nik not in page and "dibuka ulang" not in page
    assert _status(case) == CaseStatus.APPLIED and VervalBatch.objects.count() == batches_before
    with pytest.raises(PermissionDenied):
        services.returns_record(rows=[(nik, nik)], by=people.dinsos_operator)
    assert _status(case) == CaseStatus.APPLIED


def test_the_dinsos_head_who_sees_full_niks_imports_the_returned_list(registry, people):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    head = client_for(people.dinsos_head)
    assert "/verval/berkas/pengembalian/" in head.get("/verval/berkas/").content.decode()
    page = _upload(head, (registry.poor_4.head_nik, "Alamat tidak sesuai"))
    assert "1 kasus dibuka ulang." in page
    assert _status(case) == CaseStatus.RETURNED


def test_a_number_in_a_returned_reason_is_masked_for_roles_that_see_masked_niks(registry, people):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    named = registry.poor_1.head_nik
    _upload(client_for(people.bappeda), (registry.poor_4.head_nik, f"NIK {named} tidak padan Dukcapil"))
    reopened = VervalCase.objects.get(household=registry.poor_4, status=CaseStatus.OPEN)
    for path in (f"/verval/berkas/{reopened.batch_id}/", f"/verval/kasus/{reopened.pk}/"):
        masked = client_for(people.dinsos_operator).get(path).content.decode()
        assert named not in masked and f"NIK {mask(named)} tidak padan Dukcapil" in masked, path
        full = client_for(people.dinsos_head).get(path).content.decode()
        assert f"NIK {named} tidak padan Dukcapil" in full, path


def test_a_number_in_a_visit_note_is_masked_for_roles_that_see_masked_niks(registry, people):
    # The officer's note is free text: a NIK written into it is masked as the reason's is.
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    named = registry.poor_1.head_nik
    VervalCase.objects.filter(pk=case.pk).update(note=f"Anak pindah ke KK dengan NIK {named}")
    path = f"/verval/kasus/{case.pk}/"
    masked = client_for(people.dinsos_operator).get(path).content.decode()
    assert named not in masked and f"NIK {mask(named)}" in masked
    assert f"NIK {named}" in client_for(people.dinsos_head).get(path).content.decode()


def _upload_file(client, name: str, content: bytes) -> str:
    response = client.post("/verval/berkas/pengembalian/", {"file": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _xlsx(*rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIK", "Alasan"])
    for nik, reason in rows:
        sheet.append([nik, reason])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("kembali.xls", lambda nik: _xlsx((nik, "NIK tidak padan Dukcapil"))),  # an .xlsx saved under the old name
    ("kembali.xlsx", lambda nik: f"NIK;Alasan\n{nik};NIK tidak padan Dukcapil\n".encode()),  # a CSV named as a workbook
])
def test_a_returned_list_under_the_wrong_extension_is_read_by_its_content(registry, people, name, content):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    page = _upload_file(client_for(people.bappeda), name, content(registry.poor_4.head_nik))
    assert "1 kasus dibuka ulang." in page
    assert _status(case) == CaseStatus.RETURNED and case.return_reason == "NIK tidak padan Dukcapil"


def _broken_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='S'")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("kembali.xlsx", _broken_workbook),  # a workbook whose parts were cut short
    ("kembali.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),  # an Excel 97-2003 header over nothing
])
def test_a_returned_list_that_is_no_workbook_is_refused_in_words(registry, people, name, content):
    batch, (case,) = _sent(people, CaseKind.EXCLUSION, [registry.poor_4], Verdict.ELIGIBLE)
    page = _upload_file(client_for(people.bappeda), name, content())
    refusal = re.search(r'<li class="error">(.*?)</li>', page, re.S)
    assert refusal, page
    assert name in refusal.group(1) and "Excel" in refusal.group(1)
    assert not re.search(r"[A-Za-z]+(Error|Exception)\b", refusal.group(1))
    assert "dibuka ulang." not in page and _status(case) == CaseStatus.APPLIED
