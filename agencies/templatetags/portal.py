"""Template helpers for the portal: rupiah amounts, protected ID numbers, read-only form values, list links."""

from __future__ import annotations

import datetime

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from households.identifiers import mask, mask_numbers
from konut_registry.numbers import rupiah as format_rupiah

register = template.Library()


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


def protect_identifiers_in_text(text: str, user) -> str:
    """A free text (a case's reason, which may quote a ministry's list) as it stands for roles that
    see NIKs in full, with every NIK or No KK it quotes masked otherwise, typed in one run or in
    groups (``households.identifiers.mask_numbers``)."""
    if not text or (user is not None and getattr(user, "can_see_full_nik", False)):
        return text
    return mask_numbers(text)


@register.filter
def nik_text(value, user) -> str:
    """``{{ case.reason|nik_text:user }}``."""
    return protect_identifiers_in_text(value, user)


@register.filter
def yes_no(value) -> str:
    if value is None:
        return ""
    return _("Ya") if value else _("Tidak")


@register.filter
def shown_value(field) -> str:
    """A form field's value as a read-only page shows it: a choice by its label (not its code), a
    date as dd/mm/yyyy, a yes/no in words; "–" when empty. ``{{ field|shown_value }}``."""
    value = field.value()
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime.date):
        return date_format(value, "d/m/Y")
    choices = getattr(field.field, "choices", None)
    if choices is not None:
        for key, label in choices:
            if isinstance(label, (list, tuple)):  # a group of choices
                found = next((inner for code, inner in label if str(code) == str(value)), None)
                if found is not None:
                    return str(found)
            elif str(key) == str(value):
                return str(label)
    return str(value)


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
