"""Readable messages for the CheckConstraints (a form showed the constraint's name, e.g. "Batasan
households_household_desil_1_10 dilanggar"). ``AlterConstraint`` changes only the migration state:
no SQL runs, nothing on the table is dropped or rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('programs', '0010_record_pointers_without_import_cost'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='eligibilityrule',
            name='programs_eligibilityrule_desil_1_10',
            constraint=models.CheckConstraint(condition=models.Q(('max_desil__gte', 1), ('max_desil__lte', 10)), name='programs_eligibilityrule_desil_1_10', violation_error_message='Desil tertinggi yang layak harus 1 sampai 10.'),
        ),
        migrations.AlterConstraint(
            model_name='enrollment',
            name='programs_enrollment_year_range',
            constraint=models.CheckConstraint(condition=models.Q(('year__gte', 2000), ('year__lte', 2100)), name='programs_enrollment_year_range', violation_error_message='Tahun kepesertaan harus antara 2000 dan 2100.'),
        ),
    ]
