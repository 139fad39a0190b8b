"""Template helpers for the portal: rupiah amounts, protected ID numbers, list links."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from households.identifiers import mask
from konut_registry.numbers import thousands

register = template.Library()


def format_rupiah(value) -> str:
    """``1250000`` -> ``Rp 1.250.000``; empty for no amount."""
    if value is None or value == "":
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"Rp {thousands(number)}"


@register.filter
def rupiah(value) -> str:
    return format_rupiah(value)


def protect_identifier(value: str, user) -> str:
    """A NIK or No KK in full for roles that verify people, masked (``740901**********``) otherwise."""
    if not value:
        return ""
    if user is not None and getattr(user, "can_see_full_nik", False):
        return value
    return mask(value)


@register.filter
def nik(value, user) -> str:
    """``{{ member.nik|nik:user }}``."""
    return protect_identifier(value, user)


@register.filter
def yes_no(value) -> str:
    if value is None:
        return ""
    return _("Ya") if value else _("Tidak")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` or '' removes one); used by
    pagination and sorting links so that filters are kept."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
