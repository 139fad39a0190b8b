"""What a visit finds about the family's members: a member died, moved out or is not of this family,
a member missing from the registry (a newborn, someone who moved in). The officer records it on the
visit page; the deliberation, Dinas Sosial and the Bupati see it; only the Bupati's approval applies
it, through the registry's own writes (history, the one-aid re-check, identity duplicates); the
proposal file carries it."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.utils import timezone

from dedup import membership
from dedup.models import IdentityMatch, IdentityStatus
from households.identifiers import make_nik
from households.models import Household, Member, Relation, Sex
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create, enrollment_update
from tests.factories import MemberFactory
from tests.verval.conftest import client_for, sent_back, visit_all_and_approve
from tests.verval.conftest import words as _words
from verval import services
from verval.models import CaseStatus, Presence, Verdict

pytestmark = pytest.mark.django_db
NEWBORN_NIK = make_nik(region="740901", birth=datetime.date(2025, 2, 1), female=True, serial=77)


@pytest.fixture
def family(registry, people):
    """pkh_high with its head, wife and two children, its inclusion case assigned to the officer."""
    home = registry.pkh_high
    head = MemberFactory(household=home, name="Laode Kasim", nik=home.head_nik, relation=Relation.HEAD)
    wife = MemberFactory(household=home, name="Wa Ode Sitti", relation=Relation.SPOUSE, sex=Sex.FEMALE)
    son = MemberFactory(household=home, name="Muhammad Rizal", relation=Relation.CHILD)
    cousin = MemberFactory(household=home, name="Sepupu Jauh", relation=Relation.OTHER)
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    return home, case, {"head": head, "wife": wife, "son": son, "cousin": cousin}


def _visit_post(members, **extra):
    data = {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.FOUND, "verdict": Verdict.ELIGIBLE,
        f"anggota-{members['son'].pk}": "meninggal", f"anggota-{members['cousin'].pk}": "bukan_anggota",
        f"anggota-{members['wife'].pk}": "tetap",
        "baru-0-name": "Putri Kasim", "baru-0-nik": NEWBORN_NIK, "baru-0-relation": Relation.CHILD,
        "baru-0-sex": Sex.FEMALE, "baru-0-birth_date": "01/02/2025",
        "baru-1-name": "Bayi Kasim", "baru-1-relation": Relation.CHILD, "baru-1-sex": Sex.MALE,
    }
    return {**data, **extra}


def _through_verification(case, people):
    services.batch_deliberation_record(batch=case.batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=case.batch, note="", by=people.dinsos_head)


def test_the_officer_records_member_changes_shown_to_each_step_and_applied_at_approval(family, people):
    home, case, members = family
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    # Each member but the head (the family's presence speaks for the head), and rows for members to add.
    for key in ("wife", "son", "cousin"):
        assert f'name="anggota-{members[key].pk}"' in page and members[key].name in page
    assert f'name="anggota-{members["head"].pk}"' not in page
    assert 'name="baru-0-name"' in page and 'name="baru-0-birth_date"' in page

    response = officer.post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.VISITED
    # Recorded, and the registry unchanged until approval.
    assert not Member.objects.filter(household=home, is_absent=True).exists()
    assert Member.objects.filter(household=home).count() == 4
    # The officer's page opens again with what was recorded.
    again = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert 'value="Putri Kasim"' in again and 'value="Bayi Kasim"' in again and 'name="baru-4-name"' in again
    assert re.search(rf'name="anggota-{members["son"].pk}"[^>]*>.*?<option value="meninggal" selected>', again, re.S)

    # The deliberation (Bappeda, Dinas Sosial) reads it on the batch and case pages.
    _through_verification(case, people)
    for who in (people.bappeda, people.dinsos_head):
        client = client_for(who)
        batch_page = _words(client.get(f"/verval/berkas/{case.batch_id}/").content.decode())
        assert "Muhammad Rizal: Meninggal" in batch_page and "Sepupu Jauh: Bukan anggota keluarga ini" in batch_page
        assert "Anggota baru: Putri Kasim, Bayi Kasim" in batch_page
        case_page = _words(client.get(f"/verval/kasus/{case.pk}/").content.decode())
        assert "Muhammad Rizal Meninggal" in case_page and "Wa Ode Sitti Tetap" in case_page
        assert "Putri Kasim" in case_page and "01/02/2025" in case_page
        assert 'name="anggota-' not in case_page and 'name="baru-0-name"' not in case_page

    # The Bupati sees what approval will do, in counts.
    bupati = client_for(people.bupati)
    preview = _words(bupati.get(f"/verval/berkas/{case.batch_id}/").content.decode().split('id="approval-preview"', 1)[1]
                     .split("</ul>", 1)[0])
    assert "2 anggota keluarga ditandai tidak ada (meninggal, pindah atau bukan anggota keluarga ini)" in preview
    assert "2 anggota keluarga baru ditambahkan" in preview
    done = _words(bupati.post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"}, follow=True).content.decode())
    assert "2 anggota keluarga ditandai tidak ada" in done and "2 anggota keluarga baru ditambahkan" in done

    son = Member.objects.get(pk=members["son"].pk)
    assert son.is_absent
    reason = son.history.latest().history_change_reason
    assert reason.startswith("Meninggal") and "Verval disahkan" in reason
    assert son.history.latest().history_user == people.bupati
    assert Member.objects.get(pk=members["cousin"].pk).history.latest().history_change_reason.startswith(
        "Bukan anggota keluarga ini")
    assert not Member.objects.get(pk=members["wife"].pk).is_absent
    newborn = Member.objects.get(household=home, name="Putri Kasim")
    assert (newborn.nik, newborn.relation, newborn.sex, newborn.birth_date) == (
        NEWBORN_NIK, Relation.CHILD, Sex.FEMALE, datetime.date(2025, 2, 1))
    assert newborn.last_batch is None and not newborn.is_absent  # a hand entry, as the admin's
    assert newborn.history.get().history_user == people.bupati
    assert "Verval disahkan" in newborn.history.get().history_change_reason
    assert Member.objects.get(household=home, name="Bayi Kasim").nik == ""
    # Afterwards the case page still says what the visit found: the new members as added, not as kept.
    after = _words(client_for(people.bappeda).get(f"/verval/kasus/{case.pk}/").content.decode())
    assert "Muhammad Rizal Meninggal" in after and "Putri Kasim Tetap" not in after and "ditambahkan" in after


def test_the_proposal_file_carries_the_member_changes(family, people):
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    response = client_for(people.bappeda).get(f"/verval/berkas/{case.batch_id}/usulan.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    row = [c.value for c in sheet[2]]
    assert row[header.index("Perubahan Anggota")] == (
        f"Muhammad Rizal (NIK {members['son'].nik}): Meninggal; "
        f"Sepupu Jauh (NIK {members['cousin'].nik}): Bukan anggota keluarga ini")
    added = row[header.index("Anggota Baru")]
    assert added == (f"Putri Kasim (NIK {NEWBORN_NIK}, Anak, Perempuan, 01/02/2025); "
                     "Bayi Kasim (NIK -, Anak, Laki-laki, -)")
    assert sheet.cell(row=2, column=header.index("Anggota Baru") + 1).data_type == "s"


@pytest.mark.parametrize("extra, message", [
    ({"baru-0-nik": "74090112345"}, "NIK harus 16 digit, bukan 11 digit"),
    ({"baru-0-nik": "7409010000000000"}, "NIK memuat tanggal lahir yang tidak mungkin"),
    ({"baru-0-birth_date": "31/02/2025"}, "Tulis tanggal sebagai dd/mm/yyyy"),
    ({"baru-0-birth_date": (timezone.localdate() + datetime.timedelta(days=2)).strftime("%d/%m/%Y")}, "di masa depan"),
    ({"baru-0-birth_date": "01/01/1800"}, "Tanggal lahir 01/01/1800 tidak mungkin; paling awal 01/01/1900."),
    ({"baru-0-birth_date": "31/12/1899"}, "Tanggal lahir 31/12/1899 tidak mungkin; paling awal 01/01/1900."),
    ({"baru-0-name": "", "baru-0-nik": NEWBORN_NIK}, "Nama anggota baru wajib diisi"),
    ({"baru-1-nik": NEWBORN_NIK}, "NIK ganda dalam keluarga yang sama: sudah dipakai Putri Kasim."),
    ({"anggota-999999": "pindah"}, "bukan anggota keluarga yang dikunjungi"),
])
def test_bad_member_input_is_refused_and_nothing_is_stored(family, people, extra, message):
    home, case, members = family
    page = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **extra), follow=True)
    assert message in page.content.decode()
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def test_a_wifes_nik_is_refused_for_a_new_member(family, people):
    home, case, members = family
    page = client_for(people.officer).post(
        f"/verval/kasus/{case.pk}/", _visit_post(members, **{"baru-0-nik": members["wife"].nik})).content.decode()
    assert "NIK ganda dalam keluarga yang sama: sudah dipakai Wa Ode Sitti." in page
    assert not case.member_changes.exists()


def test_a_visit_recorded_again_replaces_its_member_changes(family, people):
    home, case, members = family
    officer = client_for(people.officer)
    officer.post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    officer.post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.FOUND, "verdict": Verdict.ELIGIBLE,
        f"anggota-{members['wife'].pk}": "pindah",
    })
    assert [(c.name, c.change) for c in case.member_changes.all()] == [("Wa Ode Sitti", "pindah")]


def test_a_family_gone_or_a_batch_not_approved_changes_no_member(family, people):
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, presence=Presence.MOVED))
    _through_verification(case, people)
    assert Member.objects.filter(household=home).count() == 4  # verified, not approved: nothing yet
    services.batch_approve(batch=case.batch, by=people.bupati)
    # The whole family moved: it is marked absent; no one is added, and its members are not touched
    # one by one, but the son the visit found dead: his death is recorded as in a family found at home.
    assert Member.objects.filter(household=home).count() == 4
    assert Member.objects.get(pk=members["son"].pk).is_deceased
    assert [(m.is_absent, m.is_deceased) for m in (Member.objects.get(pk=members[k].pk) for k in ("wife", "cousin"))] == [
        (False, False), (False, False)]


def test_a_member_added_is_checked_for_identity_duplicates(family, people, registry):
    """Another record of the family made after the visit (a later import under the same No KK): the
    approval looks for the identity duplicates of the family it added a member to and finds it. (A
    member recorded elsewhere with the newborn's NIK itself is not added at all: a person lives in
    one family.)"""
    home, case, members = family
    assert client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members)).status_code == 302
    Household.objects.filter(pk=registry.poor_4.pk).update(no_kk=home.no_kk)
    _through_verification(case, people)
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert Member.objects.filter(household=home, nik=NEWBORN_NIK).exists()
    pair = sorted([home.pk, registry.poor_4.pk])
    assert IdentityMatch.objects.filter(status=IdentityStatus.OPEN, household_a=pair[0], household_b=pair[1]).exists()
    assert "1 duplikat identitas baru" in done


def test_the_admin_shows_a_cases_member_changes(family, people, client):
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    client.force_login(people.bappeda)
    page = _words(client.get(f"/admin/verval/vervalcase/{case.pk}/change/").content.decode())
    assert "perubahan anggota keluarga" in page.lower()
    assert "Muhammad Rizal" in page and "Meninggal" in page and "Putri Kasim" in page and NEWBORN_NIK in page


def test_a_member_recorded_since_the_visit_is_not_added_twice(family, people):
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    MemberFactory(household=home, name="Putri", nik=NEWBORN_NIK, relation=Relation.CHILD)  # a later import brought her
    bupati = client_for(people.bupati)
    preview = _words(bupati.get(f"/verval/berkas/{case.batch_id}/").content.decode())
    assert "1 anggota keluarga baru ditambahkan" in preview
    assert "1 anggota baru tidak ditambahkan: anggota dengan NIK yang sama sudah tercatat di keluarganya" in preview
    done = _words(bupati.post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"}, follow=True).content.decode())
    assert "1 anggota baru tidak ditambahkan" in done
    assert Member.objects.filter(household=home, nik=NEWBORN_NIK).count() == 1
    assert Member.objects.filter(household=home, name="Bayi Kasim").exists()


@pytest.fixture
def family_with_own_aid(registry, people):
    """pkh_high's family as in ``family``, each member but the head with aid of their own (PBI-JK, a
    person program with a desil limit the family's desil 6 is above, and PIP), before its case opens:
    the case questions PKH and the PBI-JK."""
    home = registry.pkh_high
    MemberFactory(household=home, name="Laode Kasim", nik=home.head_nik, relation=Relation.HEAD)
    members = {
        "wife": MemberFactory(household=home, name="Wa Ode Sitti", relation=Relation.SPOUSE, sex=Sex.FEMALE),
        "son": MemberFactory(household=home, name="Muhammad Rizal", relation=Relation.CHILD),
        "cousin": MemberFactory(household=home, name="Sepupu Jauh", relation=Relation.OTHER),
    }
    aid = {}
    for key, member in members.items():
        for code, status in (("pbi-jk", EnrollmentStatus.ACTIVE), ("pip", EnrollmentStatus.PROPOSED)):
            aid[key, code] = enrollment_create(household=home, program=Program.objects.get(code=code), member=member,
                                               status=status, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    return home, case, members, aid


def _statuses(aid) -> dict:
    return {key: Enrollment.objects.get(pk=e.pk).status for key, e in aid.items()}


def test_a_member_found_dead_loses_their_own_aid_at_approval(family_with_own_aid, people, registry):
    """The son died: his PBI-JK and PIP end; the cousin, not of this family, and the wife keep theirs."""
    home, case, members, aid = family_with_own_aid
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    bupati = client_for(people.bupati)
    preview = _words(bupati.get(f"/verval/berkas/{case.batch_id}/").content.decode().split('id="approval-preview"', 1)[1]
                     .split("</ul>", 1)[0])
    assert "2 bantuan perorangan dihentikan" in preview
    done = _words(bupati.post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"}, follow=True).content.decode())
    assert "2 bantuan perorangan dihentikan" in done
    # The headline counts every enrollment the approval ended, these two included.
    assert "2 diakhiri" in done

    cancelled = EnrollmentStatus.CANCELLED
    assert _statuses(aid) == {
        ("son", "pbi-jk"): cancelled, ("son", "pip"): cancelled,
        ("wife", "pbi-jk"): EnrollmentStatus.ACTIVE, ("wife", "pip"): EnrollmentStatus.PROPOSED,
        ("cousin", "pbi-jk"): EnrollmentStatus.ACTIVE, ("cousin", "pip"): EnrollmentStatus.PROPOSED,
    }
    ended = Enrollment.objects.get(pk=aid["son", "pip"].pk)
    assert ended.status_reason.startswith("Penerima meninggal") and case.batch.title in ended.status_reason
    latest = ended.history.latest()
    assert latest.history_user == people.bupati
    assert latest.history_change_reason.startswith("Penerima meninggal (Verval disahkan")
    # The family's own aid is the verdict's (eligible): untouched.
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_dead_members_aid_the_verdict_questions_ends_rather_than_waits(family_with_own_aid, people, registry):
    """Found not eligible, the family's questioned aid is suspended until a later check; the dead son's
    PBI-JK, questioned too, ends: no check will find him again."""
    home, case, members, aid = family_with_own_aid
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, verdict=Verdict.NOT_ELIGIBLE))
    _through_verification(case, people)
    bupati = client_for(people.bupati)
    preview = _words(bupati.get(f"/verval/berkas/{case.batch_id}/").content.decode().split('id="approval-preview"', 1)[1]
                     .split("</ul>", 1)[0])
    # PKH and the wife's and cousin's PBI-JK wait; the son's two end.
    assert "1 keluarga tidak layak: 3 kepesertaan ditangguhkan" in preview
    assert "2 bantuan perorangan dihentikan" in preview
    services.batch_approve(batch=case.batch, by=people.bupati)
    statuses = _statuses(aid)
    assert statuses["son", "pbi-jk"] == statuses["son", "pip"] == EnrollmentStatus.CANCELLED
    assert statuses["wife", "pbi-jk"] == statuses["cousin", "pbi-jk"] == EnrollmentStatus.SUSPENDED
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.SUSPENDED


def test_a_head_who_died_loses_their_own_aid_while_the_family_carries_on(registry, people):
    home = registry.pkh_high
    head = MemberFactory(household=home, name="Laode Kasim", nik=home.head_nik, relation=Relation.HEAD)
    MemberFactory(household=home, name="Wa Ode Sitti", relation=Relation.SPOUSE, sex=Sex.FEMALE)
    own = enrollment_create(household=home, program=Program.objects.get(code="pip"), member=head,
                            status=EnrollmentStatus.ACTIVE, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    preview_done = visit_all_and_approve(batch, people, Verdict.ELIGIBLE, presence=Presence.DECEASED)
    assert preview_done.head_deceased == 1
    assert Enrollment.objects.get(pk=own.pk).status == EnrollmentStatus.CANCELLED
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.ACTIVE


def test_a_role_that_sees_niks_masked_gets_a_new_members_nik_masked_and_kept(family, people):
    """Dinas Sosial's operator types in the officer's paper form: the newborn's NIK it typed shows
    masked when the page opens again, as every NIK does for it; saved again unchanged, the NIK stays."""
    home, case, members = family
    operator = client_for(people.dinsos_operator)
    assert operator.post(f"/verval/kasus/{case.pk}/", _visit_post(members)).status_code == 302
    page = operator.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert NEWBORN_NIK not in page
    assert f'value="{NEWBORN_NIK[:6]}**********"' in page
    assert operator.post(f"/verval/kasus/{case.pk}/", sent_back(page, note="Dicek ulang")).status_code == 302
    case.refresh_from_db()
    assert case.note == "Dicek ulang"
    assert [(c.name, c.nik) for c in case.member_changes.filter(change="tambah")] == [
        ("Putri Kasim", NEWBORN_NIK), ("Bayi Kasim", "")]

    # A changed box is a new NIK, checked as one.
    page = operator.get(f"/verval/kasus/{case.pk}/").content.decode()
    refused = operator.post(f"/verval/kasus/{case.pk}/", sent_back(page, **{"baru-0-nik": "7409011234"}), follow=True)
    assert "NIK harus 16 digit" in refused.content.decode()
    other = make_nik(region="740901", birth=datetime.date(2025, 3, 2), female=True, serial=78)
    operator.post(f"/verval/kasus/{case.pk}/", sent_back(page, **{"baru-0-nik": other}))
    assert case.member_changes.get(name="Putri Kasim").nik == other


def test_a_masked_nik_from_a_page_opened_before_the_rows_changed_is_refused(family, people):
    home, case, members = family
    operator = client_for(people.dinsos_operator)
    operator.post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    stale = operator.get(f"/verval/kasus/{case.pk}/").content.decode()
    client_for(people.bappeda).post(f"/verval/kasus/{case.pk}/", _visit_post(members))  # the rows recorded anew
    page = operator.post(f"/verval/kasus/{case.pk}/", sent_back(stale), follow=True).content.decode()
    assert "NIK yang tampil disamarkan tidak dapat disimpan" in page
    assert case.member_changes.get(name="Putri Kasim").nik == NEWBORN_NIK


def test_the_officer_sees_the_nik_typed_in_full(family, people):
    home, case, members = family
    officer = client_for(people.officer)
    officer.post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    assert f'value="{NEWBORN_NIK}"' in officer.get(f"/verval/kasus/{case.pk}/").content.decode()


def test_the_field_list_shows_the_member_changes_recorded(family, people):
    """The officer's list, printed or downloaded after the visits, carries what they found of the
    members, as the batch page shows it."""
    home, case, members = family
    officer = client_for(people.officer)
    officer.post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    expected = ("Muhammad Rizal: Meninggal; Sepupu Jauh: Bukan anggota keluarga ini; "
                "Anggota baru: Putri Kasim, Bayi Kasim")
    response = officer.get("/verval/tugas/ekspor.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Perubahan anggota") + 1).value == expected
    printed = _words(officer.get("/verval/tugas/cetak/").content.decode())
    assert "Perubahan anggota" in printed and expected in printed


def _preview(people, case) -> str:
    page = client_for(people.bupati).get(f"/verval/berkas/{case.batch_id}/").content.decode()
    return _words(page.split('id="approval-preview"', 1)[1].split("</ul>", 1)[0])


def test_a_member_found_dead_whom_an_import_marked_absent_since_loses_their_own_aid(family_with_own_aid, people):
    """The son was found dead; before the approval a new extract left him out (marked absent): he is
    no one to mark absent any more, but his own aid still ends, and the Bupati is told so."""
    home, case, members, aid = family_with_own_aid
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    Member.objects.filter(pk=members["son"].pk).update(is_absent=True)  # as an import marks a member left out
    _through_verification(case, people)
    assert "2 bantuan perorangan dihentikan" in _preview(people, case)
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert "2 bantuan perorangan dihentikan" in done
    statuses = _statuses(aid)
    assert statuses["son", "pbi-jk"] == statuses["son", "pip"] == EnrollmentStatus.CANCELLED
    assert Enrollment.objects.get(pk=aid["son", "pip"].pk).status_reason.startswith("Penerima meninggal")
    assert statuses["wife", "pip"] == EnrollmentStatus.PROPOSED


def test_a_member_found_dead_whose_aid_was_suspended_has_it_ended(family_with_own_aid, people):
    """Suspended aid waits for a check that will find the person again: a dead person's ends."""
    home, case, members, aid = family_with_own_aid
    enrollment_update(enrollment=aid["son", "pip"], by=people.bappeda, status=EnrollmentStatus.SUSPENDED,
                      status_reason="Ditangguhkan (verval sebelumnya)")
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    assert "2 bantuan perorangan dihentikan" in _preview(people, case)
    services.batch_approve(batch=case.batch, by=people.bupati)
    ended = Enrollment.objects.get(pk=aid["son", "pip"].pk)
    assert ended.status == EnrollmentStatus.CANCELLED and ended.status_reason.startswith("Penerima meninggal")
    assert _statuses(aid)["son", "pbi-jk"] == EnrollmentStatus.CANCELLED


