"""The desil a visit judged the family at. Visits recorded before it take the desil the household's
history holds at the moment the visit was recorded; approval confirms eligibility at that desil only."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    VervalCase = apps.get_model("verval", "VervalCase")
    HistoricalHousehold = apps.get_model("households", "HistoricalHousehold")
    visited = VervalCase.objects.filter(recorded_at__isnull=False).order_by("id").values_list("pk", "household_id", "recorded_at")
    for pk, household_id, recorded_at in visited.iterator():
        desil = (
            HistoricalHousehold.objects.filter(id=household_id, history_date__lte=recorded_at)
            .order_by("-history_date", "-history_id").values_list("desil", flat=True).first()
        )
        if desil is not None:
            VervalCase.objects.filter(pk=pk).update(visited_desil=desil)


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0019_household_verval_eligible_desil"),
        ("verval", "0003_proposalrow"),
    ]

    # The case and its history table gain the same field.
    operations = [
        *(
            migrations.AddField(
                model_name=model, name="visited_desil",
                field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="desil saat kunjungan"),
            )
            for model in ("historicalvervalcase", "vervalcase")
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
