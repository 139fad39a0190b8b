"""Who may see what. Every page, export and dashboard scopes its queries through these."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from agencies.models import Agency, User
from households.models import Household
from programs.models import Enrollment, Program


def sees_everything(user: User) -> bool:
    """Bappeda and leadership see every agency's data (leadership read-only)."""
    return user.is_superuser or user.is_bappeda or user.is_leadership


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
