"""Bappeda's review screens in the admin, as an operator uses them."""

import pytest
from django.urls import reverse

from dedup import services
from dedup.models import CompatiblePair, Conflict, ConflictStatus, IdentityMatch, IdentityStatus
from dedup.services import identity_scan
from households.models import Desa
from programs.models import EnrollmentStatus
from programs.services import enrollment_create
from tests.factories import HouseholdFactory, MemberFactory
from tests.security.admin_forms import admin_form_data

from .conftest import make_conflict, texts

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:dedup_conflict_changelist"


def test_saving_a_second_aid_in_the_enrollment_admin_warns_at_once(programs, bappeda_client):
    household = HouseholdFactory()
    enrollment_create(household=household, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)

    response = bappeda_client.post(
        reverse("admin:programs_enrollment_add"),
        {"program": programs["bsps"].pk, "household": household.pk, "member": "", "year": "2024",
         "status": EnrollmentStatus.PROPOSED, "amount": "", "delivered_on": "", "status_reason": ""},
        follow=True,
    )

    conflict = Conflict.objects.get()
    assert f"Keluarga ini sudah menerima {programs['pkh'].name} 2024: konflik #{conflict.pk} dibuat" in texts(response)
    assert household.enrollments.count() == 2


def test_reactivating_a_cancelled_side_in_the_admin_says_the_conflict_was_reopened(programs, bappeda_client, reviewer):
    conflict = make_conflict(programs)
    services.conflict_resolve(conflict=conflict, keep=conflict.enrollment_a, by=reviewer, reason="cek lapangan")
    cancelled = conflict.enrollment_b
    url = reverse("admin:programs_enrollment_change", args=[cancelled.pk])

    response = bappeda_client.post(url, admin_form_data(bappeda_client.get(url), status=EnrollmentStatus.ACTIVE), follow=True)

    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN and Conflict.objects.count() == 1
    other = conflict.enrollment_a.program.name
    assert f"Keluarga ini sudah menerima {other} 2024: konflik #{conflict.pk} dibuka kembali" in texts(response)
    assert not any("dibuat" in text for text in texts(response))


def test_household_page_shows_its_open_conflict_with_a_link(programs, bappeda_client):
    conflict = make_conflict(programs)
    response = bappeda_client.get(reverse("admin:households_household_change", args=[conflict.household_id]))
    assert reverse("admin:dedup_conflict_change", args=[conflict.pk]) in response.content.decode()


def test_conflict_list_links_both_enrollments_and_the_household(programs, bappeda_client):
    conflict = make_conflict(programs)
    html = bappeda_client.get(reverse(CHANGELIST)).content.decode()
    assert reverse("admin:programs_enrollment_change", args=[conflict.enrollment_a_id]) in html
    assert reverse("admin:programs_enrollment_change", args=[conflict.enrollment_b_id]) in html
    assert reverse("admin:households_household_change", args=[conflict.household_id]) in html


def test_conflict_list_filters(programs, bappeda_client):
    villages = list(Desa.objects.select_related("kecamatan").order_by("code"))
    here, there = villages[0], next(v for v in villages if v.kecamatan_id != villages[0].kecamatan_id)
    housing = make_conflict(programs, "pkh", "bsps", HouseholdFactory(desa=here))
    water = make_conflict(programs, "blt-desa", "spam", HouseholdFactory(desa=there))
    dpu = water.enrollment_b.program.agency

    def shown(**params):
        cl = bappeda_client.get(reverse(CHANGELIST), params).context["cl"]
        return {c.pk for c in cl.result_list}

    assert shown(household__desa__kecamatan__id__exact=here.kecamatan_id) == {housing.pk}
    assert shown(household__desa__kecamatan__id__exact=there.kecamatan_id, desa=there.pk) == {water.pk}
    assert shown(program=programs["bsps"].pk) == {housing.pk}
    assert shown(opd=dpu.pk) == {water.pk}
    assert shown(rule__exact="one_aid") == {housing.pk, water.pk}
    assert shown(rule__exact="same_person") == set()
    assert shown(status__exact="open") == {housing.pk, water.pk}


