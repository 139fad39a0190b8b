"""Cases approved before approval recorded whether it suspended the family's aid: read from the
enrollments' history (a suspension by the batch's approver, within the hour after the approval,
whose reason names the batch), so that their proposal file, downloaded again, proposes those
families for removal."""

import datetime

from django.db import migrations

# Approval applies a whole batch in one transaction, started at ``approved_at``.
WINDOW = datetime.timedelta(hours=1)


def backfill(apps, schema_editor):
    VervalCase = apps.get_model("verval", "VervalCase")
    Household = apps.get_model("households", "Household")
    HistoricalEnrollment = apps.get_model("programs", "HistoricalEnrollment")
    cases = (
        VervalCase.objects.filter(verdict="tidak_layak", applied_at__isnull=False, aid_suspended=False,
                                  batch__approved_at__isnull=False)
        .select_related("batch").order_by("id")
    )
    for case in cases.iterator():
        batch = case.batch
        # The record the family was kept on: its own, or the one it was merged into.
        households, pk = set(), case.household_id
        while pk is not None and pk not in households:
            households.add(pk)
            pk = Household.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
        suspended = HistoricalEnrollment.objects.filter(
            household_id__in=households, status="suspended", history_user_id=batch.approved_by_id,
            history_date__gte=batch.approved_at, history_date__lte=batch.approved_at + WINDOW,
            status_reason__contains=f": {batch.title} (",
        )
        if suspended.exists():
            VervalCase.objects.filter(pk=case.pk).update(aid_suspended=True)


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0012_enrollment_stages"),
        ("households", "0021_desa_reference_code"),
        ("verval", "0006_case_aid_suspended"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
