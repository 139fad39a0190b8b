"""A desil corrected here and kept by a DTSEN import keeps the source and date it had: the registry
does not credit DTSEN with a desil DTSEN did not give. The family's page says the desil is a local
correction and what the data said."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from households.models import Household, ImportBatch

from .conftest import nik
from .test_import_bad_input import run
from .test_import_dtsen_p3ke_family import KK, dtsen_file, dtsen_import, p3ke_file, person

pytestmark = pytest.mark.django_db


def the_family(desil: int) -> list[dict]:
    head = person(KK, nik(100), "KEPALA 100", "Kepala Keluarga", "05/01/1980")
    head["Desil Nasional"], head["Periode Desil"] = desil, "31/03/2026"
    return [head]


def corrected_family(tmp_path) -> Household:
    """Family 122000001 from P3KE (desil 1), its desil corrected to 3 here after a field check."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    assert (family.desil, family.desil_source, family.desil_date) == (1, "p3ke", None)
    family.desil = 3
    family.save()
    return family


def test_a_desil_kept_as_a_local_correction_keeps_its_source_and_date(reference, tmp_path):
    family = corrected_family(tmp_path)

    summary = dtsen_import(dtsen_file(tmp_path, the_family(6)))

    family.refresh_from_db()
    assert (family.desil, family.desil_source, family.desil_date) == (3, "p3ke", None)
    assert family.no_kk == KK and family.roof_type == "genteng"  # the rest of the row is taken
    warnings = [(w["column"], w["reason"]) for w in ImportBatch.objects.get(pk=summary["batch"]).warnings]
    assert ("Desil", "Koreksi lokal dipertahankan: registri '3', data baru '6'") in warnings
    assert not [reason for column, reason in warnings if column in ("Sumber desil", "Tanggal desil")]
    latest = family.history.first()
    assert (latest.desil, latest.desil_source, latest.desil_date) == (3, "p3ke", None)

    # A later ranking that agrees with the correction is the data's desil again, with its source and date.
    dtsen_import(dtsen_file(tmp_path, the_family(3), name="q2.xlsx"))
    family.refresh_from_db()
    assert (family.desil, family.desil_source, family.desil_date) == (3, "dtsen", datetime.date(2026, 3, 31))


def test_the_family_page_says_the_desil_is_a_local_correction(reference, bappeda_client, admin_client, tmp_path):
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    page = reverse("agencies:household_detail", args=[family.pk])
    assert "koreksi lokal" not in bappeda_client.get(page).content.decode()
    family.desil = 3
    family.save()
    assert "3 / 5 · <span class=\"desil-correction\">koreksi lokal (P3KE: desil 1)" in bappeda_client.get(page).content.decode()

    dtsen_import(dtsen_file(tmp_path, the_family(6)))

    assert "3 / 5 · <span class=\"desil-correction\">koreksi lokal (DTSEN: desil 6)" in bappeda_client.get(page).content.decode()
    change = admin_client.get(reverse("admin:households_household_change", args=[family.pk])).content.decode()
    assert "Desil adalah koreksi lokal; DTSEN memberi desil 6." in change


def test_a_ranking_kept_for_a_persentil_corrected_here_keeps_its_source(reference, tmp_path):
    """The persentil corrected here, a DTSEN row (no persentil) giving another desil: the ranking
    stays whole, the desil with it, and so do its source and date."""
    assert run("import_p3ke", p3ke_file(tmp_path))[0] == 0
    family = Household.objects.get(p3ke_id="122000001")
    family.persentil = 7  # corrected here after a field check
    family.save()
    dtsen_import(dtsen_file(tmp_path, the_family(6)))
    family.refresh_from_db()
    assert (family.desil, family.persentil, family.desil_source, family.desil_date) == (1, 7, "p3ke", None)