def test_bulk_approve_asks_for_a_reason_and_records_it(programs, bappeda_client, bappeda_user):
    conflicts = [make_conflict(programs), make_conflict(programs)]
    data = {"action": "approve_with_reason", "_selected_action": [c.pk for c in conflicts]}

    form_page = bappeda_client.post(reverse(CHANGELIST), data)
    assert form_page.status_code == 200
    assert "Tuliskan alasan persetujuan" in form_page.content.decode()

    empty = bappeda_client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": ""})
    assert empty.status_code == 200 and "Alasan wajib diisi." in empty.content.decode()
    assert not Conflict.objects.exclude(status=ConflictStatus.OPEN).exists()

    done = bappeda_client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "Keputusan rapat 6/2/2023"}, follow=True)
    assert "2 konflik disetujui sebagai pengecualian." in texts(done)
    for conflict in Conflict.objects.all():
        assert (conflict.status, conflict.reviewed_by, conflict.decision_reason) == (
            ConflictStatus.APPROVED, bappeda_user, "Keputusan rapat 6/2/2023",
        )


def test_bulk_keep_first_cancels_the_second(programs, bappeda_client):
    conflict = make_conflict(programs)
    response = bappeda_client.post(
        reverse(CHANGELIST), {"action": "keep_a_cancel_b", "_selected_action": [conflict.pk]}, follow=True
    )
    conflict.refresh_from_db()
    assert "1 konflik diselesaikan: kepesertaan B dibatalkan." in texts(response)
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.enrollment_b.status == EnrollmentStatus.CANCELLED
    assert conflict.enrollment_a.status == EnrollmentStatus.ACTIVE


def test_bulk_keep_second_never_cancels_what_an_earlier_decision_kept(programs, bappeda_client):
    """Three aids, three conflicts: keeping B of the first cancels Sembako and keeps SPAM, so the
    SPAM/PKH conflict cannot cancel SPAM in the same action; it stays open, with a word on why."""
    household = HouseholdFactory()
    for code in ("sembako", "spam", "pkh"):
        enrollment_create(household=household, program=programs[code], year=2024, status=EnrollmentStatus.ACTIVE)
    first, second, third = Conflict.objects.filter(household=household).order_by("pk")
    assert (third.enrollment_a.program.code, third.enrollment_b.program.code) == ("spam", "pkh")

    response = bappeda_client.post(
        reverse(CHANGELIST),
        {"action": "keep_b_cancel_a", "_selected_action": [first.pk, second.pk, third.pk]},
        follow=True,
    )

    messages = texts(response)
    assert "1 konflik diselesaikan: kepesertaan A dibatalkan." in messages
    assert any(f"Konflik #{third.pk}" in m and f"#{first.pk}" in m and "halamannya sendiri" in m for m in messages)
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.kept_enrollment.status == EnrollmentStatus.ACTIVE
    assert third.status == ConflictStatus.OPEN and third.reviewed_by is None
    live = household.enrollments.filter(status=EnrollmentStatus.ACTIVE).values_list("program__code", flat=True)
    assert sorted(live) == ["pkh", "spam"]


def test_conflict_page_decision_approve_needs_a_reason(programs, bappeda_client, bappeda_user):
    conflict = make_conflict(programs)
    url = reverse("admin:dedup_conflict_change", args=[conflict.pk])
    page = bappeda_client.get(url)
    assert page.status_code == 200 and "Keputusan" in page.content.decode()

    refused = bappeda_client.post(url, {"decision": "approve", "reason": ""})
    assert refused.status_code == 200 and "Alasan persetujuan wajib diisi." in refused.content.decode()
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN

    bappeda_client.post(url, {"decision": "keep_b", "reason": "BSPS lebih mendesak"})
    conflict.refresh_from_db()
    assert (conflict.status, conflict.kept_enrollment_id, conflict.reviewed_by) == (
        ConflictStatus.RESOLVED, conflict.enrollment_b_id, bappeda_user,
    )
    assert conflict.enrollment_a.status == EnrollmentStatus.CANCELLED


def test_conflicts_cannot_be_added_or_deleted_by_hand(programs, bappeda_client):
    conflict = make_conflict(programs)
    assert bappeda_client.get(reverse("admin:dedup_conflict_add")).status_code == 403
    assert bappeda_client.post(reverse("admin:dedup_conflict_delete", args=[conflict.pk]), {"post": "yes"}).status_code == 403
    assert Conflict.objects.filter(pk=conflict.pk).exists()


