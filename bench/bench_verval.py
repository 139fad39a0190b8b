"""Verval candidate lists at 100,000 households on PostgreSQL.

Builds (once) a registry of ``--families`` households with ``manage.py seed_demo`` in its own
database, then re-ranks it the way a DTSEN quarter does, deterministically by id: every fifth
household moves to desil 5-10 (PKH and Sembako families among them become inclusion candidates),
one in fifty is marked absent from the newest extract, one in forty loses a ranking variable. It
then times, as the median of ``--repeat`` runs: each kind's count (one query, the dashboard's
card), the whole list of each kind (every household id), the candidates page as Bappeda (server
time: count and the first 200 rows), and opening the cases of one village's inclusion candidates.
Prints a table of figures next to their targets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_verval.py

The database name in DATABASE_URL is replaced by ``--db`` (default ``konut_bench_verval``) so the
benchmark never touches another one; it is created when missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_url, ensure_database, setup_django  # noqa: E402

TARGET_LIST_S = 0.5

RERANK = """
UPDATE households_household SET desil = 5 + (id % 6) WHERE id % 5 = 0 AND desil <= 4;
UPDATE households_household SET is_absent = TRUE WHERE id % 50 = 1;
UPDATE households_household SET water_source = '' WHERE id % 40 = 2;
"""


def _seed(args, *, families: int) -> None:
    """``seed_demo`` with the one-aid check switched off (this benchmark measures reads)."""
    from unittest import mock

    from django.core.management import call_command
    from django.db import connection

    with mock.patch("programs.services.check_enrollments", return_value=[]):
        call_command("seed_demo", families=families, seed=args.seed, year=args.year, no_users=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(RERANK)


def _timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default="konut_bench_verval")
    args = parser.parse_args(argv)

    url = database_url(name=args.db)
    ensure_database(url)
    setup_django(url)

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Role, User
    from households.models import Household
    from programs.candidates import KINDS, candidates
    from verval.services import cases_open_village

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    present = Household.objects.count()
    setup_s = 0.0
    if present < args.families:
        started = time.perf_counter()
        _seed(args, families=args.families - present)
        setup_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    bappeda, _ = User.objects.get_or_create(username="bench-bappeda", defaults={"role": Role.BAPPEDA_OPERATOR, "is_staff": True})
    households = Household.objects.count()
    figures: dict[str, object] = {"households": households, "seed_s": round(setup_s, 1)}
    rows: list[tuple[str, str, str]] = []

    def record(key: str, label: str, seconds: float, target: float | None, extra: str = "") -> None:
        figures[key] = round(seconds, 3)
        verdict = "" if target is None else ("ok" if seconds <= target else "SLOW")
        rows.append((label, f"{seconds * 1000:,.0f} ms{extra}", f"<= {target * 1000:,.0f} ms {verdict}" if target else ""))

    client = Client(SERVER_NAME="localhost")
    client.force_login(bappeda)
    for kind in KINDS:
        seconds, count = _timed(lambda: candidates(kind).count(), args.repeat)
        with CaptureQueriesContext(connection) as captured:
            candidates(kind).count()
        record(f"{kind}_count_s", f"{kind}: count ({count:,} households)", seconds, TARGET_LIST_S, f", {len(captured)} query")
        seconds, ids = _timed(lambda: list(candidates(kind).values_list("pk", flat=True)), args.repeat)
        record(f"{kind}_list_s", f"{kind}: whole list ({len(ids):,} ids)", seconds, TARGET_LIST_S)

        def page():
            response = client.get("/verval/kandidat/", {"kind": kind})
            assert response.status_code == 200, response.status_code
            return response

        page()  # the first request compiles the templates
        seconds, _ = _timed(page, args.repeat)
        record(f"{kind}_page_s", f"{kind}: candidates page, Bappeda (first 200 rows)", seconds, TARGET_LIST_S)

    village = (
        candidates("inclusion").values("desa").order_by().annotate(n=Count("pk"))
        .order_by("-n").first()
    )
    if village:
        from households.models import Desa

        desa = Desa.objects.get(pk=village["desa"])

        def open_cases():
            with transaction.atomic():
                result = cases_open_village(kind="inclusion", desa=desa, by=bappeda)
                transaction.set_rollback(True)  # measured, never kept
            return result

        seconds, result = _timed(open_cases, args.repeat)
        record("open_village_s", f"open cases for one village's inclusion candidates ({result.opened} cases)", seconds, None)

    width = max(len(r[0]) for r in rows)
    print(f"Verval benchmark: {households:,} households after a simulated DTSEN re-rank (PostgreSQL)")
    if setup_s:
        print(f"(registry built with seed_demo in {setup_s:,.0f} s)")
    print(f"{'figure'.ljust(width)}  {'value':>22}  target")
    for label, value, target in rows:
        print(f"{label.ljust(width)}  {value:>22}  {target}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
