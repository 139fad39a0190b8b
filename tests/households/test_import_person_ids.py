"""A member is one person across re-syncs: matched by the source's own person ID (ID DTKS in DTKS
and DTSEN, ID Individu in P3KE) before the NIK. Bappeda corrects a NIK in the admin (the source
had a typo), the next extract still brings the old one: the same person, the correction kept, no
second record; when the source then brings yet another NIK, the operator is told the correction
was kept, as for any corrected field."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from households.models import ImportBatch, Member
from tests.security.admin_forms import admin_form_data

from .conftest import head_member_row, member_row, nik
from .test_import_bad_input import run
from .test_import_dtks_resync import families, synced
from .test_import_dtsen_mapping import DTSEN, dtsen_rows

pytestmark = pytest.mark.django_db


def correct_nik(client, member: Member, new_nik: str) -> None:
    """Bappeda fixes the NIK on the member's admin page."""
    url = reverse("admin:households_member_change", args=[member.pk])
    response = client.post(url, admin_form_data(client.get(url), nik=new_nik))
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.nik == new_nik


def kept_warnings(summary: dict) -> list[tuple[str, str]]:
    batch = ImportBatch.objects.get(pk=summary["batch"])
    return [(w["column"], w["reason"]) for w in batch.warnings if "Koreksi lokal" in w["reason"]]


def test_dtks_resync_after_a_nik_correction_keeps_one_person(reference, bappeda_client, tmp_path):
    rows = families(count=2)
    synced(tmp_path, rows, "a.xlsx")
    child = Member.objects.get(dtks_id="D12")
    corrected = nik(599)
    correct_nik(bappeda_client, child, corrected)

    # The next year's extract still carries the typo: the same person, the correction kept.
    again = synced(tmp_path, rows, "b.xlsx", year=("--year", "2025"))
    assert again["members"]["created"] == 0, again
    family = child.household.members.order_by("pk")
    assert list(family.values_list("dtks_id", "nik")) == [("D11", nik(101)), ("D12", corrected)]

    # The source changes that NIK: the local correction still wins, and the operator is told.
    rows[1]["Nomor NIK"] = nik(598)
    changed = synced(tmp_path, rows, "c.xlsx", year=("--year", "2025"))
    assert changed["members"]["created"] == 0, changed
    child.refresh_from_db()
    assert child.nik == corrected and child.household.members.count() == 2
    assert kept_warnings(changed) == [("NIK", f"Koreksi lokal dipertahankan: registri '{corrected}', data baru '{nik(598)}'")]


def test_dtsen_resync_after_a_nik_correction_keeps_one_person(reference, bappeda_client, tmp_path):
    headers = ["ID DTKS", *DTSEN]
    rows = [{**row, "ID DTKS": f"P{i}"} for i, row in enumerate(dtsen_rows(), start=1)]
    synced(tmp_path, rows, "a.xlsx", command="import_dtsen", headers=headers)
    wife = Member.objects.get(dtks_id="P2")
    corrected = nik(499, female=True)
    correct_nik(bappeda_client, wife, corrected)

    again = synced(tmp_path, rows, "b.xlsx", command="import_dtsen", headers=headers, year=("--year", "2025"))
    assert again["members"]["created"] == 0, again
    assert list(wife.household.members.order_by("pk").values_list("dtks_id", "nik")) == [("P1", nik(401)), ("P2", corrected)]


def test_p3ke_resync_after_a_nik_correction_keeps_one_person(reference, bappeda_client, p3ke_file, tmp_path):
    path = p3ke_file(name="a.xlsx")
    code, out, err = run("import_p3ke", str(path), "--json")
    assert code == 0, (out, err)
    child = Member.objects.get(id_individu="91220000012")
    corrected = nik(599, birth=child.birth_date)
    correct_nik(bappeda_client, child, corrected)

    code, out, err = run("import_p3ke", str(p3ke_file(name="b.xlsx")), "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["members"]["created"] == 0
    child.refresh_from_db()
    assert child.nik == corrected and child.household.members.count() == 2

    # The individual sheet brings another NIK for that ID Individu: the correction is kept and told.
    other = nik(598, birth=child.birth_date)
    members = []
    for i in range(3):
        pid = str(122000001 + i)
        members.append(head_member_row(pid, f"9{pid}1", 100 + i))
        members.append(member_row(pid, f"9{pid}2", 500 + i))
    members[1]["NIK"] = other
    code, out, err = run("import_p3ke", str(p3ke_file(members=members, name="c.xlsx")), "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["members"]["created"] == 0
    child.refresh_from_db()
    assert child.nik == corrected
    assert kept_warnings(summary) == [("NIK", f"Koreksi lokal dipertahankan: registri '{corrected}', data baru '{other}'")]
