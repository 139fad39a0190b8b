"""Dashboard and targeting speed at 100,000 households on PostgreSQL.

Builds (once) a registry of ``--families`` households with ``manage.py seed_demo`` in its own
database, loads the default targeting rules, then times, as the median of ``--repeat`` runs:
the dashboard's figures (the selectors alone), the whole dashboard page (server time, as Bappeda,
as an agency head, with a kecamatan filter), each program's rule preview by kecamatan, the admin's
live preview, a distribution plan, and an xlsx export of the largest table. Prints a table of
figures next to their targets. The dashboard keeps its counts until the registry changes
(``programs.dashboard.memo``): each dashboard figure is timed *afresh* (the kept counts deleted
before each run: everything counted in the request, as on the very first load) and, for the main
ones, again on an *unchanged registry* and *right after a write* (a household's living conditions
saved, or an enrollment added, through the services, before each timed load: the page shows the
last counts, labelled, and asks the worker for a recount), with the worker's *recount* timed too.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_dashboard.py

The database name in DATABASE_URL is replaced by ``--db`` (default ``konut_bench_dashboard``) so
the benchmark never touches another one; it is created when missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_url, ensure_database, registry_write, setup_django  # noqa: E402

TARGET_PAGE_S = 1.0
TARGET_PREVIEW_S = 1.0
PROVINCE_FAMILIES = 700_000
STALE_MARK = "dash-stale"  # the page's notice that it shows the last counts while a recount runs


def _seed(args, *, families: int) -> None:
    """The lead's ``seed_demo`` generator. Unless ``--with-engine``, the one-aid check is switched off
    while seeding (this benchmark measures reads, and the engine has its own benchmark) and the
    conflicts it would raise (two live aids of one household in one year) are written in one statement."""
    from unittest import mock

    from django.core.management import call_command
    from django.db import connection

    if args.with_engine:
        call_command("seed_demo", families=families, seed=args.seed, year=args.year, no_users=True, verbosity=0)
        return
    from dedup.engine import RecheckResult

    with mock.patch("programs.services.check_enrollments_and_households", return_value=(RecheckResult(), [])):
        call_command("seed_demo", families=families, seed=args.seed, year=args.year, no_users=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO dedup_conflict (household_id, enrollment_a_id, enrollment_b_id, rule, status, evidence,
                                        decision_reason, created_at)
            SELECT a.household_id, a.id, b.id, 'one_aid', 'open', '{}'::jsonb, '', now()
            FROM programs_enrollment a
            JOIN programs_enrollment b ON b.household_id = a.household_id AND b.year = a.year
                 AND b.id > a.id AND b.program_id <> a.program_id
            WHERE a.status IN ('proposed', 'active') AND b.status IN ('proposed', 'active')
            ON CONFLICT DO NOTHING
            """
        )


def _forget_counts() -> None:
    """Delete every kept count (and Django's cache): the next load counts everything itself."""
    from django.core.cache import cache

    from programs.models import KeptFigure

    KeptFigure.objects.all().delete()
    cache.clear()


