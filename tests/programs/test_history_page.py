"""An enrollment's change history in the admin reads like the change page: choice labels, not codes."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from agencies.services import enrollment_accept
from programs.models import EnrollmentStatus
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _indonesian_afterwards():
    """A request in English leaves English active in this thread; the next tests expect Indonesian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _changes_and_reasons(html):
    """(changes cell, change-reason cell) of each row of the history table."""
    rows = re.findall(r"<tr>(.*?)</tr>", html.split('id="change-history"', 1)[1], flags=re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, flags=re.S) for row in rows]
    return [(" ".join(c[-1].split()), c[-2].strip()) for c in cells if c]


def test_status_change_shows_labels_and_no_none(reference, bappeda_client):
    enrollment = EnrollmentFactory(program__code="uji-riwayat", status=EnrollmentStatus.PROPOSED)
    head = UserFactory(role="agency_head", agency=enrollment.program.agency)
    enrollment_accept(enrollment=enrollment, by=head)

    html = bappeda_client.get(reverse("admin:programs_enrollment_history", args=[enrollment.pk])).content.decode()

    rows = _changes_and_reasons(html)
    assert len(rows) == 2
    newest_changes, newest_reason = rows[0]
    assert "Diusulkan &nbsp;&rarr;&nbsp;&nbsp;Aktif" in newest_changes
    assert "proposed" not in newest_changes and "active" not in newest_changes
    assert [reason for _changes, reason in rows] == ["", ""]  # not the text "None"


def test_labels_follow_the_users_language(reference, bappeda_client):
    enrollment = EnrollmentFactory(program__code="uji-riwayat-en", status=EnrollmentStatus.PROPOSED)
    enrollment_accept(enrollment=enrollment, by=UserFactory(role="agency_head", agency=enrollment.program.agency))
    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = bappeda_client.get(reverse("admin:programs_enrollment_history", args=[enrollment.pk])).content.decode()
    assert "Proposed &nbsp;&rarr;&nbsp;&nbsp;Active" in " ".join(html.split())


@pytest.mark.parametrize("language, heading", [("id", "Perubahan"), ("en", "Changes")])
def test_the_changes_column_is_headed_in_the_users_language(reference, bappeda_client, language, heading):
    enrollment = EnrollmentFactory()
    bappeda_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = bappeda_client.get(reverse("admin:programs_enrollment_history", args=[enrollment.pk])).content.decode()
    headings = re.findall(r'<th scope="col">(.*?)</th>', html.split('id="change-history"', 1)[1], flags=re.S)
    assert headings[-1].strip() == heading
