"""Benchmark the one-aid engine and the identity scan on PostgreSQL.

Targets: a full scan over 100,000 households and 300,000 enrollments within 10 s; one saved
enrollment (a real insert through ``enrollment_create``) checked in at most 5 queries whatever the
registry size; a batch of 50,000 enrollments written through ``enrollment_bulk_create`` (existing
ones looked up, new ones written with history, the one-aid check) into 2024, a year that already
holds enrollments, within 5 s.

The registry is generated with set-based SQL (``generate_series``) in this benchmark's own database
(the DATABASE_URL database name plus ``_dedup``, created if missing): households in all 170
villages, three members each, three enrollments each over 2022-2024 (one program per family, so
most families hold no conflict), 5% of families with a second program in 2024 (one-aid breaches),
0.5% of members also listed in a neighbouring family (same-person breaches), 10% cancelled.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_dedup.py
    .venv/bin/python bench/bench_dedup.py --households 20000 --batch 10000   # a quicker run
    .venv/bin/python bench/bench_dedup.py --province   # 700,000 households, 2.1 million enrollments: scan <= 20 s
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_url, ensure_database, setup_django  # noqa: E402

# Household-targeted programs the generator spreads families over (codes from fixtures/programs.csv).
FIRST_NAMES = [
    "Muhammad", "Muh.", "Ahmad", "Abdul", "Andi", "La Ode", "Rahman", "Hasan", "Yusuf", "Ismail", "Ruslan", "Jumadi",
    "Siti", "Sitti", "Nurhayati", "Wa Ode", "Hasna", "Fatimah", "Rosmini", "Nur", "Aisyah", "Halima", "Marlina",
    "Hj. Siti", "H. Abdul", "Sarman", "Baharudin", "Syamsul", "Irwan", "Hendra",
]
FAMILY_NAMES = [
    "Lapodi", "Tosuli", "Sabara", "Laosa", "Mekuo", "Lamaranga", "Tamalaki", "Pagala", "Ruksamin", "Haera",
    "Saranani", "Lakidende", "Sanggona", "Tombili", "Lasulika", "Anakia", "Wolasi", "Bende", "Latambaga", "Ndoloma",
]
SCAN_TARGET = 10
PROVINCE_HOUSEHOLDS = 700_000
PROVINCE_SCAN_TARGET = 20
PROGRAMS = ["pkh", "sembako", "blt-desa", "bsps", "rutilahu", "spam", "sanimas", "pupuk", "nelayan", "modal-usaha", "bibit"]


def _insert_sql(model, values: dict[str, str], source: str) -> str:
    """INSERT ... SELECT for ``model`` from ``source``: the given column expressions, and a neutral
    value for every other NOT NULL column (so new fields added by others do not break the bench)."""
    neutral = {"BooleanField": "false", "JSONField": "'{}'::jsonb", "DateTimeField": "now()"}
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in values:
            expression = values[field.column]
        elif field.null:
            continue
        else:
            expression = neutral.get(field.get_internal_type(), "0" if "Integer" in field.get_internal_type() else "''")
        columns.append(field.column)
        expressions.append(expression)
    return f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {source}"


def generate(households: int, *, force: bool = False) -> dict:
    """(Re)build the registry at the requested size; reuse it when it is already there."""
    from django.db import connection

    from households.models import Desa, Household, Member
    from programs.models import Enrollment, Program

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Household._meta.db_table}")
        present = cursor.fetchone()[0]
    if present == households and not force:
        return {"generated": False}

    desa_ids = list(Desa.objects.order_by("id").values_list("id", flat=True))
    program_ids = [Program.objects.get(code=code).pk for code in PROGRAMS]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE dedup_conflict, dedup_identitymatch, programs_enrollment, programs_historicalenrollment, "
            "households_member, households_household RESTART IDENTITY CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_ids")
        cursor.execute("CREATE TEMP TABLE bench_ids AS SELECT g AS i FROM generate_series(1, %s) g", [households])
        desa = f"(ARRAY[{','.join(map(str, desa_ids))}])[1 + mod(i, {len(desa_ids)})]"
        first_names = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
        family_names = "ARRAY[" + ",".join(f"'{n}'" for n in FAMILY_NAMES) + "]"
        cursor.execute(_insert_sql(Household, {
            "p3ke_id": "'B' || i", "no_kk": "'74090101' || lpad(i::text, 8, '0')", "head_name": "'Kepala Keluarga ' || i",
            "head_nik": "'7409010101' || lpad(i::text, 6, '0')", "desa_id": desa, "desil": "1 + mod(i, 4)", "source": "'p3ke'",
        }, "bench_ids"))
        cursor.execute(f"SELECT min(id) FROM {Household._meta.db_table}")
        first_id = cursor.fetchone()[0]
        # Three members: the head (same NIK as head_nik), a spouse and a child. 0.5% of children are
        # also listed in the next family (one person on two family cards).
        members = "(SELECT b.i, r.n, h.id AS household_id FROM bench_ids b CROSS JOIN generate_series(1, 3) r(n) " \
                  f"JOIN {Household._meta.db_table} h ON h.id = b.i + {first_id - 1}) x"
        cursor.execute(_insert_sql(Member, {
            "household_id": "household_id",
            "nik": "CASE WHEN n = 1 THEN '7409010101' || lpad(i::text, 6, '0') "
                   "WHEN n = 3 AND mod(i, 200) IN (0, 1) THEN '74090201' || lpad((i - mod(i, 200))::text, 8, '0') "
                   "ELSE '740902' || n || '1' || lpad(i::text, 8, '0') END",
            # Pseudo-random but deterministic (hashtext), so names and birth dates are independent.
            "name": f"({first_names})[1 + mod(abs(hashtext(i || ':' || n || ':f')), {len(FIRST_NAMES)})] || ' ' || "
                    f"({family_names})[1 + mod(abs(hashtext(i || ':' || n || ':g')), {len(FAMILY_NAMES)})] || ' ' || "
                    f"({family_names})[1 + mod(abs(hashtext(i || ':' || n || ':h')), {len(FAMILY_NAMES)})]",
            "birth_date": "date '1950-01-01' + mod(abs(hashtext(i || ':' || n || ':d')), 25000)",
            "sex": "CASE WHEN mod(abs(hashtext(i || ':' || n || ':s')), 2) = 0 THEN 'L' ELSE 'P' END",
            "relation": "CASE n WHEN 1 THEN 'kepala' WHEN 2 THEN 'pasangan' ELSE 'anak' END",
        }, members))
        programs_array = "ARRAY[%s]" % ",".join(map(str, program_ids))
        enrollments = "(SELECT b.i, y.year, h.id AS household_id FROM bench_ids b CROSS JOIN (VALUES (2022), (2023), (2024)) y(year) " \
                      f"JOIN {Household._meta.db_table} h ON h.id = b.i + {first_id - 1}) x"
        # One program per family over three years; for 5% of families the 2023 row is instead a
        # second program in 2024 (a one-aid breach). 10% cancelled.
        cursor.execute(_insert_sql(Enrollment, {
            "program_id": f"CASE WHEN mod(i, 20) = 0 AND year = 2023 THEN ({programs_array})[1 + mod(i + 1, {len(program_ids)})] "
                          f"ELSE ({programs_array})[1 + mod(i, {len(program_ids)})] END",
            "household_id": "household_id",
            "year": "CASE WHEN mod(i, 20) = 0 AND year = 2023 THEN 2024 ELSE year END",
            "status": "CASE WHEN mod(i + year, 10) = 0 THEN 'cancelled' WHEN year = 2024 THEN 'proposed' ELSE 'active' END",
            "source": "'p3ke'", "amount": "600000",
        }, enrollments))
        cursor.execute("ANALYZE")
    return {"generated": True, "generate_seconds": time.perf_counter() - started}


def _counts() -> dict:
    from households.models import Household, Member
    from programs.models import Enrollment

    return {
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "enrollments": Enrollment.objects.count(),
    }


class _Rollback(Exception):
    pass


def measure(batch: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from dedup import engine, identity
    from dedup.models import Conflict
    from households.models import Household
    from programs import services as programs_services
    from programs.models import Enrollment, EnrollmentStatus, Program
    from programs.services import enrollment_create

    figures: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Conflict._meta.db_table}, dedup_historicalconflict RESTART IDENTITY CASCADE")

    started = time.perf_counter()
    first = engine.scan_all()
    figures["scan_first_seconds"] = time.perf_counter() - started
    figures["scan_first_new"] = first.new
    started = time.perf_counter()
    second = engine.scan_all()
    figures["scan_again_seconds"] = time.perf_counter() - started
    figures["scan_again_new"] = second.new
    figures["open_conflicts"] = second.open_total
    figures["open_by_rule"] = second.open_by_rule

    # One enrollment saved for real (validated, inserted with its history row, checked), on the
    # full registry, into a year that already holds enrollments; the check's own statements counted.
    household = Household.objects.order_by("id")[1000]
    program = Program.objects.get(code="spam" if household.enrollments.filter(program__code="bsps").exists() else "bsps")
    check = programs_services.check_enrollments
    check_queries = []

    def counted_check(ids, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            try:
                return check(ids, **kwargs)
            finally:
                check_queries.append(len(captured))

    try:
        with transaction.atomic():
            programs_services.check_enrollments = counted_check
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                saved = enrollment_create(household=household, program=program, year=2024, status=EnrollmentStatus.ACTIVE)
                figures["one_create_ms"] = (time.perf_counter() - started) * 1000
            figures["one_create_queries"] = len(captured)
            figures["one_check_queries"] = check_queries[0]
            figures["one_check_conflicts"] = len(saved.conflicts)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        programs_services.check_enrollments = check

    # A batch of enrollments through enrollment_bulk_create into 2024, a year that already holds
    # enrollments: one per family in a program of its own number, a second program for 1 in 10
    # (some already enrolled: counted as existing, not written).
    program_ids = list(Program.objects.filter(code__in=PROGRAMS).order_by("id").values_list("id", flat=True))
    household_ids = list(Household.objects.order_by("id").values_list("id", flat=True)[: round(batch / 1.1)])
    enrollments = []
    for household_id in household_ids:
        enrollments.append(Enrollment(
            program_id=program_ids[(household_id + 5) % len(program_ids)], household_id=household_id, year=2024,
            status=EnrollmentStatus.PROPOSED, source="import",
        ))
        if household_id % 10 == 0:
            enrollments.append(Enrollment(
                program_id=program_ids[(household_id + 3) % len(program_ids)], household_id=household_id, year=2024,
                status=EnrollmentStatus.PROPOSED, source="import",
            ))
    figures["batch_size"] = len(enrollments)
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = programs_services.enrollment_bulk_create(enrollments=enrollments)
                figures["batch_check_seconds"] = time.perf_counter() - started
            figures["batch_check_queries"] = len(captured)
            figures["batch_created"] = len(result.created)
            figures["batch_existing"] = result.existing
            figures["batch_conflicts"] = len(result.conflicts)
            raise _Rollback
    except _Rollback:
        pass

    # The identity scan's findings as they come, batch by batch (what the scan writes), counted.
    found = []
    started = time.perf_counter()
    with transaction.atomic():
        identity.each_identity_match(lambda batch: found.append(len(batch)))
    figures["identity_scan_seconds"] = time.perf_counter() - started
    figures["identity_matches"] = sum(found)
    return figures


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the registry even if its size matches")
    parser.add_argument(
        "--province", action="store_true",
        help="Sulawesi Tenggara scale: 700,000 households over the province's villages (own database)",
    )
    options = parser.parse_args(argv)
    global SCAN_TARGET
    if options.province:
        options.households = PROVINCE_HOUSEHOLDS
        SCAN_TARGET = PROVINCE_SCAN_TARGET

    url = database_url(suffix="_dedup_province" if options.province else "_dedup")
    ensure_database(url)
    setup_django(url, migrate=True, KONUT_WILAYAH="74" if options.province else "74.09")
    figures = generate(options.households, force=options.regenerate)
    figures.update(_counts())
    figures.update(measure(options.batch))

    rows = [
        ("registry", f"{figures['households']:,} households, {figures['members']:,} members, {figures['enrollments']:,} enrollments", f"{options.households:,} / {3 * options.households:,}", None),
        ("full scan, first run", f"{figures['scan_first_seconds']:.2f} s ({figures['scan_first_new']:,} conflicts)", f"<= {SCAN_TARGET} s", figures["scan_first_seconds"] <= SCAN_TARGET),
        ("full scan, again (idempotent)", f"{figures['scan_again_seconds']:.2f} s ({figures['scan_again_new']} new)", f"<= {SCAN_TARGET} s, 0 new", figures["scan_again_seconds"] <= SCAN_TARGET and figures["scan_again_new"] == 0),
        ("open conflicts by rule", ", ".join(f"{k} {v:,}" for k, v in figures["open_by_rule"].items()), "-", None),
        ("one enrollment, real insert", f"{figures['one_create_ms']:.1f} ms, {figures['one_create_queries']} queries in all, "
         f"{figures['one_check_queries']} for the check ({figures['one_check_conflicts']} conflict)", "check <= 5 queries", figures["one_check_queries"] <= 5),
        ("batch via enrollment_bulk_create", f"{figures['batch_check_seconds']:.2f} s for {figures['batch_size']:,} into 2024 "
         f"({figures['batch_created']:,} written, {figures['batch_existing']:,} existing, {figures['batch_conflicts']:,} conflicts, "
         f"{figures['batch_check_queries']} queries)", "<= 5 s for 50,000", figures["batch_check_seconds"] <= 5),
        ("identity scan (find)", f"{figures['identity_scan_seconds']:.2f} s ({figures['identity_matches']:,} matches)", "-", None),
    ]
    if figures.get("generated"):
        rows.insert(1, ("data generation", f"{figures['generate_seconds']:.1f} s", "-", None))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'value'.ljust(value_width)}  target")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"{name.ljust(width)}  {value.ljust(value_width)}  {target}{mark}")
    return figures


if __name__ == "__main__":
    result = main(sys.argv[1:])
    missed = any(
        [
            result["scan_first_seconds"] > SCAN_TARGET,
            result["one_check_queries"] > 5,
            result["batch_check_seconds"] > 5,
            result["scan_again_new"] != 0,
        ]
    )
    sys.exit(1 if missed else 0)
