"""Deaths that approvals of families found gone (moved, not found, dead with no one left) did not
record: before such an approval applied the visit's findings of the dead members, it only marked
the family absent, and its members found dead stayed present and alive; 0009 records only members
already marked absent. They are marked absent and recorded dead now, as an approval does today, so
that the pages say "meninggal" for them. A family found again since (an import marked it present)
is left as it is; members already recorded are not touched, so running it again changes nothing."""

from django.db import migrations
from django.db.models.functions import Now

GONE = ("pindah", "tidak_ditemukan", "meninggal")


def backfill(apps, schema_editor):
    Member = apps.get_model("households", "Member")
    CaseMemberChange = apps.get_model("verval", "CaseMemberChange")
    dead = CaseMemberChange.objects.filter(
        change="meninggal", case__applied_at__isnull=False, case__presence__in=GONE, member__isnull=False)
    Member.objects.filter(
        pk__in=dead.values("member_id"), is_absent=False, is_deceased=False, household__is_absent=True,
    ).update(is_absent=True, is_deceased=True, updated_at=Now())


class Migration(migrations.Migration):

    dependencies = [
        ("verval", "0009_backfill_member_is_deceased"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
