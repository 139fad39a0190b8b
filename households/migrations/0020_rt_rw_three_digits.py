"""RT and RW in one form, three digits (``001``), as the import now reads them whatever the cell's type.

Before, an .xls gave ``1`` where SIKS-NG's text export gives ``001``, and each file of the same data
rewrote every family. The stored numbers (and what the source last said, ``source_values``) are
brought to that form, so the next re-sync finds them unchanged; the rows the import skips by their
hash were read into the same values, so the hashes stay valid. Only the families whose RT or RW,
stored or in the snapshot, is written otherwise are read and written (one or two digits, or four
with a leading zero), without history rows: the same number, written the registry's way. The rule
is written here again, as the import's (``households.identifiers.neighbourhood_number``, of one to
four digits; five digits are kept as their text) was when this migration was made: a value the
import reads otherwise would be changed back, with a history row, at every re-sync.
"""

from django.db import migrations
from django.db.models import Q

# One or two digits, or four with a leading zero: a number the import writes otherwise.
_NOT_THREE_DIGITS = r"^([0-9]{1,2}|0[0-9]{3})$"


def _number(value):
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        return f"{int(value):03d}"
    return value


def rt_rw_three_digits(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    found = Household.objects.filter(
        Q(rt__regex=_NOT_THREE_DIGITS) | Q(rw__regex=_NOT_THREE_DIGITS)
        | Q(source_values__rt__regex=_NOT_THREE_DIGITS) | Q(source_values__rw__regex=_NOT_THREE_DIGITS)
    )
    pks = list(found.order_by("pk").values_list("pk", flat=True))  # read first: no write under an open read
    for start in range(0, len(pks), 1000):
        households = list(Household.objects.filter(pk__in=pks[start : start + 1000]).only("pk", "rt", "rw", "source_values"))
        for household in households:
            household.rt, household.rw = _number(household.rt), _number(household.rw)
            snapshot = household.source_values
            if isinstance(snapshot, dict):
                for name in ("rt", "rw"):
                    if name in snapshot:
                        snapshot[name] = _number(snapshot[name])
        Household.objects.bulk_update(households, ["rt", "rw", "source_values"])


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0019_household_verval_eligible_desil"),
    ]

    operations = [
        migrations.RunPython(rt_rw_three_digits, migrations.RunPython.noop),
    ]
