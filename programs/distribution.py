"""Distribution: Bappeda proposes households to an agency's program, as one feature with two entries.

- By the program's targeting rules (the dashboard's distribution page): ``distribution_plan`` says
  what would happen, before anything is written (the eligible households, or members for person
  programs, poorest first, without those already in the program that year and, unless
  ``include_aided``, without households that already receive aid; at most the remaining quota);
  ``program_distribute`` follows that plan.
- By hand (the agency portal's household list): ``households_distribute`` proposes the ticked
  households, or every household the list's filters select; a choice with more households new to the
  program than its remaining quota is refused whole.

Both write ``proposed`` enrollments with source *Distribusi Bappeda* through
``programs.services.enrollment_bulk_create``, so the one-aid check runs on the whole batch and
flags what it must; both are open to Bappeda's writing users only (``may_distribute``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.selectors import visible_households
from households.models import Household, Kabupaten, Member
from konut_registry.db import fast_aggregates
from programs.indicators import reached_q, today
from programs.models import (
    ONE_AID_STATUSES,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Program,
    TargetUnit,
    absent_record_problem,
    validate_enrollment_year,
)
from programs.services import enrollment_bulk_create
from programs.targeting import Preview, active_rules, eligible_members_q, matching_households, preview_from_counts

# The most households one hand-picked distribution may touch; bigger distributions are imports.
DISTRIBUTE_MAX = 20_000
# The absent households a refused distribution names; the message says when there are more.
ABSENT_NAMED = 5


def may_distribute(user) -> bool:
    """Only Bappeda distributes (leadership is read-only, agencies work on what they receive)."""
    return bool(user is not None and user.is_authenticated and user.is_bappeda and user.can_write)


def distributable_programs() -> QuerySet[Program]:
    """Programs with at least one active targeting rule (the distribution page's list)."""
    return (
        Program.objects.filter(active=True, targeting_rules__active=True)
        .annotate(rule_count=Count("targeting_rules", filter=Q(targeting_rules__active=True)))
        .select_related("agency")
        .order_by("cluster", "agency__order", "name")
    )


# --- The plan (reads only) --------------------------------------------------------------------------



@dataclass
class DistributionPlan:
    """What distributing a program would do, before anything is written."""

    program: Program
    year: int
    include_aided: bool
    eligible: int = 0  # households (person programs: members) matching the rules
    already_enrolled: int = 0  # of those, already in this program this year (any status)
    skipped_aided: int = 0  # of the rest, skipped because they already receive aid
    quota_remaining: int | None = None  # None: no quota
    candidates: QuerySet | None = None  # the ones to enroll, poorest first, before the quota cut
    # Household programs: the eligible households by kecamatan (``targeting.preview_by_kecamatan``'s
    # table), counted in the same statement as the figures above; None for person programs.
    preview: Preview | None = None

    @property
    def available(self) -> int:
        return self.eligible - self.already_enrolled - self.skipped_aided

    @property
    def to_create(self) -> int:
        if self.quota_remaining is None:
            return self.available
        return max(0, min(self.available, self.quota_remaining))


def quota_remaining(program: Program, year: int) -> int | None:
    """How many more enrollments ``program``'s yearly quota allows in ``year``: the proposed, active
    and completed ones of the year take a place (``ONE_AID_STATUSES``: a house built this year is one
    of the year's houses); ``None`` when the program has no quota."""
    if program.quota is None:
        return None
    used = Enrollment.objects.filter(program=program, year=year, status__in=ONE_AID_STATUSES).count()
    return max(0, program.quota - used)


def distribution_plan(
    program: Program, *, year: int, include_aided: bool = False, as_of: datetime.date | None = None,
    kabupaten: Kabupaten | None = None,
) -> DistributionPlan:
    """The eligible households (or members, for person programs) of ``program`` for ``year``,
    poorest first (desil, then persentil, unknown last), without those already enrolled in the
    program that year and, unless ``include_aided``, without households that already receive aid
    (proposed or active, or completed that year); with ``kabupaten``, of that regency's families only
    (its kecamatan alone in the table)."""
    as_of = as_of or today()
    plan = DistributionPlan(program=program, year=year, include_aided=include_aided)
    rules = active_rules(program)
    enrolled_this_year = Enrollment.objects.filter(program=program, year=year)
    plan.quota_remaining = quota_remaining(program, year)

    if program.target_unit == TargetUnit.PERSON:
        eligible = Member.objects.filter(
            eligible_members_q(program, as_of=as_of, rules=rules),
            household__is_absent=False,
            household__merged_into__isnull=True,
        )
        enrolled = Q(Exists(enrolled_this_year.filter(member=OuterRef("pk"))))
        enrolled_ids = Q(pk__in=enrolled_this_year.filter(member__isnull=False).values("member_id"))
        aided = reached_q(year, "household")
        if kabupaten is not None:
            eligible = eligible.filter(household__desa__kecamatan__kabupaten=kabupaten)
        order = [
            F("household__desil").asc(nulls_last=True),
            F("household__persentil").asc(nulls_last=True),
            "household_id",
            "id",
        ]
    else:
        eligible = matching_households(program, as_of=as_of)
        if kabupaten is not None:
            eligible = eligible.filter(desa__kecamatan__kabupaten=kabupaten)
        enrolled = Q(Exists(enrolled_this_year.filter(household=OuterRef("pk"), member__isnull=True)))
        enrolled_ids = Q(pk__in=enrolled_this_year.filter(member__isnull=True).values("household_id"))
        aided = reached_q(year)
        order = [F("desil").asc(nulls_last=True), F("persentil").asc(nulls_last=True), "id"]

    with fast_aggregates():
        # Counted against the program's enrollments of the year as one hashed id list: an EXISTS
        # in both counts looked them up twice per eligible household (275,000 at province scale).
        # The live-aid look-up once per eligible one ("aided"), and again only for those already in
        # the program this year (``AND`` stops at the id list), whose aid is not a reason to skip.
        figures = dict(
            eligible=Count("pk"),
            enrolled=Count("pk", filter=enrolled_ids),
            aided=Count("pk", filter=aided),
            enrolled_aided=Count("pk", filter=enrolled_ids & aided),
        )
        if program.target_unit == TargetUnit.PERSON:
            rows = [eligible.order_by().aggregate(**figures)]
        else:
            # By kecamatan: the distribution page's table of eligible households comes with the
            # figures, instead of a second pass over the rules' households.
            rows = list(eligible.order_by().values("desa__kecamatan_id").annotate(**figures))
            plan.preview = preview_from_counts({
                row["desa__kecamatan_id"]: {"matching": row["eligible"], "without_aid": row["eligible"] - row["aided"]}
                for row in rows
            }, kabupaten=kabupaten)
    plan.eligible = sum(row["eligible"] for row in rows)
    plan.already_enrolled = sum(row["enrolled"] for row in rows)
    plan.skipped_aided = 0 if include_aided else sum(row["aided"] - row["enrolled_aided"] for row in rows)
    candidates = eligible.filter(~enrolled)
    if not include_aided:
        candidates = candidates.filter(~aided)
    plan.candidates = candidates.order_by(*order)
    return plan


# --- Writes -----------------------------------------------------------------------------------------


def _require_active(program: Program) -> None:
    """A program Bappeda switched off receives no family, whichever page or command asks."""
    if not program.active:
        raise ValidationError(_("Program %(program)s tidak aktif.") % {"program": program.name})


@dataclass
class DistributionResult:
    """What a distribution did: the plan it followed (rule-based only) and what the bulk write did."""

    plan: DistributionPlan | None = None
    created: list[Enrollment] = field(default_factory=list)
    existing: int = 0
    conflicts: list = field(default_factory=list)


def _propose(*, program: Program, year: int, recipients: Iterable[tuple[int, int | None]], by, result: DistributionResult):
    """Write ``proposed`` enrollments for (household id, member id or None) pairs, in one batch."""
    enrollments = [
        Enrollment(
            program=program,
            year=year,
            household_id=household_id,
            member_id=member_id,
            status=EnrollmentStatus.PROPOSED,
            source=EnrollmentSource.DISTRIBUTION,
            created_by=by,
        )
        for household_id, member_id in recipients
    ]
    written = enrollment_bulk_create(enrollments=enrollments, by=by)
    result.created, result.existing, result.conflicts = written.created, written.existing, written.conflicts
    return result


@transaction.atomic
def program_distribute(
    *,
    program: Program,
    year: int,
    by=None,
    include_aided: bool = False,
    limit: int | None = None,
    as_of: datetime.date | None = None,
    kabupaten: Kabupaten | None = None,
) -> DistributionResult:
    """Propose the households (members, for person programs) that ``program``'s targeting rules
    select for ``year``, following ``distribution_plan``: at most the program's remaining ``quota``
    (and ``limit``, if given), of ``kabupaten``'s families only if given. ``by`` is ``None`` only for the system itself (commands, benchmarks).
    Raises ``ValidationError`` (nothing written) for an inactive program or a year too far ahead
    (``programs.models.validate_enrollment_year``).
    """
    if by is not None and not may_distribute(by):
        raise PermissionDenied(_("Hanya Bappeda yang dapat mendistribusikan keluarga ke program."))
    validate_enrollment_year(year)
    # Lock the program row: two distributions at once must not both fill the same remaining quota.
    program = Program.objects.select_for_update().get(pk=program.pk)
    _require_active(program)
    plan = distribution_plan(program, year=year, include_aided=include_aided, as_of=as_of, kabupaten=kabupaten)
    result = DistributionResult(plan=plan)
    count = plan.to_create if limit is None else min(plan.to_create, max(0, limit))
    if count <= 0:
        return result
    rows = plan.candidates[:count].iterator(chunk_size=2000)
    if program.target_unit == TargetUnit.PERSON:
        recipients = ((row.household_id, row.pk) for row in rows)
    else:
        recipients = ((row.pk, None) for row in rows)
    return _propose(program=program, year=year, recipients=recipients, by=by, result=result)


@transaction.atomic
def households_distribute(*, program: Program, year: int, household_ids: list[int], by) -> DistributionResult:
    """Propose these households (the portal list's choice) to a household program for a year.

    Households already in the program that year are left as they are and counted as ``existing``.
    Raises ``ValidationError`` (an Indonesian message, nothing written) for a person program, an
    inactive program, a year too far ahead, no household, too many, a household outside the user's scope, a
    household marked absent (``programs.models.absent_record_problem``), or more households new to the program
    than its remaining quota for the year.
    """
    if not may_distribute(by):
        raise PermissionDenied(_("Hanya Bappeda yang dapat mendistribusikan keluarga ke program."))
    if program.target_unit != TargetUnit.HOUSEHOLD:
        raise ValidationError(
            _("%(program)s adalah program perorangan: tetapkan penerimanya per anggota keluarga.")
            % {"program": program.name}
        )
    _require_active(program)
    validate_enrollment_year(year)
    ids = sorted(set(household_ids))
    if not ids:
        raise ValidationError(_("Pilih minimal satu keluarga."))
    if len(ids) > DISTRIBUTE_MAX:
        raise ValidationError(
            _("Terlalu banyak keluarga sekaligus (%(count)s); batasnya %(max)s. Persempit filter.")
            % {"count": len(ids), "max": DISTRIBUTE_MAX}
        )
    found = list(visible_households(by).filter(pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(ids):
        raise ValidationError(_("Sebagian keluarga yang dipilih tidak ditemukan; tidak ada yang didistribusikan."))
    absent = list(Household.objects.filter(pk__in=found, is_absent=True).order_by("pk").values_list("pk", flat=True))
    if absent:
        told = [absent_record_problem(pk) for pk in absent[:ABSENT_NAMED]]
        if len(absent) > ABSENT_NAMED:
            others = len(absent) - ABSENT_NAMED
            told.append(ngettext("%(count)s keluarga lain juga ditandai tidak ada.",
                                 "%(count)s keluarga lain juga ditandai tidak ada.", others) % {"count": others})
        told.append(_("Tidak ada yang didistribusikan."))
        raise ValidationError(" ".join(told))
    # Lock the program row (as ``program_distribute`` does): two distributions at once must not both
    # fill the same remaining quota.
    program = Program.objects.select_for_update().get(pk=program.pk)
    remaining = quota_remaining(program, year)
    if remaining is not None:
        enrolled = Enrollment.objects.filter(program=program, year=year, member__isnull=True, household_id__in=found)
        new = len(found) - enrolled.values("household_id").distinct().count()
        if new > remaining:
            raise ValidationError(
                ngettext(
                    "Kuota %(program)s tahun %(year)s tersisa %(remaining)s keluarga, sedangkan %(new)s keluarga "
                    "yang dipilih belum terdaftar di program ini; tidak ada yang didistribusikan. Kurangi pilihan "
                    "atau ubah kuota program.",
                    "Kuota %(program)s tahun %(year)s tersisa %(remaining)s keluarga, sedangkan %(new)s keluarga "
                    "yang dipilih belum terdaftar di program ini; tidak ada yang didistribusikan. Kurangi pilihan "
                    "atau ubah kuota program.",
                    remaining,
                )
                % {"program": program.name, "year": year, "remaining": remaining, "new": new}
            )
    return _propose(
        program=program, year=year, recipients=((pk, None) for pk in found), by=by, result=DistributionResult()
    )
