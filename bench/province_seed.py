"""A province-scale registry in a few set-based statements (``generate_series``), for the page
benchmarks: households spread over every loaded village, three members each, about three
enrollments per family over 2022-2024 in the household programs, one-aid breaches for 5% of
families, and the one-aid scan run once so their conflicts are open. 700,000 families and their
2 million enrollments take a few minutes, where the Python seeders would take an hour.
"""

from __future__ import annotations

import time

from bench.bench_dedup import FAMILY_NAMES, FIRST_NAMES, _insert_sql


def seed(households: int) -> float:
    """Replace the registry with ``households`` generated families; the seconds it took."""
    from django.db import connection

    from dedup import engine
    from households.models import Desa, Household, Member
    from programs.models import Enrollment, Program, TargetUnit

    started = time.perf_counter()
    desa_ids = list(Desa.objects.order_by("code").values_list("id", "code_plain"))
    program_ids = list(
        Program.objects.filter(target_unit=TargetUnit.HOUSEHOLD, is_local=True).order_by("code").values_list("id", flat=True)
    )
    household_table, member_table = Household._meta.db_table, Member._meta.db_table
    first = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
    family = "ARRAY[" + ",".join(f"'{n}'" for n in FAMILY_NAMES) + "]"
    desa = f"(ARRAY[{','.join(str(pk) for pk, _ in desa_ids)}])[1 + mod(i, {len(desa_ids)})]"
    region = f"(ARRAY[{','.join(repr(code[:6]) for _, code in desa_ids)}])[1 + mod(i, {len(desa_ids)})]"
    programs = f"ARRAY[{','.join(map(str, program_ids))}]"
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE dedup_conflict, dedup_identitymatch, programs_enrollment, programs_historicalenrollment, "
            f"{member_table}, {household_table} RESTART IDENTITY CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_ids")
        cursor.execute("CREATE TEMP TABLE bench_ids AS SELECT g AS i FROM generate_series(1, %s) g", [households])
        name = (
            f"({first})[1 + mod(abs(hashtext(i || ':f')), {len(FIRST_NAMES)})] || ' ' || "
            f"({family})[1 + mod(abs(hashtext(i || ':g')), {len(FAMILY_NAMES)})]"
        )
        cursor.execute(_insert_sql(Household, {
            "p3ke_id": "'8' || lpad(i::text, 9, '0')", "no_kk": f"{region} || lpad(i::text, 10, '0')",
            "head_name": name, "head_nik": f"{region} || '0101' || lpad(mod(i, 1000000)::text, 6, '0')",
            "desa_id": desa, "desil": "1 + mod(abs(hashtext(i || ':d')), 4)", "source": "'p3ke'", "source_year": "2023",
            "address": "'Dusun ' || (1 + mod(i, 5))", "rt": "lpad((1 + mod(i, 9))::text, 3, '0')", "rw": "'001'",
        }, "bench_ids"))
        members = (
            f"(SELECT h.id AS household_id, h.head_nik, h.head_name, r.n, h.id AS i FROM {household_table} h "
            "CROSS JOIN generate_series(1, 3) r(n)) x"
        )
        cursor.execute(_insert_sql(Member, {
            "household_id": "household_id",
            "nik": "CASE WHEN n = 1 THEN head_nik ELSE substr(head_nik, 1, 6) || '1' || n || lpad(mod(i, 100000000)::text, 8, '0') END",
            "name": f"CASE WHEN n = 1 THEN head_name ELSE ({first})[1 + mod(abs(hashtext(i || ':' || n)), {len(FIRST_NAMES)})] "
                    "|| ' ' || split_part(head_name, ' ', 2) END",
            "relation": "CASE n WHEN 1 THEN 'kepala' WHEN 2 THEN 'pasangan' ELSE 'anak' END",
            "sex": "CASE WHEN n = 2 THEN 'P' ELSE 'L' END",
            "birth_date": "date '1950-01-01' + mod(abs(hashtext(i || ':b' || n)), 25000)",
        }, members))
        enrollments = (
            f"(SELECT h.id AS household_id, y.year, h.id AS i FROM {household_table} h "
            "CROSS JOIN (VALUES (2022), (2023), (2024)) y(year)) x"
        )
        # One program per family over three years; for 5% of families the 2023 row is instead a
        # second program in 2024 (a one-aid breach).
        cursor.execute(_insert_sql(Enrollment, {
            "program_id": f"CASE WHEN mod(i, 20) = 0 AND year = 2023 THEN ({programs})[1 + mod(i + 1, {len(program_ids)})] "
                          f"ELSE ({programs})[1 + mod(i, {len(program_ids)})] END",
            "household_id": "household_id",
            "year": "CASE WHEN mod(i, 20) = 0 AND year = 2023 THEN 2024 ELSE year END",
            "status": "CASE WHEN mod(i + year, 10) = 0 THEN 'completed' WHEN year = 2024 THEN 'proposed' ELSE 'active' END",
            "source": "'p3ke'", "amount": "600000",
        }, enrollments))
        cursor.execute("ANALYZE")
    engine.scan_all()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started
