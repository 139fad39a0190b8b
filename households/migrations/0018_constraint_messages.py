"""Readable messages for the CheckConstraints (a form showed the constraint's name, e.g. "Batasan
households_household_desil_1_10 dilanggar"). ``AlterConstraint`` changes only the migration state:
no SQL runs, nothing on the table is dropped or rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0017_identifier_indexes_one_each'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='household',
            name='households_household_persentil_0_100',
            constraint=models.CheckConstraint(condition=models.Q(('persentil__isnull', True), ('persentil__lte', 100), _connector='OR'), name='households_household_persentil_0_100', violation_error_message='Persentil harus 0 sampai 100.'),
        ),
        migrations.AlterConstraint(
            model_name='household',
            name='households_household_desil_1_10',
            constraint=models.CheckConstraint(condition=models.Q(('desil__isnull', True), models.Q(('desil__gte', 1), ('desil__lte', 10)), _connector='OR'), name='households_household_desil_1_10', violation_error_message='Desil harus 1 sampai 10.'),
        ),
    ]
