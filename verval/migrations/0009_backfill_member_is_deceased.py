"""Deaths approved before the registry kept them on the member (``Member.is_deceased``): the members
an applied case found dead, and the heads of the families whose applied case found the head dead,
each still marked absent (a later import that found them present again is left as it is), are
recorded dead, so that the pages say "meninggal" for them. A family's head is looked for on its own
record and on the one it was merged into, as the approval applied it."""

from django.db import migrations


def backfill(apps, schema_editor):
    Member = apps.get_model("households", "Member")
    Household = apps.get_model("households", "Household")
    VervalCase = apps.get_model("verval", "VervalCase")
    CaseMemberChange = apps.get_model("verval", "CaseMemberChange")
    absent = Member.objects.filter(is_absent=True, is_deceased=False)
    dead = CaseMemberChange.objects.filter(change="meninggal", case__applied_at__isnull=False, member__isnull=False)
    absent.filter(pk__in=dead.values("member_id")).update(is_deceased=True)
    households = set()
    for pk in VervalCase.objects.filter(presence="meninggal", applied_at__isnull=False).values_list("household_id", flat=True):
        while pk is not None and pk not in households:
            households.add(pk)
            pk = Household.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
    if households:
        absent.filter(household_id__in=households, relation="kepala").update(is_deceased=True)


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0023_member_is_deceased"),
        ("verval", "0008_case_member_change"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
