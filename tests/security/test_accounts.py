"""Who manages which account in the admin.

A Bappeda operator creates, edits and resets the password of agency heads, agency operators and
leadership; he never reaches a superuser's or another operator's account, and never gives anyone
(himself included) staff or superuser status, a group or a permission. A superuser manages every
account.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, Role, User
from tests.factories import UserFactory

from .admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sandi-Baru-Sekali-2026"


@pytest.fixture
def accounts(reference):
    dinsos = Agency.objects.get(code="dinsos")
    return {
        "operator": UserFactory(username="op-bappeda", role=Role.BAPPEDA_OPERATOR),
        "peer": UserFactory(username="op-bappeda-2", role=Role.BAPPEDA_OPERATOR),
        "root": User.objects.create_superuser("root", "root@example.go.id", "Akar-Rahasia-2026"),
        "head": UserFactory(username="kadis-dinsos", role=Role.AGENCY_HEAD, agency=dinsos),
        "leader": UserFactory(username="bupati", role=Role.LEADERSHIP),
    }


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _password_hash(user) -> str:
    return User.objects.values_list("password", flat=True).get(pk=user.pk)


def _can_log_in(username: str, password: str) -> bool:
    """The portal's login form accepts these credentials."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _password_post() -> dict:
    return {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true", "set-password": "1"}


@pytest.mark.parametrize("target", ["root", "peer"])
def test_operator_cannot_reset_a_superusers_or_another_operators_password(accounts, target):
    victim = accounts[target]
    before = _password_hash(victim)
    client = _as(accounts["operator"])
    url = reverse("admin:auth_user_password_change", args=[victim.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _password_post()).status_code == 404
    assert _password_hash(victim) == before
    assert not _can_log_in(victim.username, NEW_PASSWORD)


@pytest.mark.parametrize("target", ["root", "peer"])
def test_operator_cannot_open_or_change_a_superusers_or_another_operators_account(accounts, target):
    victim = accounts[target]
    client = _as(accounts["operator"])
    change = reverse("admin:agencies_user_change", args=[victim.pk])
    response = client.get(change)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    response = client.post(change, {"username": "diambil-alih", "first_name": "X", "role": Role.AGENCY_HEAD,
                                    "agency": Agency.objects.get(code="dinsos").pk, "is_active": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    victim.refresh_from_db()
    assert victim.username == accounts[target].username and victim.is_staff
    listing = client.get(reverse("admin:agencies_user_changelist")).content.decode()
    assert f"/admin/agencies/user/{victim.pk}/change/" not in listing
    assert f"/admin/agencies/user/{accounts['head'].pk}/change/" in listing


def test_operator_cannot_grant_himself_anything(accounts):
    operator = accounts["operator"]
    client = _as(operator)
    url = reverse("admin:agencies_user_change", args=[operator.pk])
    response = client.post(url, {"username": operator.username, "is_superuser": "on", "is_staff": "on",
                                 "role": Role.BAPPEDA_OPERATOR, "is_active": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    operator.refresh_from_db()
    assert not operator.is_superuser and not operator.user_permissions.exists()


def test_operator_cannot_give_an_agency_user_staff_superuser_groups_or_permissions(accounts):
    head = accounts["head"]
    group = Group.objects.create(name="Admin lain")
    group.permissions.add(Permission.objects.get(codename="change_group"))
    permission = Permission.objects.get(codename="delete_household")
    client = _as(accounts["operator"])
    url = reverse("admin:agencies_user_change", args=[head.pk])
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    for field in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in html, field
    data = admin_form_data(form, first_name="Kepala", is_staff="on", is_superuser="on",
                           groups=[str(group.pk)], user_permissions=[str(permission.pk)])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    head.refresh_from_db()
    assert head.first_name == "Kepala"
    assert not head.is_staff and not head.is_superuser
    assert not head.groups.exists() and not head.user_permissions.exists()
    assert not head.has_perm("households.delete_household")


def test_operator_cannot_make_anyone_a_bappeda_operator(accounts):
    head = accounts["head"]
    client = _as(accounts["operator"])
    url = reverse("admin:agencies_user_change", args=[head.pk])
    form = client.get(url)
    assert f'value="{Role.BAPPEDA_OPERATOR}"' not in form.content.decode()
    response = client.post(url, admin_form_data(form, role=Role.BAPPEDA_OPERATOR))
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    head.refresh_from_db()
    assert head.role == Role.AGENCY_HEAD
    response = client.post(reverse("admin:agencies_user_add"), {
        "username": "calon-operator", "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "role": Role.BAPPEDA_OPERATOR, "agency": Agency.objects.get(code="bappeda").pk, "is_staff": "on",
    })
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="calon-operator").exists()


def test_operator_creates_edits_and_resets_agency_accounts(accounts):
    client = _as(accounts["operator"])
    response = client.post(reverse("admin:agencies_user_add"), {
        "username": "operator-dikbud", "usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "role": Role.AGENCY_OPERATOR, "agency": Agency.objects.get(code="dikbud").pk,
        "is_staff": "on", "is_superuser": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="operator-dikbud")
    assert created.role == Role.AGENCY_OPERATOR and not created.is_staff and not created.is_superuser
    assert _can_log_in("operator-dikbud", NEW_PASSWORD)

    leader = accounts["leader"]
    url = reverse("admin:auth_user_password_change", args=[leader.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _password_post()).status_code == 302
    assert _can_log_in("bupati", NEW_PASSWORD)

    assert client.post(reverse("admin:agencies_user_delete", args=[leader.pk]), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=leader.pk).exists()


def test_superuser_manages_every_account(accounts):
    client = _as(accounts["root"])
    for target in ("operator", "peer", "head", "leader"):
        user = accounts[target]
        assert client.get(reverse("admin:agencies_user_change", args=[user.pk])).status_code == 200
        assert client.get(reverse("admin:auth_user_password_change", args=[user.pk])).status_code == 200
    peer = accounts["peer"]
    assert client.post(reverse("admin:auth_user_password_change", args=[peer.pk]), _password_post()).status_code == 302
    assert _can_log_in(peer.username, NEW_PASSWORD)
    form = client.get(reverse("admin:agencies_user_change", args=[accounts["head"].pk]))
    assert 'name="is_superuser"' in form.content.decode()
