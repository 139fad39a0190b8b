"""Login throttling behind a reverse proxy: the lock hits the guesser's address, not the account; an
address that sprays many usernames is locked; locks start short and double; an administrator
unlocks from the admin."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "rahasia-uji-123"
PROXY = "127.0.0.1"
OWNER, STRANGER, SPRAYER = "198.51.100.7", "203.0.113.5", "203.0.113.66"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


@pytest.fixture
def head(reference):
    return UserFactory(username="kadis-dinsos", role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="dinsos"))


def attempt(username: str, password: str, *, client: str | None, forwarded_by_client: str = ""):
    """A login through nginx: it appends the address it saw to what the client sent."""
    chain = ", ".join(part for part in (forwarded_by_client, client) if part)
    headers = {"REMOTE_ADDR": PROXY}
    if chain:
        headers["HTTP_X_FORWARDED_FOR"] = chain
    return Client().post(reverse("login"), {"username": username, "password": password}, **headers)


def logged_in(response) -> bool:
    return response.status_code == 302


def locked(response) -> bool:
    return response.status_code == 429 and "Terlalu banyak percobaan masuk" in response.content.decode()


def expire_locks() -> None:
    """The cool-off passes."""
    AccessAttemptExpiration.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))


def lock_minutes() -> set[int]:
    """The cool-off each unexpired failure record was given, in minutes."""
    now = timezone.now()
    return {
        round((e.expires_at - e.access_attempt.attempt_time).total_seconds() / 60)
        for e in AccessAttemptExpiration.objects.select_related("access_attempt").filter(expires_at__gt=now)
    }


def test_a_stranger_cannot_lock_the_owner_out_from_another_address(behind_proxy, head):
    for _ in range(5):
        assert not logged_in(attempt("kadis-dinsos", "salah", client=STRANGER))
    assert locked(attempt("kadis-dinsos", PASSWORD, client=STRANGER))
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=OWNER))


def test_a_forged_forwarded_header_does_not_change_the_address(behind_proxy, head):
    for forged in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        attempt("kadis-dinsos", "salah", client=STRANGER, forwarded_by_client=forged)
    assert locked(attempt("kadis-dinsos", PASSWORD, client=STRANGER, forwarded_by_client="10.0.0.9"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {STRANGER}


def test_without_a_trusted_proxy_the_header_is_ignored(settings, head):
    settings.TRUSTED_PROXY_COUNT = 0
    response = Client().post(reverse("login"), {"username": "kadis-dinsos", "password": "salah"},
                             REMOTE_ADDR=OWNER, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [OWNER]


def test_spraying_many_usernames_locks_the_address(behind_proxy, head):
    for number in range(20):
        assert not logged_in(attempt(f"tebakan-{number}", "Rahasia123", client=SPRAYER))
    assert locked(attempt("kadis-dinsos", PASSWORD, client=SPRAYER))  # even the right password
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=OWNER))


def test_a_known_password_does_not_reset_a_spraying_address(behind_proxy, head):
    for number in range(19):
        attempt(f"tebakan-{number}", "Rahasia123", client=SPRAYER)
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=SPRAYER))
    assert not logged_in(attempt("tebakan-19", "Rahasia123", client=SPRAYER))
    assert locked(attempt("tebakan-20", "Rahasia123", client=SPRAYER))


def test_locks_start_short_and_double(behind_proxy, head):
    expected = [2, 4, 8, 16, 32, 60, 60]
    for minutes in expected:
        for _ in range(5):
            attempt("kadis-dinsos", "salah", client=STRANGER)
        response = attempt("kadis-dinsos", PASSWORD, client=STRANGER)
        assert locked(response)
        assert f"paling lama {minutes} menit" in response.content.decode()
        assert max(lock_minutes()) == minutes
        expire_locks()
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=STRANGER))


def test_a_successful_login_starts_the_doubling_again(behind_proxy, head):
    for _ in range(5):
        attempt("kadis-dinsos", "salah", client=OWNER)
    expire_locks()
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=OWNER))
    for _ in range(5):
        attempt("kadis-dinsos", "salah", client=OWNER)
    assert locked(attempt("kadis-dinsos", PASSWORD, client=OWNER))
    assert lock_minutes() == {2}


def test_hammering_a_locked_form_does_not_extend_the_lock(behind_proxy, head):
    for _ in range(5):
        attempt("kadis-dinsos", "salah", client=STRANGER)
    until = AccessAttemptExpiration.objects.get().expires_at
    for _ in range(10):
        assert locked(attempt("kadis-dinsos", "salah", client=STRANGER))
    assert AccessAttemptExpiration.objects.get().expires_at == until
    assert AccessFailureLog.objects.count() == 5


def test_an_operator_unlocks_an_agency_account_from_the_admin(behind_proxy, head):
    operator = UserFactory(username="op-bappeda", role=Role.BAPPEDA_OPERATOR)
    for _ in range(5):
        attempt("kadis-dinsos", "salah", client=OWNER)
    for _ in range(5):
        attempt("op-bappeda-2", "salah", client=OWNER)
    UserFactory(username="op-bappeda-2", role=Role.BAPPEDA_OPERATOR)
    assert locked(attempt("kadis-dinsos", PASSWORD, client=OWNER))

    admin = Client()
    admin.force_login(operator)
    index = admin.get(reverse("admin:index")).content.decode()
    assert "Pembatasan masuk" in index
    url = reverse("admin:axes_accessattempt_changelist")
    page = admin.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "kadis-dinsos" in html and "Nama pengguna terkunci dari alamat ini" in html
    assert "op-bappeda-2" not in html  # a staff account's lock is a superuser's business
    mine = AccessAttempt.objects.get(username="kadis-dinsos")
    response = admin.post(url, {"action": "unlock", "_selected_action": [str(mine.pk)]})
    assert response.status_code == 302
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=OWNER))
    staff_row = AccessAttempt.objects.get(username="op-bappeda-2")
    admin.post(url, {"action": "unlock", "_selected_action": [str(staff_row.pk)]})
    assert AccessAttempt.objects.filter(pk=staff_row.pk).exists()


def test_an_operator_unlocks_a_spraying_address(behind_proxy, head):
    operator = UserFactory(username="op-bappeda", role=Role.BAPPEDA_OPERATOR)
    for number in range(20):
        attempt(f"tebakan-{number}", "Rahasia123", client=SPRAYER)
    assert locked(attempt("kadis-dinsos", PASSWORD, client=SPRAYER))
    admin = Client()
    admin.force_login(operator)
    url = reverse("admin:axes_accessattempt_changelist")
    assert "Alamat terkunci" in admin.get(url).content.decode()
    one = AccessAttempt.objects.filter(ip_address=SPRAYER).first()
    admin.post(url, {"action": "unlock_addresses", "_selected_action": [str(one.pk)]})
    assert not AccessAttempt.objects.filter(ip_address=SPRAYER).exists()
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client=SPRAYER))


def test_an_ipv6_network_counts_as_one_address(behind_proxy, head):
    """A /64 holds 2**64 addresses: a guesser taking a new one for every password is still locked,
    and so is an address sprayer; the owner elsewhere is not."""
    for number in range(5):
        assert not logged_in(attempt("kadis-dinsos", "salah", client=f"2001:db8:7:1::{number + 1:x}"))
    assert locked(attempt("kadis-dinsos", PASSWORD, client="2001:db8:7:1:ffff::99"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:7:1::"}
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client="2001:db8:7:2::1"))  # the next /64
    for number in range(20):
        attempt(f"tebakan-{number}", "Rahasia123", client=f"2001:db8:9:9:{number:x}::1")
    assert locked(attempt("kadis-dinsos", PASSWORD, client="2001:db8:9:9::abcd"))


def test_ipv4_addresses_count_one_by_one_even_mapped_in_ipv6(behind_proxy, head):
    for number in range(5):
        attempt("kadis-dinsos", "salah", client=f"::ffff:203.0.113.{number + 1}")
    assert logged_in(attempt("kadis-dinsos", PASSWORD, client="::ffff:203.0.113.200"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {f"203.0.113.{n}" for n in range(1, 6)}
