"""Deliveries recorded through the portal and stages (TAHAP) a recipient list records are one
account: both count an enrollment's deliveries by the same rule, and a list's new stage is not added
blindly on top of deliveries the portal recorded since the list's last stage."""

from __future__ import annotations

import pytest

from programs.models import Enrollment
from tests.agencies.helpers import deliver
from tests.programs.test_import_recipients import run, sheet

pytestmark = pytest.mark.django_db

HEADERS = ["NIK_KTP", "NAMA_PENERIMA", "TAHAP", "BANSOS", "NOMINAL", "STATUS_PENYALURAN"]


def _list(tmp_path, household, *stages, amount="Rp 600.000"):
    rows = [{"NIK_KTP": household.head_nik, "NAMA_PENERIMA": household.head_name, "TAHAP": stage, "BANSOS": "BPNT",
             "NOMINAL": amount, "STATUS_PENYALURAN": "SUDAH SALUR"} for stage in stages]
    return str(sheet(tmp_path / f"{'_'.join(stages).replace(' ', '')}.xlsx", rows, headers=HEADERS, title_rows=0))


def test_a_list_stage_after_portal_deliveries_is_held_not_replacing_them(registry, login, tmp_path):
    enrollment = registry.enr.b_sembako  # active, Rp 600.000 planned
    client = login(registry.users.head)
    deliver(client, enrollment, delivered_on="20/05/2024", amount="750.000")

    path = _list(tmp_path, enrollment.household, "TAHAP 2 2024")
    code, out, err = run("import_recipients", path, "--dry-run")
    assert code == 0, err
    assert "dicatat lewat portal" in out
    code, out, err = run("import_recipients", path)
    assert code == 0, err
    assert "dicatat lewat portal" in out
    enrollment.refresh_from_db()
    assert enrollment.amount == 750_000  # the portal's delivery is kept, nothing replaced or added


def test_a_list_stage_after_a_portal_delivery_since_the_last_list_stage_is_held(registry, login, tmp_path):
    enrollment = registry.enr.b_sembako
    client = login(registry.users.head)
    code, out, err = run("import_recipients", _list(tmp_path, enrollment.household, "TAHAP 1 2024"))
    assert code == 0, err
    deliver(client, enrollment, delivered_on="20/08/2024", amount="700.000")
    enrollment.refresh_from_db()
    assert enrollment.amount == 1_300_000

    # The list again (stage 1 already counted) changes nothing; its next stage waits for the agency's check.
    code, out, err = run("import_recipients", _list(tmp_path, enrollment.household, "TAHAP 1 2024"))
    assert code == 0, err
    code, out, err = run("import_recipients", _list(tmp_path, enrollment.household, "TAHAP 1 2024", "TAHAP 2 2024"))
    assert code == 0, err
    assert "dicatat lewat portal" in out
    enrollment.refresh_from_db()
    assert enrollment.amount == 1_300_000


def test_a_list_stage_without_a_date_counts_as_delivered_for_the_portal(registry, login, tmp_path):
    enrollment = registry.enr.b_sembako  # Rp 600.000 planned
    code, out, err = run("import_recipients", _list(tmp_path, enrollment.household, "TAHAP 1 2024", amount="Rp 750.000"))
    assert code == 0, err
    enrollment.refresh_from_db()
    assert (enrollment.amount, enrollment.delivered_on) == (750_000, None)

    client = login(registry.users.head)
    page = client.get(f"/keluarga/{enrollment.household_id}/").content.decode()
    response = deliver(client, enrollment, delivered_on="20/11/2024", amount="500.000")
    assert "Penyaluran bertahap" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.amount == 1_250_000  # added to the list's stage, not replacing it
    assert page  # the page was opened before the delivery, as a user does
    assert Enrollment.objects.get(pk=enrollment.pk).stages.startswith("TAHAP 1 2024")
