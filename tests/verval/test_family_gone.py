"""A family the visit finds gone: moved away, not found, its head dead and no one left of it. The
approval marks it absent and ends every aid it still held, the aid an earlier check suspended
included: the check it waited for has been made, and no later one will find the family there."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import timezone

from dedup import membership
from households.models import Household, Member, Relation, Sex
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create, enrollment_update
from tests.factories import MemberFactory
from tests.verval.conftest import client_for
from tests.verval.conftest import words as _words
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(registry, people):
    """pkh_high (desil 6, PKH active): the head, his wife and son; the wife's PBI-JK suspended by an
    earlier check, the son's PIP live. Its inclusion case assigned to the officer."""
    home = registry.pkh_high
    head = MemberFactory(household=home, name="Laode Kasim", nik=home.head_nik, relation=Relation.HEAD)
    wife = MemberFactory(household=home, name="Wa Ode Sitti", relation=Relation.SPOUSE, sex=Sex.FEMALE)
    son = MemberFactory(household=home, name="Muhammad Rizal", relation=Relation.CHILD)
    pbi = enrollment_create(household=home, program=Program.objects.get(code="pbi-jk"), member=wife,
                            status=EnrollmentStatus.ACTIVE, year=2025).enrollment
    enrollment_update(enrollment=pbi, by=people.bappeda, status=EnrollmentStatus.SUSPENDED,
                      status_reason="Ditangguhkan: desil di atas batas (verval sebelumnya)")
    pip = enrollment_create(household=home, program=Program.objects.get(code="pip"), member=son,
                            status=EnrollmentStatus.PROPOSED, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    aid = {"pkh": registry.pkh_high_enrollment, "pbi": pbi, "pip": pip}
    return home, case, {"head": head, "wife": wife, "son": son}, aid


def _record(case, people, presence, verdict, **members):
    post = {"visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": presence, "verdict": verdict}
    post.update({f"anggota-{member.pk}": change for member, change in members.values()})
    assert client_for(people.officer).post(f"/verval/kasus/{case.pk}/", post).status_code == 302
    services.batch_deliberation_record(batch=case.batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=case.batch, note="", by=people.dinsos_head)


def _preview(people, case) -> str:
    page = client_for(people.bupati).get(f"/verval/berkas/{case.batch_id}/").content.decode()
    return _words(page.split('id="approval-preview"', 1)[1].split("</ul>", 1)[0])


def _approve(people, case) -> str:
    return _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())


def _all_ended(aid, people, dead=()) -> None:
    """Every aid of the family cancelled, the approval's reason in its history (led by the death
    of the members found dead, for their own aid: ``dead``)."""
    for key, enrollment in aid.items():
        enrollment = Enrollment.objects.get(pk=enrollment.pk)
        assert enrollment.status == EnrollmentStatus.CANCELLED, key
        assert "Verval disahkan" in enrollment.status_reason, key
        latest = enrollment.history.latest()
        lead = "Penerima meninggal (Verval disahkan" if key in dead else "Verval disahkan"
        assert latest.history_user == people.bupati and latest.history_change_reason.startswith(lead), key


@pytest.mark.parametrize("presence", [Presence.MOVED, Presence.NOT_FOUND, Presence.DECEASED])
def test_a_family_found_gone_has_its_suspended_aid_ended_too(family, people, presence):
    home, case, members, aid = family
    _record(case, people, presence, Verdict.NOT_ELIGIBLE)
    assert "1 keluarga ditandai tidak ada (pindah, tidak ditemukan atau meninggal) dan seluruh kepesertaannya " \
           "diakhiri" in _preview(people, case)
    done = _approve(people, case)
    assert "3 diakhiri" in done and "1 keluarga ditandai tidak ada" in done
    assert Household.objects.get(pk=home.pk).is_absent
    _all_ended(aid, people)
    wife_aid = Enrollment.objects.get(pk=aid["pbi"].pk)
    assert wife_aid.history.latest().prev_record.status == EnrollmentStatus.SUSPENDED
    assert not Enrollment.objects.filter(household=home).exclude(status=EnrollmentStatus.CANCELLED).exists()


