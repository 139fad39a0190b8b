"""What the verval pages say matches what was, or will be, done: a person moved between two families
of a batch is said to take their own aid along only when they hold some; a case page of an approved
batch says its corrections were applied; a family whose desil changed since the visit is said to
stay an inclusion candidate only when it still is one."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from households.identifiers import make_nik
from households.models import Household, Relation, Sex
from programs.candidates import candidates
from programs.models import Program
from programs.services import enrollment_create
from tests.factories import MemberFactory
from tests.verval.conftest import approval_preview_text, approved_page_text, client_for, words
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db
MOVER_NIK = make_nik(region="740901", birth=datetime.date(2002, 7, 8), female=True, serial=71)
MOVED = "1 anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya"
WITH_AID = "bersama bantuan perorangannya"
STILL_CANDIDATE = "keluarga tetap menjadi kandidat salah sasaran"


def _visit(case, by, *, presence=Presence.FOUND, members=None, additions=None):
    return services.case_visit_record(case=case, by=by, visited_on=timezone.localdate(), presence=presence,
                                      verdict=Verdict.ELIGIBLE, members=members or {}, additions=additions or [])


def _verified(batch, people):
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)


def _batch(homes, people):
    batch = services.cases_open(kind="inclusion", household_ids=[h.pk for h in homes], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    return batch


@pytest.mark.parametrize("own_aid", [False, True])
def test_a_person_moved_between_two_families_takes_their_aid_along_only_when_they_have_some(registry, people, own_aid):
    a, b = registry.pkh_high, registry.pkh_sembako_high
    mover = MemberFactory(household=b, name="Sitti Aminah", nik=MOVER_NIK, relation=Relation.CHILD, sex=Sex.FEMALE,
                          birth_date=datetime.date(2002, 7, 8))
    if own_aid:
        enrollment_create(household=b, program=Program.objects.get(code="pip"), member=mover, year=2025)
    batch = _batch([a, b], people)
    _visit(batch.cases.get(household=b), people.officer, members={mover.pk: "pindah"})
    _visit(batch.cases.get(household=a), people.officer, additions=[{
        "name": mover.name, "nik": MOVER_NIK, "relation": Relation.SPOUSE, "sex": Sex.FEMALE,
        "birth_date": mover.birth_date}])
    _verified(batch, people)
    for shown in (approval_preview_text(batch, people.bupati), approved_page_text(batch, people.bupati)):
        assert MOVED in shown
        assert (WITH_AID in shown) == own_aid


def test_the_case_page_of_an_approved_batch_says_its_corrections_were_applied(registry, people):
    batch = _batch([registry.pkh_high], people)
    case = batch.cases.get()
    _visit(case, people.officer)
    before = words(client_for(people.bappeda).get(f"/verval/kasus/{case.pk}/").content.decode())
    assert "koreksi diterapkan setelah berkas disahkan" in before
    _verified(batch, people)
    approved_page_text(batch, people.bupati)
    for user in (people.bappeda, people.officer):
        after = words(client_for(user).get(f"/verval/kasus/{case.pk}/").content.decode())
        assert "koreksi diterapkan setelah berkas disahkan" not in after
        assert "koreksi dari hasil kunjungan sudah diterapkan" in after


@pytest.mark.parametrize("desil_now", [3, 9])
def test_a_family_whose_desil_changed_is_said_to_stay_a_candidate_only_when_it_does(registry, people, desil_now):
    """pkh_high (PKH, whose limit is desil 4) is found eligible at desil 6; a re-sync ranks it 3
    (within the limit: no candidate) or 9 (still above it)."""
    home = registry.pkh_high
    batch = _batch([home], people)
    _visit(batch.cases.get(), people.officer)
    Household.objects.filter(pk=home.pk).update(desil=desil_now)
    _verified(batch, people)
    still = desil_now == 9
    preview = approval_preview_text(batch, people.bupati)
    assert f"1 keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: 6 → {desil_now}" in preview
    assert (STILL_CANDIDATE in preview) == still
    shown = approved_page_text(batch, people.bupati)
    assert f"1 keluarga layak tidak dikukuhkan, desil berubah sejak kunjungan: 6 → {desil_now}" in shown
    assert (STILL_CANDIDATE in shown) == still
    assert candidates("inclusion").filter(pk=home.pk).exists() == still
