"""Run every benchmark in bench/ on PostgreSQL and write docs/benchmarks.md.

Each benchmark is a script ``bench/bench_*.py`` that prints its own table (figure, target, and
where it applies the django-import-export baseline measured in the same run). This runner starts
each one in its own process (so peak-memory figures are the benchmark's own), collects what it
printed, and writes the report with the machine it ran on.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/run_all.py

Given benchmark names (``bench/run_all.py bench_recheck``), it runs only those and keeps the other
sections of the report as they were.
"""

from __future__ import annotations

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
    return f"{os.cpu_count()} cores, {memory}, {cpu}; Python {platform.python_version()}; {pg}"


def _with_earlier_sections(sections: list[str]) -> list[str]:
    """When only some benchmarks ran, the report keeps the other sections of the last report as
    they were (each section is one benchmark, ``## bench_name``), in name order."""
    path = ROOT / "docs" / "benchmarks.md"
    by_name = {}
    if path.exists():
        for part in path.read_text().split("\n## ")[1:]:
            by_name[part.split("\n", 1)[0].strip()] = "## " + part.rstrip("\n") + "\n"
    for section in sections:
        by_name[section.split("\n", 1)[0][3:].strip()] = section
    return [by_name[name] for name in sorted(by_name)]


def main(argv: list[str]) -> int:
    only = set(argv)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_URL)
    scripts = sorted(p for p in (ROOT / "bench").glob("bench_*.py") if not only or p.stem in only)
    sections = []
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        print(result.stdout, flush=True)
        if result.returncode != 0:
            failed.append(script.name)
            print(result.stderr[-4000:], file=sys.stderr, flush=True)
        body = result.stdout.strip() or "(no output)"
        status = "" if result.returncode == 0 else f"\n\n**exited with {result.returncode}**: `{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}`"
        sections.append(f"## {script.stem}\n\n```\n{body}\n```\n\n_{elapsed:.0f} s in all._{status}\n")
    if only:
        sections = _with_earlier_sections(sections)
    report = (
        "# Benchmarks\n\n"
        f"Run on {datetime.date.today():%d/%m/%Y} with `make bench` on PostgreSQL.\n\n"
        f"Machine: {machine()}.\n\n"
        "Each table prints every figure next to its target; where a target compares with it, the plain "
        "django-import-export way is measured on the same data in the same run.\n\n" + "\n".join(sections)
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text(report)
    print(f"wrote docs/benchmarks.md ({len(scripts)} benchmarks, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
