"""What the Bupati's approval applies, as the people of the flow see it: the batch page, the approval
preview (which says what approval will do), the approval's message, the households and the
candidate lists afterwards."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from households.models import Household
from programs.candidates import candidates
from programs.distribution import households_distribute
from programs.models import Enrollment, EnrollmentStatus, Program
from tests.verval.conftest import enroll
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(kind, households, people):
    batch = services.cases_open(kind=kind, household_ids=[h.pk for h in households], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    return batch


def _visit(batch, home, people, verdict, presence=Presence.FOUND):
    services.case_visit_record(case=batch.cases.get(household=home), by=people.officer, visited_on=timezone.localdate(),
                               presence=presence, verdict=verdict, note="")


def _verified(batch, people):
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _preview(batch, people) -> str:
    page = client_for(people.bupati).get(f"/verval/berkas/{batch.pk}/").content.decode()
    return _words(page.split('id="approval-preview"', 1)[1].split("</ul>", 1)[0])


def _approve(batch, people) -> str:
    page = client_for(people.bupati).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"}, follow=True)
    return _words(page.content.decode().split('<ul class="messages" role="status">', 1)[1].split("</ul>", 1)[0])


def test_eligibility_is_confirmed_only_at_the_desil_the_visit_judged(registry, people):
    # pkh_high is visited at desil 6 and found eligible; a re-sync then ranks it desil 9.
    # pkh_sembako_high is found eligible at desil 7, which it keeps.
    batch = _open("inclusion", [registry.pkh_high, registry.pkh_sembako_high], people)
    _visit(batch, registry.pkh_high, people, Verdict.ELIGIBLE)
    _visit(batch, registry.pkh_sembako_high, people, Verdict.ELIGIBLE)
    Household.objects.filter(pk=registry.pkh_high.pk).update(desil=9)

    rows = client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/").content.decode()
    row = _words(rows.split(registry.pkh_high.head_name, 1)[1].split("</tr>", 1)[0])
    assert "desil berubah sejak kunjungan: 6 → 9" in row
    other = _words(rows.split(registry.pkh_sembako_high.head_name, 1)[1].split("</tr>", 1)[0])
    assert "desil berubah" not in other

    _verified(batch, people)
    preview = _preview(batch, people)
    assert ("1 keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: 6 → 9; keluarga tetap menjadi "
            "kandidat") in preview
    shown = _approve(batch, people)
    assert "1 keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: 6 → 9" in shown

    changed = Household.objects.get(pk=registry.pkh_high.pk)
    assert changed.desil == 9 and changed.verval_eligible_desil is None
    assert candidates("inclusion").filter(pk=changed.pk).exists()
    kept = Household.objects.get(pk=registry.pkh_sembako_high.pk)
    assert kept.verval_eligible_desil == 7
    assert not candidates("inclusion").filter(pk=kept.pk).exists()


def test_not_eligible_without_a_questioned_program_suspends_the_aid_with_a_desil_limit(registry, people):
    # Incomplete ranking: no_desil holds PKH (a program with a desil limit), no_water BSPS (none).
    batch = _open("incomplete", [registry.no_desil, registry.no_water], people)
    _visit(batch, registry.no_desil, people, Verdict.NOT_ELIGIBLE)
    _visit(batch, registry.no_water, people, Verdict.NOT_ELIGIBLE)
    _verified(batch, people)
    preview = _preview(batch, people)
    assert "1 keluarga tidak layak: 1 kepesertaan ditangguhkan (Program Keluarga Harapan (PKH) 2025)" in preview
    assert ("1 keluarga tidak layak tanpa kepesertaan yang ditangguhkan (tidak menerima bantuan program berbatas "
            "desil)") in preview
    shown = _approve(batch, people)
    assert "1 kepesertaan ditangguhkan" in shown
    assert "tercatat setelah kasus dibuka" not in shown  # the PKH was there when the case opened
    assert set(Enrollment.objects.filter(household=registry.no_desil).values_list("status", flat=True)) == {"suspended"}
    assert set(Enrollment.objects.filter(household=registry.no_water).values_list("status", flat=True)) == {"active"}


def test_the_preview_counts_the_aid_approval_suspends(registry, people):
    # An unreached family found not eligible has no aid; the inclusion family's Sembako is suspended
    # with its PKH (both questioned), its BSPS is not.
    enroll(registry.pkh_sembako_high, "bsps")
    batch = _open("inclusion", [registry.pkh_high, registry.pkh_sembako_high], people)
    _visit(batch, registry.pkh_high, people, Verdict.NOT_ELIGIBLE)
    _visit(batch, registry.pkh_sembako_high, people, Verdict.NOT_ELIGIBLE)
    unreached = _open("exclusion", [registry.poor_4], people)
    _visit(unreached, registry.poor_4, people, Verdict.NOT_ELIGIBLE)
    for each in (batch, unreached):
        _verified(each, people)
    preview = _preview(batch, people)
    assert ("2 keluarga tidak layak: 3 kepesertaan ditangguhkan (Program Keluarga Harapan (PKH) 2025 ×2, "
            "Program Sembako (BPNT) 2025)") in preview
    assert "tanpa kepesertaan" not in preview
    assert "3 kepesertaan ditangguhkan" in _approve(batch, people)
    assert ("1 keluarga tidak layak tanpa kepesertaan yang ditangguhkan (tidak menerima bantuan program berbatas "
            "desil)") in _preview(unreached, people)
    assert "0 kepesertaan ditangguhkan" in _approve(unreached, people)


def test_a_family_found_gone_is_not_offered_and_no_new_aid_is_proposed_for_it(registry, people):
    batch = _open("exclusion", [registry.poor_1, registry.poor_4], people)
    _visit(batch, registry.poor_1, people, Verdict.ELIGIBLE, presence=Presence.MOVED)
    _visit(batch, registry.poor_4, people, Verdict.ELIGIBLE)
    _verified(batch, people)
    _approve(batch, people)
    assert Household.objects.get(pk=registry.poor_1.pk).is_absent
    client = client_for(people.bappeda)
    page = client.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert "1 keluarga belum terjangkau dinyatakan layak" in page
    year = timezone.localdate().year
    pkh = Program.objects.get(code="pkh")
    page = client.post(f"/verval/berkas/{batch.pk}/distribusi/", {"program": pkh.pk, "year": year}, follow=True)
    assert "1 keluarga diusulkan ke Program Keluarga Harapan (PKH)" in page.content.decode()
    assert not Enrollment.objects.filter(household=registry.poor_1).exists()
    assert Enrollment.objects.filter(household=registry.poor_4, program=pkh, status=EnrollmentStatus.PROPOSED).exists()

    before = Enrollment.objects.count()
    with pytest.raises(ValidationError) as refused:
        households_distribute(program=pkh, year=year, household_ids=[registry.poor_5.pk, registry.absent_none.pk],
                              by=people.bappeda)
    assert refused.value.messages == [
        f"Keluarga #{registry.absent_none.pk} ditandai tidak ada (pindah, meninggal, tidak ditemukan atau tidak ada "
        "di data terbaru): bantuan baru tidak diusulkan untuknya. Tidak ada yang didistribusikan."
    ]
    assert Enrollment.objects.count() == before


def test_a_family_missing_from_the_extract_found_at_home_is_present_again(registry, people):
    batch = _open("absent_enrolled", [registry.absent_pkh], people)
    _visit(batch, registry.absent_pkh, people, Verdict.ELIGIBLE)
    _verified(batch, people)
    assert "1 keluarga ditemukan di tempat: ditandai ada kembali" in _preview(batch, people)
    assert "1 keluarga ditandai ada kembali" in _approve(batch, people)
    home = Household.objects.get(pk=registry.absent_pkh.pk)
    assert not home.is_absent
    assert home.history.latest().history_change_reason.startswith("Verval disahkan")
    assert batch.title[:20] in home.history.latest().history_change_reason
    assert not candidates("absent_enrolled").filter(pk=home.pk).exists()
    assert Enrollment.objects.get(household=home).status == EnrollmentStatus.ACTIVE
    again = services.cases_open(kind="absent_enrolled", household_ids=[home.pk], by=people.bappeda)
    assert again.batch is None and again.skipped == 1


def test_a_long_batch_title_is_cut_at_a_word_in_the_household_history(registry, people, admin_client):
    # The history keeps 100 characters of a reason: the title's end gives way, at a word and with an
    # ellipsis, never in the middle of a word.
    title = ("Pemutakhiran keluarga penerima bantuan sosial PKH yang tidak ada di ekstrak terbaru hasil musyawarah "
             "desa Wanggudu Raya")
    batch = services.cases_open(kind="absent_enrolled", household_ids=[registry.absent_pkh.pk], by=people.bappeda,
                                title=title).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    _visit(batch, registry.absent_pkh, people, Verdict.ELIGIBLE)
    _verified(batch, people)
    _approve(batch, people)
    full = f"Verval disahkan {timezone.localdate().strftime('%d/%m/%Y')}: {title}"
    kept = Household.objects.get(pk=registry.absent_pkh.pk).history.latest().history_change_reason
    assert len(full) > 100 and len(kept) <= 100 and kept.endswith("…")
    assert full.startswith(kept[:-1]) and full[len(kept) - 1] == " "  # whole words only
    assert kept.startswith(f"Verval disahkan {timezone.localdate().strftime('%d/%m/%Y')}: Pemutakhiran keluarga")
    page = _words(admin_client.get(f"/admin/households/household/{registry.absent_pkh.pk}/history/").content.decode())
    assert kept in page
