"""Import speed and memory on PostgreSQL: the registry's engine against plain django-import-export.

Steps, each in its own process (so peak memory is the step's own):
1. first import of a Konut-scale P3KE workbook (26,000 families, ~84,000 members) into an empty
   registry, end to end (store the file, hash, read, validate, compare, write with history,
   enrollments from the ``Penerima`` columns);
2. re-sync of the same file (nothing to write);
3. re-sync of the same families with 5% of them changed;
4. the plain django-import-export way (a ``ModelResource`` with ``import_id_fields``) on the same
   household rows, handed an in-memory dataset (no file reading counted, fewer columns: it is the
   favourable case for it);
5. peak memory of a first import at 100,000 families (``--memory-families``, 0 to skip).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_import.py

The benchmark uses its own database: the name in DATABASE_URL with ``_import`` appended (created and
migrated when missing). Generated workbooks are cached in ``var/bench/``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_url, ensure_database, setup_django  # noqa: E402
TARGETS = {"first": 20.0, "resync": 10.0, "resync5": 10.0, "ratio": 20.0, "memory_mb": 1024.0}


def _setup_django() -> None:
    # A 100,000-family workbook is about 70 MB: above the default upload limit of a web upload.
    setup_django(database_url(suffix="_import"), IMPORT_MAX_UPLOAD_BYTES=str(1024 * 1024 * 1024))


def _ensure_database() -> None:
    url = database_url(suffix="_import")
    ensure_database(url)
    setup_django(url, migrate=True, IMPORT_MAX_UPLOAD_BYTES=str(1024 * 1024 * 1024))


def _wipe() -> None:
    from django.db import connection

    tables = [t for t in connection.introspection.table_names() if t.startswith(("households_historical", "programs_historicalenrollment"))]
    tables += ["households_household", "households_member", "households_importbatch", "programs_enrollment"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_step(path: str, wipe: bool, skip_dedup: bool, queue) -> None:
    _setup_django()
    if wipe:
        _wipe()
    import programs.services
    from households.imports.services import run_file_import

    # The one-aid check is another component (dedup.engine): time it apart, or leave it out.
    dedup_seconds = [0.0]
    check = programs.services.check_enrollments_and_households

    def timed_check(ids, households, **kwargs):
        if skip_dedup:
            from dedup.engine import RecheckResult

            return RecheckResult(), []
        started = time.perf_counter()
        try:
            return check(ids, households, **kwargs)
        finally:
            dedup_seconds[0] += time.perf_counter() - started

    programs.services.check_enrollments_and_households = timed_check

    started = time.perf_counter()
    outcome = run_file_import(kind="p3ke", paths=[path], skip_invalid=True)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    # What the task and the commands run next, after the import's transaction: timed apart.
    from households.imports.services import import_identity_scan

    started = time.perf_counter()
    import_identity_scan(outcome)
    scan_seconds = time.perf_counter() - started
    summary = outcome.summary
    queue.put({
        "identity_scan_seconds": scan_seconds, "identity_duplicates": summary.get("identity_duplicates"),
        "status": outcome.status, "seconds": seconds, "rows": summary.get("rows", 0), "peak_mb": peak,
        "households": summary.get("households"), "members": summary.get("members"),
        "errors": summary.get("errors"), "enrollments": summary.get("enrollments"),
        "dedup_seconds": dedup_seconds[0],
    })


def _iex_step(families: int, seed: int, sample: int, queue) -> None:
    _setup_django()
    _wipe()
    import tablib
    from import_export import fields, resources, widgets

    from bench.generate_p3ke import HH_HEADERS, build
    from households.models import Desa, Household

    class HouseholdResource(resources.ModelResource):
        p3ke_id = fields.Field(attribute="p3ke_id", column_name="ID Keluarga P3KE")
        head_name = fields.Field(attribute="head_name", column_name="Nama Kepala Keluarga")
        head_nik = fields.Field(attribute="head_nik", column_name="NIK Kepala Keluarga")
        address = fields.Field(attribute="address", column_name="Alamat")
        desil = fields.Field(attribute="desil", column_name="Desil Kesejahteraan", widget=widgets.IntegerWidget())
        desa = fields.Field(attribute="desa", column_name="Kode Kemdagri", widget=widgets.ForeignKeyWidget(Desa, "code_plain"))

        class Meta:
            model = Household
            import_id_fields = ("p3ke_id",)
            fields = ("p3ke_id", "head_name", "head_nik", "address", "desil", "desa")
            clean_model_instances = True
            skip_unchanged = True

    households, _ = build(families, seed)
    dataset = tablib.Dataset(headers=HH_HEADERS)
    for row in households[:sample]:
        dataset.append(["" if v is None else (str(v) if not isinstance(v, (int, float)) else v) for v in row])
    started = time.perf_counter()
    result = HouseholdResource().import_data(dataset, dry_run=False, raise_errors=False, collect_failed_rows=True)
    seconds = time.perf_counter() - started
    queue.put({"seconds": seconds, "rows": len(dataset), "peak_mb": _peak_mb(), "written": Household.objects.count(), "invalid": len(result.invalid_rows)})


def _in_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _workbook(families: int, seed: int, change_share: float) -> str:
    from bench.generate_p3ke import generate

    suffix = f"-changed{int(change_share * 100)}" if change_share else ""
    path = ROOT / "var" / "bench" / f"p3ke-{families}-{seed}{suffix}.xlsx"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        generate(path, families=families, seed=seed, change_share=change_share)
    return str(path)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Import benchmark (PostgreSQL).")
    parser.add_argument("--families", type=int, default=26_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--iex-rows", type=int, default=3_000, help="household rows given to django-import-export")
    parser.add_argument("--memory-families", type=int, default=100_000, help="0 skips the 100k memory check")
    parser.add_argument(
        "--skip-dedup-check", action="store_true",
        help="leave the one-aid check (dedup.engine) out of the import timings; it is reported as skipped",
    )
    args = parser.parse_args(argv)

    _in_process(_prepare)
    base = _workbook(args.families, args.seed, 0.0)
    changed = _workbook(args.families, args.seed, 0.05)
    skip = args.skip_dedup_check
    first = _in_process(_engine_step, base, True, skip)
    resync = _in_process(_engine_step, base, False, skip)
    resync5 = _in_process(_engine_step, changed, False, skip)
    iex = _in_process(_iex_step, args.families, args.seed, args.iex_rows)
    memory = None
    if args.memory_families:
        big = _workbook(args.memory_families, args.seed, 0.0)
        memory = _in_process(_engine_step, big, True, skip)

    def rate(step):
        return step["rows"] / step["seconds"] if step["seconds"] else 0.0

    ratio = rate(first) / rate(iex) if rate(iex) else 0.0
    figures = {
        "families": args.families,
        "first": first, "resync": resync, "resync5": resync5, "iex": iex, "memory": memory,
        "first_rows_per_s": rate(first), "iex_rows_per_s": rate(iex), "speedup": ratio,
    }
    lines = [
        f"Import benchmark, P3KE 2023 layout, {args.families:,} families / {first['rows'] - args.families:,} members "
        f"(rows = both sheets), PostgreSQL",
        "",
        "| step | rows | seconds | of which one-aid check | rows/s | peak memory | target | ok |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]

    def line(label, step, target_text, ok):
        dedup = "skipped" if skip and "dedup_seconds" in step else (f"{step['dedup_seconds']:.1f} s" if "dedup_seconds" in step else "")
        lines.append(
            f"| {label} | {step['rows']:,} | {step['seconds']:.1f} | {dedup} | {rate(step):,.0f} | {step['peak_mb']:.0f} MB | "
            f"{target_text} | {'yes' if ok else 'NO'} |"
        )

    for label, step in (("first", first), ("resync", resync), ("resync5", resync5), ("memory", memory)):
        if step and step.get("status") != "applied":
            lines.append(f"({label}: status {step.get('status')})")
    line("first import (end to end)", first, f"<= {TARGETS['first']:.0f} s", first["seconds"] <= TARGETS["first"])
    line("re-sync, same file", resync, f"<= {TARGETS['resync']:.0f} s", resync["seconds"] <= TARGETS["resync"])
    line("re-sync, 5% changed", resync5, f"<= {TARGETS['resync5']:.0f} s", resync5["seconds"] <= TARGETS["resync5"])
    line(f"django-import-export ModelResource ({iex['rows']:,} household rows)", iex, "baseline", True)
    lines.append(
        f"| speed-up over django-import-export | | | | {ratio:,.0f}x | | >= {TARGETS['ratio']:.0f}x | {'yes' if ratio >= TARGETS['ratio'] else 'NO'} |"
    )
    if memory:
        line(
            f"first import at {args.memory_families:,} families", memory, f"peak < {TARGETS['memory_mb']:.0f} MB",
            memory["peak_mb"] < TARGETS["memory_mb"],
        )
    lines += [
        "",
        f"first import: households {first['households']}, members {first['members']}, rows with errors skipped "
        f"{first['errors']}, enrollments {first['enrollments']}",
        f"re-sync same file: households {resync['households']}, members {resync['members']}",
        f"re-sync 5% changed: households {resync5['households']}, members {resync5['members']}",
        "",
        "identity-duplicate scan after each import (its own transaction, not in the figures above): "
        + ", ".join(
            f"{label} {step['identity_scan_seconds']:.1f} s"
            for label, step in (("first", first), ("re-sync", resync), ("5% changed", resync5), ("100k", memory)) if step
        )
        + f"; open identity duplicates {first['identity_duplicates']}",
    ]
    print("\n".join(lines))
    return figures


def _prepare(queue) -> None:
    _ensure_database()
    queue.put(True)


if __name__ == "__main__":
    main()
