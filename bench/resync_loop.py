"""The re-sync of an unchanged P3KE file against its floor, repeated: a quicker loop than
``bench_import.py`` for work on the re-sync alone.

Uses ``bench_import``'s database (the DATABASE_URL name + ``_import``) and workbook; the first
import runs once when the registry is empty. Then ``--repeat`` times: the floor, and the re-sync of
the same file (``--changed``: the workbook with 5% of families changed, then the original again, so
that every round starts from the same registry). Each step in its own process; the re-sync's CPU
time (user + sys) is the importing process's and its forked reader's, around the command alone,
beside the floor's (``cpu_ratio``: both processes' CPU over the floor's, which the load moves less
than the wall ratio; an idle run's wall ratio is the target's).
``--profile FILE``: the last re-sync under pyinstrument, its text report written to FILE.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/resync_loop.py --repeat 3
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds as _cpu  # noqa: E402
from bench.bench_import import _in_process, _prepare, _setup, _wipe, _workbook  # noqa: E402


def _floor_step(path: str, queue) -> None:
    """``bench_import``'s floor, with its CPU time (the floor is one process, one core)."""
    _setup(False)
    from django.db import connection

    from bench.floor import floor

    connection.ensure_connection()
    own = _cpu(resource.RUSAGE_SELF)
    figures = floor(path, connection.connection)
    figures["cpu"] = _cpu(resource.RUSAGE_SELF) - own
    queue.put(figures)


def _resync_step(path: str, wipe: bool, profile: str, queue) -> None:
    _setup(False)
    if wipe:
        _wipe()
    from django.core.management import call_command

    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    out = io.StringIO()
    own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    call_command("import_p3ke", path, "--skip-invalid", "--json", stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    own, children = _cpu(resource.RUSAGE_SELF) - own, _cpu(resource.RUSAGE_CHILDREN) - children
    if profiler is not None:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    summary = json.loads(out.getvalue())
    queue.put({
        "status": summary.get("status"), "seconds": seconds, "cpu_own": own, "cpu_reader": children,
        "households": summary.get("households"), "members": summary.get("members"), "errors": summary.get("errors"),
        "skipped_rows": summary.get("skipped_rows"), "enrollments": summary.get("enrollments"),
    })


def _registry_empty(queue) -> None:
    _setup(False)
    from households.models import Household

    queue.put(not Household.objects.exists())


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description="Re-sync of an unchanged P3KE file against its floor (PostgreSQL).")
    parser.add_argument("--families", type=int, default=26_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changed", action="store_true", help="also re-sync the workbook with 5%% of families changed")
    parser.add_argument("--first", action="store_true", help="run the first import again (registry wiped)")
    parser.add_argument("--profile", default="", help="profile the last re-sync into this file")
    args = parser.parse_args(argv)
    _in_process(_prepare, False)
    base = _workbook(args.families, args.seed, 0.0, "74.09")
    changed = _workbook(args.families, args.seed, 0.05, "74.09") if args.changed else None
    if args.first or _in_process(_registry_empty):
        first = _in_process(_resync_step, base, True, "")
        print(f"first import {first['seconds']:.1f} s", flush=True)
        _in_process(_resync_step, base, False, "")  # stores the hashes of rows read from an older layout
    results = []
    for index in range(args.repeat):
        load = os.getloadavg()[0]
        floor = _in_process(_floor_step, base)
        last = index == args.repeat - 1
        resync = _in_process(_resync_step, base, False, args.profile if last and not changed else "")
        line = {
            "load": round(load, 2), "floor": round(floor["seconds"], 2), "resync": round(resync["seconds"], 2),
            "ratio": round(resync["seconds"] / floor["seconds"], 2),
            "cpu_own": round(resync["cpu_own"], 2), "cpu_reader": round(resync["cpu_reader"], 2),
            "floor_cpu": round(floor["cpu"], 2),
            "cpu_ratio": round((resync["cpu_own"] + resync["cpu_reader"]) / floor["cpu"], 2),
            "households": resync["households"], "members": resync["members"], "errors": resync["errors"],
        }
        if changed:
            five = _in_process(_resync_step, changed, False, args.profile if last else "")
            line.update({
                "changed": round(five["seconds"], 2), "changed_ratio": round(five["seconds"] / floor["seconds"], 2),
                "changed_cpu_own": round(five["cpu_own"], 2), "changed_cpu_reader": round(five["cpu_reader"], 2),
                "changed_households": five["households"],
            })
            _in_process(_resync_step, base, False, "")  # back to the original file
        print(json.dumps(line), flush=True)
        results.append(line)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
