"""The import's counting messages in English read right for one family, member or row as well as
for several (the Indonesian text has no plural)."""

from __future__ import annotations

import pytest
from django.utils import translation

from households.imports.outcome import applied_message
from households.imports.plan import absent_warning


@pytest.mark.parametrize("count, expected", [
    (1, "1 family will be marked not in the latest data (of 40 current families). "
        "1 family member will be marked absent too."),
    (3, "3 families will be marked not in the latest data (of 40 current families). "
        "3 family members will be marked absent too."),
])
def test_the_absent_warning_in_english(count, expected):
    check = {"households": count, "members": count, "current": 40, "data_year": 2023, "registry_year": 2023, "older": False}
    with translation.override("en"):
        assert absent_warning(check) == expected
    with translation.override("id"):
        assert absent_warning(check).startswith(f"{count} keluarga akan ditandai tidak ada di data terbaru")


@pytest.mark.parametrize("count, held, skipped, conflicts", [
    (1, "1 existing enrollment was not changed because of its status; see the warnings.",
     "1 row unchanged since the last import was skipped.", "one-aid conflicts: 1."),
    (2, "2 existing enrollments were not changed because of their status; see the warnings.",
     "2 rows unchanged since the last import were skipped.", "one-aid conflicts: 2."),
])
def test_the_applied_summary_in_english(count, held, skipped, conflicts):
    summary = {"enrollments": {"created": count, "existing": 0, "conflicts": count, "held": count}, "skipped_rows": count}
    with translation.override("en"):
        text = applied_message(summary)
    assert held in text and skipped in text and conflicts in text
    with translation.override("id"):
        text = applied_message(summary)
    assert f"{count} baris tidak berubah sejak impor terakhir dan dilewati." in text


@pytest.mark.parametrize("count, expected", [
    (1, ["1 family will be marked not in the latest data", "1 family member will be marked absent too.",
         "Rows with errors: 1 (1 error)"]),
    (2, ["2 families will be marked not in the latest data", "2 family members will be marked absent too.",
         "Rows with errors: 2 (2 errors)"]),
])
def test_the_batch_summary_counts_in_english(count, expected):
    from django.template.loader import render_to_string

    from households.models import ImportBatch

    counts = {"households": {"created": 0}, "absent_check": {"households": count, "current": 40, "members": count},
              "error_rows": count, "errors": count}
    with translation.override("en"):
        page = " ".join(render_to_string("households/_batch_summary.html", {"batch": ImportBatch(counts=counts)}).split())
    for text in expected:
        assert text in page
