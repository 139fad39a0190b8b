"""Deaths approved before the registry kept them on the member (``Member.is_deceased``): the members
an applied case found dead, and the heads of the families whose applied case found the head dead,
each still marked absent (a later import that found them present again is left as it is), are
recorded dead, so that the pages say "meninggal" for them. A family's head is looked for on its own
record and on the one it was merged into, as the approval applied it: the member recorded as head
with the family's head NIK at the approval, not an earlier head the data had left out (divorced,
moved out alive)."""

from django.db import migrations


def backfill(apps, schema_editor):
    Member = apps.get_model("households", "Member")
    Household = apps.get_model("households", "Household")
    VervalCase = apps.get_model("verval", "VervalCase")
    CaseMemberChange = apps.get_model("verval", "CaseMemberChange")
    absent = Member.objects.filter(is_absent=True, is_deceased=False)
    dead = CaseMemberChange.objects.filter(change="meninggal", case__applied_at__isnull=False, member__isnull=False)
    absent.filter(pk__in=dead.values("member_id")).update(is_deceased=True)
    HistoricalHousehold = apps.get_model("households", "HistoricalHousehold")
    cases = VervalCase.objects.filter(presence="meninggal", applied_at__isnull=False)
    for pk, applied_at in cases.values_list("household_id", "applied_at"):
        chain, niks = [], set()
        while pk is not None and pk not in chain:
            chain.append(pk)
            # The family's head NIK when the approval applied the death (Bappeda may have recorded
            # the new head since): the head who died, not an earlier head the data left out alive.
            then = HistoricalHousehold.objects.filter(id=pk, history_date__lte=applied_at).order_by("-history_date")
            head_nik, pk = then.values_list("head_nik", "merged_into_id").first() or (
                Household.objects.filter(pk=pk).values_list("head_nik", "merged_into_id").get())
            niks.add(head_nik)
        niks.discard("")
        if niks:
            absent.filter(household_id__in=chain, relation="kepala", nik__in=niks).update(is_deceased=True)


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0023_member_is_deceased"),
        ("verval", "0008_case_member_change"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
