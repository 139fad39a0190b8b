"""The code the Kemendagri list gave each village, kept when Bappeda corrects ``Desa.code``: loading
the list again recognises a corrected village by it instead of creating it a second time.

Stored villages get their current code. One whose code was corrected before this migration cannot be
told from a village added locally: its old code is not known, and it is not guessed here.
"""

from django.db import migrations, models
from django.db.models import F


def fill_reference_code(apps, schema_editor):
    Desa = apps.get_model("households", "Desa")
    Desa.objects.update(reference_code=F("code"))


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0020_rt_rw_three_digits"),
    ]

    operations = [
        migrations.AddField(
            model_name="desa",
            name="reference_code",
            field=models.CharField(blank=True, editable=False, max_length=13, verbose_name="kode dari daftar Kemendagri"),
        ),
        migrations.RunPython(fill_reference_code, migrations.RunPython.noop),
    ]
