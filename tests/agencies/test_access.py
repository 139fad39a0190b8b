"""Who may open what: every portal URL for every role, anonymous users, other agencies' ids."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROLES = ["head", "operator", "other_head", "bappeda", "leader"]

# (name, method, url template, expected status per role). {a}: a Dinsos household/enrollment,
# {c}: a Perkim one, {d}: a household both Dinsos and PU serve. 302 for a POST is the redirect
# back to the household page after the action ran (or explained why it could not).
MATRIX = [
    ("list", "get", "/keluarga/", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("list other agency", "get", "/keluarga/?agency=perkim", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("export", "get", "/keluarga/ekspor/", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("print", "get", "/keluarga/cetak/", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("detail own", "get", "/keluarga/{hh_a}/", dict(head=200, operator=200, other_head=404, bappeda=200, leader=200)),
    ("detail other", "get", "/keluarga/{hh_c}/", dict(head=404, operator=404, other_head=404, bappeda=200, leader=200)),
    ("detail shared", "get", "/keluarga/{hh_d}/", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("detail unknown", "get", "/keluarga/999999/", dict(head=404, operator=404, other_head=404, bappeda=404, leader=404)),
    ("password", "get", "/kata-sandi/", dict(head=200, operator=200, other_head=200, bappeda=200, leader=200)),
    ("accept own", "post", "/kepesertaan/{a_pkh}/terima/", dict(head=302, operator=302, other_head=404, bappeda=302, leader=403)),
    ("accept other", "post", "/kepesertaan/{c_bsps}/terima/", dict(head=404, operator=404, other_head=404, bappeda=302, leader=403)),
    ("accept PU on shared household", "post", "/kepesertaan/{d_spam}/selesai/", dict(head=404, operator=404, other_head=302, bappeda=302, leader=403)),
    ("reject own", "post", "/kepesertaan/{a_pkh}/tolak/", dict(head=302, operator=302, other_head=404, bappeda=302, leader=403)),
    ("deliver own", "post", "/kepesertaan/{b_sembako}/salurkan/", dict(head=302, operator=302, other_head=404, bappeda=302, leader=403)),
    ("complete own", "post", "/kepesertaan/{b_sembako}/selesai/", dict(head=302, operator=302, other_head=404, bappeda=302, leader=403)),
    ("complete other", "post", "/kepesertaan/{c_bsps}/selesai/", dict(head=404, operator=404, other_head=404, bappeda=302, leader=403)),
    ("distribute", "post", "/keluarga/distribusi/", dict(head=403, operator=403, other_head=403, bappeda=302, leader=403)),
]


def _url(template, registry):
    return template.format(
        hh_a=registry.hh.a.pk, hh_c=registry.hh.c.pk, hh_d=registry.hh.d.pk,
        a_pkh=registry.enr.a_pkh.pk, c_bsps=registry.enr.c_bsps.pk, d_spam=registry.enr.d_spam.pk,
        b_sembako=registry.enr.b_sembako.pk,
    )


POST_DATA = {"reason": "Tidak ditemukan di alamat", "delivered_on": "02/05/2024", "amount": "600000",
             "program": "pkh", "year": "2025", "household": "1"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method, template, expected", MATRIX, ids=[row[0] for row in MATRIX])
def test_role_matrix(registry, client, role, name, method, template, expected):
    client.force_login(getattr(registry.users, role))
    url = _url(template, registry)
    response = client.post(url, POST_DATA) if method == "post" else client.get(url)
    assert response.status_code == expected[role], (role, name, url)


@pytest.mark.parametrize("name, method, template, expected", MATRIX + [("home", "get", "/", {})], ids=[r[0] for r in MATRIX] + ["home"])
def test_anonymous_users_go_to_the_login_page(registry, client, name, method, template, expected):
    url = _url(template, registry)
    response = client.post(url, POST_DATA) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/?next=")


def test_refused_actions_change_nothing(registry, client):
    enrollment = registry.enr.c_bsps
    client.force_login(registry.users.head)
    client.post(f"/kepesertaan/{enrollment.pk}/terima/")
    client.force_login(registry.users.leader)
    client.post(f"/kepesertaan/{enrollment.pk}/terima/")
    enrollment.refresh_from_db()
    assert enrollment.status == "proposed"
    assert enrollment.history.count() == 1


def test_another_agency_household_page_does_not_leak_its_name(registry, client):
    client.force_login(registry.users.head)
    response = client.get(f"/keluarga/{registry.hh.c.pk}/")
    assert response.status_code == 404
    assert registry.hh.c.head_name not in response.content.decode()


@pytest.mark.parametrize("role, expected", [("head", 302), ("operator", 302), ("leader", 302), ("bappeda", 200)])
def test_only_bappeda_reaches_the_admin(registry, client, role, expected):
    client.force_login(getattr(registry.users, role))
    response = client.get("/admin/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/admin/login/")


def test_users_without_role_get_403_on_portal_pages(reference, client):
    from tests.factories import UserFactory

    nobody = UserFactory(username="tanpa-peran", role="", is_staff=False)
    nobody.agency = None
    nobody.save()
    client.force_login(nobody)
    assert client.get("/keluarga/").status_code == 403
    response = client.get("/")
    assert response.status_code == 200 and "belum memiliki peran" in response.content.decode()


def test_field_officers_are_sent_to_their_verval_tasks_from_portal_pages(reference, client):
    """A field officer sees no household list: the 403 says where their work is, as the dashboard's does."""
    from agencies.models import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="pendamping-portal", role=Role.FIELD_OFFICER))
    for url in ("/keluarga/", "/keluarga/ekspor/", "/keluarga/cetak/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Tugas verval" in response.content.decode(), url


def test_post_actions_need_a_csrf_token(registry):
    client = Client(enforce_csrf_checks=True)
    client.force_login(registry.users.head)
    response = client.post(f"/kepesertaan/{registry.enr.a_pkh.pk}/terima/")
    assert response.status_code == 403
    registry.enr.a_pkh.refresh_from_db()
    assert registry.enr.a_pkh.status == "proposed"


def test_actions_refuse_get(registry, client):
    client.force_login(registry.users.head)
    assert client.get(f"/kepesertaan/{registry.enr.a_pkh.pk}/terima/").status_code == 405


def test_pages_carry_the_strict_content_security_policy(registry, client):
    client.force_login(registry.users.head)
    response = client.get("/keluarga/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "<script>" not in html and "style=" not in html
