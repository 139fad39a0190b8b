"""Whose finding a visit is: office staff (Bappeda, Dinas Sosial) may type in an officer's paper
form, but once the assigned officer recorded the visit, only that officer changes it; the batch page
says who recorded a visit when it was not the assigned officer."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from verval import services
from verval.models import CaseStatus, Presence, Verdict

pytestmark = pytest.mark.django_db
KEPT = "Hasil kunjungan ini sudah dicatat oleh petugasnya, Ani Pendamping; hanya petugas itu yang dapat mengubahnya."


def client_for(user, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _visit_form(**fields) -> dict:
    return {"visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.FOUND, **fields}


def _officer_cell(page: str, case) -> str:
    """The batch page's officer cell of ``case``'s row."""
    row = re.search(rf'<tr>\s*<td class="check"><input type="checkbox" name="case" value="{case.pk}".*?</tr>', page, re.S)
    if row is None:  # no assign column once the field stage is over
        row = re.search(rf'href="/verval/kasus/{case.pk}/".*?</tr>', page, re.S)
    return re.findall(r"<td>(.*?)</td>", row.group(0), re.S)[3]


@pytest.fixture
def batch_cases(registry, people):
    batch = services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases[:1], officer=people.officer, by=people.bappeda)
    return batch, cases  # the second case is not assigned to anyone yet


def test_an_office_user_cannot_replace_what_the_officer_recorded(batch_cases, people):
    batch, cases = batch_cases
    officer = client_for(people.officer)
    assert officer.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.NOT_ELIGIBLE, note="Mobil dan rumah beton.")).status_code == 302

    office = client_for(people.dinsos_operator)
    page = office.get(f"/verval/kasus/{cases[0].pk}/").content.decode()
    assert KEPT in page and 'id="record-visit"' not in page
    refused = office.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(verdict=Verdict.ELIGIBLE, note=""), follow=True)
    assert refused.status_code == 200 and KEPT in refused.content.decode()
    assert f"Hasil kunjungan {cases[0].household.head_name} dicatat." not in refused.content.decode()
    cases[0].refresh_from_db()
    assert (cases[0].verdict, cases[0].note, cases[0].recorded_by) == (Verdict.NOT_ELIGIBLE, "Mobil dan rumah beton.", people.officer)
    with pytest.raises(PermissionDenied, match="hanya petugas itu"):
        services.case_visit_record(case=cases[0], by=people.bappeda, visited_on=timezone.localdate(),
                                   presence=Presence.MOVED, verdict=Verdict.ELIGIBLE)
    cases[0].refresh_from_db()
    assert (cases[0].presence, cases[0].verdict) == (Presence.FOUND, Verdict.NOT_ELIGIBLE)

    # The officer still changes their own finding.
    assert officer.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(verdict=Verdict.ELIGIBLE, note="Salah catat.")).status_code == 302
    cases[0].refresh_from_db()
    assert (cases[0].verdict, cases[0].note) == (Verdict.ELIGIBLE, "Salah catat.")


def test_an_office_user_records_what_no_officer_recorded_and_the_batch_page_says_so(batch_cases, people):
    batch, cases = batch_cases
    office = client_for(people.dinsos_operator)
    for case in cases:  # the officer's case not recorded yet, and the unassigned one
        response = office.post(f"/verval/kasus/{case.pk}/", _visit_form(verdict=Verdict.NOT_ELIGIBLE, note="Dari formulir kertas."))
        assert response.status_code == 302
        case.refresh_from_db()
        assert (case.status, case.recorded_by) == (CaseStatus.VISITED, people.dinsos_operator)
    name = people.dinsos_operator.get_full_name() or people.dinsos_operator.username
    page = client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert f"dicatat oleh {name}" in _officer_cell(page, cases[0])
    assert f"dicatat oleh {name}" in _officer_cell(page, cases[1])
    english = client_for(people.bappeda, "en").get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert f"recorded by {name}" in _officer_cell(english, cases[0])

    # The office may correct its own typing; once the officer records the visit, it is theirs.
    assert office.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(verdict=Verdict.ELIGIBLE)).status_code == 302
    assert client_for(people.officer).post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.NOT_ELIGIBLE, note="Dikunjungi.")).status_code == 302
    page = client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert "dicatat oleh" not in _officer_cell(page, cases[0])
    assert f"dicatat oleh {name}" in _officer_cell(page, cases[1])
    assert KEPT in office.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(verdict=Verdict.ELIGIBLE), follow=True).content.decode()
    cases[0].refresh_from_db()
    assert (cases[0].verdict, cases[0].recorded_by) == (Verdict.NOT_ELIGIBLE, people.officer)


def test_the_refusal_speaks_the_page_language(batch_cases, people):
    batch, cases = batch_cases
    services.case_visit_record(case=cases[0], by=people.officer, visited_on=timezone.localdate(),
                               presence=Presence.FOUND, verdict=Verdict.NOT_ELIGIBLE)
    page = client_for(people.bappeda, "en").post(f"/verval/kasus/{cases[0].pk}/", _visit_form(verdict=Verdict.ELIGIBLE),
                                                  follow=True).content.decode()
    assert "This visit was recorded by its officer, Ani Pendamping; only that officer may change it." in page
    cases[0].refresh_from_db()
    assert cases[0].verdict == Verdict.NOT_ELIGIBLE


def test_a_case_whose_officer_recorded_the_visit_is_not_reassigned(batch_cases, people):
    """Reassigning the case to another officer would hand the officer's finding to someone the
    office may then overwrite it as: the recorded case keeps its officer, and the page says so; the
    others in the same selection are assigned."""
    batch, cases = batch_cases
    officer = client_for(people.officer)
    assert officer.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.ELIGIBLE, note="Rumah papan.")).status_code == 302
    office = client_for(people.dinsos_operator)
    page = office.post(f"/verval/berkas/{batch.pk}/tugaskan/", {
        "case": [cases[0].pk, cases[1].pk], "officer": people.other_officer.pk}, follow=True).content.decode()
    assert "1 kasus ditugaskan kepada Budi." in page
    assert ("1 kasus tidak ditugaskan ulang: hasil kunjungannya sudah dicatat oleh petugasnya; "
            "hanya petugas itu yang dapat mengubahnya.") in page
    cases[0].refresh_from_db()
    cases[1].refresh_from_db()
    assert (cases[0].officer, cases[1].officer) == (people.officer, people.other_officer)

    # Alone, the recorded case is refused with the same reason, and its finding stays the officer's.
    page = office.post(f"/verval/berkas/{batch.pk}/tugaskan/", {
        "case": [cases[0].pk], "officer": people.other_officer.pk}, follow=True).content.decode()
    assert "ditugaskan kepada Budi" not in page and "1 kasus tidak ditugaskan ulang" in page
    assert KEPT in office.post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.NOT_ELIGIBLE), follow=True).content.decode()
    cases[0].refresh_from_db()
    assert (cases[0].officer, cases[0].verdict, cases[0].note, cases[0].recorded_by) == (
        people.officer, Verdict.ELIGIBLE, "Rumah papan.", people.officer)


def test_a_case_the_office_recorded_may_still_be_assigned(batch_cases, people):
    """The office typed a paper form in for the unassigned case: assigning it to the officer who
    filled that form in is still allowed (the finding is no officer's yet)."""
    batch, cases = batch_cases
    office = client_for(people.dinsos_operator)
    assert office.post(f"/verval/kasus/{cases[1].pk}/", _visit_form(verdict=Verdict.ELIGIBLE)).status_code == 302
    page = office.post(f"/verval/berkas/{batch.pk}/tugaskan/", {
        "case": [cases[1].pk], "officer": people.other_officer.pk}, follow=True).content.decode()
    assert "1 kasus ditugaskan kepada Budi." in page and "tidak ditugaskan ulang" not in page
    cases[1].refresh_from_db()
    assert cases[1].officer == people.other_officer


def test_a_visit_recorded_by_an_officer_who_left_may_be_reassigned_and_typed_in(batch_cases, people):
    """An officer whose account was deactivated (moved away, left the job) can no longer change the
    finding they recorded: the office may then assign the case to another officer, and type in a
    corrected paper form, as for a visit no officer recorded."""
    batch, cases = batch_cases
    assert client_for(people.officer).post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.NOT_ELIGIBLE, note="Mobil dan rumah beton.")).status_code == 302
    people.officer.is_active = False
    people.officer.save(update_fields=["is_active"])

    office = client_for(people.dinsos_operator)
    page = office.get(f"/verval/kasus/{cases[0].pk}/").content.decode()
    assert KEPT not in page and 'id="record-visit"' in page
    page = office.post(f"/verval/berkas/{batch.pk}/tugaskan/", {
        "case": [cases[0].pk], "officer": people.other_officer.pk}, follow=True).content.decode()
    assert "1 kasus ditugaskan kepada Budi." in page and "tidak ditugaskan ulang" not in page
    cases[0].refresh_from_db()
    assert cases[0].officer == people.other_officer

    # The new officer's finding is theirs again: the office may not replace it.
    assert client_for(people.other_officer).post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.ELIGIBLE, note="Rumah papan, dicek ulang.")).status_code == 302
    assert "hanya petugas itu yang dapat mengubahnya" in office.get(f"/verval/kasus/{cases[0].pk}/").content.decode()


def test_the_office_types_in_the_paper_form_of_an_officer_who_left(batch_cases, people):
    batch, cases = batch_cases
    services.case_visit_record(case=cases[0], by=people.officer, visited_on=timezone.localdate(),
                               presence=Presence.FOUND, verdict=Verdict.NOT_ELIGIBLE)
    people.officer.is_active = False
    people.officer.save(update_fields=["is_active"])
    response = client_for(people.bappeda).post(f"/verval/kasus/{cases[0].pk}/", _visit_form(
        verdict=Verdict.ELIGIBLE, note="Formulir kertas petugas."), follow=True)
    assert f"Hasil kunjungan {cases[0].household.head_name} dicatat." in response.content.decode()
    cases[0].refresh_from_db()
    assert (cases[0].verdict, cases[0].note, cases[0].recorded_by) == (Verdict.ELIGIBLE, "Formulir kertas petugas.", people.bappeda)
