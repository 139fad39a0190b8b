"""Why the families approvals found moved away or did not find are absent: before the household kept
it (``Household.absent_reason``), the pages said "tidak ada di data terbaru" for them, as if the data
had left them out. A family whose latest approved case found it moved or not found, still absent, and
not brought back since (no history row of it present after the approval), gets that reason now. A
family found again since, or merged into another record, is left as it is; running it again changes
nothing."""

from django.db import migrations

GONE = ("pindah", "tidak_ditemukan")  # Presence, as AbsentReason spells them


def backfill(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    HistoricalHousehold = apps.get_model("households", "HistoricalHousehold")
    VervalCase = apps.get_model("verval", "VervalCase")
    latest = {}  # each household's latest applied case: (presence, applied at)
    applied = VervalCase.objects.filter(applied_at__isnull=False).order_by("applied_at", "pk")
    for household_id, presence, applied_at in applied.values_list("household_id", "presence", "applied_at").iterator():
        latest[household_id] = (presence, applied_at)
    for household_id, (presence, applied_at) in latest.items():
        if presence not in GONE:
            continue
        if HistoricalHousehold.objects.filter(id=household_id, is_absent=False, history_date__gt=applied_at).exists():
            continue  # found again since (and perhaps left out by the data again)
        Household.objects.filter(pk=household_id, is_absent=True, merged_into__isnull=True, absent_reason="").update(
            absent_reason=presence)


class Migration(migrations.Migration):

    dependencies = [
        ("verval", "0010_backfill_deaths_in_families_found_gone"),
        ("households", "0025_household_absent_reason"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