def test_rescan_button_runs_the_full_check(programs, bappeda_client):
    response = bappeda_client.post(reverse("admin:dedup_conflict_scan"), follow=True)
    assert any(text.startswith("Pemeriksaan selesai: 0 konflik baru") for text in texts(response))


def test_compatible_pair_admin_add_in_either_order_records_the_author(programs, bappeda_client, bappeda_user):
    high, low = sorted([programs["pkh"], programs["sembako"]], key=lambda p: -p.pk)
    response = bappeda_client.post(
        reverse("admin:dedup_compatiblepair_add"),
        {"program_a": high.pk, "program_b": low.pk, "reason": "Dirancang untuk digabung"},
        follow=True,
    )
    assert response.status_code == 200
    pair = CompatiblePair.objects.get()
    assert (pair.program_a, pair.program_b, pair.created_by) == (low, high, bappeda_user)


def test_compatible_pair_admin_refuses_the_same_program_and_writes_nothing(programs, bappeda_client):
    response = bappeda_client.post(
        reverse("admin:dedup_compatiblepair_add"),
        {"program_a": programs["pkh"].pk, "program_b": programs["pkh"].pk, "reason": "x"},
    )
    assert "Pilih dua program yang berbeda." in response.content.decode()
    assert not CompatiblePair.objects.exists()


def test_national_bundle_button_loads_the_bundle(programs, bappeda_client):
    changelist = bappeda_client.get(reverse("admin:dedup_compatiblepair_changelist")).content.decode()
    assert reverse("admin:dedup_compatiblepair_bundle") in changelist
    confirm = bappeda_client.get(reverse("admin:dedup_compatiblepair_bundle"))
    assert not CompatiblePair.objects.exists()
    assert "PBI-JK" in confirm.content.decode()

    response = bappeda_client.post(reverse("admin:dedup_compatiblepair_bundle"), follow=True)

    assert "Paket bantuan nasional dimuat: 6 pasangan baru, 0 sudah ada." in texts(response)
    assert CompatiblePair.objects.count() == 6


def test_identity_merge_and_dismiss_actions(reference, bappeda_client, bappeda_user):
    first, second, third = HouseholdFactory(), HouseholdFactory(), HouseholdFactory(no_kk="7409010101200555")
    shared = MemberFactory(household=first)
    MemberFactory(household=second, nik=shared.nik)
    HouseholdFactory(no_kk="7409010101200555")
    identity_scan()
    same_nik = IdentityMatch.objects.get(kind="same_nik")
    same_kk = IdentityMatch.objects.get(kind="same_kk")
    url = reverse("admin:dedup_identitymatch_changelist")
    assert bappeda_client.get(url).status_code == 200

    merged = bappeda_client.post(url, {"action": "merge_into_a", "_selected_action": [same_nik.pk]}, follow=True)
    dismissed = bappeda_client.post(
        url, {"action": "dismiss_with_reason", "_selected_action": [same_kk.pk], "apply": "1", "reason": "KK baru"},
        follow=True,
    )

    assert "1 pasangan keluarga digabung." in texts(merged)
    assert "1 duplikat diabaikan." in texts(dismissed)
    same_nik.refresh_from_db()
    same_kk.refresh_from_db()
    second.refresh_from_db()
    assert same_nik.status == IdentityStatus.MERGED and second.merged_into == first
    assert (same_kk.status, same_kk.reviewed_by, same_kk.decision_reason) == (IdentityStatus.DISMISSED, bappeda_user, "KK baru")
    assert third.pk


def test_decided_conflict_page_shows_the_decision_without_a_form(programs, bappeda_client, reviewer):
    from dedup.services import conflict_approve

    conflict = make_conflict(programs)
    conflict_approve(conflict=conflict, reason="Korban kebakaran", by=reviewer)

    html = bappeda_client.get(reverse("admin:dedup_conflict_change", args=[conflict.pk])).content.decode()

    assert "Korban kebakaran" in html
    assert 'name="decision"' not in html


