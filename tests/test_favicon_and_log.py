"""Small things a developer sees: the favicon is served, a 403 is one line in the log."""

import logging

import pytest
from django.contrib.staticfiles import finders

from tests.factories import UserFactory


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"
    path = finders.find("favicon.ico")
    with open(path, "rb") as handle:
        assert handle.read(4) == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_a_refused_page_logs_one_line_without_a_traceback(client, reference, caplog):
    client.force_login(UserFactory(username="kadis-uji", role="leadership"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/impor/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage().startswith("Forbidden (Permission denied): /impor/")
    assert record.exc_info is None and not record.exc_text
