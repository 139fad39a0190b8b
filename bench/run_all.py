"""Run every benchmark in bench/ on PostgreSQL and write docs/benchmarks.md.

Each benchmark is a script ``bench/bench_*.py`` that prints its own table (figure, target, and
where it applies the django-import-export baseline measured in the same run). This runner starts
each one in its own process (so peak-memory figures are the benchmark's own), collects what it
printed, and writes the report with the machine it ran on.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/run_all.py
    .venv/bin/python bench/run_all.py --province     # the 700,000-family figures (make bench-province)

Given benchmark names (``bench/run_all.py bench_recheck``), it runs only those and keeps the other
sections of the report as they were.

With ``--province`` each benchmark that has that option runs with ``--province`` (Sulawesi
Tenggara scale, databases of their own) and the report's province section is replaced; a plain run
replaces the rest and keeps the province section of the last province run, with its own date and
machine. The notes below
``<!-- notes -->`` at the end of the report are written by hand and kept by every run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/konut_bench"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        memory = "unknown memory"
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip() or "psql not found"
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {memory}, {cpu}; Python {platform.python_version()}; {pg}; "
        f"load average at start (1 / 5 / 15 min) {load}"
    )


PROVINCE_MARK = "<!-- province -->"
# Written by hand below this mark (what misses its target and why); every run keeps it.
NOTES_MARK = "<!-- notes -->"


def _sections(text: str, level: str) -> dict[str, str]:
    """The ``level`` headed sections of a report part, by benchmark name."""
    found = {}
    for part in ("\n" + text).split(f"\n{level} ")[1:]:
        name = part.split("\n", 1)[0].strip()
        if name.startswith("bench_"):
            found[name] = f"{level} " + part.rstrip("\n") + "\n"
    return found


EARLIER = "_This section is from an earlier run, not re-run this time._"


def write_report(*, sections: dict[str, str], province: bool, started_at, total: float, machine_line: str) -> None:
    """Write docs/benchmarks.md: this run's sections, the other benchmarks' sections of the last
    run (marked as such), the province section (replaced by a province run, kept otherwise) and the
    hand-written notes."""
    path = ROOT / "docs" / "benchmarks.md"
    existing = path.read_text() if path.exists() else ""
    existing, _mark, notes = existing.partition(NOTES_MARK)
    head, _mark, province_part = existing.partition(PROVINCE_MARK)
    level = "###" if province else "##"
    earlier = _sections(province_part if province else head, level)
    merged = {}
    for name in sorted({*earlier, *sections}):
        if name in sections:
            merged[name] = sections[name]
        else:
            text = earlier[name]
            merged[name] = text if EARLIER in text else text + "\n" + EARLIER + "\n"
    body = "\n".join(merged.values())
    if province:
        province_part = (
            "\n## Province scale (`make bench-province`)\n\n"
            f"Run on {started_at:%d/%m/%Y %H:%M} UTC, {total / 60:.0f} min in all, on PostgreSQL.\n\n"
            f"Machine: {machine_line}.\n\n"
            "Sulawesi Tenggara: 700,000 families over the province's 17 regencies (`KONUT_WILAYAH=74`), "
            "each benchmark in a database of its own; the import's floor is measured in the same run.\n\n" + body
        )
        report = (head.rstrip("\n") + "\n\n" if head.strip() else "# Benchmarks\n\n") + PROVINCE_MARK + province_part
    else:
        report = (
            "# Benchmarks\n\n"
            f"Run on {started_at:%d/%m/%Y %H:%M} UTC with `make bench` on PostgreSQL, {total / 60:.0f} min in all.\n\n"
            f"Machine: {machine_line}.\n\n"
            "Each table prints every figure next to its target. Speed targets are ratios measured in the same "
            "run: the import against a floor (calamine reads every cell, COPY of the raw rows into an unlogged "
            "table, one core) and against the plain django-import-export way on the same file and the same "
            "kind of rows. The machine is shared, so absolute seconds vary from run to run; the ratios within "
            "one run are what the targets compare.\n\n" + body
        )
        if province_part:
            report += "\n" + PROVINCE_MARK + province_part
    if notes.strip():
        report = report.rstrip("\n") + "\n\n" + NOTES_MARK + notes
    path.parent.mkdir(exist_ok=True)
    path.write_text(report)


def _has_province(script: Path) -> bool:
    return '"--province"' in script.read_text()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="benchmark names (bench_import, ...); all by default")
    parser.add_argument("--province", action="store_true", help="the 700,000-family figures")
    args = parser.parse_args(argv)
    only = set(args.only)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_URL)
    scripts = sorted(p for p in (ROOT / "bench").glob("bench_*.py") if not only or p.stem in only)
    if args.province:
        # Only the benchmarks that have a province scale (a ``--province`` option) belong to its section.
        skipped = [p.stem for p in scripts if not _has_province(p)]
        scripts = [p for p in scripts if p.stem not in skipped]
        if skipped:
            print(f"no --province option, not run: {', '.join(skipped)}", flush=True)
    sections: dict[str, str] = {}
    failed = []
    run_started = time.monotonic()
    start_line = machine()
    when = datetime.datetime.now(datetime.timezone.utc)
    extra = ["--province"] if args.province else []
    level = "###" if args.province else "##"
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script), *extra], cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        print(result.stdout, flush=True)
        if result.returncode != 0:
            failed.append(script.name)
            print(result.stderr[-4000:], file=sys.stderr, flush=True)
        body = result.stdout.strip() or "(no output)"
        status = "" if result.returncode == 0 else f"\n\n**exited with {result.returncode}**: `{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}`"
        sections[script.stem] = f"{level} {script.stem}\n\n```\n{body}\n```\n\n_{elapsed:.0f} s in all._{status}\n"
        # Written after each benchmark, so a run stopped halfway keeps what it measured.
        load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
        write_report(
            sections=sections, province=args.province, started_at=when,
            total=time.monotonic() - run_started, machine_line=f"{start_line}, at end {load}",
        )
    print(f"wrote docs/benchmarks.md ({len(scripts)} benchmarks, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
