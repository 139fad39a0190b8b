"""What every benchmark needs before it measures: its own PostgreSQL database, Django set up on it.

Each benchmark keeps its data in a database of its own (the name in DATABASE_URL plus a suffix), so
that one benchmark's registry never skews another's figures and a second run can reuse the data.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/konut_bench"


def database_url(*, suffix: str = "", name: str | None = None) -> str:
    """DATABASE_URL with its database renamed: ``name`` if given, else the name plus ``suffix``.
    Exits with a message unless the URL is PostgreSQL: the targets are PostgreSQL targets."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("the benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    if name is None:
        name = parts.path.lstrip("/") or "konut_bench"
        if suffix and not name.endswith(suffix):
            name += suffix
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url: str) -> None:
    """Create the database of ``url`` if it does not exist yet."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username or "postgres", password=parts.password,
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(url: str, *, migrate: bool = False, **environ: str) -> None:
    """Point Django's development settings at ``url`` and set it up; with ``migrate``, also bring
    the schema and the reference data up to date. ``environ`` sets defaults for other variables."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "konut_registry.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    for key, value in environ.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    if migrate:
        import io

        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_reference", verbosity=0, stdout=io.StringIO())
