"""The identity-duplicate scan alone, on a registry an import benchmark left (PostgreSQL). Not a
``bench_*`` script: ``run_all`` does not run it, since it needs a registry already imported.

Deletes the recorded findings, runs ``scan_identities()`` (or ``find_identity_matches()`` with
``--find``) over the whole registry (or a share of its households, ``--sample``), and prints wall seconds, the CPU seconds of this process and
of its PostgreSQL backend (its parallel workers not counted), the load average and the peak RSS.
With ``--dump FILE``, every finding (kind, pair, members, score, evidence) goes to FILE sorted, to
compare two versions of the scan. A registry with province-sized birth dates: a copy of the
database with its people's birth dates gathered five days into one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench_province .venv/bin/python bench/identity_scan.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, database_url, peak_mb, setup_django  # noqa: E402


def _backend_cpu(pid: int) -> float:
    """CPU seconds of a local PostgreSQL backend (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rows(matches) -> list[str]:
    return sorted(
        json.dumps([m.kind, m.household_a_id, m.household_b_id, m.member_a_id, m.member_b_id, m.score, m.evidence], sort_keys=True)
        for m in matches
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--find", action="store_true", help="find_identity_matches() only (nothing written)")
    parser.add_argument("--dump", help="write every finding to this file, sorted")
    parser.add_argument("--profile", help="write a pyinstrument profile (text) to this file")
    parser.add_argument(
        "--sample", type=float, default=0.0,
        help="scan only this share of the live households, drawn with a fixed seed (as a re-sync's scan)",
    )
    args = parser.parse_args(argv)
    setup_django(database_url(), KONUT_WILAYAH="74")
    from django.db import connection

    from dedup import identity
    from dedup.models import IdentityMatch

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {IdentityMatch._meta.db_table}")
        cursor.execute(f"VACUUM {IdentityMatch._meta.db_table}")
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    households = None
    if args.sample:
        import random

        from dedup.identity_stream import live_households

        pks = list(live_households().order_by("pk").values_list("pk", flat=True))
        households = random.Random(7).sample(pks, round(len(pks) * args.sample))
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    load = os.getloadavg()
    cpu, backend_cpu, started = cpu_seconds(), _backend_cpu(backend), time.perf_counter()
    if args.find:
        matches = identity.find_identity_matches(households)
        count = len(matches)
    else:
        result = identity.scan_identities(households)
        count = result.new
    figures = {
        "mode": "find" if args.find else "scan", "sample": args.sample, "findings": count, "wall": round(time.perf_counter() - started, 2),
        "cpu": round(cpu_seconds() - cpu, 2), "backend_cpu": round(_backend_cpu(backend) - backend_cpu, 2),
        "load_before": [round(x, 2) for x in load], "load_after": [round(x, 2) for x in os.getloadavg()],
        "peak_mb": round(peak_mb()),
    }
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.dump:
        if not args.find:
            matches = IdentityMatch.objects.order_by().iterator(chunk_size=20000)
        Path(args.dump).write_text("\n".join(_rows(matches)) + "\n")
    print(json.dumps(figures), flush=True)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
