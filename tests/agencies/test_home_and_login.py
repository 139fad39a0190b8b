"""Login, landing pages per role, logout, password change, login throttling, template helpers."""

import pytest

from agencies.templatetags.portal import format_rupiah, protect_identifier
from tests.agencies.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/masuk/", data)


def test_login_page_is_indonesian(client):
    html = client.get("/masuk/").content.decode()
    assert "Masuk" in html and "Nama pengguna" in html and "Kata sandi" in html


def test_agency_head_lands_on_their_list(registry, client):
    response = _login(client, "kadis-dinsos")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/keluarga/"


def test_bappeda_lands_on_a_page_of_links(registry, client):
    _login(client, "bappeda")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/keluarga/"' in html and 'href="/admin/"' in html and 'href="/dasbor/"' in html
    assert 'href="/keluarga/?agency=perkim"' in html


def test_leadership_lands_on_the_dashboard(registry, client):
    _login(client, "bupati")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dasbor/"


def test_next_parameter_is_honoured_after_login(registry, client):
    url = f"/keluarga/{registry.hh.a.pk}/"
    response = client.get(url)
    assert response["Location"] == f"/masuk/?next={url}"
    response = _login(client, "kadis-dinsos", next_url=url)
    assert response["Location"] == url


def test_wrong_password_is_explained(registry, client):
    response = _login(client, "kadis-dinsos", password="salah")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah." in response.content.decode()


def test_five_failures_lock_the_login(registry, client):
    for _attempt in range(5):
        _login(client, "kadis-dinsos", password="salah")
    response = _login(client, "kadis-dinsos")  # right password, but locked
    assert response.status_code in (403, 429)
    assert "Terlalu banyak percobaan masuk" in response.content.decode()
    assert client.get("/keluarga/").status_code == 302  # still not logged in


def test_logout_is_a_post_and_returns_to_login(registry, client):
    _login(client, "kadis-dinsos")
    response = client.post("/keluar/")
    assert response.status_code == 302 and response["Location"] == "/masuk/"
    assert client.get("/keluarga/").status_code == 302


def test_password_change(registry, client):
    _login(client, "kadis-dinsos")
    page = client.get("/kata-sandi/")
    assert "Ganti kata sandi" in page.content.decode()
    response = client.post("/kata-sandi/", {
        "old_password": PASSWORD, "new_password1": "Wanggudu-Asera-2026", "new_password2": "Wanggudu-Asera-2026",
    })
    assert response["Location"] == "/kata-sandi/selesai/"
    registry.users.head.refresh_from_db()
    assert registry.users.head.check_password("Wanggudu-Asera-2026")


def test_nav_links_per_role(registry, client):
    client.force_login(registry.users.head)
    html = client.get("/keluarga/").content.decode()
    assert 'href="/admin/"' not in html
    client.force_login(registry.users.bappeda)
    html = client.get("/keluarga/").content.decode()
    assert 'href="/admin/"' in html


@pytest.mark.parametrize("value, expected", [(1_250_000, "Rp 1.250.000"), (-1_250_000, "Rp -1.250.000"), (0, "Rp 0"), (950, "Rp 950"), (None, ""), ("12000", "Rp 12.000")])
def test_rupiah(value, expected):
    assert format_rupiah(value) == expected


def test_identifier_protection(registry):
    nik = "7409014501800001"
    assert protect_identifier(nik, registry.users.operator) == "740901**********"
    assert protect_identifier(nik, registry.users.leader) == "740901**********"
    assert protect_identifier(nik, registry.users.head) == nik
    assert protect_identifier(nik, registry.users.bappeda) == nik
    assert protect_identifier("", registry.users.head) == ""