def test_a_dead_head_whose_family_has_no_one_left_is_a_family_gone(family, people):
    """The head died; the visit found his wife dead too and his son moved out: no one carries the
    family on. It is marked absent and all its aid ends, as the Bupati is told before approving."""
    home, case, members, aid = family
    _record(case, people, Presence.DECEASED, Verdict.ELIGIBLE,
            wife=(members["wife"], "meninggal"), son=(members["son"], "pindah"))
    preview = _preview(people, case)
    assert "1 keluarga ditandai tidak ada" in preview and "kehilangan kepala keluarga tetapi tetap ada" not in preview
    done = _approve(people, case)
    assert "tetap menerima bantuan" not in done and "1 keluarga ditandai tidak ada" in done
    assert Household.objects.get(pk=home.pk).is_absent
    assert Member.objects.get(pk=members["head"].pk).is_absent
    _all_ended(aid, people, dead={"pbi"})
    page = _words(client_for(people.bappeda).get(f"/verval/berkas/{case.batch_id}/").content.decode())
    assert "Keluarga tetap ada" not in page


def test_a_dead_head_whose_wife_still_lives_there_leaves_the_family_carrying_on(family, people):
    home, case, members, aid = family
    _record(case, people, Presence.DECEASED, Verdict.ELIGIBLE, son=(members["son"], "pindah"))
    assert "1 keluarga kehilangan kepala keluarga tetapi tetap ada" in _preview(people, case)
    _approve(people, case)
    assert not Household.objects.get(pk=home.pk).is_absent
    assert Enrollment.objects.get(pk=aid["pkh"].pk).status == EnrollmentStatus.ACTIVE
    assert Enrollment.objects.get(pk=aid["pbi"].pk).status == EnrollmentStatus.SUSPENDED
    assert Member.objects.get(pk=members["son"].pk).is_absent and not Member.objects.get(pk=members["wife"].pk).is_absent


@pytest.mark.parametrize("presence", [Presence.MOVED, Presence.NOT_FOUND, Presence.DECEASED])
def test_a_member_found_dead_in_a_family_found_gone_is_recorded_dead(family, people, presence):
    """The family is gone (moved away, not found, or its head dead and no one left), and the visit
    found the wife dead: she is recorded dead as in a family found at home (and as the approvals
    before the registry kept deaths were backfilled), and her own aid ends because she died."""
    home, case, members, aid = family
    _record(case, people, presence, Verdict.ELIGIBLE if presence == Presence.DECEASED else Verdict.NOT_ELIGIBLE,
            wife=(members["wife"], "meninggal"), **({"son": (members["son"], "pindah")} if presence == Presence.DECEASED else {}))
    preview = _preview(people, case)
    assert "1 bantuan perorangan dihentikan: penerimanya meninggal" in preview
    done = _approve(people, case)
    assert "1 keluarga ditandai tidak ada" in done
    assert "1 bantuan perorangan dihentikan: penerimanya meninggal" in done
    wife = Member.objects.get(pk=members["wife"].pk)
    assert wife.is_absent and wife.is_deceased
    assert "Meninggal" in wife.history.latest().history_change_reason
    assert Enrollment.objects.get(pk=aid["pbi"].pk).status_reason.startswith("Penerima meninggal")
    assert not Member.objects.get(pk=members["son"].pk).is_deceased
    assert Member.objects.get(pk=members["head"].pk).is_deceased == (presence == Presence.DECEASED)
    _all_ended(aid, people, dead={"pbi"})
    page = _words(client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode())
    assert "Wa Ode Sitti meninggal" in page


def _badges(page: str) -> list[str]:
    return re.findall(r'<span class="badge muted">([^<]*)</span>', page)


def _list_row(people, home) -> str:
    page = client_for(people.dinsos_operator).get("/keluarga/", {"absent": "1", "q": home.head_name}).content.decode()
    rows = [row for row in page.split("<tr") if f"/keluarga/{home.pk}/" in row]
    assert len(rows) == 1
    return rows[0]