def _timed(fn, repeat: int, *, cold: bool = True, write_by=None, year: int = 0) -> tuple[float, object]:
    """The median seconds of ``fn()`` over ``repeat`` runs; ``cold``: each run after the kept counts
    are deleted (the page counts everything itself), else after one untimed run (a reload of an
    unchanged registry reuses the kept counts); ``write_by``: each run right after a write by
    that user (untimed)."""
    times, result = [], None
    if not cold:
        fn()
    for index in range(repeat):
        if cold:
            _forget_counts()
        if write_by is not None:
            registry_write(index, write_by, year)
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per figure (5; 3 with --province)")
    parser.add_argument("--db", default="konut_bench_dashboard")
    parser.add_argument("--with-engine", action="store_true", help="run the one-aid check while seeding (slow)")
    parser.add_argument(
        "--province", action="store_true",
        help="Sulawesi Tenggara scale: the 700,000-family registry of bench_portal --province (same database, "
             "seeded with set-based SQL when missing)",
    )
    args = parser.parse_args(argv)
    if args.province:
        args.families = PROVINCE_FAMILIES
    if args.repeat is None:
        args.repeat = 3 if args.province else 5

    url = database_url(suffix="_portal_province") if args.province else database_url(name=args.db)
    ensure_database(url)
    setup_django(url, KONUT_WILAYAH="74" if args.province else "74.09")

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from agencies.models import Agency, Role, User
    from households.models import Household, Kecamatan
    from households.regions import has_several_regencies
    from programs.dashboard import selectors
    from programs.models import Program, TargetingRule
    from programs.services import default_rules_load
    from programs.distribution import distribution_plan
    from programs.targeting import preview_by_kecamatan, program_q

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)
    present = Household.objects.count()
    setup_s = 0.0
    if args.province and present != args.families:
        from bench.province_seed import seed

        setup_s = seed(args.families)
    elif present < args.families:
        started = time.perf_counter()
        _seed(args, families=args.families - present)
        setup_s = time.perf_counter() - started
    default_rules_load()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    bappeda, _ = User.objects.get_or_create(username="bench-bappeda", defaults={"role": Role.BAPPEDA_OPERATOR, "is_staff": True})
    dinsos, _ = User.objects.get_or_create(
        username="bench-dinsos", defaults={"role": Role.AGENCY_HEAD, "agency": Agency.objects.get(code="dinsos")}
    )
    households = Household.objects.count()
    year = selectors.default_year(bappeda)
    filters = selectors.DashboardFilters(year=year)
    figures: dict[str, object] = {"households": households, "members": None, "seed_s": round(setup_s, 1)}
    from households.models import Member

    figures["members"] = Member.objects.count()

    rows: list[tuple[str, str, str]] = []

    def record(key: str, label: str, seconds: float, target: float | None, extra: str = "") -> None:
        figures[key] = round(seconds, 3)
        verdict = "" if target is None else ("ok" if seconds <= target else "SLOW")
        rows.append((label, f"{seconds * 1000:,.0f} ms{extra}", f"<= {target * 1000:,.0f} ms {verdict}" if target else ""))

    as_of = timezone.localdate()
    seconds, _dash = _timed(lambda: selectors.dashboard(bappeda, filters, as_of=as_of), args.repeat)
    _forget_counts()
    with CaptureQueriesContext(connection) as captured:
        selectors.dashboard(bappeda, filters, as_of=as_of)
    record("figures_s", "dashboard figures (selectors), Bappeda, counted afresh", seconds, TARGET_PAGE_S,
           f", {len(captured)} queries")
    seconds, _dash = _timed(lambda: selectors.dashboard(bappeda, filters, as_of=as_of), args.repeat, cold=False)
    with CaptureQueriesContext(connection) as captured:
        selectors.dashboard(bappeda, filters, as_of=as_of)
    record("figures_warm_s", "dashboard figures, Bappeda, registry unchanged", seconds, TARGET_PAGE_S,
           f", {len(captured)} queries")

    client = Client(SERVER_NAME="localhost")

    def after_write(user, key: str, who: str) -> None:
        """The page right after a write (the last counts, labelled), then the worker's recount."""
        from programs.dashboard.tasks import dashboard_recount

        get = page(user, year=year)
        seconds, response = _timed(get, args.repeat, cold=False, write_by=bappeda, year=year)
        stale = STALE_MARK in response.content.decode()
        record(f"{key}_after_write_s", f"dashboard page, {who}, right after a write", seconds, TARGET_PAGE_S,
               ", last counts shown, labelled" if stale else ", counted in the request")
        started = time.perf_counter()
        dashboard_recount.call(user_id=user.pk, filters=list(selectors.DashboardFilters(year=year).key),
                               as_of=as_of.isoformat(), several_regencies=has_several_regencies())
        record(f"{key}_recount_s", f"  its background recount (worker, {who})", time.perf_counter() - started, None)
        assert STALE_MARK not in get().content.decode(), "the recount left stale figures"

    def page(user, **params):
        client.force_login(user)

        def get():
            response = client.get("/dasbor/", params)
            assert response.status_code == 200, response.status_code
            return response

        return get

    seconds, _ = _timed(page(bappeda, year=year), args.repeat)
    _forget_counts()
    with CaptureQueriesContext(connection) as captured:
        page(bappeda, year=year)()
    record("page_bappeda_s", "dashboard page, Bappeda, whole registry, afresh", seconds, TARGET_PAGE_S,
           f", {len(captured)} queries")
    seconds, _ = _timed(page(bappeda, year=year), args.repeat, cold=False)
    with CaptureQueriesContext(connection) as captured:
        page(bappeda, year=year)()
    record("page_bappeda_warm_s", "dashboard page, Bappeda, registry unchanged", seconds, TARGET_PAGE_S,
           f", {len(captured)} queries")
    after_write(bappeda, "page_bappeda", "Bappeda")
    kecamatan = Kecamatan.objects.order_by("code").first()
    seconds, _ = _timed(page(bappeda, year=year, kecamatan=kecamatan.pk), args.repeat)
    record("page_kecamatan_s", f"dashboard page, Bappeda, kecamatan {kecamatan.name}, afresh", seconds, TARGET_PAGE_S)
    seconds, _ = _timed(page(dinsos, year=year), args.repeat)
    record("page_agency_s", "dashboard page, Dinas Sosial head (scoped), afresh", seconds, TARGET_PAGE_S)
    seconds, _ = _timed(page(dinsos, year=year), args.repeat, cold=False)
    record("page_agency_warm_s", "dashboard page, Dinas Sosial head, registry unchanged", seconds, TARGET_PAGE_S)
    after_write(dinsos, "page_agency", "Dinas Sosial head")

    client.force_login(bappeda)
    from households.models import Desa

    villages = Desa.objects.count()
    seconds, _ = _timed(lambda: client.get("/dasbor/ekspor/kantong.xlsx", {"year": year}), args.repeat)
    record("export_pockets_s", f"xlsx export, poverty pockets ({villages:,} villages), afresh", seconds, TARGET_PAGE_S)
    seconds, _ = _timed(lambda: client.get("/dasbor/ekspor/kantong.xlsx", {"year": year}), args.repeat, cold=False)
    record("export_pockets_warm_s", "xlsx export, poverty pockets, registry unchanged", seconds, TARGET_PAGE_S)

    slowest, slowest_code, matched = 0.0, "", 0
    for program in Program.objects.filter(targeting_rules__active=True).distinct().order_by("code"):
        seconds, preview = _timed(lambda: preview_by_kecamatan(program_q(program)), args.repeat)
        if seconds >= slowest:
            slowest, slowest_code, matched = seconds, program.code, preview.matching
    record("preview_slowest_s", f"rule preview by kecamatan, slowest program ({slowest_code}, {matched:,} match)", slowest, TARGET_PREVIEW_S)

    rule = TargetingRule.objects.get(default_key="pkh-anak")
    params = {"field": ["desil", "member_age"], "operator": ["lte", "between"], "value": ["2", "0;18"]}
    seconds, response = _timed(lambda: client.get("/admin/programs/targetingrule/pratinjau/", params), args.repeat)
    assert response.status_code == 200, response.status_code
    record("preview_live_s", "admin live preview (PKH: desil <= 2, member 0-18)", seconds, TARGET_PREVIEW_S)
    del rule

    pkh = Program.objects.get(code="pkh")

    def plan():
        result = distribution_plan(pkh, year=year + 1)
        list(result.candidates.values_list("pk", flat=True)[:5000])
        return result

    seconds, result = _timed(plan, args.repeat)
    record("distribution_plan_s", f"distribution plan, PKH ({result.eligible:,} eligible, first 5,000)", seconds, None)

    width = max(len(r[0]) for r in rows)
    print(f"Dashboard benchmark: {households:,} households, {figures['members']:,} members, year {year} (PostgreSQL)")
    if setup_s:
        print(f"(registry built in {setup_s:,.0f} s, {'set-based SQL' if args.province else 'seed_demo'})")
    print(f"{'figure'.ljust(width)}  {'value':>22}  target")
    for label, value, target in rows:
        print(f"{label.ljust(width)}  {value:>22}  {target}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
