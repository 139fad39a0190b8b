"""Readable messages for the CheckConstraints (a form showed the constraint's name, e.g. "Batasan
households_household_desil_1_10 dilanggar"). ``AlterConstraint`` changes only the migration state:
no SQL runs, nothing on the table is dropped or rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dedup', '0004_identity_match_pointers_without_commit_cost'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='compatiblepair',
            name='dedup_compatiblepair_ordered',
            constraint=models.CheckConstraint(condition=models.Q(('program_a__lt', models.F('program_b'))), name='dedup_compatiblepair_ordered', violation_error_message='Pilih dua program yang berbeda.'),
        ),
        migrations.AlterConstraint(
            model_name='conflict',
            name='dedup_conflict_ordered_pair',
            constraint=models.CheckConstraint(condition=models.Q(('enrollment_a__lt', models.F('enrollment_b'))), name='dedup_conflict_ordered_pair', violation_error_message='Konflik harus antara dua kepesertaan yang berbeda.'),
        ),
        migrations.AlterConstraint(
            model_name='identitymatch',
            name='dedup_identitymatch_ordered',
            constraint=models.CheckConstraint(condition=models.Q(('household_a__lt', models.F('household_b'))), name='dedup_identitymatch_ordered', violation_error_message='Duplikat identitas harus antara dua keluarga yang berbeda.'),
        ),
    ]
