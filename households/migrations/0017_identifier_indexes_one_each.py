"""One index per identifier (a household's No KK and head's NIK, a member's NIK) instead of two.

``db_index=True`` on a text column gives PostgreSQL a plain B-tree and a LIKE-prefix twin
(varchar_pattern_ops). The twin alone serves every lookup made on these columns: the exact ones
(``=``, ``IN``, the identity scan's joins) and the agency list's prefix search, which the plain index
cannot serve outside the "C" collation. Every import wrote both on every household and member: the
plain ones were 0.36 s of the 2.6 s PostgreSQL spent on the COPY of a first import's 26,000
households and 87,000 members.

On PostgreSQL the twin stays and is renamed (a lock on the index alone); the plain index is dropped
concurrently (the migration is not atomic), so a running import or search is waited for, never
blocked, and no index is built. Elsewhere (SQLite) the plain index becomes the named one.
"""

from django.db import migrations, models

# (model, column, the index that stays)
IDENTIFIERS = [
    ("household", "no_kk", "households_hh_no_kk_idx"),
    ("household", "head_nik", "households_hh_head_nik_idx"),
    ("member", "nik", "households_member_nik_idx"),
]


def _names(apps, schema_editor, model_name: str, column: str):
    table = apps.get_model("households", model_name)._meta.db_table
    plain = schema_editor._create_index_name(table, [column], suffix="")
    like = schema_editor._create_index_name(table, [column], suffix="_like")
    return table, plain, like


def _build_concurrently(schema_editor, name: str, table: str, column: str, opclass: str = "") -> None:
    """CREATE INDEX CONCURRENTLY unless a valid index of that name is there. A build interrupted
    (a lock timeout, a stopped migration) leaves an invalid index under the name, which IF NOT EXISTS
    would keep: it is dropped first, so running the migration again builds it."""
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [q(name)])
        row = cursor.fetchone()
    if row and row[0]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {q(name)}")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {q(name)} ON {q(table)} ({q(column)}{opclass})")


def one_index_each(apps, schema_editor):
    q = schema_editor.quote_name
    postgres = schema_editor.connection.vendor == "postgresql"
    for model_name, column, name in IDENTIFIERS:
        table, plain, like = _names(apps, schema_editor, model_name, column)
        if postgres:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {q(plain)}")
            schema_editor.execute(f"ALTER INDEX IF EXISTS {q(like)} RENAME TO {q(name)}")
            # Only where the twin was missing.
            _build_concurrently(schema_editor, name, table, column, " varchar_pattern_ops")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(plain)}")
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(name)} ON {q(table)} ({q(column)})")


def two_indexes_each(apps, schema_editor):
    q = schema_editor.quote_name
    postgres = schema_editor.connection.vendor == "postgresql"
    for model_name, column, name in IDENTIFIERS:
        table, plain, like = _names(apps, schema_editor, model_name, column)
        if postgres:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {q(name)} RENAME TO {q(like)}")
            _build_concurrently(schema_editor, plain, table, column)
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(name)}")
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(plain)} ON {q(table)} ({q(column)})")


ONE_INDEX_EACH = [
    migrations.AlterField(
        model_name='household',
        name='head_nik',
        field=models.CharField(blank=True, max_length=16, verbose_name='NIK kepala keluarga'),
    ),
    migrations.AlterField(
        model_name='household',
        name='no_kk',
        field=models.CharField(blank=True, max_length=16, verbose_name='No KK'),
    ),
    migrations.AlterField(
        model_name='member',
        name='nik',
        field=models.CharField(blank=True, max_length=16, verbose_name='NIK'),
    ),
    migrations.AddIndex(
        model_name='household',
        index=models.Index(fields=['no_kk'], name='households_hh_no_kk_idx', opclasses=['varchar_pattern_ops']),
    ),
    migrations.AddIndex(
        model_name='household',
        index=models.Index(fields=['head_nik'], name='households_hh_head_nik_idx', opclasses=['varchar_pattern_ops']),
    ),
    migrations.AddIndex(
        model_name='member',
        index=models.Index(fields=['nik'], name='households_member_nik_idx', opclasses=['varchar_pattern_ops']),
    ),
]


class Migration(migrations.Migration):
    # DROP/CREATE INDEX CONCURRENTLY run outside a transaction.
    atomic = False

    dependencies = [
        ('households', '0016_record_pointers_without_import_cost'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=ONE_INDEX_EACH,
            database_operations=[migrations.RunPython(one_index_each, two_indexes_each)],
        ),
    ]
