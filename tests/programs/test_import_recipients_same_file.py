"""The note "the same file was already imported" is for the same import: an agency that sends one
list of names for two programs (or two years) sends two lists, and the second is no repeat."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from households.models import ImportBatch, ImportStatus
from programs.models import Enrollment, Program
from tests.factories import HouseholdFactory
from tests.households.conftest import nik
from tests.households.realfiles import write_text

pytestmark = pytest.mark.django_db

SAME = "Berkas yang sama sudah diimpor pada batch #"


def _upload(client, path, program: str, year: int) -> tuple[ImportBatch, str]:
    with open(path, "rb") as handle:
        client.post(reverse("admin:households_importbatch_upload"), {
            "kind": "recipients", "file": handle, "program": Program.objects.get(code=program).pk, "data_year": year,
        })
    batch = ImportBatch.objects.latest("pk")
    page = client.get(reverse("admin:households_importbatch_preview", args=[batch.pk])).content.decode()
    return batch, html.unescape(page)


def test_the_same_list_for_another_program_or_year_is_not_called_the_same_import(bappeda_client, reference, tmp_path):
    families = [HouseholdFactory(no_kk=f"740901010120000{serial}", head_nik=nik(serial)) for serial in (1, 2)]
    path = write_text(tmp_path / "penerima.csv", ["NO", "NIK", "NAMA"], [
        [number, "'" + household.head_nik, household.head_name] for number, household in enumerate(families, 1)
    ], separator=";")
    first, _page = _upload(bappeda_client, path, "pkh", 2024)
    bappeda_client.post(reverse("admin:households_importbatch_confirm", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == ImportStatus.APPLIED

    for program, year in (("sembako", 2024), ("pkh", 2023)):
        batch, page = _upload(bappeda_client, path, program, year)
        assert batch.status == ImportStatus.PREVIEWED
        assert SAME not in batch.message and SAME not in page, (program, year)
        assert batch.counts["enrollments_planned"] == 2 and batch.counts["enrollments_existing"] == 0

    batch, page = _upload(bappeda_client, path, "pkh", 2024)
    assert batch.message.startswith(f"{SAME}{first.pk} ") and f"{SAME}{first.pk} " in page
    assert batch.counts["enrollments_existing"] == 2
    assert Enrollment.objects.count() == 2