@pytest.mark.parametrize("typed", [
    " ".join(NEWBORN_NIK[i:i + 4] for i in range(0, 16, 4)), ".".join(NEWBORN_NIK[i:i + 4] for i in range(0, 16, 4)),
])
def test_a_nik_typed_in_groups_as_on_the_family_card_is_kept_as_its_digits(family, people, typed):
    home, case, members = family
    response = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **{"baru-0-nik": typed}))
    assert response.status_code == 302
    assert case.member_changes.get(name="Putri Kasim").nik == NEWBORN_NIK


def test_a_nik_of_17_digits_gets_one_clear_message(family, people):
    home, case, members = family
    page = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **{"baru-0-nik": NEWBORN_NIK + "1"}),
                                           follow=True).content.decode()
    assert "NIK harus 16 digit, bukan 17 digit" in page
    assert "paling banyak" not in page and page.count("Anggota baru 1 (Putri Kasim)") == 1
    assert not case.member_changes.exists()


_found = {"presence": Presence.FOUND, "verdict": Verdict.ELIGIBLE}


def test_a_page_opened_before_an_import_left_a_member_out_is_recorded_when_that_member_stays(family, people):
    """The officer's page still lists the cousin, whom an import has marked absent since; left at
    Tetap there is nothing to change about him, and the visit is recorded."""
    home, case, members = family
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    Member.objects.filter(pk=members["cousin"].pk).update(is_absent=True)
    response = officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, **_found, **{f"anggota-{members['son'].pk}": "pindah"}))
    assert response.status_code == 302
    assert [(c.name, c.change) for c in case.member_changes.all()] == [("Muhammad Rizal", "pindah")]


