"""Targeting: which households a program should reach, as Django ``Q`` objects.

**Eligibility rules** (``TargetingRule`` with its ``RuleCondition`` rows, edited by Bappeda in the
admin) compile to one ``Q`` over ``Household`` (and ``Member``), so that every count is one SQL
query: a household is eligible for a program when it matches any active rule of the program, and
matches a rule when it meets all of its conditions. Conditions on members (age, occupation,
education, stunting risk) of one rule must hold for the same member. Only current households are
targeted: not absent from the latest extract and not merged into another record. Flag conditions
(unfit house, unsafe water, stunting risk, no aid) use the indicators of ``programs.indicators``.

The preview counts what a ``Q`` selects in each kecamatan (the rule admin and the distribution page).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from households.models import Household, Kabupaten, Kecamatan, Member, Relation
from konut_registry.db import fast_aggregates
from programs.indicators import (
    current_households,
    not_reached_q,
    stunting_risk_q,
    today,
    unfit_house_q,
    unsafe_water_q,
    years_before,
)
from programs.models import (
    ConditionField,
    ConditionKind,
    ConditionOperator,
    Program,
    RuleCondition,
    TargetingRule,
    condition_kind,
)

# --- Rules as Q objects ---------------------------------------------------------------------------

MATCH_NOTHING = Q(pk__in=[])

_MEMBER_FIELDS = {
    ConditionField.MEMBER_AGE: "birth_date",
    ConditionField.MEMBER_OCCUPATION: "occupation",
    ConditionField.MEMBER_EDUCATION: "education",
    ConditionField.MEMBER_STUNTING_RISK: "stunting_risk",
}


def is_member_condition(condition: RuleCondition) -> bool:
    return condition.field in _MEMBER_FIELDS


def _age_q(operator: str, numbers: list[int], as_of: datetime.date) -> Q:
    """Members' age in whole years on ``as_of``, as a condition on their birth date."""

    def born_at_least(years):  # age >= years
        return Q(birth_date__lte=years_before(as_of, years))

    def born_at_most(years):  # age <= years
        return Q(birth_date__gt=years_before(as_of, years + 1))

    if operator == ConditionOperator.LTE:
        return born_at_most(numbers[0])
    if operator == ConditionOperator.GTE:
        return born_at_least(numbers[0])
    if operator == ConditionOperator.BETWEEN:
        return born_at_least(numbers[0]) & born_at_most(numbers[1])
    combined = MATCH_NOTHING
    for number in numbers:
        combined |= born_at_least(number) & born_at_most(number)
    return combined


def _number_q(name: str, operator: str, numbers: list[int]) -> Q:
    if operator == ConditionOperator.LTE:
        return Q(**{f"{name}__lte": numbers[0]})
    if operator == ConditionOperator.GTE:
        return Q(**{f"{name}__gte": numbers[0]})
    if operator == ConditionOperator.BETWEEN:
        return Q(**{f"{name}__gte": numbers[0], f"{name}__lte": numbers[1]})
    return Q(**{f"{name}__in": numbers})


_FLAG_QS = {
    ConditionField.UNFIT_HOUSE: lambda as_of: unfit_house_q(),
    ConditionField.UNSAFE_WATER: lambda as_of: unsafe_water_q(),
    ConditionField.STUNTING_HOUSEHOLD: stunting_risk_q,
    # "No aid that year" as the one-aid rule and the dashboard's gap count it (``reached_q``).
    ConditionField.NO_AID: lambda as_of: not_reached_q(),
}


def condition_q(condition: RuleCondition, *, as_of: datetime.date) -> Q:
    """One condition as a ``Q``: over ``Member`` for member conditions, else over ``Household``."""
    kind = condition_kind(condition.field)
    values = condition.values
    if condition.field == ConditionField.MEMBER_AGE:
        return _age_q(condition.operator, [int(v) for v in values], as_of) & Q(birth_date__lte=as_of)
    name = _MEMBER_FIELDS.get(condition.field, condition.field)
    if kind == ConditionKind.NUMBER:
        return _number_q(name, condition.operator, [int(v) for v in values])
    if kind == ConditionKind.FLAG:
        if condition.field == ConditionField.HAS_SAVINGS:
            return Q(has_savings=condition.operator == ConditionOperator.YES)
        flag = _FLAG_QS[condition.field](as_of)
        return flag if condition.operator == ConditionOperator.YES else ~flag
    matched = Q(**{f"{name}__in": values})
    return ~matched if condition.operator == ConditionOperator.NOT_IN else matched


