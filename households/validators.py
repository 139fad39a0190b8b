"""Checks the models run on a form's values (``Model.clean``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from households.identifiers import is_identifier


def check_identifiers(instance, *names: str) -> None:
    """A NIK or No KK typed in a form is empty or 16 ASCII digits (imports check more: the date in a
    NIK, a value damaged by Excel)."""
    bad = [name for name in names if getattr(instance, name) and not is_identifier(getattr(instance, name))]
    if bad:
        raise ValidationError({name: _("Harus 16 angka 0-9.") for name in bad})