def test_a_member_left_out_since_the_page_opened_and_marked_gone_is_named(family, people):
    home, case, members = family
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    Member.objects.filter(pk=members["cousin"].pk).update(is_absent=True)
    refused = officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, **_found, **{f"anggota-{members['cousin'].pk}": "pindah"}),
                           follow=True).content.decode()
    assert "Sepupu Jauh sudah tidak tercatat sebagai anggota keluarga ini" in _words(refused)
    assert f"#{members['cousin'].pk}" not in refused
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def _readded_cousin(members) -> dict:
    """The cousin marked not of this family and typed again as a new member with his NIK."""
    return {"baru-0-name": "Sepupu Jauh Bin Kasim", "baru-0-nik": members["cousin"].nik, "baru-0-relation": Relation.OTHER}


def test_a_member_marked_gone_and_added_again_with_the_same_nik_is_refused(family, people):
    home, case, members = family
    page = _words(client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **_readded_cousin(members)),
                                                  follow=True).content.decode())
    assert "NIK ini milik Sepupu Jauh, yang ditandai Bukan anggota keluarga ini" in page
    assert "ubah data anggota itu" in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def test_a_family_members_nik_typed_for_a_new_member_is_refused(family, people):
    """The officer sees the family's NIKs in full: a new member typed with the wife's NIK is refused
    naming her; nothing is recorded."""
    home, case, members = family
    page = _words(client_for(people.officer).post(
        f"/verval/kasus/{case.pk}/", _visit_post(members, **{"baru-0-nik": members["wife"].nik}), follow=True,
    ).content.decode())
    assert "Anggota baru 1 (Putri Kasim)" in page and "NIK ganda dalam keluarga yang sama: sudah dipakai Wa Ode Sitti" in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def test_a_member_marked_dead_and_added_again_is_refused(family, people):
    """The officer sees the family's NIKs in full: the son marked dead and added again with his NIK
    is refused; nothing is recorded."""
    home, case, members = family
    readded = {"baru-0-name": "Rizal Kasim", "baru-0-nik": members["son"].nik, "baru-0-relation": Relation.CHILD}
    page = _words(client_for(people.officer).post(
        f"/verval/kasus/{case.pk}/", _visit_post(members, **readded), follow=True).content.decode())
    assert "NIK ini milik Muhammad Rizal, yang ditandai Meninggal" in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def test_a_masked_role_is_not_told_whom_a_typed_nik_belongs_to(family, people):
    """Dinas Sosial's operator sees the family's NIKs masked (740901**********) with the birth dates:
    a new member typed with the wife's NIK, or with the NIK of the son it marks dead, is recorded as
    typed, no refusal confirming the guess; only a NIK typed twice in the form itself is refused.
    The approval adds neither (the family holds the person already)."""
    home, case, members = family
    operator = client_for(people.dinsos_operator)
    twice = _words(operator.post(f"/verval/kasus/{case.pk}/", _visit_post(
        members, **{"baru-1-nik": NEWBORN_NIK}), follow=True).content.decode())
    assert "NIK ganda dalam keluarga yang sama: sudah dipakai Putri Kasim" in twice
    case.refresh_from_db()
    assert case.recorded_at is None
    guesses = {"baru-0-nik": members["wife"].nik, "baru-1-nik": members["son"].nik}
    page = _words(operator.post(f"/verval/kasus/{case.pk}/", _visit_post(members, **guesses), follow=True).content.decode())
    assert "milik" not in page and "ganda" not in page
    case.refresh_from_db()
    assert case.recorded_at is not None
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    for member in (members["wife"], members["son"]):
        assert Member.objects.filter(nik=member.nik, is_absent=False).count() <= 1
    assert Member.objects.filter(nik=members["wife"].nik).count() == 1
    assert Member.objects.filter(nik=members["son"].nik).count() == 1


