"""A person who moves between two families of one batch, and a member to add or a visited desil
that a merge after the visit settled: what the Bupati is told, what the pages say, where the person
is afterwards."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dedup import membership
from dedup.models import Conflict, ConflictRule, ConflictStatus, IdentityMatch
from dedup.services import identity_scan
from households.identifiers import make_nik
from households.models import Household, Member, Relation, Sex
from programs.models import Enrollment, EnrollmentStatus, Program
from programs.services import enrollment_create, enrollment_update
from tests.factories import MemberFactory
from tests.verval.conftest import approval_preview_text, approved_page_text, client_for, words
from verval import services
from verval.models import Presence, Verdict

pytestmark = pytest.mark.django_db
MOVER_NIK = make_nik(region="740901", birth=datetime.date(2001, 5, 6), female=True, serial=61)
ELSEWHERE = "anggota baru tidak ditambahkan: NIK-nya sudah tercatat untuk anggota keluarga lain"


@pytest.fixture
def two_families(registry, people):
    """One inclusion batch of pkh_high (A) and pkh_sembako_high (B); B's daughter Sitti has aid of her own (PIP)."""
    a, b = registry.pkh_high, registry.pkh_sembako_high
    sitti = MemberFactory(household=b, name="Sitti Aminah", nik=MOVER_NIK, relation=Relation.CHILD, sex=Sex.FEMALE,
                          birth_date=datetime.date(2001, 5, 6))
    pip = enrollment_create(household=b, program=Program.objects.get(code="pip"), member=sitti, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[a.pk, b.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    return batch, batch.cases.get(household=a), batch.cases.get(household=b), sitti, pip


def _visit(case, by, *, members=None, additions=None):
    return services.case_visit_record(case=case, by=by, visited_on=timezone.localdate(), presence=Presence.FOUND,
                                      verdict=Verdict.ELIGIBLE, members=members or {}, additions=additions or [])


def _sitti_added(sitti):
    return [{"name": sitti.name, "nik": MOVER_NIK, "relation": Relation.SPOUSE, "sex": Sex.FEMALE,
             "birth_date": sitti.birth_date}]


def _verified(batch, people):
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Setuju", by=people.bappeda)
    services.batch_verify(batch=batch, note="", by=people.dinsos_head)


def _preview(batch, people) -> str:
    return approval_preview_text(batch, people.bupati)


def _approve(batch, people) -> str:
    return approved_page_text(batch, people.bupati)


@pytest.mark.parametrize("change", ["pindah", "bukan_anggota"])
def test_a_member_who_left_one_family_of_the_batch_for_another_is_moved_there(two_families, people, change):
    """B's visit finds Sitti gone (moved out, or not of B); A's visit, typed by Dinas Sosial's operator
    (NIKs masked), adds her with her NIK: approval moves her record to A, her own aid with her, and
    does not say her NIK is held elsewhere; she is in exactly one family."""
    batch, case_a, case_b, sitti, pip = two_families
    _visit(case_b, people.officer, members={sitti.pk: change})
    _visit(case_a, people.dinsos_operator, additions=_sitti_added(sitti))
    _verified(batch, people)
    preview = _preview(batch, people)
    assert ELSEWHERE not in preview
    assert "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in preview
    done = _approve(batch, people)
    assert ELSEWHERE not in done and "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in done
    assert list(Member.objects.filter(nik=MOVER_NIK).values_list("pk", "household", "is_absent", "relation")) == [
        (sitti.pk, case_a.household_id, False, Relation.SPOUSE)]
    assert Enrollment.objects.get(pk=pip.pk).member_id == sitti.pk
    assert Enrollment.objects.get(pk=pip.pk).household_id == case_a.household_id
    assert "Verval disahkan" in Member.objects.get(pk=sitti.pk).history.first().history_change_reason
    page = words(client_for(people.bappeda).get(f"/verval/kasus/{case_a.pk}/").content.decode())
    assert "Sitti Aminah" in page and "ditambahkan" in page and "sudah tercatat" not in page


def test_a_member_found_dead_in_one_family_and_added_to_another_is_still_not_added(two_families, people):
    batch, case_a, case_b, sitti, pip = two_families
    _visit(case_b, people.officer, members={sitti.pk: "meninggal"})
    _visit(case_a, people.dinsos_operator, additions=_sitti_added(sitti))
    _verified(batch, people)
    assert "1 " + ELSEWHERE in _approve(batch, people)
    assert list(Member.objects.filter(nik=MOVER_NIK).values_list("household", "is_absent")) == [(case_b.household_id, True)]


def test_the_officer_may_add_a_member_the_batch_finds_moved_out_of_another_family(two_families, people):
    """The officer sees NIKs in full: a NIK of another family's member is refused at the visit, unless a
    visit of the same batch recorded that member as moved out (Pindah, not of that family); one found
    dead there is still refused."""
    batch, case_a, case_b, sitti, pip = two_families
    _visit(case_b, people.officer, members={sitti.pk: "meninggal"})
    with pytest.raises(Exception, match="sudah tercatat untuk anggota keluarga lain"):
        _visit(case_a, people.officer, additions=_sitti_added(sitti))
    _visit(case_b, people.officer, members={sitti.pk: "pindah"})
    _visit(case_a, people.officer, additions=_sitti_added(sitti))
    assert case_a.member_changes.get().nik == MOVER_NIK


KNOWN = "tidak ditambahkan: sudah tercatat di keluarganya"


@pytest.fixture
def merged_before_approval(registry, people):
    """pkh_high (desil 6) visited and found eligible, Dinas Sosial's operator adding a member whose NIK
    poor_4 (desil 4) holds; then Bappeda merges pkh_high into poor_4, the same family on two cards."""
    home, kept = registry.pkh_high, registry.poor_4
    MemberFactory(household=kept, name="Sitti A.", nik=MOVER_NIK, relation=Relation.CHILD)
    batch = services.cases_open(kind="inclusion", household_ids=[home.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    _visit(case, people.dinsos_operator, additions=[{"name": "Sitti Aminah", "nik": MOVER_NIK, "relation": Relation.CHILD,
                                                     "sex": Sex.FEMALE}])
    _verified(batch, people)
    membership.household_merge(source=home, target=kept, by=people.bappeda)
    return batch, case


def test_a_member_to_add_the_kept_family_holds_is_named_as_not_added_on_the_pages(merged_before_approval, people):
    batch, case = merged_before_approval
    for when in ("before", "after"):
        if when == "after":
            assert "1 anggota baru tidak ditambahkan: anggota dengan NIK yang sama sudah tercatat" in _approve(batch, people)
        for reviewer in (people.bappeda, people.dinsos_operator):
            assert f"Sitti Aminah ({KNOWN})" in words(
                client_for(reviewer).get(f"/verval/berkas/{batch.pk}/").content.decode()), (when, reviewer)
            page = words(client_for(reviewer).get(f"/verval/kasus/{case.pk}/").content.decode())
            assert f"({KNOWN})" in page
            applied = "Berkas sudah disahkan: perubahan anggota diterapkan, kecuali yang disebut alasannya"
            assert (applied in page, "Perubahan anggota diterapkan setelah berkas disahkan" in page) == (when == "after", when == "before")
    batch.refresh_from_db()
    assert batch.applied["known_changes"] == [case.member_changes.get().pk]
    assert Member.objects.filter(nik=MOVER_NIK, is_absent=False).count() == 1


def test_a_desil_that_differs_after_a_merge_says_the_family_was_merged(merged_before_approval, people):
    """The visit judged the family at desil 6; it stands on poor_4's record now, ranked 4: not
    confirmed (the visit did not judge it so ranked), and the message says why: the merge."""
    batch, case = merged_before_approval
    note = "desil berubah sejak kunjungan: 6 → 4 (keluarga digabung sejak kunjungan)"
    assert note in _preview(batch, people)
    assert note in words(client_for(people.bappeda).get(f"/verval/berkas/{batch.pk}/").content.decode())
    assert note in _approve(batch, people)


@pytest.mark.parametrize("leaving_first", [True, False])
@pytest.mark.parametrize("typist", ["dinsos_operator", "officer"])
def test_a_member_of_a_family_found_moved_away_whole_who_joined_another_family_of_the_batch_is_moved_there(
        registry, people, leaving_first, typist):
    """A family of the batch is found moved away whole (Pindah); its daughter Sitti, with aid of her own
    (PIP), is found living in another family of the batch, whose visit adds her with her NIK: as when
    her own family's visit finds her alone moved out, approval moves her record to the family she
    joined (whichever family's case comes first), her aid with her, and marks her old family absent."""
    first, second = sorted([registry.pkh_high, registry.pkh_sembako_high], key=lambda home: home.pk)
    old, new = (first, second) if leaving_first else (second, first)
    sitti = MemberFactory(household=old, name="Sitti Aminah", nik=MOVER_NIK, relation=Relation.CHILD, sex=Sex.FEMALE,
                          birth_date=datetime.date(2001, 5, 6))
    brother = MemberFactory(household=old, name="La Ode Amir", relation=Relation.CHILD)
    pip = enrollment_create(household=old, program=Program.objects.get(code="pip"), member=sitti, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[old.pk, new.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    case_old, case_new = batch.cases.get(household=old), batch.cases.get(household=new)
    services.case_visit_record(case=case_old, by=people.officer, visited_on=timezone.localdate(), presence=Presence.MOVED,
                               verdict=Verdict.NOT_ELIGIBLE)
    _visit(case_new, getattr(people, typist), additions=_sitti_added(sitti))
    _verified(batch, people)
    preview = _preview(batch, people)
    assert ELSEWHERE not in preview and "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in preview
    done = _approve(batch, people)
    assert ELSEWHERE not in done and "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in done
    assert "1 keluarga ditandai tidak ada" in done
    assert list(Member.objects.filter(nik=MOVER_NIK).values_list("pk", "household", "is_absent", "relation")) == [
        (sitti.pk, new.pk, False, Relation.SPOUSE)]
    aid = Enrollment.objects.get(pk=pip.pk)
    assert (aid.member_id, aid.household_id, aid.status) == (sitti.pk, new.pk, pip.status)
    # The rest of the old family moved away with it: marked absent as a whole, its aid ended.
    assert Member.objects.get(pk=brother.pk).household_id == old.pk
    old.refresh_from_db()
    assert old.is_absent
    page = words(client_for(people.bappeda).get(f"/verval/kasus/{case_new.pk}/").content.decode())
    assert "Sitti Aminah" in page and "ditambahkan" in page and "sudah tercatat" not in page


@pytest.mark.parametrize("found", ["family moved", "member moved, twin kept"])
def test_the_visit_check_follows_a_merge_of_the_family_the_member_left(two_families, people, registry, found):
    """B's visit finds Sitti gone (B moved away whole, or Sitti alone moved out); then Bappeda merges B
    into poor_4, the same family on two cards (which holds Sitti's NIK too, in the second case). The
    officer adding Sitti to A is judged against the kept family, as approval judges: not refused, and
    approval moves the person poor_4 holds to A."""
    batch, case_a, case_b, sitti, pip = two_families
    kept = registry.poor_4
    if found == "family moved":
        services.case_visit_record(case=case_b, by=people.officer, visited_on=timezone.localdate(),
                                   presence=Presence.MOVED, verdict=Verdict.NOT_ELIGIBLE)
    else:
        _visit(case_b, people.officer, members={sitti.pk: "pindah"})
        MemberFactory(household=kept, name="Sitti A.", nik=MOVER_NIK, relation=Relation.CHILD)
    membership.household_merge(source=case_b.household, target=kept, by=people.bappeda)
    holder = Member.objects.get(nik=MOVER_NIK, is_absent=False)
    assert holder.household_id == kept.pk
    _visit(case_a, people.officer, additions=_sitti_added(sitti))
    _verified(batch, people)
    assert "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in _preview(batch, people)
    assert "1 anggota keluarga pindah ke keluarga lain dalam berkas ini" in _approve(batch, people)
    assert list(Member.objects.filter(nik=MOVER_NIK, is_absent=False).values_list("pk", "household")) == [
        (holder.pk, case_a.household_id)]


HEAD_NIK = make_nik(region="740901", birth=datetime.date(1950, 1, 2), female=False, serial=62)
DEAD_NIK = make_nik(region="740901", birth=datetime.date(1952, 3, 4), female=True, serial=63)


def _old_head_of_b_moved_away(registry, people):
    """B's head is an old man with aid of his own (PBI-JK); one batch visits A and B, and B's visit
    finds the family moved away whole, his wife dead."""
    a, b = registry.pkh_high, registry.pkh_sembako_high
    Household.objects.filter(pk=b.pk).update(head_nik=HEAD_NIK, head_name="La Ode Tua")
    head = MemberFactory(household=b, name="La Ode Tua", nik=HEAD_NIK, relation=Relation.HEAD, sex=Sex.MALE,
                         birth_date=datetime.date(1950, 1, 2))
    wife = MemberFactory(household=b, name="Wa Ode Tua", nik=DEAD_NIK, relation=Relation.SPOUSE, sex=Sex.FEMALE,
                         birth_date=datetime.date(1952, 3, 4))
    pbi = enrollment_create(household=b, program=Program.objects.get(code="pbi-jk"), member=head, year=2025).enrollment
    batch = services.cases_open(kind="inclusion", household_ids=[a.pk, b.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    case_a, case_b = batch.cases.get(household=a), batch.cases.get(household=b)
    services.case_visit_record(case=case_b, by=people.officer, visited_on=timezone.localdate(), presence=Presence.MOVED,
                               verdict=Verdict.NOT_ELIGIBLE, members={wife.pk: "meninggal"})
    return a, b, head, wife, pbi, batch, case_a, case_b


@pytest.mark.parametrize("typist", ["dinsos_operator", "officer"])
def test_the_head_of_a_family_found_moved_away_whole_who_joined_another_family_of_the_batch_is_moved_there(
        registry, people, typist):
    """B is found moved away whole; its head, an old man with aid of his own (PBI-JK), lives with his
    son's family A, whose visit adds him; his wife, found dead at B's visit, is typed in A
    too. Approval moves him to A as it moves any member of B (his aid with him), says so, and leaves B
    marked absent; his wife is recorded dead in B, not added to A, and the approval says she was not."""
    a, b, head, wife, pbi, batch, case_a, case_b = _old_head_of_b_moved_away(registry, people)
    # Typed with no relation by the officer: no second head of A all the same.
    relation = Relation.OTHER if typist == "dinsos_operator" else ""
    additions = [{"name": "La Ode Tua", "nik": HEAD_NIK, "relation": relation, "sex": Sex.MALE,
                  "birth_date": head.birth_date}]
    if typist == "dinsos_operator":  # NIKs masked: not refused at the visit, set apart at approval
        additions.append({"name": "Wa Ode Tua", "nik": DEAD_NIK, "relation": Relation.OTHER, "sex": Sex.FEMALE})
    _visit(case_a, getattr(people, typist), additions=additions)
    _verified(batch, people)
    moved = "1 anggota keluarga pindah ke keluarga lain dalam berkas ini: dipindahkan ke keluarga barunya, bersama"
    preview = _preview(batch, people)
    assert moved in preview and ("1 " + ELSEWHERE in preview) == (typist == "dinsos_operator")
    done = _approve(batch, people)
    assert moved in done and ("1 " + ELSEWHERE in done) == (typist == "dinsos_operator")
    assert list(Member.objects.filter(nik=HEAD_NIK).values_list("pk", "household", "is_absent", "relation")) == [
        (head.pk, a.pk, False, relation)]
    aid = Enrollment.objects.get(pk=pbi.pk)
    assert (aid.member_id, aid.household_id, aid.status) == (head.pk, a.pk, pbi.status)
    assert list(Member.objects.filter(nik=DEAD_NIK).values_list("household", "is_absent", "is_deceased")) == [
        (b.pk, True, True)]
    b.refresh_from_db()
    assert b.is_absent


def test_the_head_moved_out_of_a_family_found_moved_away_is_no_duplicate_of_it(registry, people, bappeda_client):
    """B, found moved away whole, keeps its head's NIK (its record as it was); its head now lives in
    A. The NIK is one person's, in A alone: no identity duplicate of A and B, now or at the next
    scan of the registry, and no open one-aid conflict between them; B's page still names him its
    head, A's lists him."""
    a, b, head, _wife, _pbi, batch, case_a, _case_b = _old_head_of_b_moved_away(registry, people)
    _visit(case_a, people.officer, additions=[{"name": "La Ode Tua", "nik": HEAD_NIK, "relation": "", "sex": Sex.MALE,
                                               "birth_date": head.birth_date}])
    _verified(batch, people)
    _approve(batch, people)
    b.refresh_from_db()
    assert b.is_absent and b.head_nik == HEAD_NIK
    identity_scan()
    identity_scan(households=[a.pk, b.pk])
    assert not IdentityMatch.objects.filter(household_a__in=[a, b], household_b__in=[a, b]).exists()
    listing = words(bappeda_client.get(reverse("admin:dedup_identitymatch_changelist")).content.decode())
    assert "La Ode Tua" not in listing
    # His own aid went with him: A's aid and his may break the one-aid rule in A, not through B.
    open_conflicts = Conflict.objects.filter(status=ConflictStatus.OPEN)
    assert not open_conflicts.filter(rule=ConflictRule.SAME_PERSON).exists()
    assert not open_conflicts.filter(Q(enrollment_a__household=b) | Q(enrollment_b__household=b)).exists()
    page_b = words(bappeda_client.get(reverse("agencies:household_detail", args=[b.pk])).content.decode())
    assert "La Ode Tua" in page_b and HEAD_NIK in page_b and "pindah (verval)" in page_b
    page_a = words(bappeda_client.get(reverse("agencies:household_detail", args=[a.pk])).content.decode())
    assert "La Ode Tua" in page_a


def test_the_aid_a_family_found_moved_away_keeps_is_no_double_aid_through_its_old_heads_nik(registry, people):
    """B, found moved away whole, had a house rebuilt this year (BSPS, completed: it stays B's); its
    head now lives in A, which receives PKH. Approval moves him first, while B is still in the data,
    then marks B absent: B's record keeps his NIK, but no longer stands for him, and the same-person
    conflict his move raised between B's house and A's PKH closes in the same approval."""
    a, b, head, _wife, _pbi, batch, case_a, _case_b = _old_head_of_b_moved_away(registry, people)
    for ended in Enrollment.objects.filter(household=b, member__isnull=True):  # its PKH and Sembako stopped
        enrollment_update(enrollment=ended, by=people.bappeda, status=EnrollmentStatus.CANCELLED)
    house = enrollment_create(household=b, program=Program.objects.get(code="bsps"), year=2025,
                              status=EnrollmentStatus.COMPLETED).enrollment
    _visit(case_a, people.officer, additions=[{"name": "La Ode Tua", "nik": HEAD_NIK, "relation": "", "sex": Sex.MALE,
                                               "birth_date": head.birth_date}])
    _verified(batch, people)
    _approve(batch, people)

    house.refresh_from_db()
    assert house.status == EnrollmentStatus.COMPLETED and house.household_id == b.pk
    through_b = Conflict.objects.filter(Q(enrollment_a=house) | Q(enrollment_b=house), rule=ConflictRule.SAME_PERSON)
    assert not through_b.filter(status=ConflictStatus.OPEN).exists()


def test_an_absent_familys_head_nik_held_by_its_own_member_still_links_it(registry):
    """The head's NIK of an absent family is not matched on its own, but its members still stand
    for themselves: the same person in a present family is still found, through the member."""
    a, b = registry.pkh_high, registry.absent_none
    nik = b.head_nik
    MemberFactory(household=b, name=b.head_name, nik=nik, relation=Relation.HEAD)
    MemberFactory(household=a, name=b.head_name, nik=nik, relation=Relation.OTHER)
    identity_scan()
    assert IdentityMatch.objects.filter(kind="same_nik", household_a__in=[a, b], household_b__in=[a, b]).exists()


def _holder_reads(queries) -> int:
    """The reads of who holds a NIK now: present members, of families not merged away, by NIK."""
    return sum(
        1 for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and 'FROM "households_member"' in q["sql"]
        and '"households_member"."nik" IN' in q["sql"] and '"merged_into_id" IS NULL' in q["sql"]
    )


def test_saving_the_visit_reads_who_holds_the_typed_niks_once(two_families, people):
    """The officer adds Sitti to A after B's visit found her moved out: the page asks once who holds
    her NIK, and from that one answer both whether another family holds it and whether she is the
    person moving in (accepted: approval moves her)."""
    batch, case_a, case_b, sitti, _pip = two_families
    _visit(case_b, people.officer, members={sitti.pk: "pindah"})
    data = {
        "visited_on": timezone.localdate().strftime("%d/%m/%Y"), "presence": Presence.FOUND, "verdict": Verdict.ELIGIBLE,
        "baru-0-name": sitti.name, "baru-0-nik": MOVER_NIK, "baru-0-relation": Relation.SPOUSE,
        "baru-0-sex": Sex.FEMALE, "baru-0-birth_date": sitti.birth_date.strftime("%d/%m/%Y"),
    }
    officer = client_for(people.officer)
    with CaptureQueriesContext(connection) as queries:
        response = officer.post(f"/verval/kasus/{case_a.pk}/", data)
    assert response.status_code == 302
    assert _holder_reads(queries) == 1
    assert list(case_a.member_changes.values_list("nik", flat=True)) == [MOVER_NIK]
