"""An identity match's households and members are no longer checked by the database row by row at
commit (a province's scan records hundreds of thousands of matches); ``on_delete`` stays the ORM's."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dedup', '0003_batch_lean_indexes'),
        ('households', '0017_identifier_indexes_one_each'),
    ]

    operations = [
        migrations.AlterField(
            model_name='identitymatch',
            name='household_a',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='households.household', verbose_name='keluarga A'),
        ),
        migrations.AlterField(
            model_name='identitymatch',
            name='household_b',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='households.household', verbose_name='keluarga B'),
        ),
        migrations.AlterField(
            model_name='identitymatch',
            name='member_a',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='households.member', verbose_name='anggota A'),
        ),
        migrations.AlterField(
            model_name='identitymatch',
            name='member_b',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='households.member', verbose_name='anggota B'),
        ),
    ]
