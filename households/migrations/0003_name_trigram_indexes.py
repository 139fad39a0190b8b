"""Trigram indexes for name search on PostgreSQL.

The agency list and the admin search names with ``icontains``, which PostgreSQL runs as
``UPPER(name) LIKE UPPER('%text%')``: no B-tree index helps with a leading wildcard, so a common
surname scanned every household and member. A GIN trigram index on the same ``UPPER(...)``
expression serves those queries. SQLite (the first-run database) has no such index type and
keeps its plain scan.
"""

from django.db import migrations

INDEXES = [
    ("households_hh_head_name_trgm", "households_household", "head_name"),
    ("households_member_name_trgm", "households_member", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("households", "0002_import_engine_fields")]

    operations = [migrations.RunPython(create, drop)]
