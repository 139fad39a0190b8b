"""The code the Kemendagri list gave each kecamatan, kept when Bappeda corrects ``Kecamatan.code``:
loading the list again recognises a corrected kecamatan by it instead of creating it a second time
(as ``Desa.reference_code`` does for villages).

Stored kecamatan get their current code. One whose code was corrected before this migration cannot
be told from one added locally: its old code is not known, and it is not guessed here.
"""

from django.db import migrations, models
from django.db.models import F


def fill_reference_code(apps, schema_editor):
    Kecamatan = apps.get_model("households", "Kecamatan")
    Kecamatan.objects.update(reference_code=F("code"))


class Migration(migrations.Migration):

    dependencies = [
        ("households", "0023_member_is_deceased"),
    ]

    operations = [
        migrations.AddField(
            model_name="kecamatan",
            name="reference_code",
            field=models.CharField(blank=True, editable=False, max_length=8, verbose_name="kode dari daftar Kemendagri"),
        ),
        migrations.RunPython(fill_reference_code, migrations.RunPython.noop),
    ]