def test_a_member_left_out_marked_dead_and_typed_again_by_a_masked_role_is_not_added_present(family, people):
    """The son an import left out, found dead and typed again with his NIK on the operator's form: the
    approval records him dead and adds no present member with his NIK (his aid could be claimed)."""
    home, case, members = family
    Member.objects.filter(pk=members["son"].pk).update(is_absent=True)
    readded = {"baru-1-name": "Rizal Kasim", "baru-1-nik": members["son"].nik, "baru-1-relation": Relation.CHILD}
    assert client_for(people.dinsos_operator).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **readded)).status_code == 302
    _through_verification(case, people)
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert "1 anggota baru tidak ditambahkan" in done
    assert not Member.objects.filter(nik=members["son"].nik, is_absent=False).exists()
    assert Member.objects.get(pk=members["son"].pk).is_deceased


def test_the_head_marked_gone_by_hand_is_refused_without_saying_he_left(family, people):
    home, case, members = family
    page = _words(client_for(people.officer).post(
        f"/verval/kasus/{case.pk}/", _visit_post(members, **{f"anggota-{members['head'].pk}": "meninggal"}), follow=True,
    ).content.decode())
    assert "bukan anggota keluarga yang dikunjungi" in page and "sudah tidak tercatat" not in page
    assert not case.member_changes.exists()


