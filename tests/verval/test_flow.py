"""The verval flow through its services: opening, assigning, visiting (which changes nothing),
deliberation, verification, approval (which applies through the services, with history), the
proposal file, and the ministry's returns. Each refusal leaves the data as it was."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from dedup.membership import household_merge
from households.models import DataSource, Household, Relation
from programs.models import Enrollment, EnrollmentStatus
from tests.factories import MemberFactory
from tests.verval.conftest import enroll, household
from verval import selectors, services
from verval.models import CaseStatus, Presence, ProposalType, Stage, Verdict, VervalCase, proposal_type

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today


def _open_village(registry, people):
    return services.cases_open_village(kind="inclusion", desa=registry.desa, by=people.bappeda)


def _visit(case, people, verdict, presence=Presence.FOUND, **conditions):
    return services.case_visit_record(
        case=case, by=people.officer, visited_on=timezone.localdate(), presence=presence, verdict=verdict,
        note="Dikunjungi bersama kepala dusun.", conditions=conditions,
    )


def _proposal_type(case):
    """The case's line in the proposal file, its family's continuation read as the file reads it."""
    return proposal_type(case, continues=selectors.families_continuing([case])[case.pk])


def _through_verification(batch, people):
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Disepakati.", by=people.bappeda)
    return services.batch_verify(batch=batch, note="Sesuai.", by=people.dinsos_head)


def test_opening_a_village_opens_its_candidates_once(registry, people):
    result = _open_village(registry, people)
    cases = {c.household: c for c in result.batch.cases.all()}
    assert set(cases) == {registry.pkh_high, registry.pkh_sembako_high}  # sembako_7 lives elsewhere
    assert "PKH" in cases[registry.pkh_high].reason and "desil 6 > 4" in cases[registry.pkh_high].reason
    assert cases[registry.pkh_sembako_high].enrollments.count() == 2
    again = services.cases_open(kind="inclusion", household_ids=[registry.pkh_high.pk, registry.poor_1.pk], by=people.bappeda)
    assert again.batch is None and again.skipped == 2  # an open case already, and not an inclusion candidate


def test_who_may_open_assign_and_record(registry, people):
    with pytest.raises(PermissionDenied):
        services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk], by=people.perkim_head)
    with pytest.raises(PermissionDenied):
        services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk], by=people.officer)
    batch = services.cases_open(kind="inclusion", household_ids=[registry.pkh_high.pk], by=people.dinsos_operator).batch
    case = batch.cases.get()
    with pytest.raises(ValidationError):
        services.cases_assign(cases=[case], officer=people.bupati, by=people.bappeda)
    services.cases_assign(cases=[case], officer=people.officer, by=people.dinsos_head)
    with pytest.raises(PermissionDenied):
        services.case_visit_record(case=case, by=people.other_officer, visited_on=timezone.localdate(),
                                   presence=Presence.FOUND, verdict=Verdict.ELIGIBLE)
    with pytest.raises(ValidationError):
        services.case_visit_record(case=case, by=people.officer, visited_on=timezone.localdate() + datetime.timedelta(days=1),
                                   presence=Presence.FOUND, verdict=Verdict.ELIGIBLE)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and not case.recorded_at


def test_the_whole_flow_applies_only_at_approval(registry, people):
    batch = _open_village(registry, people).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    high = batch.cases.get(household=registry.pkh_high)
    both = batch.cases.get(household=registry.pkh_sembako_high)
    _visit(high, people, Verdict.NOT_ELIGIBLE, floor_type="keramik", water_source="ledeng")
    with pytest.raises(ValidationError, match="belum dikunjungi"):
        services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="x", by=people.bappeda)
    _visit(both, people, Verdict.ELIGIBLE, floor_type="tanah")
    # Recording changed nothing in the registry.
    registry.pkh_high.refresh_from_db()
    assert registry.pkh_high.floor_type == "semen" and registry.pkh_high.conditions_source == ""
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.ACTIVE

    with pytest.raises(ValidationError):  # verification before the deliberation
        services.batch_verify(batch=batch, note="", by=people.dinsos_head)
    with pytest.raises(PermissionDenied):
        services.batch_approve(batch=batch, by=people.bappeda)
    services.batch_deliberation_record(batch=batch, held_on=timezone.localdate(), outcome="Disepakati.", by=people.bappeda)
    with pytest.raises(PermissionDenied):
        services.batch_verify(batch=batch, note="", by=people.dinsos_operator)
    services.batch_verify(batch=batch, note="Sesuai.", by=people.dinsos_head)
    with pytest.raises(ValidationError):  # the field stage is over
        _visit(high, people, Verdict.ELIGIBLE)

    result = services.batch_approve(batch=batch, by=people.bupati)
    assert (result.suspended, result.ended, result.conditions) == (1, 0, 2)
    enrollment = Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk)
    assert enrollment.status == EnrollmentStatus.SUSPENDED
    last = enrollment.history.order_by("-history_id").first()
    assert last.status == EnrollmentStatus.SUSPENDED and last.history_user == people.bupati
    assert "Verval disahkan" in enrollment.status_reason
    # The eligible family keeps its aid; both households carry the observed conditions and their source.
    assert set(Enrollment.objects.filter(household=registry.pkh_sembako_high).values_list("status", flat=True)) == {"active"}
    registry.pkh_high.refresh_from_db()
    assert (registry.pkh_high.floor_type, registry.pkh_high.water_source) == ("keramik", "ledeng")
    assert registry.pkh_high.conditions_source == DataSource.VERVAL
    assert registry.pkh_high.conditions_date == timezone.localdate()
    assert registry.pkh_high.history.first().history_user == people.bupati
    batch.refresh_from_db()
    assert batch.stage == Stage.APPROVED and batch.approved_by == people.bupati
    assert set(batch.cases.values_list("status", flat=True)) == {CaseStatus.APPLIED}
    with pytest.raises(ValidationError):  # read-only after approval
        services.batch_approve(batch=batch, by=people.bupati)
    assert _proposal_type(batch.cases.get(household=registry.pkh_high)) == ProposalType.REMOVE
    assert _proposal_type(batch.cases.get(household=registry.pkh_sembako_high)) == ProposalType.UPDATE


def test_a_family_gone_is_marked_absent_and_its_aid_ended(registry, people):
    batch = services.cases_open(kind="absent_enrolled", household_ids=[registry.absent_pkh.pk], by=people.bappeda).batch
    case = batch.cases.get()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    _visit(case, people, Verdict.NOT_ELIGIBLE, presence=Presence.DECEASED)
    _through_verification(batch, people)
    result = services.batch_approve(batch=batch, by=people.bupati)
    assert (result.absent, result.ended) == (1, 1)
    assert Household.objects.get(pk=registry.absent_pkh.pk).is_absent
    assert not Enrollment.objects.filter(household=registry.absent_pkh, status__in=["active", "proposed"]).exists()


def test_a_deceased_head_leaves_the_family_and_its_aid_in_place(registry, people):
    # The head died; his wife and two children still live there and the family is found eligible.
    home = registry.pkh_high
    head = MemberFactory(household=home, name=home.head_name, nik=home.head_nik, relation=Relation.HEAD)
    others = [MemberFactory(household=home, relation=Relation.SPOUSE), MemberFactory(household=home),
              MemberFactory(household=home)]
    alone = registry.pkh_sembako_high  # a head who lived alone: the family is gone with him
    MemberFactory(household=alone, name=alone.head_name, nik=alone.head_nik, relation=Relation.HEAD)
    batch = _open_village(registry, people).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    for case in batch.cases.all():
        _visit(case, people, Verdict.ELIGIBLE, presence=Presence.DECEASED)
    _through_verification(batch, people)
    result = services.batch_approve(batch=batch, by=people.bupati)
    home.refresh_from_db()
    assert not home.is_absent
    assert (result.head_deceased, result.absent, result.ended) == (1, 1, 2)
    assert Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk).status == EnrollmentStatus.ACTIVE
    head.refresh_from_db()
    assert head.is_absent and not any(type(m).objects.get(pk=m.pk).is_absent for m in others)
    assert "kepala keluarga baru ditetapkan Bappeda" in home.history.latest().history_change_reason
    assert _proposal_type(batch.cases.get(household=home)) == ProposalType.UPDATE
    assert Household.objects.get(pk=alone.pk).is_absent
    assert not Enrollment.objects.filter(household=alone, status__in=["active", "proposed"]).exists()
    assert _proposal_type(batch.cases.get(household=alone)) == ProposalType.REMOVE
    client = Client()
    client.force_login(people.bappeda)
    page = client.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert page.count("Keluarga tetap ada; kepala keluarga baru ditetapkan Bappeda") == 1


def test_approval_follows_a_merge_made_after_the_visit(registry, people):
    batch = _open_village(registry, people).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    gone = batch.cases.get(household=registry.pkh_high)
    _visit(gone, people, Verdict.NOT_ELIGIBLE, presence=Presence.NOT_FOUND)
    _visit(batch.cases.get(household=registry.pkh_sembako_high), people, Verdict.ELIGIBLE)
    # Bappeda finds pkh_high is a second record of another family and merges it; its PKH moves along.
    kept = household(registry.desa, 6)
    household_merge(source=registry.pkh_high, target=kept, by=people.bappeda, reason="KK ganda")
    client = Client()
    client.force_login(people.bappeda)
    page = client.get(f"/verval/berkas/{batch.pk}/").content.decode()
    assert f"Digabung ke keluarga #{kept.pk} ({kept.head_name}); pengesahan diterapkan ke keluarga itu" in page
    _through_verification(batch, people)
    result = services.batch_approve(batch=batch, by=people.bupati)
    moved = Enrollment.objects.get(pk=registry.pkh_high_enrollment.pk)
    assert moved.household_id == kept.pk and moved.status == EnrollmentStatus.CANCELLED
    assert Household.objects.get(pk=kept.pk).is_absent
    assert (result.absent, result.merged, result.ended) == (1, 1, 1)


def test_not_eligible_suspends_the_aid_recorded_after_the_case_opened(registry, people):
    batch = _open_village(registry, people).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    for case in batch.cases.all():
        _visit(case, people, Verdict.NOT_ELIGIBLE)
    later = enroll(registry.pkh_sembako_high, "pkh", year=2026)  # a re-sync after the case opened
    bsps = enroll(registry.pkh_sembako_high, "bsps", year=2026)  # a program the case did not question
    _through_verification(batch, people)
    result = services.batch_approve(batch=batch, by=people.bupati)
    assert Enrollment.objects.get(pk=later.pk).status == EnrollmentStatus.SUSPENDED
    assert Enrollment.objects.get(pk=bsps.pk).status == EnrollmentStatus.ACTIVE
    assert (result.suspended, result.later) == (4, 1)


def test_a_visit_dated_before_the_batch_opened_is_refused(registry, people):
    case = _open_village(registry, people).batch.cases.first()
    services.cases_assign(cases=[case], officer=people.officer, by=people.bappeda)
    with pytest.raises(ValidationError, match="sebelum berkas dibuka"):
        services.case_visit_record(case=case, by=people.officer, visited_on=datetime.date(1990, 1, 1),
                                   presence=Presence.FOUND, verdict=Verdict.ELIGIBLE)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and case.visited_on is None and not case.recorded_at


def test_returns_reopen_the_sent_cases(registry, people):
    batch = services.cases_open(kind="exclusion", household_ids=[registry.poor_1.pk, registry.poor_4.pk], by=people.bappeda).batch
    services.cases_assign(cases=list(batch.cases.all()), officer=people.officer, by=people.bappeda)
    for case in batch.cases.all():
        _visit(case, people, Verdict.ELIGIBLE)
    _through_verification(batch, people)
    services.batch_approve(batch=batch, by=people.bupati)
    services.proposal_export_record(batch=batch, cases=list(batch.cases.all()), by=people.bappeda, filename="usulan.xlsx")
    result = services.returns_record(rows=[(registry.poor_1.head_nik, "NIK tidak padan Dukcapil"), ("7409010000000001", "")],
                                     by=people.bappeda)
    assert result.reopened == 1 and result.unknown == ["7409010000000001"]
    old = batch.cases.get(household=registry.poor_1)
    assert old.status == CaseStatus.RETURNED and old.return_reason == "NIK tidak padan Dukcapil"
    (batch,) = result.batches
    new = VervalCase.objects.get(batch=batch)
    assert new.household == registry.poor_1 and new.reopened_from == old and new.status == CaseStatus.OPEN
    assert "NIK tidak padan Dukcapil" in new.reason
