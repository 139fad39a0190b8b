"""Readable messages for the CheckConstraints (a form showed the constraint's name, e.g. "Batasan
households_household_desil_1_10 dilanggar"). ``AlterConstraint`` changes only the migration state:
no SQL runs, nothing on the table is dropped or rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0003_identifier_search'),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name='user',
            name='agencies_user_agency_role_has_agency',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('role__in', ['agency_head', 'agency_operator', 'field_officer']), _negated=True), ('agency__isnull', False), _connector='OR'), name='agencies_user_agency_role_has_agency', violation_error_message='Kepala Dinas, Operator Dinas dan petugas verval harus memiliki OPD.'),
        ),
    ]