def test_a_birth_date_from_1900_on_is_kept(family, people):
    home, case, members = family
    response = client_for(people.officer).post(f"/verval/kasus/{case.pk}/",
                                                _visit_post(members, **{"baru-1-birth_date": "01/01/1900"}))
    assert response.status_code == 302
    assert case.member_changes.get(name="Bayi Kasim").birth_date == datetime.date(1900, 1, 1)


def test_a_new_members_nik_held_in_another_family_is_refused_without_naming_that_family(family, people, registry):
    """The officer sees NIKs in full: a NIK a present member of another family holds is refused at the
    visit, saying what to do, but not whose it is: the officer may not read that family (its head's
    name, No KK, P3KE ID); nothing is recorded."""
    home, case, members = family
    other = registry.poor_4
    MemberFactory(household=other, name="Putri Lain", nik=NEWBORN_NIK, relation=Relation.CHILD)
    response = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members), follow=True)
    assert client_for(people.officer).get(f"/keluarga/{other.pk}/").status_code in (403, 404)
    page = _words(response.content.decode())
    assert ("Anggota baru 1 (Putri Kasim): NIK: NIK ini sudah tercatat untuk anggota keluarga lain. Bila orang itu pindah ke "
            "keluarga ini, jangan tambahkan di sini: tulis nama dan NIK-nya di catatan kunjungan untuk Bappeda") in page
    for secret in ("Putri Lain", other.no_kk, other.p3ke_id, other.head_name):
        assert secret not in page
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def test_a_nik_held_only_by_an_absent_or_merged_away_member_elsewhere_is_not_refused(family, people, registry):
    home, case, members = family
    MemberFactory(household=registry.poor_4, nik=NEWBORN_NIK, is_absent=True)
    MemberFactory(household=registry.merged, nik=NEWBORN_NIK)  # its family merged into another: no one's now
    assert client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members)).status_code == 302
    assert case.member_changes.get(name="Putri Kasim").nik == NEWBORN_NIK


ELSEWHERE_FLAG = "tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain"


def test_another_familys_nik_typed_by_a_masked_role_is_flagged_to_the_reviewers_and_not_added(family, people, registry):
    """Dinas Sosial's operator sees NIKs masked: another family's NIK typed for a new member is answered
    as any unused NIK (no refusal that would confirm a guess). The reviewers who see NIKs in full see
    it flagged on the case and batch pages (the operator does not); the Bupati's preview counts it,
    without names; the approval does not add the person to a second family and applies the rest."""
    home, case, members = family
    elsewhere = MemberFactory(household=registry.poor_4, name="Putri Lain", nik=NEWBORN_NIK, relation=Relation.CHILD)
    operator = client_for(people.dinsos_operator)
    unused = make_nik(region="740901", birth=datetime.date(2025, 2, 1), female=True, serial=4444)
    answers = []
    for nik in (unused, NEWBORN_NIK):
        response = operator.post(f"/verval/kasus/{case.pk}/", _visit_post(members, **{"baru-0-nik": nik}), follow=True)
        answers.append((response.redirect_chain, [str(m) for m in response.context["messages"]]))
        assert registry.poor_4.no_kk not in response.content.decode()
    assert answers[0] == answers[1]
    _through_verification(case, people)
    for reviewer in (people.bappeda, people.dinsos_head):
        page = _words(client_for(reviewer).get(f"/verval/kasus/{case.pk}/").content.decode())
        assert f"Putri Kasim · NIK {NEWBORN_NIK}" in page and f"({ELSEWHERE_FLAG}" in page
        assert f"Putri Kasim ({ELSEWHERE_FLAG}" in _words(client_for(reviewer).get(f"/verval/berkas/{case.batch_id}/").content.decode())
    for page in (f"/verval/kasus/{case.pk}/", f"/verval/berkas/{case.batch_id}/"):
        assert ELSEWHERE_FLAG not in _words(operator.get(page).content.decode())
    expected = ("1 anggota baru tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain (satu orang hanya di "
                "satu keluarga). Bila orang itu pindah, Bappeda memindahkannya di data keluarga.")
    preview = _preview(people, case)
    assert expected in preview and "1 anggota keluarga baru ditambahkan" in preview and "Putri" not in preview
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert expected in done and "duplikat identitas" not in done
    assert list(Member.objects.filter(nik=NEWBORN_NIK).values_list("household", "is_absent")) == [(registry.poor_4.pk, False)]
    assert Member.objects.filter(household=home, name="Bayi Kasim").exists() and Member.objects.get(pk=members["son"].pk).is_absent
    assert not IdentityMatch.objects.filter(member_a=elsewhere).exists() and not IdentityMatch.objects.filter(member_b=elsewhere).exists()
    assert f"Putri Kasim ({ELSEWHERE_FLAG}" in _words(client_for(people.bappeda).get(f"/verval/berkas/{case.batch_id}/").content.decode())


@pytest.fixture
def merged_in_field(family_with_own_aid, people, registry):
    """The son recorded dead; then Bappeda merged the family into another record of it (poor_4),
    which already held the son under his NIK: the merge left the son's own record absent on the
    merged-away family and moved his aid to his twin on the kept one. The batch is still in the field."""
    home, case, members, aid = family_with_own_aid
    kept = registry.poor_4
    twin = MemberFactory(household=kept, name="M. Rizal", nik=members["son"].nik, relation=Relation.CHILD)
    officer = client_for(people.officer)
    assert officer.post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), **_found, f"anggota-{members['son'].pk}": "meninggal",
    }).status_code == 302
    membership.household_merge(source=home, target=kept, by=people.bappeda)
    assert Member.objects.get(pk=members["son"].pk).is_absent and Enrollment.objects.get(pk=aid["son", "pip"].pk).member == twin
    return case, twin, aid


