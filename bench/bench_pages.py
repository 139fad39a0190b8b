"""Page speed on PostgreSQL: the print view of 2,000 households.

Target: the print view (``/keluarga/cetak/``, at most 2,000 rows) answers within 2 s server time for
Bappeda (all agencies) and for an agency head. The rows are read as plain values
(``agencies.selectors.household_print_rows``) and the table body is built in Python
(``agencies.presenters.print_rows``); reading the same rows as model instances and drawing them
through a per-cell template loop, the way the page was built before, is timed in the same run.

The registry is bench_portal's generator in a database of its own (the DATABASE_URL database name +
``_pages``; 20,000 families by default, reused by later runs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/konut_bench .venv/bin/python bench/bench_pages.py
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

BENCH_DB_SUFFIX = "_pages"
PRINT_S_TARGET = 2.0

# The print table's body as a template loop over every cell (the comparison).
LOOP_TEMPLATE = """{% load portal %}{% for household in rows %}<tr><td>{{ forloop.counter }}</td><td>{{ household.head_name }}</td>
<td class="mono">{{ household.head_nik|nik:user }}</td><td class="mono">{{ household.no_kk|nik:user }}</td>
<td>{{ household.address }}{% if household.rt %} RT {{ household.rt }}{% endif %}{% if household.rw %}/RW {{ household.rw }}{% endif %}</td>
<td>{{ household.desa.name }}</td><td>{{ household.desa.kecamatan.name }}</td><td>{{ household.desil|default_if_none:"–" }}</td>
<td>{% for enrollment in household.listed_enrollments %}{{ enrollment.program.name }} {{ enrollment.year }} ({{ enrollment.get_status_display }}){% if not forloop.last %}; {% endif %}{% endfor %}</td>
<td>{% if household.has_open_conflict %}Ada{% endif %}</td><td class="blank"></td></tr>{% endfor %}"""


def _time(function, repeat: int) -> tuple[float, float]:
    function()  # warm: caches, prepared plans, template loading
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), max(timings)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=20_000, help="households in the bench database")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per figure")
    args = parser.parse_args(argv)

    url = database_url(suffix=BENCH_DB_SUFFIX)
    ensure_database(url)
    setup_django(url, ALLOWED_HOSTS="localhost,127.0.0.1,testserver")
    from bench.bench_portal import _client, _prepare

    users = _prepare(args.families)

    from django.template import engines

    from agencies.filters import HouseholdFilter
    from agencies.models import Role
    from agencies.selectors import household_list_rows
    from agencies.views import PRINT_LIMIT

    print(f"bench_pages: print view, at most {PRINT_LIMIT:,} rows, PostgreSQL")
    print()
    print(f"{'print view':<24} {'rows':>6} {'median s':>9} {'max s':>7} {'target':>7} {'ratio':>6}  ok")
    figures: dict = {"print": []}
    for label, role in (("bappeda: all agencies", Role.BAPPEDA_OPERATOR), ("agency head: dinsos", Role.AGENCY_HEAD)):
        client = _client(users[role])
        rows = []

        def request():
            response = client.get("/keluarga/cetak/")
            assert response.status_code == 200, response.status_code
            rows.append(response.content.count(b'<td class="blank">'))

        median, worst = _time(request, args.repeat)
        result = {"label": label, "rows": rows[-1], "median_s": median, "max_s": worst,
                  "ok": median <= PRINT_S_TARGET and rows[-1] > 0}
        figures["print"].append(result)
        print(f"{label:<24} {rows[-1]:>6,} {median:>9.2f} {worst:>7.2f} {PRINT_S_TARGET:>7.1f} "
              f"{median / PRINT_S_TARGET:>6.2f}  {'yes' if result['ok'] else 'NO'}")

    # The table body alone: built in Python (the page) against the per-cell template loop, same rows.
    from django.test import RequestFactory

    from agencies.presenters import print_rows
    from agencies.selectors import household_print_rows

    user = users[Role.BAPPEDA_OPERATOR]
    request = RequestFactory().get("/keluarga/cetak/")
    request.user = user
    filterset = HouseholdFilter(request.GET, user=user)
    queryset, condition = filterset.qs, filterset.enrollment_q()
    loop = engines["django"].from_string(LOOP_TEMPLATE)

    def page_way():
        return print_rows(household_print_rows(queryset, condition, limit=PRINT_LIMIT), user, several_regencies=False)

    def loop_way():
        return loop.render({"rows": list(household_list_rows(queryset, condition)[:PRINT_LIMIT]), "user": user})

    values_s, _worst = _time(page_way, args.repeat)
    loop_s, _worst = _time(loop_way, args.repeat)
    figures["body"] = {"values_s": values_s, "loop_s": loop_s}
    print()
    print("rows read and drawn, no request: plain values + Python against model instances + template loop")
    print(f"{'':<24} {'values s':>9} {'loop s':>7} {'ratio':>7}")
    print(f"{'':<24} {values_s:>9.3f} {loop_s:>7.3f} {values_s / loop_s:>7.2f}")
    figures["ok"] = all(item["ok"] for item in figures["print"])
    return figures


if __name__ == "__main__":
    result = main(sys.argv[1:])
    sys.exit(0 if result["ok"] else 1)
