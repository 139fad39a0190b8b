"""Who may see what. Every page, export and dashboard scopes its queries through these."""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import reduce

from django.db import connection
from django.db.models import (
    BooleanField, Case, Count, Exists, Expression, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum,
    Value, When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from agencies.models import Agency, Role, User
from dedup.models import Conflict, ConflictStatus, with_merge_decisions
from households.identifiers import mask
from households.models import FAMILY_CARD_ORDER, Household, Member, head_recorded_dead
from programs.models import ONE_AID_STATUSES, Enrollment, EnrollmentStatus, Program

from konut_registry.numbers import identifier_digits

def sees_everything(user: User) -> bool:
    """Bappeda and leadership see every agency's data (leadership read-only)."""
    return user.is_superuser or user.is_bappeda or user.is_leadership


def has_portal_role(user: User) -> bool:
    """The roles the household list and the dashboard serve: Bappeda, leadership, and the head or an
    operator of an agency (their agency's data). A field officer has their verval cases only; an
    account without a role has nothing until Bappeda gives it one."""
    return sees_everything(user) or bool(user.is_agency_user and user.agency_id)


# Accounts a Bappeda operator creates and looks after: every role without admin access. Bappeda
# operators (staff) and superusers are managed by a superuser only, so that no operator can take
# over an account with more rights, or give anyone more rights than the roles carry.
MANAGED_ROLES = (Role.AGENCY_HEAD, Role.AGENCY_OPERATOR, Role.FIELD_OFFICER, Role.LEADERSHIP)


def is_bappeda_operator(user: User) -> bool:
    """An active staff account with the Bappeda operator role (a superuser is more than that)."""
    return bool(user.is_active and user.is_staff and user.role == Role.BAPPEDA_OPERATOR)


def manageable_users(by: User) -> QuerySet[User]:
    """Accounts ``by`` may see and change in the admin: all for a superuser; for a Bappeda operator,
    accounts with a managed role and nothing more (not staff, no superuser status, no group and no
    individual permission that a superuser may have given them)."""
    if by.is_superuser:
        return User.objects.all()
    if not is_bappeda_operator(by):
        return User.objects.none()
    extra_rights = User.groups.through.objects.filter(user=OuterRef("pk"))
    extra_permissions = User.user_permissions.through.objects.filter(user=OuterRef("pk"))
    return User.objects.filter(is_superuser=False, is_staff=False, role__in=MANAGED_ROLES).exclude(
        Exists(extra_rights)
    ).exclude(Exists(extra_permissions))


def may_manage_user(by: User, target: User) -> bool:
    return manageable_users(by).filter(pk=target.pk).exists()


def visible_programs(user: User) -> QuerySet[Program]:
    if sees_everything(user):
        return Program.objects.all()
    if user.is_agency_user and user.agency_id:
        return Program.objects.filter(agency_id=user.agency_id)
    return Program.objects.none()


def visible_enrollments(user: User) -> QuerySet[Enrollment]:
    if sees_everything(user):
        return Enrollment.objects.all()
    if user.is_agency_user and user.agency_id:
        return Enrollment.objects.filter(program__agency_id=user.agency_id)
    return Enrollment.objects.none()


def visible_households(user: User) -> QuerySet[Household]:
    """Households a user may open: all for Bappeda and leadership; for an agency, those assigned to
    it through an enrollment in one of its programs (any status)."""
    if sees_everything(user):
        return Household.objects.all()
    if user.is_agency_user and user.agency_id:
        assigned = Enrollment.objects.filter(household=OuterRef("pk"), program__agency_id=user.agency_id)
        return Household.objects.filter(Exists(assigned))
    return Household.objects.none()


def visible_agencies(user: User) -> QuerySet[Agency]:
    if sees_everything(user):
        return Agency.objects.filter(is_coordinator=False)
    if user.agency_id:
        return Agency.objects.filter(pk=user.agency_id)
    return Agency.objects.none()


# --- The agency portal's household list, detail and export -------------------------------------
# The list shows one row per household. Program, year and status filters apply to one enrollment
# together ("a PKH enrollment of 2024 that is proposed"), inside the agency scope; the same condition
# picks the enrollments shown in each row, the totals and the exported columns, so that what a user
# filters is exactly what they see and export.


def portal_agency(user: User, requested: Agency | None) -> Agency | None:
    """The agency whose list a user is looking at: always their own for agency users; the one they
    chose (or ``None``: every agency) for Bappeda and leadership."""
    if sees_everything(user):
        return requested
    if user.is_agency_user and user.agency_id:
        return user.agency
    return None


def enrollment_condition(
    *, agency: Agency | None = None, program_id: int | None = None, year: int | None = None, status: str | None = None
) -> Q:
    """The Q over ``Enrollment`` fields that a list's agency scope and enrollment filters describe."""
    condition = Q()
    if agency is not None:
        condition &= Q(program__agency_id=agency.pk)
    if program_id is not None:
        condition &= Q(program_id=program_id)
    if year is not None:
        condition &= Q(year=year)
    if status:
        condition &= Q(status=status)
    return condition


def with_enrollment(queryset: QuerySet[Household], condition: Q) -> QuerySet[Household]:
    """Households that have at least one enrollment matching ``condition``."""
    return queryset.filter(Exists(Enrollment.objects.filter(condition, household=OuterRef("pk"))))


def _open_conflicts_by_family() -> list[QuerySet]:
    """The open conflicts of the outer household, one query per family of the pair: a same-person
    pair is each family's (``Conflict.FAMILIES``), each looked up through its enrollment's household."""
    return [
        Conflict.objects.filter(status=ConflictStatus.OPEN, **{family: OuterRef("pk")}) for family in Conflict.FAMILIES
    ]


def open_conflict_exists() -> ExpressionWrapper:
    """Whether the outer household has an open conflict, to filter on (``open_conflict_flag`` for a page's rows)."""
    either = reduce(operator.or_, (Q(Exists(conflicts)) for conflicts in _open_conflicts_by_family()))
    return ExpressionWrapper(either, output_field=BooleanField())


def _row_flag(*rows: QuerySet) -> Coalesce:
    """Whether any of ``rows`` (each filtered on the outer household) has any, for the SELECT of a
    page of rows: scalar subqueries looked up per row through the household index. As an EXISTS,
    PostgreSQL plans it for every household in scope (it hashed all 35,000 open conflicts of a
    province for 50 rows)."""
    first = [r.order_by().annotate(flag=Value(True, output_field=BooleanField())).values("flag")[:1] for r in rows]
    return Coalesce(*(Subquery(one, output_field=BooleanField()) for one in first), Value(False))


def open_conflict_flag() -> Coalesce:
    """Whether a row's household has an open conflict (``_row_flag``)."""
    return _row_flag(*_open_conflicts_by_family())


def head_deceased_flag() -> Case:
    """Whether a row's household is absent because an approved field verification found its head
    dead with no one left to carry the family on (``dedup.membership.household_mark_absent``):
    its head is recorded dead (``households.models.head_recorded_dead``, the rule the approval marked
    the head by). A head who died while the family carried on is not its head once Bappeda records the
    new one: a family the data leaves out later is absent for that. Looked up for absent households
    only (``_row_flag``)."""
    heads = Member.objects.filter(head_recorded_dead(OuterRef("head_nik"), OuterRef("head_name")), household=OuterRef("pk"))
    return Case(When(is_absent=True, then=_row_flag(heads)), default=Value(False), output_field=BooleanField())


# A name search first collects the matching household ids in one query (one pass over the members);
# the count, the page and the totals then look households up by id instead of each scanning every
# member's name again. Beyond this many matches the search is too broad for an id list and the
# filter stays a subquery.
NAME_SEARCH_ID_LIMIT = 20_000


def full_identifier(text: str) -> str | None:
    """The 16 digits of a full NIK or No KK that ``text`` is (spaces ignored), else None."""
    digits = identifier_digits(text)
    return digits if digits is not None and len(digits) == 16 else None


def search_text_kept(text: str) -> str:
    """A search text as logs may keep it: a full NIK or No KK masked like the portal shows it
    (``households.identifiers.mask``), anything else as typed. Who searched which number is kept
    only as a keyed digest (``agencies.services.identifier_search_record``)."""
    digits = full_identifier(text)
    return mask(digits) if digits is not None else text


def household_search(
    queryset: QuerySet[Household], text: str, *, partial_identifiers: bool, remember: Callable | None = None
) -> QuerySet[Household]:
    """Search by name (head or member), NIK (head or member), No KK or ID Keluarga P3KE.

    Digits search identifiers: a full 16-digit number matches a NIK or No KK exactly, any number
    matches an ID Keluarga P3KE exactly. With ``partial_identifiers`` (roles that see NIKs in full),
    a shorter run of digits also matches NIKs and No KKs by prefix (both use the columns' indexes).
    Roles that see masked NIKs never get a prefix match: digit by digit, it would reveal the masked
    digits. Anything else searches names, case-insensitively, anywhere in the name; a common name
    reads tens of thousands of members, so ``remember(kind, compute, queryset=...)`` may keep the
    id list (``ListMemo``).
    """
    text = " ".join(text.split())
    if not text:
        return queryset
    digits = identifier_digits(text)
    if digits is not None:
        if len(digits) == 16:
            return _identifier_search(queryset, Q(head_nik=digits) | Q(no_kk=digits), Q(nik=digits))
        if not partial_identifiers:
            return queryset.filter(p3ke_id=digits)
        return _identifier_search(
            queryset, Q(head_nik__startswith=digits) | Q(no_kk__startswith=digits) | Q(p3ke_id=digits),
            Q(nik__startswith=digits),
        )
    # Collected within the scope already narrowed (agency, place, ...), so the id list stays short.
    scope = queryset.order_by()
    heads = scope.filter(head_name__icontains=text).values_list("pk", flat=True)
    named = (
        Member.objects.filter(Exists(scope.filter(pk=OuterRef("household_id"))), name__icontains=text)
        .order_by()
        .values_list("household_id", flat=True)
    )
    matches = heads.union(named)[: NAME_SEARCH_ID_LIMIT + 1]
    # Sorted: the same search gives the same query text (and cache key) for its count and totals.
    ids = remember("search", lambda: sorted(matches), queryset=matches) if remember else sorted(matches)
    if len(ids) <= NAME_SEARCH_ID_LIMIT:
        return _among(queryset, ids)
    members = Member.objects.filter(household=OuterRef("pk"), name__icontains=text)
    return queryset.filter(Q(head_name__icontains=text) | Exists(members))


class _AmongIds(Expression):
    """``pk = ANY(%s)`` with the ids as one array parameter: Django compiles ``pk__in`` with one
    parameter per id, which for a search matching 10,000 households costs more than the query."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression, ids: list[int]):
        super().__init__()
        self.expression, self.ids = expression, ids

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        return f"{sql} = ANY(%s)", [*params, self.ids]


def _among(queryset: QuerySet[Household], ids: list[int]) -> QuerySet[Household]:
    if connection.vendor == "postgresql":
        return queryset.filter(_AmongIds(F("pk"), ids))
    return queryset.filter(pk__in=ids)


def _identifier_search(queryset: QuerySet[Household], households: Q, members: Q) -> QuerySet[Household]:
    """Households matching ``households`` or with a member matching ``members``: the ids are looked
    up first through the identifier columns' indexes (an OR with a member subquery over the whole
    scope would scan every household), then the scope is filtered by id."""
    heads = Household.objects.filter(households).order_by().values_list("pk", flat=True)
    listed = Member.objects.filter(members).order_by().values_list("household_id", flat=True)
    ids = list(heads.union(listed)[: NAME_SEARCH_ID_LIMIT + 1])
    if len(ids) <= NAME_SEARCH_ID_LIMIT:
        return _among(queryset, ids)
    return queryset.filter(households | Exists(Member.objects.filter(members, household=OuterRef("pk"))))


def listed_enrollments(condition: Q) -> Prefetch:
    """Prefetch, into ``household.listed_enrollments``, the enrollments a list row shows."""
    enrollments = (
        Enrollment.objects.filter(condition)
        .select_related("program")
        .order_by("-year", "program__name", "id")
    )
    return Prefetch("enrollments", queryset=enrollments, to_attr="listed_enrollments")


def household_list_rows(queryset: QuerySet[Household], condition: Q) -> QuerySet[Household]:
    """The columns a list or export row needs, in a fixed number of queries (without the import's
    kept values, ``raw_values`` and ``source_values``: large, and neither page shows them)."""
    return (
        queryset.select_related("desa", "desa__kecamatan__kabupaten")
        .defer("raw_values", "source_values")
        .annotate(has_open_conflict=open_conflict_flag(), head_deceased=head_deceased_flag())
        .prefetch_related(listed_enrollments(condition))
    )


def household_print_rows(queryset: QuerySet[Household], condition: Q, *, limit: int) -> list[dict]:
    """The print view's first ``limit`` rows as plain values, each with ``enrollments`` (program name,
    year, status) selected by ``condition``: two queries and no model instances, which for 2,000
    households with their villages and enrollments cost seconds."""
    rows = list(
        queryset.annotate(has_open_conflict=open_conflict_exists()).values(
            "pk", "head_name", "head_nik", "no_kk", "address", "rt", "rw", "desil",
            "desa__name", "desa__kecamatan__name", "desa__kecamatan__kabupaten__name", "has_open_conflict",
        )[:limit]
    )
    by_household = {}
    for row in rows:
        row["enrollments"] = []
        by_household[row["pk"]] = row
    enrollments = (
        Enrollment.objects.filter(condition, household_id__in=list(by_household))
        .order_by("-year", "program__name", "id")
        .values_list("household_id", "program__name", "year", "status")
    )
    for household_id, program, year, status in enrollments:
        by_household[household_id]["enrollments"].append((program, year, status))
    return rows


def household_list_totals_query(queryset: QuerySet[Household], condition: Q, *, restrict: bool = True) -> QuerySet:
    """The enrollments of the filtered households by status, with their count and recorded amount
    (one query; ``household_list_totals`` reads it).

    ``restrict=False`` when no household-level filter is active: then the enrollment condition alone
    selects the same enrollments (it carries the agency scope), and the query needs no semi-join.
    """
    enrollments = Enrollment.objects.filter(condition)
    if restrict:
        enrollments = enrollments.filter(Exists(queryset.order_by().filter(pk=OuterRef("household_id"))))
    return enrollments.order_by().values("status").annotate(count=Count("pk"), amount=Sum("amount"))


def household_list_totals(rows) -> dict:
    """Counts by enrollment status and the recorded amount, from the rows of
    ``household_list_totals_query``. The amount is the aid planned or given (``ONE_AID_STATUSES``:
    proposed, active, completed): a cancelled, rejected or suspended aid was never handed over."""
    by_status = {row["status"]: row for row in rows}
    statuses = [
        {"value": value, "label": label, "count": by_status.get(value, {}).get("count", 0)}
        for value, label in EnrollmentStatus.choices
    ]
    return {
        "enrollments": sum(item["count"] for item in statuses),
        "by_status": statuses,
        "amount": sum((row["amount"] or 0) for status, row in by_status.items() if status in ONE_AID_STATUSES),
    }


def household_detail(user: User, pk: int) -> Household:
    """One household the user may open, with everything its page shows; 404 otherwise."""
    queryset = visible_households(user).select_related("desa__kecamatan__kabupaten").annotate(
        head_deceased=head_deceased_flag()
    ).prefetch_related(
        Prefetch("members", queryset=Member.objects.order_by(FAMILY_CARD_ORDER, "birth_date", "id")),
        Prefetch(
            "enrollments",
            queryset=Enrollment.objects.select_related("program", "program__agency", "member").order_by(
                "-year", "program__agency__order", "program__name", "id"
            ),
            to_attr="all_enrollments",
        ),
    )
    household = get_object_or_404(queryset, pk=pk)
    # A same-person pair is each family's, as the list flags it.
    household.open_conflicts = list(
        Conflict.objects.filter(status=ConflictStatus.OPEN)
        .filter(reduce(operator.or_, (Q(**{family: household}) for family in Conflict.FAMILIES)))
        .select_related("enrollment_a__program__agency", "enrollment_b__program__agency")
    )
    return household


def merged_here(user: User, household: Household) -> list[Household]:
    """The records merged into ``household`` that the user may open, each with ``decision``, the
    identity duplicate whose merge it was (``dedup.models.with_merge_decisions``)."""
    sources = list(visible_households(user).filter(merged_into=household).select_related("desa").order_by("pk"))
    return with_merge_decisions(household, sources)


# The fields of an enrollment whose changes the household page's history shows, old and new.
HISTORY_FIELDS = ("program_id", "year", "status", "amount", "delivered_on", "status_reason", "member_id", "household_id")


def enrollment_history(household: Household, *, limit: int = 50) -> list:
    """The latest changes to a household's enrollments (who, when, what), newest first. Each has
    ``previous``: the ``HISTORY_FIELDS`` values of the enrollment's version before it (None for
    its first), read in one more query over those enrollments' versions."""
    records = list(
        Enrollment.history.filter(household_id=household.pk)
        .select_related("history_user", "program")
        .order_by("-history_date", "-history_id")[:limit]
    )
    versions = (
        Enrollment.history.filter(id__in={record.id for record in records})
        .order_by("history_date", "history_id")
        .values_list("id", "history_id", *HISTORY_FIELDS)
    )
    before, latest = {}, {}
    for enrollment_id, history_id, *values in versions:
        before[history_id] = latest.get(enrollment_id)
        latest[enrollment_id] = dict(zip(HISTORY_FIELDS, values))
    for record in records:
        record.previous = before.get(record.history_id)
    return records


def actionable_enrollment(user: User, pk: int) -> Enrollment:
    """An enrollment the user may see; 404 for anything outside their scope."""
    queryset = visible_enrollments(user).select_related("program", "program__agency", "household")
    return get_object_or_404(queryset, pk=pk)


def may_act_on(user: User, enrollment: Enrollment) -> bool:
    """Agency users act on their own agency's programs; Bappeda on any; leadership on none."""
    if not user.can_write:
        return False
    if user.is_bappeda:
        return True
    return user.is_agency_user and enrollment.program.agency_id == user.agency_id