@pytest.fixture
def merged_after_visit(merged_in_field, people):
    """``merged_in_field``, deliberated and verified."""
    case, twin, aid = merged_in_field
    _through_verification(case, people)
    return merged_in_field


def test_a_death_recorded_before_a_merge_is_shown_on_the_kept_familys_member_and_kept_on_saving(merged_in_field, people):
    """The visit page shows the death on the kept family's member with the son's NIK (not Tetap);
    saved again as the page shows it, the death stays recorded; the reviewers' page names him once."""
    case, twin, aid = merged_in_field
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert '<option value="meninggal" selected>Meninggal</option>' in _member_row(page, twin)
    assert officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, note="Foto rumah menyusul")).status_code == 302
    assert [(c.change, c.member_id) for c in case.member_changes.all()] == [("meninggal", twin.pk)]
    _through_verification(case, people)
    findings = _words(client_for(people.bappeda).get(f"/verval/kasus/{case.pk}/").content.decode())
    assert "M. Rizal Meninggal" in findings and "M. Rizal Tetap" not in findings


def test_a_finding_the_page_no_longer_shows_is_kept_on_saving(merged_in_field, people):
    """The kept family's twin got another NIK since: the page shows the son on no member; saving the
    visit again keeps his recorded death all the same, for the reviewer to be told at approval."""
    case, twin, aid = merged_in_field
    Member.objects.filter(pk=twin.pk).update(nik=make_nik(region="740901", birth=datetime.date(2011, 1, 2), female=False, serial=98))
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, note="Foto rumah menyusul")).status_code == 302
    assert [(c.name, c.change) for c in case.member_changes.all()] == [("Muhammad Rizal", "meninggal")]


def test_a_member_found_dead_in_a_family_merged_since_is_applied_to_the_kept_family(merged_after_visit, people):
    case, twin, aid = merged_after_visit
    preview = _preview(people, case)
    assert "1 anggota keluarga ditandai tidak ada" in preview and "2 bantuan perorangan dihentikan" in preview
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert "1 anggota keluarga ditandai tidak ada" in done and "2 bantuan perorangan dihentikan" in done
    twin.refresh_from_db()
    assert twin.is_absent and twin.history.latest().history_change_reason.startswith("Meninggal")
    assert _statuses(aid)["son", "pip"] == _statuses(aid)["son", "pbi-jk"] == EnrollmentStatus.CANCELLED
    assert _statuses(aid)["wife", "pip"] == EnrollmentStatus.PROPOSED


def test_a_member_found_dead_who_cannot_be_found_after_a_merge_is_reported_to_the_reviewer(merged_after_visit, people):
    """The kept family's twin got another NIK since (a correction): the son is no one the approval
    can find; the Bupati is told before and after approving, and nothing is marked."""
    case, twin, aid = merged_after_visit
    Member.objects.filter(pk=twin.pk).update(nik=make_nik(region="740901", birth=datetime.date(2011, 1, 2), female=False, serial=99))
    expected = ("1 perubahan anggota keluarga tidak dapat diterapkan: anggotanya tidak ditemukan lagi di keluarga yang "
                "dikunjungi (digabung atau diubah sejak kunjungan). Bappeda memeriksanya di data keluarga.")
    assert expected in _preview(people, case)
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{case.batch_id}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert expected in done
    assert not Member.objects.get(pk=twin.pk).is_absent
    case.batch.refresh_from_db()
    assert case.batch.applied["members_not_found"] == 1


def test_the_batch_and_case_pages_name_the_member_change_not_applied(merged_after_visit, people):
    """Bappeda's batch page and the case page say which change the approval could not apply, not
    just how many, for Bappeda to look at the family's data."""
    case, twin, aid = merged_after_visit
    Member.objects.filter(pk=twin.pk).update(nik=make_nik(region="740901", birth=datetime.date(2011, 1, 2), female=False, serial=99))
    services.batch_approve(batch=case.batch, by=people.bupati)
    bappeda = client_for(people.bappeda)
    flag = ("Muhammad Rizal: Meninggal (tidak dapat diterapkan: anggota ini tidak ditemukan lagi di keluarga yang "
            "dikunjungi; Bappeda memeriksanya di data keluarga)")
    assert flag in _words(bappeda.get(f"/verval/berkas/{case.batch_id}/").content.decode())
    assert flag.replace(":", "", 1) in _words(bappeda.get(f"/verval/kasus/{case.pk}/").content.decode())


def test_a_member_left_out_before_the_visit_can_be_recorded_dead(family_with_own_aid, people):
    """An import left the son out before the officer opened the page (he died): the page offers him,
    labelled as absent from the newest data, with Meninggal only; recorded dead, approval ends his aid."""
    home, case, members, aid = family_with_own_aid
    Member.objects.filter(pk=members["son"].pk).update(is_absent=True)
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    row = re.search(rf"<tr>(?:(?!</tr>).)*name=\"anggota-{members['son'].pk}\".*?</tr>", page, re.S).group(0)
    assert "Muhammad Rizal" in row and "tidak ada di data terbaru" in row
    assert 'value="meninggal"' in row and 'value="pindah"' not in row and 'value="bukan_anggota"' not in row
    wife_row = re.search(rf"<tr>(?:(?!</tr>).)*name=\"anggota-{members['wife'].pk}\".*?</tr>", page, re.S).group(0)
    assert "tidak ada di data terbaru" not in wife_row

    response = officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, **_found, **{f"anggota-{members['son'].pk}": "meninggal"}))
    assert response.status_code == 302
    assert [(c.name, c.change) for c in case.member_changes.all()] == [("Muhammad Rizal", "meninggal")]
    again = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    assert re.search(rf'name="anggota-{members["son"].pk}"[^>]*>.*?<option value="meninggal" selected>', again, re.S)
    _through_verification(case, people)
    assert "2 bantuan perorangan dihentikan" in _preview(people, case)
    services.batch_approve(batch=case.batch, by=people.bupati)
    assert _statuses(aid)["son", "pip"] == _statuses(aid)["son", "pbi-jk"] == EnrollmentStatus.CANCELLED
    assert _statuses(aid)["wife", "pip"] == EnrollmentStatus.PROPOSED


def test_a_member_absent_from_the_newest_data_is_not_recorded_as_moved(family, people):
    home, case, members = family
    Member.objects.filter(pk=members["cousin"].pk).update(is_absent=True)
    officer = client_for(people.officer)
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    refused = _words(officer.post(f"/verval/kasus/{case.pk}/", sent_back(
        page, **_found, **{f"anggota-{members['cousin'].pk}": "pindah"}), follow=True).content.decode())
    assert "Sepupu Jauh sudah tidak tercatat sebagai anggota keluarga ini" in refused
    case.refresh_from_db()
    assert case.recorded_at is None and not case.member_changes.exists()


