"""The verval candidates equal the hand count of the registry in conftest.py (both databases): the
selectors, the dashboard's cards and the ``verval_candidates`` command say the same figures."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.candidates import KINDS, candidate_counts, candidates
from programs.models import EligibilityRule, Program
from tests.verval.conftest import HAND_COUNTED

pytestmark = pytest.mark.django_db


def test_each_kind_lists_the_hand_counted_households(registry):
    h = registry
    assert set(candidates("inclusion")) == {h.pkh_high, h.sembako_7, h.pkh_sembako_high}
    assert list(candidates("exclusion")) == [h.poor_1, h.poor_4]  # desil 1 first
    assert set(candidates("absent_enrolled")) == {h.absent_pkh}
    assert set(candidates("incomplete")) == {h.no_desil, h.no_water}
    assert {c.kind: c.count for c in candidate_counts()} == HAND_COUNTED


def test_each_count_is_one_query(registry):
    for kind in KINDS:
        with CaptureQueriesContext(connection) as captured:
            candidates(kind).count()
        assert len(captured) == 1, kind
        with CaptureQueriesContext(connection) as captured:
            list(candidates(kind))
        assert len(captured) == 1, kind


def test_the_limits_are_data_loaded_with_the_reference(registry):
    limits = {r.program.code: r.max_desil for r in EligibilityRule.objects.filter(active=True).select_related("program")}
    assert limits == {"pkh": 4, "sembako": 5, "pbi-jk": 5}
    # Bappeda raises PKH's limit to 6: the desil-6 PKH family is no longer a candidate.
    rule = EligibilityRule.objects.get(program__code="pkh")
    rule.max_desil = 6
    rule.save()
    assert registry.pkh_high not in candidates("inclusion")
    assert registry.pkh_sembako_high in candidates("inclusion")  # desil 7 still above both limits
    # Loading the reference again keeps the edit.
    call_command("load_reference", verbosity=0)
    assert EligibilityRule.objects.get(program__code="pkh").max_desil == 6
    # A deactivated limit questions nothing.
    EligibilityRule.objects.filter(program__code__in=["pkh", "sembako"]).update(active=False)
    assert candidates("inclusion").count() == 0


def test_the_command_prints_the_dashboard_figures(registry, bappeda_client):
    out = io.StringIO()
    call_command("verval_candidates", "--json", stdout=out)
    assert json.loads(out.getvalue()) == HAND_COUNTED
    out = io.StringIO()
    call_command("verval_candidates", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [[kind, str(HAND_COUNTED[kind])] for kind in KINDS]
    page = bappeda_client.get("/dasbor/").content.decode()
    for kind, count in HAND_COUNTED.items():
        assert f'id="verval-{kind}"' in page
        card = page.split(f'id="verval-{kind}"', 1)[1].split("</a>", 1)[0]
        assert f'<span class="dash-card-value">{count}</span>' in card


def test_an_agency_dashboard_counts_only_its_households(registry, reference):
    from agencies.models import Agency, Role
    from tests.factories import UserFactory
    from django.test import Client

    head = UserFactory(username="kadis.perkim", role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="perkim"))
    client = Client()
    client.force_login(head)
    page = client.get("/dasbor/").content.decode()
    # Perkim runs BSPS: of its two households, one has no water source recorded.
    card = page.split('id="verval-incomplete"', 1)[1].split("</div>", 2)[0]
    assert '<span class="dash-card-value">1</span>' in card
    assert Program.objects.get(code="bsps").agency.code == "perkim"


def test_a_family_whose_aid_of_the_year_is_completed_is_not_an_exclusion(registry, bappeda_client):
    """"Belum terjangkau" is the dashboard's gap: aid completed in the latest year (2025) is aid the
    one-aid rule counts, so the family is reached; aid completed in an earlier year is not."""
    from programs.models import EnrollmentStatus
    from tests.verval.conftest import enroll

    enroll(registry.poor_1, "rutilahu", EnrollmentStatus.COMPLETED)
    enroll(registry.poor_4, "rutilahu", EnrollmentStatus.COMPLETED, year=2022)
    assert list(candidates("exclusion")) == [registry.poor_4]
    gap = bappeda_client.get("/keluarga/", {"desil": 1, "aid": "none"}).context["paginator"].object_list
    assert registry.poor_1 not in gap
    dash = bappeda_client.get("/dasbor/").context["dash"]
    assert dash.filters.year == 2025 and dash.desil1_unreached == 0
