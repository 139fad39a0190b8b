"""What every benchmark needs before it measures: its own PostgreSQL database, Django set up on it.

Each benchmark keeps its data in a database of its own (the name in DATABASE_URL plus a suffix), so
that one benchmark's registry never skews another's figures and a second run can reuse the data.
"""

from __future__ import annotations

import os
import resource
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/konut_bench"


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(who=resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system) of this process, or of its waited-for children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


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
    """Point Django's development settings, DEBUG off, at ``url`` and set it up; with ``migrate``,
    also bring the schema and the reference data up to date. ``environ`` sets defaults for other
    variables."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "konut_registry.settings.dev"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # Measured as production runs: without DEBUG, which logs every statement with its parameters
    # (the import's and the dedup engine's statements carry arrays of thousands of ids).
    os.environ.setdefault("DEBUG", "0")
    for key, value in environ.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    if migrate:
        import io

        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_reference", verbosity=0, stdout=io.StringIO())


def registry_write(index: int, user, year: int) -> None:
    """One write through the services, as an operator makes them: a household's living conditions
    saved (even ``index``) or an enrollment proposed in ``year`` (odd ``index``) for a household and
    program that have none yet (a later run takes the next pair)."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from households.models import Household
    from households.services import household_conditions_update
    from programs.models import Enrollment, Program
    from programs.services import enrollment_create

    if index % 2 == 0:
        # The first household from the 1,000th on whose stored values pass the model's checks (some
        # generated ones carry a value outside the current choices, and saving checks them all).
        for household in Household.objects.order_by("id")[1000 + index : 1100 + index]:
            water = "ledeng" if household.water_source != "ledeng" else "sumur_terlindung"
            try:
                household_conditions_update(household=household, values={"water_source": water}, on=timezone.localdate(), by=user)
            except ValidationError:
                continue
            return
        raise RuntimeError("no household among 100 passes the model's checks")
    programs = list(Program.objects.filter(is_local=True, target_unit="household").order_by("code")[:5])
    for household in Household.objects.order_by("id")[1000:2000].iterator():
        taken = set(Enrollment.objects.filter(household=household, year=year).values_list("program_id", flat=True))
        for program in programs:
            if program.pk not in taken:
                enrollment_create(household=household, program=program, year=year, by=user)
                return


def time_calls(module, name: str, spent: list[float]) -> None:
    """Replace ``module.name`` by a wrapper adding the seconds of each call to ``spent[0]``: the
    share of one step (the one-aid check, say) in a command timed as a whole."""
    real = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    setattr(module, name, timed)