def _member_row(page: str, member) -> str:
    return re.search(rf"<tr>(?:(?!</tr>).)*name=\"anggota-{member.pk}\".*?</tr>", page, re.S).group(0)


def test_a_finding_recorded_before_the_member_left_the_data_is_shown_and_kept(family, people):
    """The son was recorded moved out; a new extract then left him out. The page still shows him
    Pindah (not a blank choice): saved again unchanged, the finding stays; the officer may still
    clear it, choosing the blank."""
    home, case, members = family
    officer = client_for(people.officer)
    son = members["son"]
    officer.post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), **_found, f"anggota-{son.pk}": "pindah"})
    Member.objects.filter(pk=son.pk).update(is_absent=True)  # as an import marks a member left out
    page = officer.get(f"/verval/kasus/{case.pk}/").content.decode()
    row = _member_row(page, son)
    assert "tidak ada di data terbaru" in row
    assert '<option value="pindah" selected>Pindah</option>' in row and 'value="bukan_anggota"' not in row

    assert officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, note="Dicek ulang")).status_code == 302
    case.refresh_from_db()
    assert case.note == "Dicek ulang"
    assert [(c.name, c.change) for c in case.member_changes.all()] == [("Muhammad Rizal", "pindah")]

    # A refused save shows the finding as posted, not blank.
    refused = officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, **{"baru-0-name": "Bayi", "baru-0-nik": "12345"}),
                           follow=True)
    assert "NIK harus 16 digit" in refused.content.decode()
    assert '<option value="pindah" selected>Pindah</option>' in _member_row(refused.content.decode(), son)

    # Cleared by the officer: gone.
    assert officer.post(f"/verval/kasus/{case.pk}/", sent_back(page, **{f"anggota-{son.pk}": "tetap"})).status_code == 302
    assert not case.member_changes.exists()
    # Once cleared, Pindah is no longer offered for a member out of the newest data.
    assert 'value="pindah"' not in _member_row(officer.get(f"/verval/kasus/{case.pk}/").content.decode(), son)


def _member_badge(page: str, name: str) -> str:
    """The words of the members table's row of ``name`` on the household page."""
    table = page.split("Anggota keluarga (", 1)[1]
    return next(_words(row) for row in re.findall(r"<tr>.*?</tr>", table, re.S) if name in row)


def test_a_member_whose_death_the_approval_applied_is_shown_dead_not_left_out(family, people):
    """The son found dead, the cousin not of this family: once approved, the household page says
    the son died; the cousin is still shown as absent from the newest data. A later visit to the
    family shows the son as dead too."""
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    son, cousin = _member_badge(page, "Muhammad Rizal"), _member_badge(page, "Sepupu Jauh")
    assert "meninggal" in son and "tidak ada di data terbaru" not in son
    assert "tidak ada di data terbaru" in cousin and "meninggal" not in cousin
    assert "meninggal" not in _member_badge(page, "Wa Ode Sitti")

    Household.objects.filter(pk=home.pk).update(water_source="")  # a ranking variable lost: a new check
    later = services.cases_open(kind="incomplete", household_ids=[home.pk], by=people.bappeda).batch.cases.get()
    services.cases_assign(cases=[later], officer=people.officer, by=people.bappeda)
    visit = client_for(people.officer).get(f"/verval/kasus/{later.pk}/").content.decode()
    son_row = _words(_member_row(visit, members["son"]))
    assert "(meninggal)" in son_row and "tidak ada di data terbaru" not in son_row
    assert "tidak ada di data terbaru" in _words(_member_row(visit, members["cousin"]))


def test_a_member_left_out_before_being_found_dead_is_shown_dead_after_approval(family, people):
    home, case, members = family
    Member.objects.filter(pk=members["son"].pk).update(is_absent=True)  # an import left him out
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), **_found, f"anggota-{members['son'].pk}": "meninggal"})
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    assert "tidak ada di data terbaru" in _member_badge(page, "Muhammad Rizal")  # recorded, not yet approved
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    son = _member_badge(page, "Muhammad Rizal")
    assert "meninggal" in son and "tidak ada di data terbaru" not in son


def test_a_head_found_dead_is_shown_dead_while_the_family_carries_on(family, people):
    home, case, members = family
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.DECEASED, "verdict": Verdict.ELIGIBLE})
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    head = _member_badge(page, "Laode Kasim")
    assert "meninggal" in head and "tidak ada di data terbaru" not in head
    assert "meninggal" not in _member_badge(page, "Wa Ode Sitti")


def test_a_new_member_whose_nik_contradicts_the_typed_sex_or_birth_date_is_warned_about(family, people):
    """As the admin warns about a member typed in: the NIK says a girl born 1 Feb 2025, the row says
    a boy born 15 Mar 2024. The visit is recorded (the officer checks the family card), with the warnings."""
    home, case, members = family
    response = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(
        members, **{"baru-0-sex": Sex.MALE, "baru-0-birth_date": "15/03/2024"}), follow=True)
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert ("warning", "Periksa NIK Putri Kasim: Jenis kelamin tidak sesuai dengan NIK") in shown
    assert ("warning", "Periksa NIK Putri Kasim: Tanggal lahir tidak sesuai dengan NIK") in shown
    assert case.member_changes.get(name="Putri Kasim").birth_date == datetime.date(2024, 3, 15)
    quiet = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members), follow=True)
    assert not [m for m in quiet.context["messages"] if m.level_tag == "warning"]


def test_a_spouse_born_last_year_is_warned_about(family, people):
    home, case, members = family
    last_year = timezone.localdate().year - 1
    response = client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members, **{
        "baru-1-name": "Istri Kedua", "baru-1-relation": Relation.SPOUSE, "baru-1-sex": Sex.FEMALE,
        "baru-1-birth_date": f"01/06/{last_year}"}), follow=True)
    shown = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any(text.startswith("Periksa tanggal lahir Istri Kedua: sebagai istri/suami, umurnya baru") for text in shown)
    assert case.member_changes.filter(name="Istri Kedua").exists()


