"""A small known registry for the portal tests: two agencies' households, one household nobody
serves yet, two open one-aid conflicts, and a user for every role."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from agencies.models import Agency, Role
from dedup.models import Conflict, ConflictStatus
from households.identifiers import make_nik
from households.models import Desa
from programs.models import EnrollmentStatus, Program
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory

PASSWORD = "rahasia-uji-123"


@pytest.fixture
def users(reference):
    dinsos = Agency.objects.get(code="dinsos")
    dpu = Agency.objects.get(code="dpu")
    return SimpleNamespace(
        head=UserFactory(username="kadis-dinsos", role=Role.AGENCY_HEAD, agency=dinsos, first_name="Kepala", last_name="Dinsos"),
        operator=UserFactory(username="operator-dinsos", role=Role.AGENCY_OPERATOR, agency=dinsos),
        other_head=UserFactory(username="kadis-dpu", role=Role.AGENCY_HEAD, agency=dpu),
        bappeda=UserFactory(username="bappeda", role=Role.BAPPEDA_OPERATOR),
        leader=UserFactory(username="bupati", role=Role.LEADERSHIP),
    )


def _nik(serial: int, *, region: str = "740901", female: bool = False) -> str:
    return make_nik(region=region, birth=datetime.date(1980, 3, 4), female=female, serial=serial)


@pytest.fixture
def registry(reference, users):
    """Seven households with known places, deciles and aid.

    | hh | desa (kecamatan)            | desil | aid                                              |
    | a  | Wanggudu (Asera)            | 1     | PKH 2024 proposed (Dinsos)                       |
    | b  | first desa of Wiwirano      | 2     | Sembako 2024 active Rp 600.000 (Dinsos)          |
    | c  | Wanggudu (Asera)            | 3     | BSPS 2024 proposed (Perkim)                      |
    | d  | Walalindu (Asera)           | 1     | SPAM 2023 active (PU) + PKH 2023 completed, open conflict |
    | e  | first desa of Wiwirano      | 4     | nothing                                          |
    | f  | Walalindu (Asera)           | 2     | PKH 2024 active + Rutilahu 2024 proposed, open conflict |
    | g  | Wanggudu (Asera)            | 1     | PKH 2024 rejected (Dinsos), nothing live         |
    """
    wanggudu = Desa.objects.get(code="74.09.01.1005")
    walalindu = Desa.objects.get(code="74.09.01.2007")
    wiwirano = Desa.objects.filter(kecamatan__code="74.09.02").order_by("code").first()
    programs = {p.code: p for p in Program.objects.filter(code__in=["pkh", "sembako", "bsps", "spam", "rutilahu"])}

    def household(key, desa, desil, name, serial):
        return HouseholdFactory(
            p3ke_id=f"12223{serial:04d}", desa=desa, desil=desil, head_name=name,
            head_nik=_nik(serial), no_kk=f"74090112052{serial:05d}",
        )

    hh = SimpleNamespace(
        a=household("a", wanggudu, 1, "Ahmad Lapodi", 11),
        b=household("b", wiwirano, 2, "Siti Tosuli", 12),
        c=household("c", wanggudu, 3, "Hasan Sabara", 13),
        d=household("d", walalindu, 1, "Wa Ode Laosa", 14),
        e=household("e", wiwirano, 4, "Nur Mekuo", 15),
        f=household("f", walalindu, 2, "Rahman Tamalaki", 16),
        g=household("g", wanggudu, 1, "Yusuf Pagala", 17),
    )
    MemberFactory(household=hh.a, name="Ahmad Lapodi", nik=hh.a.head_nik, relation="kepala")
    MemberFactory(household=hh.a, name="Fatimah Lapodi", nik=_nik(21, female=True), relation="pasangan", sex="P")
    MemberFactory(household=hh.b, name="Siti Tosuli", nik=hh.b.head_nik, relation="kepala")
    MemberFactory(household=hh.e, name="Nur Mekuo", nik=hh.e.head_nik, relation="kepala")
    MemberFactory(household=hh.e, name="Irwan Mekuo", nik=_nik(31, region="740902"), relation="anak")

    enr = SimpleNamespace(
        a_pkh=EnrollmentFactory(household=hh.a, program=programs["pkh"], year=2024, status=EnrollmentStatus.PROPOSED),
        b_sembako=EnrollmentFactory(
            household=hh.b, program=programs["sembako"], year=2024, status=EnrollmentStatus.ACTIVE, amount=600_000
        ),
        c_bsps=EnrollmentFactory(household=hh.c, program=programs["bsps"], year=2024, status=EnrollmentStatus.PROPOSED),
        d_spam=EnrollmentFactory(household=hh.d, program=programs["spam"], year=2023, status=EnrollmentStatus.ACTIVE),
        d_pkh=EnrollmentFactory(household=hh.d, program=programs["pkh"], year=2023, status=EnrollmentStatus.COMPLETED),
        f_pkh=EnrollmentFactory(household=hh.f, program=programs["pkh"], year=2024, status=EnrollmentStatus.ACTIVE),
        f_rutilahu=EnrollmentFactory(household=hh.f, program=programs["rutilahu"], year=2024, status=EnrollmentStatus.PROPOSED),
        g_pkh=EnrollmentFactory(household=hh.g, program=programs["pkh"], year=2024, status=EnrollmentStatus.REJECTED),
    )
    conflict = Conflict.objects.create(
        household=hh.f, enrollment_a=enr.f_pkh, enrollment_b=enr.f_rutilahu, status=ConflictStatus.OPEN
    )
    # PKH delivered and completed is still aid of 2023: a second one beside SPAM of that year.
    Conflict.objects.create(household=hh.d, enrollment_a=enr.d_spam, enrollment_b=enr.d_pkh, status=ConflictStatus.OPEN)
    return SimpleNamespace(hh=hh, enr=enr, conflict=conflict, programs=programs, users=users,
                           desa=SimpleNamespace(wanggudu=wanggudu, walalindu=walalindu, wiwirano=wiwirano))


@pytest.fixture
def konawe(registry, settings):
    """Konawe loaded beside Konawe Utara, with one Dinsos family in Awuliti (Lambuya)."""
    settings.KONUT_WILAYAH = "74"  # the province covers both regencies
    call_command("load_reference", wilayah="74.02", verbosity=0)
    household = HouseholdFactory(head_name="Keluarga Awuliti", desa=Desa.objects.get(code="74.02.01.2006"), desil=1)
    EnrollmentFactory(household=household, program=Program.objects.get(code="pkh"), year=2024, status=EnrollmentStatus.PROPOSED)
    return household


@pytest.fixture
def login(client):
    """``login(user)`` -> a client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
