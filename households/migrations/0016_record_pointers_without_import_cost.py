"""What every record an import writes no longer costs: the foreign-key checks of ``last_batch``
and of the household and member history's user (pointers to the batch and the user at work: a
batch is never deleted, and ``on_delete`` stays the ORM's), run once per row at commit, and the
LIKE-prefix twin PostgreSQL gave the unique ``p3ke_id`` and ``id_individu`` (nothing looks them up
by prefix). They stay unique, now by a constraint of the same name: in the database that is the
unique index they already have, so only the LIKE twins are dropped (no index is built again while
the tables are locked)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (table, column) of the LIKE twins dropped; their names as PostgreSQL's schema editor made them.
LIKE_TWINS = [("households_household", "p3ke_id"), ("households_member", "id_individu")]


def _like_name(schema_editor, table: str, column: str) -> str:
    return schema_editor.quote_name(schema_editor._create_index_name(table, [column], suffix="_like"))


def drop_like_twins(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in LIKE_TWINS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_like_name(schema_editor, table, column)}")


def add_like_twins(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in LIKE_TWINS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {_like_name(schema_editor, table, column)} "
                f"ON {schema_editor.quote_name(table)} ({schema_editor.quote_name(column)} varchar_pattern_ops)"
            )


UNIQUE_BY_CONSTRAINT = [
    migrations.AlterField(
        model_name='household',
        name='p3ke_id',
        field=models.CharField(blank=True, max_length=32, null=True, verbose_name='ID Keluarga P3KE'),
    ),
    migrations.AlterField(
        model_name='member',
        name='id_individu',
        field=models.CharField(blank=True, max_length=32, null=True, verbose_name='ID Individu P3KE'),
    ),
    migrations.AddConstraint(
        model_name='household',
        constraint=models.UniqueConstraint(fields=('p3ke_id',), name='households_household_p3ke_id_key'),
    ),
    migrations.AddConstraint(
        model_name='member',
        constraint=models.UniqueConstraint(fields=('id_individu',), name='households_member_id_individu_key'),
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0015_import_write_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalhousehold',
            name='history_user',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='historicalmember',
            name='history_user',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='household',
            name='last_batch',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='households.importbatch', verbose_name='batch impor terakhir'),
        ),
        migrations.AlterField(
            model_name='member',
            name='last_batch',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='households.importbatch', verbose_name='batch impor terakhir'),
        ),
        # The state: unique by a named constraint. The database: the unique index of that name is
        # there already (``unique=True`` made it); only its LIKE twin goes.
        migrations.SeparateDatabaseAndState(
            state_operations=UNIQUE_BY_CONSTRAINT,
            database_operations=[migrations.RunPython(drop_like_twins, add_like_twins)],
        ),
    ]