def test_the_portal_says_a_family_gone_with_its_head_dead_lost_its_head_to_a_verval(family, people):
    """The family is absent because an approved visit found its head dead and no one left, not
    because the newest data left it out: the list and the family's page say so."""
    home, case, members, aid = family
    _record(case, people, Presence.DECEASED, Verdict.ELIGIBLE,
            wife=(members["wife"], "meninggal"), son=(members["son"], "pindah"))
    _approve(people, case)
    assert _badges(_list_row(people, home)) == ["kepala keluarga meninggal (verval)"]
    page = client_for(people.dinsos_operator).get(f"/keluarga/{home.pk}/").content.decode()
    source = page.split("Sumber data", 1)[1].split("</dd>", 1)[0]
    assert _badges(source) == ["kepala keluarga meninggal (verval)"]


@pytest.mark.parametrize("presence, badge, english", [
    (Presence.MOVED, "pindah (verval)", "moved (verval)"),
    (Presence.NOT_FOUND, "tidak ditemukan (verval)", "not found (verval)"),
])
def test_the_portal_says_a_family_gone_moved_or_not_found_by_a_verval(family, people, presence, badge, english):
    """The family is absent because an approved visit found it moved away or did not find it: the
    list and the family's page say which, not that the newest data left it out (nor that its head
    died). Once the data holds it again and later leaves it out, the data is the reason."""
    home, case, members, aid = family
    _record(case, people, presence, Verdict.NOT_ELIGIBLE)
    _approve(people, case)
    assert _badges(_list_row(people, home)) == [badge]
    page = client_for(people.dinsos_operator).get(f"/keluarga/{home.pk}/").content.decode()
    assert _badges(page.split("Sumber data", 1)[1].split("</dd>", 1)[0]) == [badge]
    in_english = client_for(people.dinsos_operator)
    in_english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = in_english.get(f"/keluarga/{home.pk}/").content.decode()
    assert _badges(page.split("Data source", 1)[1].split("</dd>", 1)[0]) == [english]

    membership.households_mark_absent(households=[home], absent=False, by=people.bappeda)
    membership.households_mark_absent(households=[home], absent=True, by=people.bappeda)
    assert _badges(_list_row(people, home)) == ["tidak ada di data terbaru"]


def test_a_head_who_died_before_a_new_head_was_recorded_is_not_said_to_be_why_the_family_left(family, people):
    """The head died and the family carried on; Bappeda recorded the wife as its new head, and a later
    import left the family out: the data left it out, its former head's death is not the reason."""
    home, case, members, aid = family
    _record(case, people, Presence.DECEASED, Verdict.ELIGIBLE)
    _approve(people, case)
    wife = members["wife"]
    Household.objects.filter(pk=home.pk).update(head_name=wife.name, head_nik=wife.nik, is_absent=True)
    Member.objects.filter(pk=wife.pk).update(relation=Relation.HEAD)
    assert _badges(_list_row(people, Household.objects.get(pk=home.pk))) == ["tidak ada di data terbaru"]


def test_a_new_head_named_as_the_one_who_died_is_not_said_to_have_died(family, people):
    """The head died and the family carried on; Bappeda recorded his son, who bears his name, as its new
    head with the son's NIK, and a later import left the family out. The family's head is the member with
    its head NIK (as the approval chose the head to record dead): the father's death, by name alone, is not
    the reason it left."""
    home, case, members, aid = family
    _record(case, people, Presence.DECEASED, Verdict.ELIGIBLE)
    _approve(people, case)
    son = members["son"]
    Member.objects.filter(pk=son.pk).update(relation=Relation.HEAD, name=members["head"].name)
    Household.objects.filter(pk=home.pk).update(head_nik=son.nik, head_name=members["head"].name, is_absent=True)
    assert Member.objects.get(pk=members["head"].pk).is_deceased
    assert _badges(_list_row(people, Household.objects.get(pk=home.pk))) == ["tidak ada di data terbaru"]
    page = client_for(people.dinsos_operator).get(f"/keluarga/{home.pk}/").content.decode()
    assert _badges(page.split("Sumber data", 1)[1].split("</dd>", 1)[0]) == ["tidak ada di data terbaru"]
