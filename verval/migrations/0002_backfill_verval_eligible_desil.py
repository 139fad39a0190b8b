"""Families an inclusion case found eligible before approval recorded it on the household: their
desil as the household's history holds it at the approval, so that a family whose desil has changed
since is still questioned."""

from django.db import migrations


def backfill(apps, schema_editor):
    VervalCase = apps.get_model("verval", "VervalCase")
    Household = apps.get_model("households", "Household")
    HistoricalHousehold = apps.get_model("households", "HistoricalHousehold")
    settled = (
        VervalCase.objects.filter(kind="inclusion", status="diterapkan", verdict="layak", applied_at__isnull=False)
        .order_by("applied_at", "id")
        .values_list("household_id", "applied_at")
    )
    for household_id, applied_at in settled.iterator():
        desil = (
            HistoricalHousehold.objects.filter(id=household_id, history_date__lte=applied_at)
            .order_by("-history_date", "-history_id").values_list("desil", flat=True).first()
        )
        if desil is not None:
            Household.objects.filter(pk=household_id).update(verval_eligible_desil=desil)


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0019_household_verval_eligible_desil"),
        ("verval", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