def test_same_person_conflict_page_shows_the_shared_nik_as_bappeda_sees_nik_elsewhere(programs, bappeda_client):
    first, second = HouseholdFactory(), HouseholdFactory()
    shared = MemberFactory(household=first)
    MemberFactory(household=second, nik=shared.nik)
    enrollment_create(household=first, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    [conflict] = enrollment_create(household=second, program=programs["bsps"], year=2024).conflicts

    html = bappeda_client.get(reverse("admin:dedup_conflict_change", args=[conflict.pk])).content.decode()

    assert "Orang yang sama (NIK) menerima lewat dua keluarga" in html
    # Bappeda sees whole NIKs on the household pages, and so in the evidence too.
    assert f"NIK bersama {shared.nik}" in html
    assert reverse("admin:households_household_change", args=[second.pk]) in html


def test_conflict_page_dismiss_needs_a_reason(programs, bappeda_client, bappeda_user):
    """Dismissing says "not a double aid" for good, like an approval: the reason is required."""
    conflict = make_conflict(programs)
    url = reverse("admin:dedup_conflict_change", args=[conflict.pk])
    assert "Abaikan (bukan bantuan ganda, alasan wajib)" in bappeda_client.get(url).content.decode()
    for blank in ("", "   "):
        refused = bappeda_client.post(url, {"decision": "dismiss", "reason": blank})
        assert refused.status_code == 200 and "Alasan mengabaikan konflik wajib diisi." in refused.content.decode()
        conflict.refresh_from_db()
        assert (conflict.status, conflict.reviewed_by) == (ConflictStatus.OPEN, None)

    bappeda_client.post(url, {"decision": "dismiss", "reason": "NIK salah ketik di DTKS"})
    conflict.refresh_from_db()
    assert (conflict.status, conflict.reviewed_by, conflict.decision_reason) == (
        ConflictStatus.DISMISSED, bappeda_user, "NIK salah ketik di DTKS",
    )


def test_bulk_dismiss_asks_for_a_reason_and_writes_nothing_without_one(programs, bappeda_client):
    conflicts = [make_conflict(programs), make_conflict(programs)]
    data = {"action": "dismiss_with_reason", "_selected_action": [c.pk for c in conflicts], "apply": "1"}
    for blank in ("", "  "):
        empty = bappeda_client.post(reverse(CHANGELIST), {**data, "reason": blank})
        assert empty.status_code == 200 and "Alasan wajib diisi." in empty.content.decode()
    assert not Conflict.objects.exclude(status=ConflictStatus.OPEN).exists()
    done = bappeda_client.post(reverse(CHANGELIST), {**data, "reason": "Data ganda dari impor"}, follow=True)
    assert "2 konflik diabaikan." in texts(done)
    assert set(Conflict.objects.values_list("status", "decision_reason")) == {(ConflictStatus.DISMISSED, "Data ganda dari impor")}


def test_bulk_identity_dismiss_asks_for_a_reason_like_its_page(reference, bappeda_client):
    HouseholdFactory(no_kk="7409010101200555")
    HouseholdFactory(no_kk="7409010101200555")
    identity_scan()
    match = IdentityMatch.objects.get(kind="same_kk")
    url = reverse("admin:dedup_identitymatch_changelist")
    empty = bappeda_client.post(url, {"action": "dismiss_with_reason", "_selected_action": [match.pk], "apply": "1", "reason": ""})
    assert empty.status_code == 200 and "Alasan wajib diisi." in empty.content.decode()
    match.refresh_from_db()
    assert match.status == IdentityStatus.OPEN


def test_the_services_refuse_a_dismissal_without_a_reason(programs, reviewer):
    from django.core.exceptions import ValidationError

    from dedup.services import conflict_bulk_dismiss, conflict_dismiss, identity_bulk_dismiss, identity_dismiss

    conflict = make_conflict(programs)
    HouseholdFactory(no_kk="7409010101200777")
    HouseholdFactory(no_kk="7409010101200777")
    identity_scan()
    match = IdentityMatch.objects.get(kind="same_kk")
    for refused in (
        lambda: conflict_dismiss(conflict=conflict, by=reviewer, reason=" "),
        lambda: conflict_bulk_dismiss(conflicts=[conflict], by=reviewer, reason=""),
        lambda: identity_dismiss(match=match, by=reviewer, reason=""),
        lambda: identity_bulk_dismiss(matches=[match], by=reviewer, reason="  "),
    ):
        with pytest.raises(ValidationError):
            refused()
    conflict.refresh_from_db()
    match.refresh_from_db()
    assert (conflict.status, match.status) == (ConflictStatus.OPEN, IdentityStatus.OPEN)
