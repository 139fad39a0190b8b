from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """Every kecamatan belongs to a regency (0007 filled the existing ones)."""

    dependencies = [
        ('households', '0007_existing_kecamatan_kabupaten'),
    ]

    operations = [
        migrations.AlterField(
            model_name='kecamatan',
            name='kabupaten',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='kecamatan_set', to='households.kabupaten', verbose_name='kabupaten/kota'),
        ),
    ]