def _split(conditions) -> tuple[list[RuleCondition], list[RuleCondition]]:
    household, member = [], []
    for condition in conditions:
        (member if is_member_condition(condition) else household).append(condition)
    return household, member


def member_q(conditions, *, as_of: datetime.date) -> Q:
    """The member conditions of one rule, for one and the same member."""
    combined = Q(is_absent=False)
    for condition in conditions:
        combined &= condition_q(condition, as_of=as_of)
    return combined


def rule_q(rule: TargetingRule, *, as_of: datetime.date | None = None, conditions=None) -> Q:
    """Households matching every condition of ``rule``; nothing when it has no conditions."""
    conditions = list(rule.conditions.all() if conditions is None else conditions)
    return conditions_q(conditions, as_of=as_of or today()) if conditions else MATCH_NOTHING


def conditions_q(conditions, *, as_of: datetime.date) -> Q:
    """Households meeting every one of ``conditions`` (the member conditions by one and the same
    member); every household when there are none."""
    household_conditions, member_conditions = _split(conditions)
    combined = Q()
    for condition in household_conditions:
        combined &= condition_q(condition, as_of=as_of)
    if member_conditions:
        members = Member.objects.filter(member_q(member_conditions, as_of=as_of), household=OuterRef("pk"))
        combined &= Q(Exists(members))
    return combined


def active_rules(program: Program) -> list[TargetingRule]:
    return list(program.targeting_rules.filter(active=True).prefetch_related("conditions").order_by("id"))


def _condition_key(condition: RuleCondition) -> tuple:
    return (condition.field, condition.operator, tuple(condition.values))


def _rest_ids(household_conditions, member_conditions, *, as_of: datetime.date) -> QuerySet:
    """The ids of the households meeting one rule's conditions (those all rules share left out)."""
    if not household_conditions:  # members only: their household ids, no household read
        return Member.objects.filter(member_q(member_conditions, as_of=as_of)).order_by().values("household_id")
    return Household.objects.filter(conditions_q([*household_conditions, *member_conditions], as_of=as_of)).order_by().values("pk")


def program_q(program: Program, *, as_of: datetime.date | None = None, rules=None) -> Q:
    """Households eligible for ``program``: matching any of its active rules (nothing if none)."""
    as_of = as_of or today()
    rules = active_rules(program) if rules is None else rules
    rule_conditions = [conditions for conditions in (list(rule.conditions.all()) for rule in rules) if conditions]
    if len(rule_conditions) <= 1:
        return conditions_q(rule_conditions[0], as_of=as_of) if rule_conditions else MATCH_NOTHING
    # Several rules: the household conditions every rule has (PKH's desil <= 2) once, on the
    # households, and one id list for the rest, the union of each rule's own condition ids. A rule
    # of member conditions alone gives its members' household ids, read from the members' index
    # without reading a household; the rules of household conditions alone are one OR in one read of
    # the households. An OR of the rules' member conditions (one EXISTS each) would be
    # checked household by household (about a second per 100,000 households), and a union of each
    # whole rule's households read the shared conditions' households once per rule and then joined
    # the union to the households again (1.6 s of PKH's preview at 700,000 families).
    keys = [{_condition_key(c): c for c in conditions if not is_member_condition(c)} for conditions in rule_conditions]
    shared = set(keys[0]).intersection(*keys[1:])
    combined = Q()
    for key in sorted(shared):
        combined &= condition_q(keys[0][key], as_of=as_of)
    rests, household_rests = [], MATCH_NOTHING
    for conditions in rule_conditions:
        household_conditions, member_conditions = _split(conditions)
        household_conditions = [c for c in household_conditions if _condition_key(c) not in shared]
        if not household_conditions and not member_conditions:
            return combined  # this rule is the shared conditions alone: every household meeting them
        if member_conditions:
            rests.append(_rest_ids(household_conditions, member_conditions, as_of=as_of))
            continue
        # Household conditions alone (BSPS's four rules): one OR, the households read once.
        rest = conditions_q(household_conditions, as_of=as_of)
        household_rests = rest if household_rests is MATCH_NOTHING else household_rests | rest
    if not rests:
        return combined & household_rests
    if household_rests is not MATCH_NOTHING:
        rests.append(Household.objects.filter(household_rests).order_by().values("pk"))
    return combined & Q(pk__in=rests[0] if len(rests) == 1 else rests[0].union(*rests[1:]))


