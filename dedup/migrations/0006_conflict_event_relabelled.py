"""A conflict's automatic history also records an open conflict taking the rule its pair breaks now
(``relabelled``). Choices only: no SQL runs."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dedup', '0005_constraint_messages'),
    ]

    operations = [
        migrations.AlterField(
            model_name='conflictevent',
            name='kind',
            field=models.CharField(choices=[('created', 'dibuat'), ('closed', 'ditutup otomatis'), ('reopened', 'dibuka kembali'), ('relabelled', 'aturan diperbarui')], max_length=10, verbose_name='kejadian'),
        ),
    ]
