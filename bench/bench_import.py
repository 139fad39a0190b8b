"""Import speed and memory on PostgreSQL, as ratios to a floor measured in the same run.

Steps, each in its own process (so peak memory is the step's own):
1. the floor: read every cell of the workbook with calamine and COPY the raw rows into unlogged
   tables, one core, no validation (``bench/floor.py``);
2. first import of a Konut-scale P3KE workbook (26,000 families, ~87,000 members, both sheets)
   into an empty registry through ``manage.py import_p3ke`` (store the file, hash, read,
   validate, compare, write with history, enrollments from the ``Penerima`` columns, the one-aid
   check, the identity-duplicate scan);
3. re-sync of the same file (nothing to write);
4. re-sync of the same families with 5% of them changed;
5. the plain django-import-export way on the same file and the same kind of rows: its
   household and member ``ModelResource`` (``bench/iex_resources.py``) on the first
   ``--iex-families`` families of the workbook and all their members, reading included; the
   speed-up is rows per second (households and members) against the first import's.

With ``--province`` the first import runs at Sulawesi Tenggara scale (700,000 families over the
province's 17 regencies, ``KONUT_WILAYAH=74``) in a database of its own, with its floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_import.py
    .venv/bin/python bench/bench_import.py --province

The benchmark uses its own database: the name in DATABASE_URL with ``_import`` appended (``_province``
with ``--province``), created and migrated when missing. Workbooks are cached in ``var/bench/``.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, database_url, ensure_database, peak_mb, setup_django, time_calls  # noqa: E402

# Targets, as ratios to the floor measured in the same run (and to django-import-export's rate).
TARGETS = {"first": 1.5, "resync": 1.0, "province": 2.0, "iex": 40.0, "memory_mb": 1024.0}
PROVINCE_FAMILIES = 700_000


def _settings(province: bool) -> dict:
    # Large workbooks are above a web upload's default limits; the province's members sheet holds
    # about 2.4 million rows.
    return {
        "IMPORT_MAX_UPLOAD_BYTES": str(4 * 1024**3), "IMPORT_MAX_UNCOMPRESSED_BYTES": str(16 * 1024**3),
        "IMPORT_MAX_ROWS": str(5_000_000), "KONUT_WILAYAH": "74" if province else "74.09",
    }


def _url(province: bool) -> str:
    return database_url(suffix="_province" if province else "_import")


def _setup(province: bool, migrate: bool = False) -> None:
    setup_django(_url(province), migrate=migrate, **_settings(province))


def _wipe() -> None:
    from django.db import connection

    tables = [t for t in connection.introspection.table_names() if t.startswith(("households_historical", "programs_historicalenrollment"))]
    tables += ["households_household", "households_member", "households_importbatch", "programs_enrollment"]
    tables += [t for t in connection.introspection.table_names() if t.startswith("dedup_")]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


def _floor_step(path: str, province: bool, queue) -> None:
    _setup(province)
    from django.db import connection

    from bench.floor import floor

    connection.ensure_connection()
    figures = floor(path, connection.connection)
    figures["peak_mb"] = peak_mb()
    queue.put(figures)


def _engine_step(path: str, wipe: bool, province: bool, queue) -> None:
    _setup(province)
    if wipe:
        _wipe()
    from django.core.management import call_command

    import programs.services

    # The one-aid check (dedup.engine) is part of the import; its share is shown apart. An import's
    # aid write re-checks its households directly (its conflicts counted by id), other writes
    # through ``check_enrollments_and_households``.
    dedup_seconds = [0.0]
    for name in ("check_enrollments_and_households", "recheck_households_of_write"):
        time_calls(programs.services, name, dedup_seconds)
    # The process's peak RSS when each phase of the import starts (read, compare, write, aids,
    # identity): the peak at "identity" is the import's own, before the identity scan that follows it.
    from households.management.commands import _import_base

    # And the seconds since the start when each phase starts (where the import's time goes).
    phase_peaks: dict[str, float] = {}
    phase_starts: dict[str, float] = {}
    phase = _import_base.TerminalProgress.phase

    def noted_phase(self, name, total=0):
        phase_peaks[name] = peak_mb()
        phase_starts[name] = time.perf_counter() - started
        return phase(self, name, total)

    _import_base.TerminalProgress.phase = noted_phase
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_p3ke", path, "--skip-invalid", "--json", stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    summary = json.loads(out.getvalue())
    queue.put({
        "status": summary.get("status"), "seconds": seconds, "peak_mb": peak_mb(), "dedup_seconds": dedup_seconds[0],
        # The process forked to read the individual sheet (0 when none was): its own peak.
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "peak_before_identity_mb": phase_peaks.get("identity", 0.0),
        "cpu_seconds": cpu_seconds(resource.RUSAGE_SELF), "child_cpu_seconds": cpu_seconds(resource.RUSAGE_CHILDREN),
        "phase_peaks": " ".join(f"{name} {mb:.0f}" for name, mb in phase_peaks.items()),
        "phase_starts": " ".join(f"{name} {at:.1f}" for name, at in phase_starts.items()),
        "rows": summary.get("rows", 0), "households": summary.get("households"), "members": summary.get("members"),
        "errors": summary.get("errors"), "enrollments": summary.get("enrollments"),
        "identity_duplicates": summary.get("identity_duplicates"),
    })


def _iex_step(path: str, families: int, queue) -> None:
    _setup(False)
    _wipe()
    from bench.iex_resources import read_sample, resources_for_p3ke
    from households.models import Household, Member

    household_resource, member_resource = resources_for_p3ke()
    started = time.perf_counter()
    households, members = read_sample(path, families)
    read_seconds = time.perf_counter() - started
    first = household_resource().import_data(households, dry_run=False, raise_errors=False, collect_failed_rows=True)
    second = member_resource().import_data(members, dry_run=False, raise_errors=False, collect_failed_rows=True)
    seconds = time.perf_counter() - started
    queue.put({
        "seconds": seconds, "read_seconds": read_seconds, "rows": len(households) + len(members),
        "household_rows": len(households), "member_rows": len(members), "peak_mb": peak_mb(),
        "households_written": Household.objects.count(), "members_written": Member.objects.count(),
        "invalid": len(first.invalid_rows) + len(second.invalid_rows),
    })


def _prepare(province: bool, queue) -> None:
    ensure_database(_url(province))
    _setup(province, migrate=True)
    queue.put(True)


def _in_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _workbook(families: int, seed: int, change_share: float, wilayah: str) -> str:
    from bench.generate_p3ke import generate

    suffix = f"-changed{int(change_share * 100)}" if change_share else ""
    region = "" if wilayah == "74.09" else f"-{wilayah}"
    path = ROOT / "var" / "bench" / f"p3ke{region}-{families}-{seed}{suffix}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_name(path.name + ".part")  # a run stopped halfway leaves no cached workbook
        generate(partial, families=families, seed=seed, change_share=change_share, wilayah=wilayah)
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return str(path)


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Import benchmark (PostgreSQL).")
    parser.add_argument("--families", type=int, default=None, help="default 26,000 (700,000 with --province)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--iex-families", type=int, default=1_000, help="families given to django-import-export")
    parser.add_argument("--province", action="store_true", help="the 700,000-family first import and its floor")
    args = parser.parse_args(argv)
    province = args.province
    families = args.families or (PROVINCE_FAMILIES if province else 26_000)
    wilayah = "74" if province else "74.09"

    def step(label, target, *step_args):
        # Each step's raw figures as soon as they are measured: a run stopped halfway keeps them.
        started = time.perf_counter()
        figures = _in_process(target, *step_args)
        shown = {k: v for k, v in figures.items() if isinstance(v, (int, float, str))}
        print(f"({label}: {time.perf_counter() - started:.0f} s with process start; {shown})", flush=True)
        return figures

    _in_process(_prepare, province)
    base = _workbook(families, args.seed, 0.0, wilayah)
    floor = step("floor", _floor_step, base, province)
    first = step("first import", _engine_step, base, True, province)
    resync = resync5 = iex = None
    if not province:
        changed = _workbook(families, args.seed, 0.05, wilayah)
        resync = step("re-sync", _engine_step, base, False, province)
        resync5 = step("re-sync 5%", _engine_step, changed, False, province)
        iex = step("django-import-export", _iex_step, base, args.iex_families)
    print(flush=True)

    def rate(step):
        return step["rows"] / step["seconds"] if step and step["seconds"] else 0.0

    def ratio(step):
        return step["seconds"] / floor["seconds"]

    size = Path(base).stat().st_size / 1024**2
    lines = [
        f"Import benchmark, P3KE 2023 layout, {families:,} families / {first['rows'] - families:,} members "
        f"(rows = both sheets), {size:.0f} MB workbook, PostgreSQL",
        "",
        "| step | rows | seconds | x floor | target | peak RSS | of which one-aid check | ok |",
        "|---|---:|---:|---:|---|---:|---:|---|",
        f"| floor: calamine reads every cell, COPY raw rows into unlogged tables, one core | {floor['rows']:,} "
        f"| {floor['seconds']:.1f} | 1.00 | - | {floor['peak_mb']:.0f} MB | | |",
    ]
    steps = [("first", first)] + ([] if province else [("resync", resync), ("resync5", resync5)])
    for label, step in steps:
        if step.get("status") != "applied":
            lines.append(f"({label}: status {step.get('status')})")
    target = TARGETS["province" if province else "first"]
    lines.append(
        f"| first import (`import_p3ke`, identity scan included) | {first['rows']:,} | {first['seconds']:.1f} "
        f"| {ratio(first):.2f} | <= {target:.1f}x floor | {first['peak_mb']:.0f} MB | {first['dedup_seconds']:.1f} s "
        f"| {_ok(ratio(first) <= target)} |"
    )
    if not province:
        for label, step in (("re-sync, same file", resync), ("re-sync, 5% changed", resync5)):
            step_target = f"<= {TARGETS['resync']:.1f}x floor" if step is resync else "-"
            ok = _ok(ratio(step) <= TARGETS["resync"]) if step is resync else ""
            lines.append(
                f"| {label} | {step['rows']:,} | {step['seconds']:.1f} | {ratio(step):.2f} | {step_target} "
                f"| {step['peak_mb']:.0f} MB | {step['dedup_seconds']:.1f} s | {ok} |"
            )
        lines.append(
            f"| django-import-export, household and member `ModelResource`, first {args.iex_families:,} families "
            f"of the same file (reading {iex['read_seconds']:.1f} s included) | {iex['rows']:,} | {iex['seconds']:.1f} "
            f"| | baseline | {iex['peak_mb']:.0f} MB | | |"
        )
        speedup = rate(first) / rate(iex) if rate(iex) else 0.0
        lines.append(
            f"| speed-up of the first import over django-import-export, rows/s ({rate(first):,.0f} against "
            f"{rate(iex):,.0f}) | | | | >= {TARGETS['iex']:.0f}x | | | {speedup:.0f}x {_ok(speedup >= TARGETS['iex'])} |"
        )
    memory_steps = [s for _, s in steps]
    peak = max(s["peak_mb"] for s in memory_steps)
    lines.append(
        f"| peak RSS of the import steps | | | | < {TARGETS['memory_mb']:.0f} MB | {peak:.0f} MB | "
        f"| {_ok(peak < TARGETS['memory_mb'])} |"
    )
    if first.get("peak_before_identity_mb"):
        lines.append(
            f"| peak RSS of the first import before its identity scan (at each phase's start: {first['phase_peaks']}) "
            f"| | | | < {TARGETS['memory_mb']:.0f} MB | {first['peak_before_identity_mb']:.0f} MB | "
            f"| {_ok(first['peak_before_identity_mb'] < TARGETS['memory_mb'])} |"
        )
    lines += [
        "",
        f"first import: households {first['households']}, members {first['members']}, errors (rows skipped) "
        f"{first['errors']}, enrollments {first['enrollments']}, open identity duplicates {first['identity_duplicates']}",
    ]
    if not province:
        lines += [
            f"re-sync same file: households {resync['households']}, members {resync['members']}",
            f"re-sync 5% changed: households {resync5['households']}, members {resync5['members']}",
            f"django-import-export: {iex['household_rows']:,} household rows, {iex['member_rows']:,} member rows, "
            f"written {iex['households_written']:,} households and {iex['members_written']:,} members, "
            f"{iex['invalid']:,} rows refused",
        ]
    print("\n".join(lines), flush=True)
    return {"floor": floor, "first": first, "resync": resync, "resync5": resync5, "iex": iex}


if __name__ == "__main__":
    main(sys.argv[1:])
