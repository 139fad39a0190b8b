"""Pages and files with people's names and ID numbers tell browsers and proxies to keep no copy
(``Cache-Control: no-store``), and answer HEAD as they answer GET; a HEAD request of a file or a
print page is logged as its GET is: it runs the same query, and its length tells about the content."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from agencies.models import ExportKind, ExportLog
from households.models import ImportBatch, ImportKind, ImportStatus
from tests.factories import EnrollmentFactory, HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference):
    operator = UserFactory(username="op-bappeda")
    household = HouseholdFactory(head_name="Ahmad Lapodi")
    member = MemberFactory(household=household)
    EnrollmentFactory(household=household)
    batch = ImportBatch.objects.create(kind=ImportKind.P3KE, status=ImportStatus.REFUSED, uploaded_by=operator)
    batch.error_report.save("laporan.xlsx", ContentFile(b"PK\x03\x04 laporan"), save=True)
    return operator, household, member, batch


def _urls(household, member, batch) -> list[str]:
    return [
        reverse("agencies:household_list") + "?q=Ahmad",
        reverse("agencies:household_detail", args=[household.pk]),
        reverse("agencies:household_export"),
        reverse("agencies:household_print"),
        reverse("programs:dashboard"),
        reverse("programs:export", args=["desa"]),
        reverse("households:import_status", args=[batch.pk]),
        reverse("households:import_status_json", args=[batch.pk]),
        reverse("households:import_error_report", args=[batch.pk]),
        reverse("admin:households_household_change", args=[household.pk]),
        reverse("admin:households_member_change", args=[member.pk]),
        reverse("admin:households_household_changelist"),
        reverse("admin:households_member_changelist"),
    ]


def test_personal_data_responses_are_not_stored(world):
    operator, household, member, batch = world
    client = Client()
    client.force_login(operator)
    for url in _urls(household, member, batch):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url


def test_head_answers_like_get_and_logs_its_export(world):
    operator, household, member, batch = world
    client = Client()
    client.force_login(operator)
    for url in _urls(household, member, batch):
        response = client.head(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
    assert sorted(ExportLog.objects.values_list("kind", "user__username")) == [
        (ExportKind.HOUSEHOLD_LIST_PRINT, "op-bappeda"), (ExportKind.HOUSEHOLD_LIST_XLSX, "op-bappeda"),
        (ExportKind.IMPORT_ERROR_REPORT, "op-bappeda"),
    ]