def eligible_members_q(program: Program, *, as_of: datetime.date | None = None, rules=None) -> Q:
    """For a person program (PIP, ...): the members to enroll, over ``Member``.

    A member qualifies through a rule when their household meets the rule's household conditions
    and they meet its member conditions; a rule without member conditions names the head of the
    household (households without a recorded head member are then skipped).
    """
    as_of = as_of or today()
    rules = active_rules(program) if rules is None else rules
    combined = MATCH_NOTHING
    for rule in rules:
        conditions = list(rule.conditions.all())
        if not conditions:
            continue
        household_conditions, member_conditions = _split(conditions)
        households = current_households()
        for condition in household_conditions:
            households = households.filter(condition_q(condition, as_of=as_of))
        who = member_q(member_conditions, as_of=as_of) if member_conditions else Q(is_absent=False, relation=Relation.HEAD)
        q = Q(household__in=households.values("pk")) & who
        combined = q if combined is MATCH_NOTHING else combined | q
    return combined


def matching_households(program: Program, *, as_of: datetime.date | None = None, base=None) -> QuerySet[Household]:
    base = current_households() if base is None else base
    return base.filter(program_q(program, as_of=as_of))


# --- Preview --------------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    kecamatan_id: int
    kecamatan: str
    matching: int = 0
    without_aid: int = 0
    kabupaten: str = ""


@dataclass
class Preview:
    """Households by kecamatan; each row knows its regency, which a page shows when several are
    loaded (``households.regions.has_several_regencies``, asked once by the page)."""

    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def matching(self) -> int:
        return sum(row.matching for row in self.rows)

    @property
    def without_aid(self) -> int:
        return sum(row.without_aid for row in self.rows)


def preview_by_kecamatan(q: Q, *, base: QuerySet[Household] | None = None, kabupaten: Kabupaten | None = None) -> Preview:
    """How many households ``q`` selects in each kecamatan (all 13 listed; with ``kabupaten``, that
    regency's only), and how many of them receive no aid yet. One grouped query."""
    base = current_households() if base is None else base
    if kabupaten is not None:
        base = base.filter(desa__kecamatan__kabupaten=kabupaten)
    with fast_aggregates():
        counts = {
            row["desa__kecamatan_id"]: row
            for row in base.filter(q)
            .order_by()
            .values("desa__kecamatan_id")
            .annotate(matching=Count("pk"), without_aid=Count("pk", filter=not_reached_q()))
        }
    return preview_from_counts(counts, kabupaten=kabupaten)


def preview_from_counts(counts: dict[int, dict], *, kabupaten: Kabupaten | None = None) -> Preview:
    """A preview of every kecamatan (of ``kabupaten`` only, if given) from the counts of those that
    have any (``matching`` and ``without_aid`` by kecamatan id), e.g. counted with a distribution
    plan's figures."""
    preview = Preview()
    kecamatan_list = Kecamatan.objects.select_related("kabupaten").order_by("code")
    if kabupaten is not None:
        kecamatan_list = kecamatan_list.filter(kabupaten=kabupaten)
    for kecamatan in kecamatan_list:
        row = counts.get(kecamatan.pk, {})
        preview.rows.append(PreviewRow(
            kecamatan.pk, kecamatan.name, row.get("matching", 0), row.get("without_aid", 0), kecamatan.kabupaten.name
        ))
    return preview
