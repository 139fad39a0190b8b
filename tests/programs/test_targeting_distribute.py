"""Distribute: proposed enrollments for the households a program's rules select, poorest first,
within the quota, skipping those already aided unless Bappeda says otherwise, through the one-aid
check; and only Bappeda may do it."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.models import Agency, Role
from dedup.models import Conflict, ConflictStatus
from households.models import Desa, FloorType, Relation
from programs.models import (
    ConditionField,
    ConditionOperator,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Program,
    RuleCondition,
    TargetingRule,
)
from programs.distribution import distribution_plan, program_distribute
from programs.targeting import preview_by_kecamatan, program_q
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory

YEAR = 2025
F, OP = ConditionField, ConditionOperator


def years_ago(years: int) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def make_rule(code, *conditions):
    rule = TargetingRule.objects.create(program=Program.objects.get(code=code), name=f"uji {code}")
    for field_name, operator, value in conditions:
        condition = RuleCondition(rule=rule, field=field_name, operator=operator, value=value)
        condition.full_clean()
        condition.save()
    return rule


@pytest.fixture
def setup(without_rules):
    """BSPS for desil <= 4 with an earth floor.

    | hh | desil (persentil) | earth floor | aid                         |
    | a  | 2                 | yes         | -                           |
    | b  | 1 (5)             | yes         | -                           |
    | c  | 1 (2)             | yes         | -                           |
    | d  | 1 (1)             | yes         | PKH 2025 active             |
    | e  | 3                 | yes         | BSPS 2025 rejected earlier  |
    | f  | -                 | yes         | - (unknown desil: no)       |
    | g  | 1                 | no          | -                           |
    """
    desa = Desa.objects.get(code="74.09.01.1005")
    earth = {"floor_type": FloorType.EARTH, "desa": desa}
    hh = SimpleNamespace(
        a=HouseholdFactory(desil=2, **earth),
        b=HouseholdFactory(desil=1, persentil=5, **earth),
        c=HouseholdFactory(desil=1, persentil=2, **earth),
        d=HouseholdFactory(desil=1, persentil=1, **earth),
        e=HouseholdFactory(desil=3, **earth),
        f=HouseholdFactory(desil=None, **earth),
        g=HouseholdFactory(desil=1, floor_type=FloorType.CERAMIC, desa=desa),
    )
    programs = {p.code: p for p in Program.objects.all()}
    EnrollmentFactory(household=hh.d, program=programs["pkh"], year=YEAR, status=EnrollmentStatus.ACTIVE)
    EnrollmentFactory(household=hh.e, program=programs["bsps"], year=YEAR, status=EnrollmentStatus.REJECTED)
    make_rule("bsps", (F.DESIL, OP.LTE, "4"), (F.FLOOR_TYPE, OP.IN, "tanah"))
    users = SimpleNamespace(
        bappeda=UserFactory(username="bappeda-distribusi", role=Role.BAPPEDA_OPERATOR),
        leader=UserFactory(username="bupati-distribusi", role=Role.LEADERSHIP),
        agency=UserFactory(username="kadis-perkim", role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="perkim")),
    )
    return SimpleNamespace(hh=hh, bsps=programs["bsps"], programs=programs, users=users)


def proposed(program, year=YEAR):
    return list(
        Enrollment.objects.filter(program=program, year=year, source=EnrollmentSource.DISTRIBUTION)
        .order_by("pk")
        .values_list("household_id", flat=True)
    )


def test_distribute_proposes_the_poorest_first_skipping_aided_and_enrolled(setup):
    by = setup.users.bappeda
    result = program_distribute(program=setup.bsps, year=YEAR, by=by)
    hh = setup.hh
    # eligible a b c d e; e is already in BSPS this year, d already receives PKH
    assert (result.plan.eligible, result.plan.already_enrolled, result.plan.skipped_aided) == (5, 1, 1)
    assert [e.household_id for e in result.created] == [hh.c.pk, hh.b.pk, hh.a.pk]
    assert proposed(setup.bsps) == [hh.c.pk, hh.b.pk, hh.a.pk]
    rows = Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION)
    assert {(e.status, e.year, e.program_id, e.created_by_id, e.member_id) for e in rows} == {
        (EnrollmentStatus.PROPOSED, YEAR, setup.bsps.pk, by.pk, None)
    }
    assert Conflict.objects.filter(household__in=[hh.a, hh.b, hh.c, hh.d]).count() == 0
    # history is written like every other save path
    assert Enrollment.history.filter(source=EnrollmentSource.DISTRIBUTION).count() == 3

    again = program_distribute(program=setup.bsps, year=YEAR, by=by)
    assert again.created == [] and Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 3


def test_distribute_stays_within_the_remaining_quota_and_the_limit(setup):
    setup.bsps.quota = 3
    setup.bsps.save()
    # one BSPS place of 2025 already taken (proposed); e's rejected one does not count
    EnrollmentFactory(household=setup.hh.g, program=setup.bsps, year=YEAR, status=EnrollmentStatus.PROPOSED)
    result = program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda)
    assert result.plan.quota_remaining == 2
    assert proposed(setup.bsps) == [setup.hh.c.pk, setup.hh.b.pk]
    assert program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda).created == []

    # Next year: c and b now receive aid (their proposal), d has PKH; a (desil 2) comes before e (desil 3).
    other_year = program_distribute(program=setup.bsps, year=YEAR + 1, by=setup.users.bappeda, limit=1)
    assert [e.household_id for e in other_year.created] == [setup.hh.a.pk]


def test_a_house_finished_this_year_takes_its_place_in_the_quota(setup):
    """BSPS 2025 with a quota of 2: a house already built (completed) this year is one of the two,
    as a proposed or active one is; a rejected one is not."""
    setup.bsps.quota = 2
    setup.bsps.save()
    EnrollmentFactory(household=setup.hh.g, program=setup.bsps, year=YEAR, status=EnrollmentStatus.COMPLETED)

    result = program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda)

    assert result.plan.quota_remaining == 1
    assert proposed(setup.bsps) == [setup.hh.c.pk]


def test_a_family_whose_aid_of_the_year_is_completed_is_skipped_as_aided(setup):
    """c's RS-Rutilahu of 2025 is finished: a BSPS proposal that year would be the double aid the
    rule flags, so c is skipped as already aided, not proposed into a conflict; an older one is not aid of the year."""
    EnrollmentFactory(household=setup.hh.c, program=setup.programs["rutilahu"], year=YEAR, status=EnrollmentStatus.COMPLETED)
    EnrollmentFactory(household=setup.hh.b, program=setup.programs["rutilahu"], year=YEAR - 3, status=EnrollmentStatus.COMPLETED)

    result = program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda)

    assert result.plan.skipped_aided == 2  # d (PKH active) and c
    assert proposed(setup.bsps) == [setup.hh.b.pk, setup.hh.a.pk]
    assert Conflict.objects.count() == 0


def test_distribute_including_aided_households_flags_the_second_aid(setup):
    hh = setup.hh
    result = program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda, include_aided=True)
    assert result.plan.skipped_aided == 0
    assert [e.household_id for e in result.created] == [hh.d.pk, hh.c.pk, hh.b.pk, hh.a.pk]
    # The second aid is flagged in the write itself; a regression fails here, it never skips.
    d_bsps = Enrollment.objects.get(household=hh.d, program=setup.bsps, year=YEAR)
    conflicts = Conflict.objects.filter(household__in=[hh.a, hh.b, hh.c, hh.d], status=ConflictStatus.OPEN)
    assert [(c.household_id, {c.enrollment_a_id, c.enrollment_b_id} >= {d_bsps.pk}) for c in conflicts] == [(hh.d.pk, True)]
    assert [c.pk for c in result.conflicts] == [c.pk for c in conflicts]


def test_distribute_a_person_program_enrolls_the_members_the_rule_names(reference):
    desa = Desa.objects.get(code="74.09.01.1005")
    x = HouseholdFactory(desa=desa, desil=2)
    y = HouseholdFactory(desa=desa, desil=1)
    z = HouseholdFactory(desa=desa, desil=1)
    MemberFactory(household=x, relation=Relation.HEAD, birth_date=years_ago(40))
    x1 = MemberFactory(household=x, relation=Relation.CHILD, birth_date=years_ago(8))
    x2 = MemberFactory(household=x, relation=Relation.CHILD, birth_date=years_ago(12))
    y1 = MemberFactory(household=y, relation=Relation.CHILD, birth_date=years_ago(10))
    MemberFactory(household=y, relation=Relation.CHILD, birth_date=years_ago(3))
    MemberFactory(household=z, relation=Relation.CHILD, birth_date=years_ago(9))
    EnrollmentFactory(household=z, program=Program.objects.get(code="sembako"), year=YEAR, status=EnrollmentStatus.ACTIVE)
    make_rule("pip", (F.DESIL, OP.LTE, "4"), (F.MEMBER_AGE, OP.BETWEEN, "6;18"))
    pip = Program.objects.get(code="pip")

    result = program_distribute(program=pip, year=YEAR)
    assert [(e.household_id, e.member_id) for e in result.created] == [(y.pk, y1.pk), (x.pk, x1.pk), (x.pk, x2.pk)]
    assert result.plan.skipped_aided == 1

    pip.quota = 4
    pip.save()
    more = program_distribute(program=pip, year=YEAR, include_aided=True)
    assert [e.household_id for e in more.created] == [z.pk]


def test_the_plan_counts_its_kecamatan_table_in_the_same_pass(setup):
    hh, programs = setup.hh, setup.programs
    # a: already proposed to BSPS this year, so aided as well: counted as enrolled, never as skipped;
    # c: an active aid of 2020 (aided); b: only a completed one (not aided); d: PKH this year (aided)
    EnrollmentFactory(household=hh.a, program=setup.bsps, year=YEAR, status=EnrollmentStatus.PROPOSED)
    EnrollmentFactory(household=hh.c, program=programs["sembako"], year=2020, status=EnrollmentStatus.ACTIVE)
    EnrollmentFactory(household=hh.b, program=programs["sembako"], year=2021, status=EnrollmentStatus.COMPLETED)
    plan = distribution_plan(setup.bsps, year=YEAR)
    # eligible a b c d e; in BSPS this year a (proposed) and e (rejected); skipped for their aid c and d
    assert (plan.eligible, plan.already_enrolled, plan.skipped_aided, plan.to_create) == (5, 2, 2, 1)
    assert list(plan.candidates.values_list("pk", flat=True)) == [hh.b.pk]
    table = [(r.kecamatan, r.matching, r.without_aid) for r in plan.preview.rows]
    assert table == [(r.kecamatan, r.matching, r.without_aid) for r in preview_by_kecamatan(program_q(setup.bsps)).rows]
    assert (plan.preview.matching, plan.preview.without_aid) == (5, 2)  # without aid: b and e
    aided_too = distribution_plan(setup.bsps, year=YEAR, include_aided=True)
    assert (aided_too.already_enrolled, aided_too.skipped_aided, aided_too.to_create) == (2, 0, 3)
    assert [(r.matching, r.without_aid) for r in aided_too.preview.rows] == [(r[1], r[2]) for r in table]


def test_a_person_programs_plan_leaves_the_household_table_to_the_preview(reference):
    make_rule("pip", (F.DESIL, OP.LTE, "4"), (F.MEMBER_AGE, OP.BETWEEN, "6;18"))
    household = HouseholdFactory(desa=Desa.objects.get(code="74.09.01.1005"), desil=1)
    MemberFactory(household=household, relation=Relation.CHILD, birth_date=years_ago(9))
    MemberFactory(household=household, relation=Relation.CHILD, birth_date=years_ago(12))
    plan = distribution_plan(Program.objects.get(code="pip"), year=YEAR)
    assert (plan.eligible, plan.skipped_aided, plan.preview) == (2, 0, None)


# --- the distribution page ------------------------------------------------------------------------


def test_bappeda_previews_then_distributes_from_the_page(client, setup):
    client.force_login(setup.users.bappeda)
    index = client.get("/dasbor/distribusi/")
    assert index.status_code == 200 and setup.bsps.name in index.content.decode()
    page = client.get("/dasbor/distribusi/bsps/", {"year": YEAR})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="eligible">5<' in html and 'data-figure="to_create"><strong>3<' in html
    assert Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 0  # a preview writes nothing
    link = urlsplit(page.context["proposed_url"])
    assert parse_qs(link.query) == {"program": ["bsps"], "year": [str(YEAR)], "status": ["proposed"]}

    response = client.post("/dasbor/distribusi/bsps/", {"year": YEAR}, follow=True)
    assert (
        "3 usulan kepesertaan Bantuan Stimulan Perumahan Swadaya (BSPS) tahun %d dibuat, termiskin lebih dahulu; "
        "0 konflik satu bantuan ditandai untuk ditinjau Bappeda." % YEAR
    ) in response.content.decode()
    assert proposed(setup.bsps) == [setup.hh.c.pk, setup.hh.b.pk, setup.hh.a.pk]


def test_a_bad_year_is_refused_and_nothing_is_written(client, setup):
    client.force_login(setup.users.bappeda)
    response = client.post("/dasbor/distribusi/bsps/", {"year": "1990"})
    assert response.status_code == 200
    assert "lebih besar dari atau sama dengan 2000" in response.content.decode()
    assert Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 0


def test_a_program_switched_off_is_not_distributed_from_its_address(client, setup):
    """BSPS switched off leaves the distribution list, and its own page refuses it too, with the
    message the household list's distribution gives; nothing is written, by any path."""
    setup.bsps.active = False
    setup.bsps.save()
    client.force_login(setup.users.bappeda)
    assert setup.bsps.name not in client.get("/dasbor/distribusi/").content.decode()

    response = client.post("/dasbor/distribusi/bsps/", {"year": YEAR}, follow=True)

    assert response.status_code == 200
    assert f"Program {setup.bsps.name} tidak aktif." in [str(m) for m in response.context["messages"]]
    assert Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 0
    with pytest.raises(ValidationError) as error:
        program_distribute(program=setup.bsps, year=YEAR, by=setup.users.bappeda)
    assert error.value.messages == [f"Program {setup.bsps.name} tidak aktif."]
    assert Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 0


def test_a_program_switched_off_shows_why_instead_of_a_preview(client, setup):
    """Its page (an old bookmark) says the program is off and where to switch it on; no figures to
    act on and no button, in either language."""
    setup.bsps.active = False
    setup.bsps.save()
    client.force_login(setup.users.bappeda)

    html = client.get("/dasbor/distribusi/bsps/", {"year": YEAR}).content.decode()

    assert "Program ini tidak aktif: tidak ada keluarga yang dapat diusulkan." in html
    assert 'data-figure="eligible"' not in html and 'class="dash-confirm"' not in html
    assert 'data-table="preview"' not in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "This program is switched off: no household can be proposed." in client.get("/dasbor/distribusi/bsps/").content.decode()


@pytest.mark.parametrize("who", ["leader", "agency"])
def test_only_bappeda_may_distribute(client, setup, who):
    client.force_login(getattr(setup.users, who))
    assert client.get("/dasbor/distribusi/").status_code == 403
    assert client.get("/dasbor/distribusi/bsps/").status_code == 403
    assert client.post("/dasbor/distribusi/bsps/", {"year": YEAR}).status_code == 403
    assert Enrollment.objects.filter(source=EnrollmentSource.DISTRIBUTION).count() == 0
