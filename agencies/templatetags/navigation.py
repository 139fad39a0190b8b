"""The main navigation, the same on the portal's pages and the admin's: each role sees the pages it
may open (Bappeda: the list, the dashboard, distribution, the upload, verval and the admin; an
agency's head or operator: the list and the dashboard of their agency, verval; a field officer:
their verval cases)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.selectors import has_portal_role
from programs.distribution import may_distribute

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool


def nav_items(user, path: str) -> list[NavItem]:
    """The links ``user`` sees; ``current`` marks the one whose pages ``path`` is under."""
    if not (user and user.is_authenticated):
        return []
    links: list[tuple[str, str]] = []
    if user.is_superuser or (user.role and not user.is_field_officer):
        links.append((reverse("agencies:household_list"), _("Daftar keluarga")))
    if has_portal_role(user):
        links.append((reverse("programs:dashboard"), _("Dasbor")))
    if may_distribute(user):
        links.append((reverse("programs:distribute_index"), _("Distribusi sasaran")))
    if user.is_bappeda:
        links.append((reverse("households:import_list"), _("Impor data")))
    if user.is_field_officer:
        links.append((reverse("verval:my_cases"), _("Tugas verval")))
    elif user.is_superuser or user.is_bappeda or user.is_leadership or user.is_agency_user:
        links.append((reverse("verval:batch_list"), _("Verval")))
    if user.is_staff:
        links.append((reverse("admin:index"), _("Admin")))
    # The longest matching prefix is the current section (the dashboard's /dasbor/ holds distribution's
    # /dasbor/distribusi/).
    best = max((url for url, _label in links if path.startswith(url)), key=len, default=None)
    return [NavItem(url, label, url == best) for url, label in links]


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[NavItem]:
    request = context.get("request")
    if request is None:
        return []
    return nav_items(request.user, request.path)
