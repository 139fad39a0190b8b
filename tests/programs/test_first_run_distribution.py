"""A fresh registry (``make run``: ``load_reference``, nothing else) offers distribution for the seed
programs: the default targeting rules come with the reference data, and the page asks for no
command. Every distribution says what it did, the one-aid conflicts it raised included."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from agencies.models import Role
from households.models import Desa, FloorType, Toilet, WaterSource
from programs.models import EnrollmentStatus, Program, TargetingRule
from tests.factories import EnrollmentFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def bappeda(client):
    call_command("load_reference", verbosity=0)  # the empty database of a first run, then make run's step
    client.force_login(UserFactory(username="bappeda-baru", role=Role.BAPPEDA_OPERATOR))
    return client


def test_load_reference_alone_lists_the_seed_programs_with_their_rules(bappeda):
    html = bappeda.get("/dasbor/distribusi/").content.decode()
    assert "load_default_rules" not in html and "Belum ada program dengan aturan sasaran aktif" not in html
    for code in ("bsps", "rutilahu", "spam", "sanimas", "pkh", "pupuk", "bibit", "nelayan", "pip", "blt-desa"):
        program = Program.objects.get(code=code)
        assert program.name in html and f"/dasbor/distribusi/{code}/" in html
        assert TargetingRule.objects.filter(program=program, active=True).exists()


def test_the_seed_rules_find_candidates_and_distribution_reports_what_it_did(bappeda):
    desa = Desa.objects.get(code="74.09.01.1005")
    poor = [HouseholdFactory(desil=1, floor_type=FloorType.EARTH, desa=desa) for _ in range(3)]
    HouseholdFactory(desil=6, floor_type=FloorType.EARTH, desa=desa)  # not poor enough
    page = bappeda.get("/dasbor/distribusi/bsps/", {"year": YEAR}).content.decode()
    assert 'data-figure="eligible">3<' in page
    response = bappeda.post("/dasbor/distribusi/bsps/", {"year": YEAR}, follow=True)
    assert (
        f"3 usulan kepesertaan Bantuan Stimulan Perumahan Swadaya (BSPS) tahun {YEAR} dibuat, termiskin lebih dahulu; "
        "0 konflik satu bantuan ditandai untuk ditinjau Bappeda."
    ) in response.content.decode()
    assert set(Program.objects.get(code="bsps").enrollments.values_list("household_id", flat=True)) == {h.pk for h in poor}


def test_the_distribution_message_counts_the_conflicts_it_raised(bappeda):
    desa = Desa.objects.get(code="74.09.01.1005")
    unsafe = {"water_source": WaterSource.UNPROTECTED_WELL, "toilet": Toilet.SHARED, "desa": desa}
    aided, free = HouseholdFactory(desil=1, **unsafe), HouseholdFactory(desil=2, **unsafe)
    EnrollmentFactory(household=aided, program=Program.objects.get(code="pkh"), year=YEAR, status=EnrollmentStatus.ACTIVE)
    response = bappeda.post("/dasbor/distribusi/spam/", {"year": YEAR, "include_aided": "on"}, follow=True)
    html = response.content.decode()
    assert (
        f"2 usulan kepesertaan Sistem Penyediaan Air Minum (SPAM) tahun {YEAR} dibuat, termiskin lebih dahulu; "
        "1 konflik satu bantuan ditandai untuk ditinjau Bappeda."
    ) in html
    assert free.conflicts.count() == 0 and aided.conflicts.count() == 1