def test_one_newborn_recorded_in_two_families_of_a_batch_is_added_to_one_only(registry, people):
    """The same NIK typed for a new member in two visits of one batch (neither refused: no one holds it
    yet): approval adds the person to the first family and tells the reviewer of the other."""
    batch = services.cases_open(kind="inclusion", household_ids=[registry.pkh_high.pk, registry.sembako_7.pk],
                                by=people.bappeda).batch
    cases = list(batch.cases.order_by("id"))
    services.cases_assign(cases=cases, officer=people.officer, by=people.bappeda)
    officer = client_for(people.officer)
    for case in cases:
        assert officer.post(f"/verval/kasus/{case.pk}/", {
            "visited_on": timezone.localdate().strftime("%d/%m/%Y"), **_found,
            "baru-0-name": "Putri", "baru-0-nik": NEWBORN_NIK, "baru-0-relation": Relation.CHILD,
        }).status_code == 302
    _through_verification(cases[0], people)
    done = _words(client_for(people.bupati).post(f"/verval/berkas/{batch.pk}/sahkan/", {"setuju": "1"},
                                                 follow=True).content.decode())
    assert "1 anggota keluarga baru ditambahkan" in done and "1 anggota baru tidak ditambahkan: NIK-nya sudah tercatat" in done
    assert list(Member.objects.filter(nik=NEWBORN_NIK).values_list("household", flat=True)) == [cases[0].household_id]
    assert "Putri (tidak ditambahkan: NIK-nya sudah tercatat" in _words(
        client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/").content.decode())



def test_an_earlier_head_out_of_the_data_is_not_recorded_dead_with_the_head(family, people):
    """The family's earlier head (divorced, moved out alive), whom an import left out: when the head
    is found dead, only the head is shown dead; the earlier head is still shown out of the data."""
    home, case, members = family
    MemberFactory(household=home, name="Laode Lama", relation=Relation.HEAD, is_absent=True)
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.DECEASED, "verdict": Verdict.ELIGIBLE})
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    assert "meninggal" in _member_badge(page, "Laode Kasim")
    earlier = _member_badge(page, "Laode Lama")
    assert "meninggal" not in earlier and "tidak ada di data terbaru" in earlier
    assert not Member.objects.get(household=home, name="Laode Lama").is_deceased


def test_a_head_an_import_left_out_is_recorded_dead_when_found_dead(family, people):
    home, case, members = family
    Member.objects.filter(pk=members["head"].pk).update(is_absent=True)
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.DECEASED, "verdict": Verdict.ELIGIBLE})
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    assert Member.objects.get(pk=members["head"].pk).is_deceased


@pytest.mark.parametrize("verdict", [Verdict.ELIGIBLE, Verdict.NOT_ELIGIBLE])
def test_a_head_without_a_nik_left_out_by_an_import_is_recorded_dead_when_found_dead(family, people, verdict):
    """The family card gave the head no NIK, and an import has since left him out: found dead (the family
    carrying on, or gone), he is shown dead, known by the family's head name; the earlier head, also
    without a NIK and left out alive, is not."""
    home, case, members = family
    Household.objects.filter(pk=home.pk).update(head_nik="", head_name="Laode Kasim")
    Member.objects.filter(pk=members["head"].pk).update(nik="", is_absent=True)
    MemberFactory(household=home, name="Laode Lama", nik="", relation=Relation.HEAD, is_absent=True)
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.DECEASED, "verdict": verdict})
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    head = _member_badge(page, "Laode Kasim")
    assert "meninggal" in head and "tidak ada di data terbaru" not in head
    assert "tidak ada di data terbaru" in _member_badge(page, "Laode Lama")
    assert Member.objects.get(pk=members["head"].pk).history.first().history_change_reason.startswith(
        "Kepala keluarga meninggal" if verdict == Verdict.ELIGIBLE else "Verval disahkan")


def _aid_row(page: str, enrollment) -> str:
    """The words of the household page's aid table row of ``enrollment``."""
    return _words(re.search(rf'<tr id="kepesertaan-{enrollment.pk}">.*?</tr>', page, re.S).group(0))


def test_the_household_page_shows_a_dead_members_own_aid_ended_because_they_died(family_with_own_aid, people):
    """The son, found dead, had aid of his own: once approved, the household page's aid table shows each of
    his enrollments cancelled, received by him, ended because he died, with no delivery to record; the
    wife's aid is still live and deliverable, and the members table says the son died. The recipient cell
    says he died beside his name (not only the reason), in English too."""
    home, case, members, aid = family_with_own_aid
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    page = client_for(people.bappeda).get(f"/keluarga/{home.pk}/").content.decode()
    for code, program in (("pbi-jk", "PBI-JK"), ("pip", "PIP")):
        row = _aid_row(page, aid["son", code])
        assert program in row and "Dibatalkan Muhammad Rizal (meninggal)" in row, row
        assert f"Penerima meninggal (Verval disahkan {timezone.localdate().strftime('%d/%m/%Y')}" in row, row
        assert "Catat penyaluran" not in row
    wife = _aid_row(page, aid["wife", "pbi-jk"])
    assert "Aktif" in wife and "Wa Ode Sitti" in wife and "Catat penyaluran" in wife and "meninggal" not in wife
    assert "meninggal" in _member_badge(page, "Muhammad Rizal")
    english = client_for(people.bappeda)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Cancelled Muhammad Rizal (deceased)" in _aid_row(english.get(f"/keluarga/{home.pk}/").content.decode(), aid["son", "pip"])


def test_a_finding_the_visit_form_no_longer_lists_is_shown_beside_it(family, people, registry):
    """Bappeda typed in the officer's paper form: the son found dead. The family was then merged into
    another record of it, whose member with the son's NIK got another NIK since: the form lists the
    son on no member, yet his recorded death stays (saving keeps it) for approval to try. Each who
    opens the form (Bappeda, Kadis, the officer) is shown it with the name as recorded and why
    approval will not apply it; the members the form lists are not repeated there."""
    home, case, members = family
    assert client_for(people.bappeda).post(f"/verval/kasus/{case.pk}/", _visit_post(members)).status_code == 302
    twin = MemberFactory(household=registry.poor_4, name="M. Rizal", nik=members["son"].nik, relation=Relation.CHILD)
    membership.household_merge(source=home, target=registry.poor_4, by=people.bappeda)
    Member.objects.filter(pk=twin.pk).update(nik=make_nik(region="740901", birth=datetime.date(2011, 1, 2), female=False, serial=98))
    for user in (people.bappeda, people.dinsos_head, people.officer):
        page = client_for(user).get(f"/verval/kasus/{case.pk}/").content.decode()
        assert 'name="presence"' in page  # the form, not the findings read-only
        listed = _words(page.split('id="member-findings-unlisted"', 1)[1].split("</ul>", 1)[0])
        assert "Muhammad Rizal Meninggal (tidak dapat diterapkan: anggota ini tidak ditemukan lagi" in listed
        assert "M. Rizal" not in listed and "Wa Ode Sitti" not in listed


def test_a_member_found_dead_is_marked_absent_and_dead_in_one_history_row(family, people):
    """The son, found dead in a family found at home: the approval writes him once, absent and dead
    together, with one history row whose reason says he died, not a row marking him absent and
    another recording his death."""
    home, case, members = family
    rows_before = members["son"].history.count()
    client_for(people.officer).post(f"/verval/kasus/{case.pk}/", _visit_post(members))
    _through_verification(case, people)
    services.batch_approve(batch=case.batch, by=people.bupati)
    son = Member.objects.get(pk=members["son"].pk)
    assert son.history.count() == rows_before + 1
    row = son.history.latest()
    assert (row.is_absent, row.is_deceased, row.history_user) == (True, True, people.bupati)
    assert row.history_change_reason.startswith("Meninggal (Verval disahkan")
