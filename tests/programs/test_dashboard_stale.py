"""After a write, a slow figure is shown from its last count, labelled with the time it was counted
and that a recount is running, while the background worker counts it again; the next load shows the
new figures. "Hitung ulang sekarang" counts at once; a recount the worker never did is done by the
request after ``RECOUNT_GRACE``; an export is always counted at the registry's version.

Every figure of the small test registry counts in milliseconds, so the tests set the inline budget
to nothing: every kept figure then counts as slow. The registry is committed (transactional tests):
on PostgreSQL a transaction that has written never reuses a count.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from programs import registry_version as kept
from programs.dashboard import memo
from programs.dashboard import views as dashboard_views
from programs.models import KeptFigure, Program
from programs.services import enrollment_create
from tests.programs.test_dashboard import YEAR, get, registry, rows  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_figures(monkeypatch):
    """Every kept figure is too slow to count again inside a request."""
    monkeypatch.setattr(memo, "INLINE_BUDGET_S", -1.0)


class NoWorker:
    """Stands for a worker that is not running: the recounts asked for are recorded, never run."""

    def __init__(self):
        self.asked: list[dict] = []

    def enqueue(self, **kwargs):
        self.asked.append(kwargs)


def spam_households(response) -> int:
    table = {row[0]: row[3:] for row in rows(response.context["tables"]["program"])}
    return table[Program.objects.get(code="spam").name][-2]


def add_spam(registry):  # noqa: F811
    enrollment_create(
        household=registry.h.h1, program=Program.objects.get(code="spam"), year=YEAR, by=registry.users.bappeda
    )


def test_after_a_write_the_last_figures_show_labelled_and_the_next_load_is_recounted(client, registry, slow_figures):  # noqa: F811
    bappeda = registry.users.bappeda
    first = get(client, bappeda, year=YEAR)
    assert not first.context["figures_stale"]
    assert "sesuai registri saat ini" in first.content.decode()
    counted_at = first.context["figures_at"]
    assert spam_households(first) == 1

    add_spam(registry)

    stale = get(client, bappeda, year=YEAR)
    page = stale.content.decode()
    assert stale.context["figures_stale"]
    assert stale.context["figures_at"] == counted_at
    assert "sedang dihitung ulang" in page
    assert timezone.localtime(counted_at).strftime("%H:%M") in page
    assert spam_households(stale) == 1  # the last count, as labelled
    assert stale.context["dash"].desil1_reached == 1

    # The test settings run a task when it is enqueued: the recount is done by the next load.
    again = get(client, bappeda, year=YEAR)
    assert not again.context["figures_stale"]
    assert again.context["figures_at"] > counted_at
    assert spam_households(again) == 2
    assert again.context["dash"].desil1_reached == 2
    assert "sesuai registri saat ini" in again.content.decode()


def test_hitung_ulang_sekarang_counts_at_once(client, registry, slow_figures):  # noqa: F811
    bappeda = registry.users.bappeda
    response = get(client, bappeda, year=YEAR)
    assert "segar=1" in response.context["fresh_url"]
    add_spam(registry)

    response = get(client, bappeda, year=YEAR, segar="1")
    assert not response.context["figures_stale"]
    assert spam_households(response) == 2
    # Its exports and filters do not force a recount.
    assert "segar" not in response.context["tables"]["program"].export_url


def test_hitung_ulang_sekarang_on_current_figures_counts_nothing_again(client, registry, slow_figures):  # noqa: F811
    bappeda = registry.users.bappeda
    first = get(client, bappeda, year=YEAR)
    assert not first.context["figures_stale"]
    assert "Hitung ulang sekarang" not in first.content.decode()  # offered only with the last counts
    # A repeated "segar=1" (a bookmark, a reload) on an unchanged registry: the figures kept are
    # those of the current registry, shown as they are, not counted again.
    again = get(client, bappeda, year=YEAR, segar="1")
    assert not again.context["figures_stale"]
    assert again.context["figures_at"] == first.context["figures_at"]


def test_a_recount_is_asked_once_and_done_by_a_request_when_no_worker_did_it(client, registry, slow_figures, monkeypatch):  # noqa: F811
    worker = NoWorker()
    monkeypatch.setattr(dashboard_views, "dashboard_recount", worker)
    bappeda = registry.users.bappeda
    get(client, bappeda, year=YEAR)
    assert worker.asked == []  # nothing kept was stale
    add_spam(registry)

    assert spam_households(get(client, bappeda, year=YEAR)) == 1
    assert len(worker.asked) == 1
    assert worker.asked[0]["filters"][0] == YEAR
    response = get(client, bappeda, year=YEAR)
    assert response.context["figures_stale"] and spam_households(response) == 1
    assert len(worker.asked) == 1  # already asked: not again

    KeptFigure.objects.exclude(recount_requested_at=None).update(
        recount_requested_at=timezone.now() - kept.RECOUNT_GRACE - datetime.timedelta(seconds=1)
    )
    response = get(client, bappeda, year=YEAR)
    assert not response.context["figures_stale"]
    assert spam_households(response) == 2


def test_an_export_after_a_write_is_counted_at_the_registrys_version(client, registry, slow_figures):  # noqa: F811
    bappeda = registry.users.bappeda
    get(client, bappeda, year=YEAR)
    add_spam(registry)
    response = client.get("/dasbor/ekspor/program.xlsx", {"year": YEAR})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    spam = Program.objects.get(code="spam").name
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == spam)
    assert row[-2] == 2


def test_figures_are_shared_by_every_process_through_the_database(client, registry):  # noqa: F811
    bappeda = registry.users.bappeda
    get(client, bappeda, year=YEAR)
    kept = KeptFigure.objects.count()
    assert kept >= 8  # years, desil, reach, three coverage tables, conflicts, pockets, verval
    from django.core.cache import cache

    cache.clear()  # another web process: its own memory is empty, the database is not
    response = get(client, bappeda, year=YEAR)
    assert KeptFigure.objects.count() == kept
    assert not response.context["figures_stale"]


def test_a_count_older_than_max_age_is_counted_again_and_unused_ones_are_forgotten(client, registry):  # noqa: F811
    bappeda = registry.users.bappeda
    get(client, bappeda, year=YEAR)
    get(client, bappeda, year=YEAR - 1)
    long_ago = timezone.now() - kept.MAX_AGE - datetime.timedelta(minutes=1)
    KeptFigure.objects.update(computed_at=long_ago)
    response = get(client, bappeda, year=YEAR)
    assert response.context["figures_at"] > long_ago  # counted again (quick figures: in the request)

    KeptFigure.objects.filter(computed_at=long_ago).update(computed_at=timezone.now() - kept.FORGET_AFTER * 2)
    forgotten = kept.forget_unused()
    assert forgotten > 0
    assert not KeptFigure.objects.filter(computed_at__lt=timezone.now() - kept.FORGET_AFTER).exists()
    assert not get(client, bappeda, year=YEAR).context["figures_stale"]


def test_hitung_ulang_sekarang_while_another_page_counts_shows_the_last_figures(client, registry, slow_figures):  # noqa: F811
    """A slow figure is counted by one page at a time: many users pressing "hitung ulang sekarang"
    (15-25 s at province scale) do not each count it again."""
    bappeda = registry.users.bappeda
    get(client, bappeda, year=YEAR)
    add_spam(registry)
    # Another request is counting every figure of the page right now.
    KeptFigure.objects.update(counting_since=timezone.now())

    response = get(client, bappeda, year=YEAR, segar="1")
    assert response.context["figures_stale"]
    assert spam_households(response) == 1  # its last count, labelled as being counted again
    assert "sedang dihitung ulang" in response.content.decode()

    # That request died: after COUNTING_HORIZON its mark is taken over and the page counts itself.
    KeptFigure.objects.update(counting_since=timezone.now() - kept.COUNTING_HORIZON - datetime.timedelta(seconds=1))
    response = get(client, bappeda, year=YEAR, segar="1")
    assert not response.context["figures_stale"]
    assert spam_households(response) == 2
    assert not KeptFigure.objects.exclude(counting_since=None).exists()  # kept, and the marks cleared


def test_a_failed_count_leaves_the_figure_free_for_the_next_request(registry, slow_figures):  # noqa: F811
    counts = kept.KeptCounts(stale_ok=True, inline_budget_s=-1.0)
    assert counts.get("figure", lambda: 1) == 1
    add_spam(registry)

    def failing():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        kept.KeptCounts(stale_ok=True, fresh=True, inline_budget_s=-1.0).get("figure", failing)
    assert KeptFigure.objects.get(key="figure").counting_since is None
    assert kept.KeptCounts(stale_ok=True, fresh=True, inline_budget_s=-1.0).get("figure", lambda: 2) == 2
