"""Change history: who changed which household, member, enrollment, program, compatible pair and
conflict decision, shown in the admin's "Riwayat" page; and that page never writes."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from dedup import services as dedup_services
from dedup.models import CompatiblePair, Conflict, ConflictStatus, IdentityMatch, IdentityStatus
from households.models import Household, Member
from programs.models import Enrollment, EnrollmentStatus, Program

from .admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

AUDITED = [Household, Member, Enrollment, Program, CompatiblePair, Conflict]


def history_rows(client, model, pk) -> list[str]:
    """The rows of the object's history table, as text."""
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[pk]))
    assert response.status_code == 200
    page = response.content.decode()
    body = page.split('id="change-history"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]  # without the header row
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.label)
def test_every_audited_model_keeps_history_and_its_admin_shows_it(model, world, client):
    from simple_history.admin import SimpleHistoryAdmin

    assert hasattr(model, "history"), f"{model._meta.label} keeps no change history"
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, SimpleHistoryAdmin), f"{type(model_admin).__name__} does not offer the history view"
    obj = model.objects.order_by("pk").first()
    client.force_login(world.users.bappeda)
    opts = model._meta
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    history_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    assert change.status_code == 200
    assert f'href="{history_url}"' in change.content.decode() and "Riwayat" in change.content.decode()


def test_household_edit_in_the_admin(world, client):
    client.force_login(world.users.bappeda)
    url = reverse("admin:households_household_change", args=[world.own_hh.pk])
    response = client.post(url, admin_form_data(client.get(url), desil="3", head_name="Ahmad Lapodi Baru"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    latest = history_rows(client, Household, world.own_hh.pk)[0]
    assert "op-bappeda" in latest and re.search(r"1\s*→\s*3", latest), latest
    assert "Ahmad Lapodi Baru" in latest


def test_member_edit_in_the_admin(world, client):
    client.force_login(world.users.bappeda)
    url = reverse("admin:households_member_change", args=[world.own_member.pk])
    response = client.post(url, admin_form_data(client.get(url), name="Ahmad L."))
    assert response.status_code == 302
    latest = history_rows(client, Member, world.own_member.pk)[0]
    assert "op-bappeda" in latest and re.search(r"Ahmad Lapodi\s*→\s*Ahmad L\.", latest), latest


def test_enrollment_accepted_by_the_agency_head_in_the_portal(world, client):
    client.force_login(world.users.head)
    assert client.post(reverse("agencies:enrollment_accept", args=[world.own_enrollment.pk])).status_code == 302
    client.force_login(world.users.bappeda)
    latest = history_rows(client, Enrollment, world.own_enrollment.pk)[0]
    assert "kadis-dinsos" in latest, latest
    assert re.search(r"Diusulkan\s*→\s*Aktif", latest), latest  # labels, not the stored codes


def test_program_edit_in_the_admin(world, client):
    client.force_login(world.users.bappeda)
    program = world.programs["bsps"]
    url = reverse("admin:programs_program_change", args=[program.pk])
    response = client.post(url, admin_form_data(client.get(url), quota="120"))
    assert response.status_code == 302
    latest = history_rows(client, Program, program.pk)[0]
    assert "op-bappeda" in latest and re.search(r"→\s*120", latest), latest


def test_compatible_pair_declared_then_withdrawn(world, client):
    client.force_login(world.users.bappeda)
    bsps, rutilahu = world.programs["bsps"], world.programs["rutilahu"]
    response = client.post(
        reverse("admin:dedup_compatiblepair_add"),
        {"program_a": rutilahu.pk, "program_b": bsps.pk, "reason": "Rumah berbeda di desa yang sama"},
    )
    assert response.status_code == 302
    pair = CompatiblePair.objects.get(program_a__in=[bsps, rutilahu], program_b__in=[bsps, rutilahu])
    created = history_rows(client, CompatiblePair, pair.pk)[0]
    assert "op-bappeda" in created, created
    response = client.post(reverse("admin:dedup_compatiblepair_delete", args=[pair.pk]), {"post": "yes"})
    assert response.status_code == 302 and not CompatiblePair.objects.filter(pk=pair.pk).exists()
    rows = history_rows(client, CompatiblePair, pair.pk)  # still readable after the withdrawal
    assert len(rows) == 2 and all("op-bappeda" in row for row in rows), rows


def test_conflict_decision_in_the_admin(world, client):
    client.force_login(world.users.bappeda)
    url = reverse("admin:dedup_conflict_change", args=[world.conflict.pk])
    response = client.post(url, {"decision": "approve", "reason": "Dua rumah terpisah, diverifikasi lapangan"})
    assert response.status_code == 302
    world.conflict.refresh_from_db()
    assert world.conflict.status == ConflictStatus.APPROVED
    latest = history_rows(client, Conflict, world.conflict.pk)[0]
    assert "op-bappeda" in latest and "Dua rumah terpisah" in latest, latest


# --- the history pages are read-only -----------------------------------------------------------------


def test_a_decided_identity_duplicate_cannot_be_reverted_from_its_history(world, client):
    first = world.identity.history.order_by("history_id").first()
    dedup_services.identity_dismiss(match=world.identity, reason="Keluarga berbeda", by=world.users.bappeda)
    client.force_login(world.users.bappeda)
    url = reverse("admin:dedup_identitymatch_simple_history", args=[world.identity.pk, first.history_id])
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {}).status_code == 405
    world.identity.refresh_from_db()
    assert world.identity.status == IdentityStatus.DISMISSED and world.identity.decision_reason == "Keluarga berbeda"
    assert IdentityMatch.history.filter(id=world.identity.pk).count() == 2


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.label)
def test_no_history_page_accepts_a_post(model, world, client):
    obj = model.objects.order_by("pk").first()
    version = obj.history.order_by("history_id").first()
    before = model.history.count()
    client.force_login(world.users.bappeda)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version.history_id])
    assert client.post(url, {}).status_code == 405
    assert model.history.count() == before


def test_enrollment_status_stays_on_its_page_after_a_refused_revert(world, client):
    client.force_login(world.users.head)
    client.post(reverse("agencies:enrollment_accept", args=[world.own_enrollment.pk]))
    proposed = world.own_enrollment.history.order_by("history_id").first()
    client.force_login(world.users.bappeda)
    url = reverse("admin:programs_enrollment_simple_history", args=[world.own_enrollment.pk, proposed.history_id])
    assert client.post(url, {"status": EnrollmentStatus.PROPOSED}).status_code == 405
    world.own_enrollment.refresh_from_db()
    assert world.own_enrollment.status == EnrollmentStatus.ACTIVE
