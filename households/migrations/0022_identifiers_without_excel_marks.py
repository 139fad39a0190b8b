"""Identifiers stored with Excel's text marks are stored as the import now reads them.

Before the import read every identifier column through ``households.imports.values.excel_text``, an
ID Keluarga P3KE, ID Individu or ID DTKS kept the apostrophe an export leaves in front of a text cell
(``'122240001``), or Excel's text formula (``="122240001"``): the next file's plain ``122240001``
was another family, created a second time. The stored value loses the marks (as does what the source
last said of it, ``source_values``) when what is left has the identifier's shape (16 digits for a NIK
or No KK) and no other record holds it as its key: ID Keluarga P3KE and ID Individu are unique, a No
KK is a family's key, an ID DTKS a person's in the family. A value another record holds is left as
it is and logged: the two records are one family (or person) twice, an identity duplicate for
Bappeda to merge on the dedup screens. No history rows: the same identifier, written the registry's
way. The rule is written here again, as ``excel_text`` was when this migration was made.
"""

import logging
import re

from django.db import migrations
from django.db.models import Q

logger = logging.getLogger(__name__)

# A value with a mark in front: an apostrophe or Excel's text formula, with spaces around.
_MARKED = r"^\s*('|=\s*\")"
_TEXT_FORMULA = re.compile(r'^\s*=\s*"([^"]*)"\s*$')
_DIGITS16 = re.compile(r"[0-9]{16}")
# An ID of the sources' own (P3KE, DTKS): letters, digits and the separators seen in them.
_SOURCE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/-]*")
_SCIENTIFIC = re.compile(r"^[0-9](?:[.,][0-9]+)?[eE]\+[0-9]+$")
CHUNK = 1000


def unmarked(value):
    """``value`` without Excel's text marks (``'122240001``, ``="122240001"``), or None when it has none."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if stripped[:1] == "'":
        return stripped.lstrip("'").strip()
    if match := _TEXT_FORMULA.match(stripped):
        return match.group(1).strip()
    return None


def _nik_shape(value: str) -> bool:
    return bool(_DIGITS16.fullmatch(value))


def _id_shape(value: str) -> bool:
    return bool(_SOURCE_ID.fullmatch(value)) and not _SCIENTIFIC.match(value)


# Each model's identifier fields: (field, its shape, where no other record may hold the value): "all"
# for a key (the unique IDs, a family's No KK), "household" for a person's ID DTKS in the family, None
# for a NIK (one person in two families is a finding of its own, not a reason to keep a mark).
HOUSEHOLD_FIELDS = (("p3ke_id", _id_shape, "all"), ("no_kk", _nik_shape, "all"), ("head_nik", _nik_shape, None))
MEMBER_FIELDS = (("nik", _nik_shape, None), ("id_individu", _id_shape, "all"), ("dtks_id", _id_shape, "household"))


def _clean(model, fields, label: str, *, extra=()) -> None:
    marked = Q()
    for name, _shape, _scope in fields:
        marked |= Q(**{f"{name}__regex": _MARKED})
    pks = list(model.objects.filter(marked).order_by("pk").values_list("pk", flat=True))  # read first
    names = [name for name, _shape, _scope in fields]
    for start in range(0, len(pks), CHUNK):
        for record in model.objects.filter(pk__in=pks[start : start + CHUNK]).only("pk", *extra, *names, "source_values"):
            snapshot = record.source_values if isinstance(record.source_values, dict) else {}
            values = {}
            for name, shape, scope in fields:
                old = getattr(record, name)
                new = unmarked(old)
                if new is None or not shape(new):
                    continue
                if scope is not None:
                    holders = model.objects.filter(**{name: new}).exclude(pk=record.pk)
                    if scope == "household":
                        holders = holders.filter(household_id=record.household_id)
                    other = holders.order_by("pk").values_list("pk", flat=True).first()
                    if other is not None:
                        logger.warning(
                            "%s #%s: %s dibiarkan dengan tanda teks Excel: tanpa tanda itu sama dengan milik %s #%s "
                            "(duplikat identitas; gabungkan di layar duplikat)", label, record.pk, name, label, other,
                        )
                        continue
                values[name] = new
                if snapshot.get(name) == old:
                    snapshot[name] = new
            if values:
                # Written one by one (few records have marks): the next record sees this one's key as taken.
                model.objects.filter(pk=record.pk).update(**values, source_values=snapshot)


def identifiers_without_excel_marks(apps, schema_editor):
    _clean(apps.get_model("households", "Household"), HOUSEHOLD_FIELDS, "keluarga")
    _clean(apps.get_model("households", "Member"), MEMBER_FIELDS, "anggota", extra=("household_id",))


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0021_desa_reference_code"),
    ]

    operations = [
        migrations.RunPython(identifiers_without_excel_marks, migrations.RunPython.noop),
    ]
