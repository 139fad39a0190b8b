"""Checks the models run on a form's values (``Model.clean``), and the warnings a form shows.

An RT or RW typed in the admin is stored as the importer stores it (``1`` is ``001``,
``households.identifiers.neighbourhood_number``), so a re-sync does not take it for a local
correction; a value that is no RT/RW number is refused (:func:`check_neighbourhood`).

A NIK or No KK typed in the admin goes through the importer's own rules (``households.identifiers``
``parse_nik``/``parse_kk``): what an import refuses (serial 0000, an impossible birth date, a value
damaged by Excel, letters, the wrong length) a form refuses with the same words; what an import
warns about (a NIK issued outside the loaded regions, a sex or birth date the NIK contradicts) a
form shows as a warning after saving (:func:`identifier_warnings`), both in the user's language.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from households.choices import Sex

from households.identifiers import (
    IdentifierError, Message, NikInfo, nik_mismatch_warnings, parse_kk, parse_nik, typed_neighbourhood,
)
from konut_registry.db import new_value_errors

# The fields holding a No KK; every other identifier field holds a NIK.
KK_FIELDS = frozenset({"no_kk"})


def _parse(name: str, value: str, *, today: datetime.date, home_regions: Collection[str] = (), home_label: str = ""):
    """The NikInfo of a NIK field, the cleaned text of a No KK field; ``IdentifierError`` otherwise."""
    if name in KK_FIELDS:
        return parse_kk(value)
    return parse_nik(value, today=today, home_regions=home_regions, home_label=home_label)


def shown(message: Message) -> str:
    """An identifier message of ``households.identifiers`` (Indonesian, as imports store it) in the
    active language: its template translated, then filled."""
    return _(message.template) % message.params if message.params else _(message.template)


def check_identifiers(instance, *names: str) -> None:
    """A NIK or No KK typed in a form is empty or valid as an import reads it. A value already
    stored is not refused again: a record saved before these rules stays open to other corrections
    (its stored value is read only when it breaks a rule)."""
    today = timezone.localdate()
    errors = {}
    for name in names:
        value = getattr(instance, name)
        if not value:
            continue
        try:
            parsed = _parse(name, value, today=today)
        except IdentifierError as error:
            errors[name] = ValidationError(shown(error.message), code="identifier")
            continue
        setattr(instance, name, parsed.value if isinstance(parsed, NikInfo) else parsed)
    errors = new_value_errors(instance, errors)
    if errors:
        raise ValidationError(errors)


# A birth date before this is a typing slip (1800 for 1980), not a living person's.
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def check_birth_date(instance, name: str = "birth_date") -> None:
    """A birth date typed in a form is not after today (the registry's time zone), as an import refuses it, nor
    before ``EARLIEST_BIRTH``; one already stored is not refused again (the record stays open to
    other corrections)."""
    day = getattr(instance, name)
    if day is None or EARLIEST_BIRTH <= day <= timezone.localdate():
        return
    if day < EARLIEST_BIRTH:
        error = ValidationError(_("Tanggal lahir %(date)s tidak mungkin; paling awal %(earliest)s.") % {
            "date": day.strftime("%d/%m/%Y"), "earliest": EARLIEST_BIRTH.strftime("%d/%m/%Y")}, code="too_early")
    else:
        error = ValidationError(_("Tanggal lahir %(date)s di masa depan.") % {"date": day.strftime("%d/%m/%Y")}, code="future")
    errors = new_value_errors(instance, {name: error})
    if errors:
        raise ValidationError(errors)


def check_neighbourhood(instance, *names: str) -> None:
    """An RT or RW (field ``names``, labelled by their verbose names) typed in a form, in the
    import's three digits; a value that holds no RT/RW number is refused, unless already stored."""
    errors = {}
    for name in names:
        value = getattr(instance, name)
        if not value:
            continue
        number = typed_neighbourhood(value)
        if number is None:
            label = str(instance._meta.get_field(name).verbose_name)
            errors[name] = ValidationError(
                _("%(field)s '%(value)s' bukan nomor %(field)s. Isi angkanya saja, mis. 001.") % {"field": label, "value": value},
                code="neighbourhood",
            )
        else:
            setattr(instance, name, number)
    errors = new_value_errors(instance, errors)
    if errors:
        raise ValidationError(errors)


def identifier_warnings(
    instance, *names: str, home_regions: Collection[str] = (), home_label: str = "",
    birth_date: datetime.date | None = None, female: bool | None = None,
) -> list[tuple[str, str]]:
    """``(field name, warning)`` for the identifiers of a saved record, as an import warns about
    them: a NIK issued outside ``home_regions`` (the loaded regencies, named ``home_label``), a
    person's stated ``birth_date`` or sex (``female``) that the NIK contradicts, and a stored value
    that an import would refuse (kept from before these rules)."""
    today = timezone.localdate()
    found = []
    for name in names:
        value = getattr(instance, name)
        if not value:
            continue
        try:
            parsed = _parse(name, value, today=today, home_regions=home_regions, home_label=home_label)
        except IdentifierError as error:
            found.append((name, shown(error.message)))
            continue
        if isinstance(parsed, NikInfo):
            found += [(name, shown(warning)) for warning in parsed.warnings]
            found += [(name, shown(warning)) for warning in nik_mismatch_warnings(parsed, birth_date=birth_date, female=female)]
    return found


def person_nik_warnings(person, *, name: str, home_regions: Collection[str] = (), home_label: str = "") -> list[str]:
    """What is said about a person's NIK as typed (a member in the admin, a member a visit adds): each
    of :func:`identifier_warnings` for ``person.nik``, its stated birth date and sex included, as
    "Periksa NIK <``name``>: ..."."""
    female = {Sex.FEMALE: True, Sex.MALE: False}.get(person.sex)
    return [
        _("Periksa NIK %(name)s: %(warning)s") % {"name": name, "warning": warning}
        for _field, warning in identifier_warnings(
            person, "nik", home_regions=home_regions, home_label=home_label, birth_date=person.birth_date, female=female,
        )
    ]


def family_nik_repeats(
    typed: Sequence[tuple[str, str]], *, family=None, besides: Collection[int] = (), held: Mapping[str, str] | None = None,
) -> dict[int, str]:
    """One NIK held by two present members of a family is refused, as the import refuses it (NIK ganda
    dalam keluarga yang sama). ``typed``: the (NIK, name) of the members a form saves, in its order
    (an empty NIK holds no place); ``family``: the family's members (a queryset), whose present ones
    but ``besides`` (the ids of those the form shows or replaces) hold their NIK already; ``held``:
    other NIKs to refuse, each with the caller's own refusal (which wins over a member's). Returns
    the index in ``typed`` of each member refused, with the refusal; the others take their NIK's
    place in turn, so that the later of two is refused."""
    def repeat(name: str) -> str:
        return _("NIK ganda dalam keluarga yang sama: sudah dipakai %(name)s.") % {"name": name}

    refusals = {}
    if family is not None:
        present = family.filter(is_absent=False).exclude(nik="").exclude(pk__in=list(besides))
        refusals = {nik: repeat(name) for nik, name in present.values_list("nik", "name")}
    refusals.update(held or {})
    refused = {}
    for index, (nik, name) in enumerate(typed):
        if not nik:
            continue
        if nik in refusals:
            refused[index] = refusals[nik]
        else:
            refusals[nik] = repeat(name)
    return refused
