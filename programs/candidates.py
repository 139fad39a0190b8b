"""Where the registry doubts its own aid: the candidates for field verification (verval).

Four kinds, each one ``QuerySet[Household]`` (one SQL query to list or to count):

- ``inclusion``: a live enrollment (proposed, active) in a program whose eligibility limit
  (``EligibilityRule``, e.g. PKH desil 1-4) the household's newest desil exceeds; a household
  without a desil is not judged here (it is ``incomplete``), nor one an approved field verification
  found eligible at the desil it still has (``settled_inclusions``);
- ``exclusion``: a current household of desil 1-4 that no aid reaches (``indicators.not_reached_q``:
  no live aid, nor aid completed in the latest year, as the dashboard's gap counts), poorest first;
- ``absent_enrolled``: a household absent from the newest full extract that still has live aid;
- ``incomplete``: a current household whose ranking variables are not all known (desil, or a
  housing or utility variable left blank).

The dashboard counts them, the verval pages list them and open cases from them, and the
``verval_candidates`` command prints the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from households.models import Household
from programs.indicators import current_households, live_aid_q, not_reached_q
from programs.models import LIVE_STATUSES, Enrollment

INCLUSION = "inclusion"
EXCLUSION = "exclusion"
ABSENT_ENROLLED = "absent_enrolled"
INCOMPLETE = "incomplete"
KINDS = (INCLUSION, EXCLUSION, ABSENT_ENROLLED, INCOMPLETE)
KIND_LABELS = {
    INCLUSION: _("Salah sasaran (inklusi)"),
    EXCLUSION: _("Belum terjangkau (eksklusi)"),
    ABSENT_ENROLLED: _("Tidak ada di data terbaru tetapi masih menerima"),
    INCOMPLETE: _("Variabel peringkat belum lengkap"),
}

# Exclusion errors: the poorest four deciles (P3KE's whole range, PKH's limit) with no aid.
EXCLUSION_MAX_DESIL = 4
# The variables of the ranking the registry holds; a blank one makes the ranking incomplete.
RANKING_FIELDS = (
    "house_ownership", "roof_type", "wall_type", "floor_type", "lighting", "cooking_fuel", "water_source", "toilet",
)


def ineligible_enrollments() -> QuerySet[Enrollment]:
    """Live enrollments whose household's desil is above the program's active eligibility limit."""
    return Enrollment.objects.filter(
        status__in=LIVE_STATUSES,
        program__eligibility_rules__active=True,
        household__desil__isnull=False,
        household__desil__gt=F("program__eligibility_rules__max_desil"),
    )


def _above_limit() -> QuerySet[Household]:
    ineligible = ineligible_enrollments().filter(household=OuterRef("pk"))
    return current_households().filter(Exists(ineligible))


def verval_settled_q() -> Q:
    """The Bupati's approved verval found the family eligible at the desil it still has."""
    return Q(verval_eligible_desil=F("desil"))


def inclusion_candidates() -> QuerySet[Household]:
    return _above_limit().exclude(verval_settled_q()).order_by("-desil", "id")


def settled_inclusions(*, base: QuerySet[Household] | None = None) -> QuerySet[Household]:
    """Households above a limit that are not inclusion candidates, verval having found them eligible."""
    return _restrict(_above_limit().filter(verval_settled_q()), base)


def exclusion_candidates() -> QuerySet[Household]:
    return (
        current_households()
        .filter(desil__gte=1, desil__lte=EXCLUSION_MAX_DESIL)
        .filter(not_reached_q())
        .order_by("desil", "id")  # the (desil, id) index: a page of the poorest needs no sort
    )


def absent_enrolled_candidates() -> QuerySet[Household]:
    return Household.objects.filter(is_absent=True, merged_into__isnull=True).filter(live_aid_q()).order_by("id")


def incomplete_q() -> Q:
    missing = Q(desil__isnull=True)
    for name in RANKING_FIELDS:
        missing |= Q(**{name: ""})
    return missing


def incomplete_candidates() -> QuerySet[Household]:
    return current_households().filter(incomplete_q()).order_by("id")


SELECTORS = {
    INCLUSION: inclusion_candidates,
    EXCLUSION: exclusion_candidates,
    ABSENT_ENROLLED: absent_enrolled_candidates,
    INCOMPLETE: incomplete_candidates,
}


def candidates(kind: str, *, base: QuerySet[Household] | None = None) -> QuerySet[Household]:
    """The candidates of one kind, restricted to ``base`` (a user's visible households) if given."""
    return _restrict(SELECTORS[kind](), base)


def _restrict(queryset: QuerySet[Household], base: QuerySet[Household] | None) -> QuerySet[Household]:
    return queryset if base is None else queryset.filter(pk__in=base.values("pk"))


@dataclass(frozen=True)
class CandidateCount:
    kind: str
    label: str
    count: int


def candidate_counts(*, base: QuerySet[Household] | None = None) -> list[CandidateCount]:
    """How many candidates of each kind: one count query per kind."""
    return [CandidateCount(kind, str(KIND_LABELS[kind]), candidates(kind, base=base).count()) for kind in KINDS]
