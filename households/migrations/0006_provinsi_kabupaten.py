from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """Provinces and regencies above the kecamatan, so that the registry can cover any regency or a
    whole province. The kecamatan's regency is nullable here, filled by 0007, required by 0008.

    A village name may repeat within one kecamatan (Wakumoro in Parigi, Muna, is a kelurahan and a
    desa), so the name is no longer unique per kecamatan; the code stays unique."""

    dependencies = [
        ('households', '0005_desil_1_10_source_date'),
    ]

    operations = [
        migrations.CreateModel(
            name='Provinsi',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=2, unique=True, verbose_name='kode Kemendagri')),
                ('name', models.CharField(max_length=100, verbose_name='nama')),
            ],
            options={
                'verbose_name': 'provinsi',
                'verbose_name_plural': 'provinsi',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Kabupaten',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=5, unique=True, verbose_name='kode Kemendagri')),
                ('name', models.CharField(max_length=100, verbose_name='nama')),
                ('provinsi', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='kabupaten_set', to='households.provinsi', verbose_name='provinsi')),
            ],
            options={
                'verbose_name': 'kabupaten/kota',
                'verbose_name_plural': 'kabupaten/kota',
                'ordering': ['code'],
            },
        ),
        migrations.AddField(
            model_name='kecamatan',
            name='kabupaten',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='kecamatan_set', to='households.kabupaten', verbose_name='kabupaten/kota'),
        ),
        migrations.RemoveConstraint(
            model_name='desa',
            name='households_desa_unique_name_per_kecamatan',
        ),
    ]
