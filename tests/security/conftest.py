"""A small registry with one object of every kind a URL can point at, and a user for every role.

Objects come in pairs where the agency matters: ``own`` belongs to Dinsos (the agency of ``head`` and
``operator``), ``foreign`` to Perkim (nobody's in the portal but Bappeda and leadership). ``other`` is a
user of a third agency (DPU), for whom the Dinsos objects are another agency's. ``officer`` is a Dinsos
field officer (pendamping) with no case assigned; ``norole`` an account Bappeda has not given a role yet.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from agencies.models import Agency, ExportLog, Role
from dedup.models import CompatiblePair, Conflict, ConflictStatus, IdentityKind, IdentityMatch
from households.identifiers import make_nik
from households.models import Desa, Household, ImportBatch, ImportKind, ImportStatus, Member
from programs.models import Enrollment, EnrollmentStatus, Program, TargetingRule
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory
from verval.models import CasePhoto, VervalBatch, VervalCase

ROLES = ("anonymous", "bappeda", "head", "operator", "leader", "other", "officer", "norole")


def _nik(serial: int, *, female: bool = False) -> str:
    return make_nik(region="740901", birth=datetime.date(1981, 2, 3), female=female, serial=serial)


@pytest.fixture
def users(reference):
    dinsos = Agency.objects.get(code="dinsos")
    dpu = Agency.objects.get(code="dpu")
    return SimpleNamespace(
        anonymous=None,
        bappeda=UserFactory(username="op-bappeda", role=Role.BAPPEDA_OPERATOR, first_name="Rina", last_name="Bappeda"),
        head=UserFactory(username="kadis-dinsos", role=Role.AGENCY_HEAD, agency=dinsos),
        operator=UserFactory(username="operator-dinsos", role=Role.AGENCY_OPERATOR, agency=dinsos),
        leader=UserFactory(username="bupati", role=Role.LEADERSHIP),
        other=UserFactory(username="kadis-dpu", role=Role.AGENCY_HEAD, agency=dpu),
        officer=UserFactory(username="pendamping-dinsos", role=Role.FIELD_OFFICER, agency=dinsos),
        norole=UserFactory(username="tanpa-peran", role=""),
    )


@pytest.fixture
def world(reference, users):
    desa = Desa.objects.get(code="74.09.01.1005")
    programs = {p.code: p for p in Program.objects.filter(code__in=["pkh", "sembako", "bsps", "rutilahu"])}
    own_hh = HouseholdFactory(p3ke_id="122300001", desa=desa, desil=1, head_name="Ahmad Lapodi", head_nik=_nik(41),
                              no_kk="7409011205230001")
    foreign_hh = HouseholdFactory(p3ke_id="122300002", desa=desa, desil=2, head_name="Hasan Sabara", head_nik=_nik(42),
                                  no_kk="7409011205230002")
    conflict_hh = HouseholdFactory(p3ke_id="122300003", desa=desa, desil=1, head_name="Rahman Tamalaki",
                                   head_nik=_nik(43), no_kk="7409011205230003")
    own_member = MemberFactory(household=own_hh, name="Ahmad Lapodi", nik=own_hh.head_nik, relation="kepala")
    MemberFactory(household=foreign_hh, name="Hasan Sabara", nik=foreign_hh.head_nik, relation="kepala")
    own_enrollment = EnrollmentFactory(household=own_hh, program=programs["pkh"], year=2024, status=EnrollmentStatus.PROPOSED)
    foreign_enrollment = EnrollmentFactory(
        household=foreign_hh, program=programs["bsps"], year=2024, status=EnrollmentStatus.PROPOSED
    )
    c_a = EnrollmentFactory(household=conflict_hh, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE)
    c_b = EnrollmentFactory(household=conflict_hh, program=programs["rutilahu"], year=2024, status=EnrollmentStatus.PROPOSED)
    conflict = Conflict.objects.create(household=conflict_hh, enrollment_a=c_a, enrollment_b=c_b, status=ConflictStatus.OPEN)
    a, b = sorted([programs["pkh"], programs["sembako"]], key=lambda p: p.pk)
    pair = CompatiblePair.objects.create(program_a=a, program_b=b, reason="Paket nasional", created_by=users.bappeda)
    first, second = sorted([own_hh, foreign_hh], key=lambda h: h.pk)
    identity = IdentityMatch.objects.create(kind=IdentityKind.SAME_KK, household_a=first, household_b=second)
    rule = TargetingRule.objects.create(program=programs["bsps"], name="Rumah tidak layak", created_by=users.bappeda)
    batch = ImportBatch.objects.create(kind=ImportKind.P3KE, status=ImportStatus.REFUSED, uploaded_by=users.bappeda,
                                       original_name="p3ke.xlsx")
    batch.error_report.save("laporan.xlsx", ContentFile(b"PK\x03\x04 laporan"), save=True)
    empty_batch = ImportBatch.objects.create(kind=ImportKind.P3KE, status=ImportStatus.PREVIEWED, uploaded_by=users.bappeda)
    export_log = ExportLog.objects.create(user=users.head, kind="daftar_keluarga_xlsx", row_count=1)
    verval_batch = VervalBatch.objects.create(title="Verval uji", kind="inclusion", desa=desa, created_by=users.bappeda)
    verval_case = VervalCase.objects.create(batch=verval_batch, household=own_hh, kind="inclusion", reason="Uji")
    verval_photo = CasePhoto(case=verval_case, kind="kk", content_type="image/png", size=9, uploaded_by=users.bappeda)
    verval_photo.file.save("kk.png", ContentFile(b"\x89PNG\r\n\x1a\n."), save=True)
    return SimpleNamespace(
        users=users, programs=programs, desa=desa,
        own_hh=own_hh, foreign_hh=foreign_hh, conflict_hh=conflict_hh, own_member=own_member,
        own_enrollment=own_enrollment, foreign_enrollment=foreign_enrollment,
        conflict=conflict, pair=pair, identity=identity, rule=rule, batch=batch, empty_batch=empty_batch,
        export_log=export_log, verval_batch=verval_batch, verval_case=verval_case, verval_photo=verval_photo,
    )


def registry_state() -> tuple:
    """Everything a refused request must leave untouched."""
    return (
        sorted(Enrollment.objects.values_list("pk", "status", "amount", "delivered_on", "status_reason")),
        Enrollment.history.count(),
        sorted(Household.objects.values_list("pk", "head_name", "desil", "is_absent")),
        Household.history.count(),
        sorted(Member.objects.values_list("pk", "name", "nik")),
        sorted(Conflict.objects.values_list("pk", "status", "decision_reason")),
        sorted(ImportBatch.objects.values_list("pk", "status")),
        sorted(CompatiblePair.objects.values_list("pk", "reason")),
        sorted(IdentityMatch.objects.values_list("pk", "status")),
        sorted(VervalBatch.objects.values_list("pk", "stage")),
        sorted(VervalCase.objects.values_list("pk", "status", "officer_id", "recorded_at")),
        CasePhoto.objects.count(),
    )
