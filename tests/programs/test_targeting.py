"""Targeting rules: conditions select exactly the households they describe, previews count them
by kecamatan, the defaults are sensible and idempotent, and Bappeda edits rules in the admin."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from agencies.models import Role
from households.models import (
    Desa,
    FloorType,
    HouseOwnership,
    Occupation,
    Quality,
    Relation,
    StuntingRisk,
    Toilet,
    WallType,
    WaterSource,
)
from programs.models import (
    ConditionField,
    ConditionOperator,
    Enrollment,
    EnrollmentStatus,
    Program,
    RuleCondition,
    TargetingRule,
)
from programs.default_rules import DEFAULT_RULES
from programs.indicators import current_households
from programs.services import default_rules_load
from programs.targeting import (
    matching_households,
    preview_by_kecamatan,
    program_q,
    rule_q,
)
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory

F, OP = ConditionField, ConditionOperator


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - datetime.timedelta(days=days)


def make_rule(program_code: str, *conditions, name: str = "uji", active: bool = True) -> TargetingRule:
    rule = TargetingRule.objects.create(program=Program.objects.get(code=program_code), name=name, active=active)
    for field_name, operator, value in conditions:
        condition = RuleCondition(rule=rule, field=field_name, operator=operator, value=value)
        condition.full_clean()
        condition.save()
    return rule


def selected(q) -> set[int]:
    return set(current_households().filter(q).values_list("pk", flat=True))


@pytest.fixture
def village(without_rules):
    """Households in two kecamatan with one distinguishing trait each."""
    d1 = Desa.objects.get(code="74.09.01.1005")  # Asera
    d2 = Desa.objects.filter(kecamatan__code="74.09.02").order_by("code").first()  # Wiwirano
    h = {
        "renter": HouseholdFactory(desa=d1, desil=1, house_ownership=HouseOwnership.RENT),
        "earth": HouseholdFactory(desa=d1, desil=2, house_ownership=HouseOwnership.OWN, floor_type=FloorType.EARTH,
                                  stunting_risk=StuntingRisk.AT_RISK),
        "bamboo": HouseholdFactory(desa=d2, desil=3, house_ownership=HouseOwnership.OWN, wall_type=WallType.BAMBOO),
        "roof": HouseholdFactory(desa=d2, desil=4, house_ownership=HouseOwnership.OWN, roof_quality=Quality.POOR),
        "well": HouseholdFactory(desa=d2, desil=1, house_ownership=HouseOwnership.OWN, water_source=WaterSource.UNPROTECTED_WELL,
                                 toilet=Toilet.SHARED),
        "rich": HouseholdFactory(desa=d1, desil=5, house_ownership=HouseOwnership.RENT, water_source=WaterSource.SURFACE),
        "nodesil": HouseholdFactory(desa=d1, desil=None, floor_type=FloorType.EARTH),
        "absent": HouseholdFactory(desa=d1, desil=1, floor_type=FloorType.EARTH, is_absent=True),
    }
    MemberFactory(household=h["renter"], relation=Relation.HEAD, birth_date=years_ago(40), occupation=Occupation.FARMER)
    MemberFactory(household=h["renter"], relation=Relation.CHILD, birth_date=years_ago(8))
    MemberFactory(household=h["earth"], relation=Relation.HEAD, birth_date=years_ago(66), occupation=Occupation.FISHER)
    MemberFactory(household=h["bamboo"], relation=Relation.HEAD, birth_date=years_ago(30), occupation=Occupation.FARMER)
    MemberFactory(household=h["bamboo"], relation=Relation.CHILD, birth_date=years_ago(19))
    MemberFactory(household=h["roof"], relation=Relation.HEAD, birth_date=years_ago(45), stunting_risk=StuntingRisk.AT_RISK)
    MemberFactory(household=h["well"], relation=Relation.HEAD, birth_date=years_ago(25))
    MemberFactory(household=h["well"], relation=Relation.CHILD, birth_date=years_ago(1))
    MemberFactory(household=h["well"], relation=Relation.CHILD, birth_date=years_ago(6), is_absent=True)
    return type("Village", (), {"h": h, "d1": d1, "d2": d2})


def ids(village, *names) -> set[int]:
    return {village.h[name].pk for name in names}


# --- conditions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition, expected",
    [
        ((F.DESIL, OP.LTE, "2"), {"renter", "earth", "well"}),
        ((F.DESIL, OP.GTE, "4"), {"roof", "rich"}),
        ((F.DESIL, OP.BETWEEN, "2;3"), {"earth", "bamboo"}),
        ((F.DESIL, OP.IN, "1;4"), {"renter", "roof", "well"}),
        ((F.HOUSE_OWNERSHIP, OP.IN, "Kontrak/Sewa"), {"renter", "rich"}),
        ((F.HOUSE_OWNERSHIP, OP.NOT_IN, "milik_sendiri"), {"renter", "rich", "nodesil"}),
        ((F.FLOOR_TYPE, OP.IN, "tanah"), {"earth", "nodesil"}),
        ((F.WATER_SOURCE, OP.IN, "sumur_tidak_terlindung;air_permukaan"), {"well", "rich"}),
        ((F.UNFIT_HOUSE, OP.YES, ""), {"earth", "bamboo", "roof", "nodesil"}),
        ((F.UNSAFE_WATER, OP.YES, ""), {"well", "rich"}),
        ((F.STUNTING_HOUSEHOLD, OP.YES, ""), {"well", "earth"}),  # child under five; P3KE household flag
        ((F.MEMBER_AGE, OP.BETWEEN, "6;18"), {"renter"}),  # the absent 6-year-old does not count
        ((F.MEMBER_AGE, OP.GTE, "60"), {"earth"}),
        ((F.MEMBER_AGE, OP.LTE, "4"), {"well"}),
        ((F.MEMBER_OCCUPATION, OP.IN, "Petani"), {"renter", "bamboo"}),
        ((F.MEMBER_STUNTING_RISK, OP.IN, "beresiko"), {"roof"}),
    ],
)
def test_each_condition_selects_exactly_its_households(village, condition, expected):
    rule = make_rule("pkh", condition)
    assert selected(rule_q(rule)) == ids(village, *expected)


def test_a_rule_needs_all_its_conditions_and_a_program_any_of_its_rules(village):
    make_rule("bsps", (F.DESIL, OP.LTE, "4"), (F.HOUSE_OWNERSHIP, OP.IN, "kontrak_sewa"), name="sewa")
    make_rule("bsps", (F.DESIL, OP.LTE, "4"), (F.FLOOR_TYPE, OP.IN, "tanah"), name="tanah")
    make_rule("bsps", (F.WALL_TYPE, OP.IN, "bambu"), name="nonaktif", active=False)
    bsps = Program.objects.get(code="bsps")
    # 'rich' rents but is desil 5; 'nodesil' has an earth floor but no desil; 'absent' is absent
    assert selected(program_q(bsps)) == ids(village, "renter", "earth")
    assert set(matching_households(bsps).values_list("pk", flat=True)) == ids(village, "renter", "earth")


@pytest.mark.parametrize(
    "rules, expected",
    [
        # PKH's shape: the shared desil once, members alone for two rules, a household flag for the third
        ([[(F.DESIL, OP.LTE, "2"), (F.MEMBER_AGE, OP.LTE, "4")], [(F.DESIL, OP.LTE, "2"), (F.MEMBER_AGE, OP.GTE, "60")],
          [(F.DESIL, OP.LTE, "2"), (F.STUNTING_RISK, OP.IN, "beresiko")]], {"well", "earth"}),
        # a rule of the shared conditions alone takes every household that meets them
        ([[(F.DESIL, OP.LTE, "2"), (F.MEMBER_AGE, OP.GTE, "60")], [(F.DESIL, OP.LTE, "2")]], {"renter", "earth", "well"}),
        # nothing shared: each rule whole, member and household conditions together in one of them
        ([[(F.DESIL, OP.GTE, "3"), (F.MEMBER_OCCUPATION, OP.IN, "petani")], [(F.FLOOR_TYPE, OP.IN, "tanah")],
          [(F.MEMBER_AGE, OP.BETWEEN, "6;10")]], {"bamboo", "earth", "nodesil", "renter"}),
        # household conditions alone (BSPS's shape): the shared desil once, the rest as one OR
        ([[(F.DESIL, OP.LTE, "4"), (F.HOUSE_OWNERSHIP, OP.IN, "kontrak_sewa")], [(F.DESIL, OP.LTE, "4"),
          (F.FLOOR_TYPE, OP.IN, "tanah")], [(F.DESIL, OP.LTE, "4"), (F.WALL_TYPE, OP.IN, "bambu")]],
         {"renter", "earth", "bamboo"}),
        ([[(F.DESIL, OP.IN, "1"), (F.NO_AID, OP.YES, "")], [(F.WALL_TYPE, OP.IN, "bambu")]], {"renter", "well", "bamboo"}),
        # the absent six-year-old of 'well' counts for neither rule; 'rich' (desil 5) fails the shared desil
        ([[(F.DESIL, OP.LTE, "4"), (F.MEMBER_AGE, OP.BETWEEN, "5;7")], [(F.HOUSE_OWNERSHIP, OP.IN, "kontrak_sewa"),
          (F.DESIL, OP.LTE, "4")]], {"renter"}),
    ],
)
def test_a_program_selects_the_union_of_its_rules(village, rules, expected):
    made = [make_rule("pkh", *conditions, name=f"aturan {n}") for n, conditions in enumerate(rules)]
    program = Program.objects.get(code="pkh")
    assert selected(program_q(program)) == ids(village, *expected)
    assert selected(program_q(program)) == set().union(*(selected(rule_q(rule)) for rule in made))
    by_kecamatan = {row.kecamatan: row.matching for row in preview_by_kecamatan(program_q(program)).rows if row.matching}
    assert sum(by_kecamatan.values()) == len(expected)


def test_member_conditions_of_one_rule_hold_for_the_same_member(village):
    # 'bamboo' has a farmer aged 30 and a 19-year-old: no single member is a farmer aged 15-20
    rule = make_rule("pupuk", (F.MEMBER_OCCUPATION, OP.IN, "petani"), (F.MEMBER_AGE, OP.BETWEEN, "15;20"))
    assert selected(rule_q(rule)) == set()
    rule = make_rule("pupuk", (F.MEMBER_OCCUPATION, OP.IN, "petani"), (F.MEMBER_AGE, OP.BETWEEN, "25;35"))
    assert selected(rule_q(rule)) == ids(village, "bamboo")


def test_no_aid_means_no_aid_the_one_aid_rule_counts_in_the_aid_year(village):
    # Live aid of any year, or aid completed in the aid year (2024, the latest with enrollments):
    # a family whose 2024 aid is completed would break the one-aid rule with a second aid.
    EnrollmentFactory(household=village.h["renter"], program=Program.objects.get(code="pkh"), year=2020,
                      status=EnrollmentStatus.ACTIVE)
    EnrollmentFactory(household=village.h["well"], program=Program.objects.get(code="pkh"), year=2024,
                      status=EnrollmentStatus.COMPLETED)
    rule = make_rule("blt-desa", (F.DESIL, OP.IN, "1"), (F.NO_AID, OP.YES, ""))
    assert selected(rule_q(rule)) == set()
    EnrollmentFactory(household=village.h["well"], program=Program.objects.get(code="pkh"), year=2022,
                      status=EnrollmentStatus.COMPLETED)
    Enrollment.objects.filter(household=village.h["well"], year=2024).update(year=2023)
    EnrollmentFactory(household=village.h["renter"], program=Program.objects.get(code="sembako"), year=2024,
                      status=EnrollmentStatus.CANCELLED)
    assert selected(rule_q(rule)) == ids(village, "well")  # aid completed in 2022 and 2023, none in 2024


def test_a_rule_without_conditions_or_a_program_without_rules_selects_nobody(village):
    rule = make_rule("pkh")
    assert selected(rule_q(rule)) == set()
    assert selected(program_q(Program.objects.get(code="sembako"))) == set()


# --- previews -------------------------------------------------------------------------------------


def test_preview_counts_the_selected_households_by_kecamatan(village):
    EnrollmentFactory(household=village.h["earth"], program=Program.objects.get(code="pkh"), year=2024,
                      status=EnrollmentStatus.PROPOSED)
    rule = make_rule("rutilahu", (F.UNFIT_HOUSE, OP.YES, ""))
    preview = preview_by_kecamatan(rule_q(rule))
    chosen = current_households().filter(rule_q(rule)).select_related("desa__kecamatan")
    expected = Counter(h.desa.kecamatan.name for h in chosen)
    assert {r.kecamatan: r.matching for r in preview.rows if r.matching} == dict(expected)
    assert len(preview.rows) == 13  # every kecamatan listed, zeros included
    assert preview.matching == 4
    by_name = {r.kecamatan: r for r in preview.rows}
    assert by_name[village.d1.kecamatan.name].without_aid == 1  # 'nodesil' ('earth' has PKH proposed)
    assert by_name[village.d2.kecamatan.name].without_aid == 2  # 'bamboo', 'roof'


# --- validation -----------------------------------------------------------------------------------


def test_conditions_accept_labels_and_store_codes(reference):
    condition = RuleCondition(field=F.WATER_SOURCE, operator=OP.IN, value="Air Hujan; SUMUR TIDAK TERLINDUNG")
    condition.clean()
    assert condition.value == "air_hujan;sumur_tidak_terlindung"
    assert condition.value_labels == "Air Hujan; Sumur Tidak Terlindung"
    between = RuleCondition(field=F.MEMBER_AGE, operator=OP.BETWEEN, value="6-18")
    between.clean()
    assert between.value == "6;18"


@pytest.mark.parametrize(
    "field_name, operator, value, message",
    [
        (F.WATER_SOURCE, OP.LTE, "1", "Operator ini tidak cocok"),
        (F.WATER_SOURCE, OP.IN, "air sumur", "Nilai tidak dikenal: air sumur"),
        (F.DESIL, OP.LTE, "dua", "Nilai harus bilangan bulat"),
        (F.MEMBER_AGE, OP.BETWEEN, "18;6", "yang kecil dahulu"),
        (F.DESIL, OP.IN, "", "Isi nilai syarat"),
    ],
)
def test_bad_conditions_get_a_clear_message(reference, field_name, operator, value, message):
    with pytest.raises(ValidationError) as error:
        RuleCondition(field=field_name, operator=operator, value=value).clean()
    assert message in str(error.value)


# --- defaults -------------------------------------------------------------------------------------


def test_load_reference_loads_the_default_rules_once_and_never_overwrites_edits(reference):
    # The reference data (load_reference, so `make run`) brings every default rule.
    assert set(TargetingRule.objects.values_list("default_key", flat=True)) == {rule[0] for rule in DEFAULT_RULES}
    assert default_rules_load() == 0
    spam = TargetingRule.objects.get(default_key="spam-air-tidak-layak")
    spam.name = "SPAM versi Bappeda"
    spam.active = False
    spam.save()
    TargetingRule.objects.get(default_key="pkh-lansia").delete()  # Bappeda does not want this one
    call_command("load_reference", verbosity=0)
    assert default_rules_load() == 0
    spam.refresh_from_db()
    assert (spam.name, spam.active) == ("SPAM versi Bappeda", False)
    assert not TargetingRule.objects.filter(default_key="pkh-lansia").exists()
    assert TargetingRule.objects.count() == len(DEFAULT_RULES) - 1
    codes = set(TargetingRule.objects.values_list("program__code", flat=True))
    assert {"bsps", "rutilahu", "spam", "sanimas", "pkh", "pupuk", "bibit", "nelayan", "pip", "blt-desa"} <= codes


def test_default_rules_target_what_a_planner_expects(village):
    default_rules_load()

    def eligible(code):
        return set(matching_households(Program.objects.get(code=code)).values_list("pk", flat=True))

    assert eligible("bsps") == ids(village, "renter", "earth", "bamboo", "roof")
    assert eligible("spam") == ids(village, "well")  # 'rich' drinks surface water but is desil 5
    assert eligible("sanimas") == ids(village, "well")
    assert eligible("pkh") == ids(village, "renter", "earth", "well")  # child 8; elderly 66; child 1
    assert eligible("pupuk") == ids(village, "renter", "bamboo")
    assert eligible("nelayan") == ids(village, "earth")
    assert eligible("pip") == ids(village, "renter")
    assert eligible("blt-desa") == ids(village, "renter", "well")


def test_load_reference_reports_the_rules_it_loaded(db):
    out = StringIO()
    call_command("load_reference", stdout=out)
    assert f"{len(DEFAULT_RULES)} aturan sasaran bawaan baru" in out.getvalue()
    assert "30 program baru (25 program daerah, 5 program nasional)" in out.getvalue()
    out = StringIO()
    call_command("load_reference", stdout=out)
    assert "0 program baru (0 program daerah, 0 program nasional), 0 aturan sasaran bawaan baru" in out.getvalue()


# --- the admin ------------------------------------------------------------------------------------

ADD_URL = "/admin/programs/targetingrule/add/"


def rule_form(program, *conditions, name="Sumur terbuka", active=True):
    data = {
        "program": program.pk, "name": name, "description": "", "conditions-TOTAL_FORMS": str(len(conditions)),
        "conditions-INITIAL_FORMS": "0", "conditions-MIN_NUM_FORMS": "0", "conditions-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["active"] = "on"
    for index, (field_name, operator, value) in enumerate(conditions):
        data.update({f"conditions-{index}-field": field_name, f"conditions-{index}-operator": operator,
                     f"conditions-{index}-value": value})
    return data


def test_bappeda_adds_a_rule_in_the_admin_and_sees_its_preview(client, village):
    client.force_login(UserFactory(username="bappeda-aturan", role=Role.BAPPEDA_OPERATOR))
    spam = Program.objects.get(code="spam")
    response = client.post(ADD_URL, rule_form(spam, (F.WATER_SOURCE, OP.IN, "Sumur Tidak Terlindung")))
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = TargetingRule.objects.get(name="Sumur terbuka")
    assert [c.value for c in rule.conditions.all()] == ["sumur_tidak_terlindung"]

    page = client.get(f"/admin/programs/targetingrule/{rule.pk}/change/").content.decode()
    assert 'id="rule-preview"' in page and "dashboard/rule_preview.js" in page
    assert "Air Permukaan (Sungai, Danau, dll)" in page  # the value guide


def test_live_preview_counts_conditions_as_typed(client, village):
    client.force_login(UserFactory(username="bappeda-pratinjau", role=Role.BAPPEDA_OPERATOR))
    url = "/admin/programs/targetingrule/pratinjau/"
    data = client.get(url, {"field": ["desil", "unfit_house"], "operator": ["lte", "yes"], "value": ["3", ""]}).json()
    assert data["errors"] == []
    assert data["matching"] == 2  # earth, bamboo; 'roof' is desil 4, 'nodesil' has no desil
    by_name = {r["kecamatan"]: r["matching"] for r in data["rows"]}
    assert by_name[village.d1.kecamatan.name] == 1 and by_name[village.d2.kecamatan.name] == 1
    assert TargetingRule.objects.count() == 0

    bad = client.get(url, {"field": ["water_source"], "operator": ["in"], "value": ["air sumur"]}).json()
    assert bad["rows"] == [] and "Nilai tidak dikenal" in bad["errors"][0]


def test_an_active_rule_without_conditions_is_refused(client, village):
    client.force_login(UserFactory(username="bappeda-kosong", role=Role.BAPPEDA_OPERATOR))
    response = client.post(ADD_URL, rule_form(Program.objects.get(code="spam")))
    assert response.status_code == 200
    assert "Aturan aktif harus punya paling sedikit satu syarat." in response.content.decode()
    assert TargetingRule.objects.count() == 0


def test_a_bad_condition_in_the_admin_writes_nothing(client, village):
    client.force_login(UserFactory(username="bappeda-salah", role=Role.BAPPEDA_OPERATOR))
    response = client.post(ADD_URL, rule_form(Program.objects.get(code="spam"), (F.WATER_SOURCE, OP.IN, "air sumur")))
    assert response.status_code == 200
    assert "Nilai tidak dikenal: air sumur" in response.content.decode()
    assert TargetingRule.objects.count() == 0 and RuleCondition.objects.count() == 0


def test_leadership_and_agencies_cannot_edit_rules(client, village):
    default_rules_load()
    before = list(TargetingRule.objects.values_list("pk", "name", "active"))
    rule = TargetingRule.objects.first()
    spam = Program.objects.get(code="spam")
    # Leadership is not staff: the admin sends them to its login.
    client.force_login(UserFactory(username="bupati-aturan", role=Role.LEADERSHIP, is_staff=False))
    response = client.post(ADD_URL, rule_form(spam, (F.DESIL, OP.LTE, "1")))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Even a leadership account wrongly given staff status cannot change rules: 403.
    client.force_login(UserFactory(username="wabup-aturan", role=Role.LEADERSHIP, is_staff=True))
    assert client.post(ADD_URL, rule_form(spam, (F.DESIL, OP.LTE, "1"))).status_code == 403
    change = f"/admin/programs/targetingrule/{rule.pk}/change/"
    form = rule_form(rule.program, (F.DESIL, OP.LTE, "1"), name="diubah")
    assert client.post(change, form).status_code == 403
    assert client.post(f"/admin/programs/targetingrule/{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(change).status_code == 200  # may look
    client.force_login(UserFactory(username="kadis-aturan", role=Role.AGENCY_HEAD, is_staff=False))
    assert client.post(ADD_URL, rule_form(spam, (F.DESIL, OP.LTE, "1"))).status_code == 302
    assert list(TargetingRule.objects.values_list("pk", "name", "active")) == before
