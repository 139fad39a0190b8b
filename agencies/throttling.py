"""Login throttling (django-axes), as the registry needs it behind a reverse proxy.

- **The client address** comes from ``X-Forwarded-For`` only through ``TRUSTED_PROXY_COUNT`` proxies
  (each appends the address it received the request from, so the client is that many entries from
  the right; anything further left was written by the client and is ignored). With no trusted proxy
  it is the connection's address. Behind nginx with the count left at 0 every client would share the
  proxy's address, and five wrong passwords from anyone would lock an account for everyone.
- **IPv6**: an address counts as its /64 network (recorded as the network's first address,
  ``2001:db8:1:2::``): one subscriber or host gets a whole /64 and could take a fresh address for
  every guess. IPv4 addresses (an IPv4-mapped IPv6 address too) count one by one.
- **Guessing** one account: ``AXES_FAILURE_LIMIT`` failures of one username from one address lock
  that pair. A stranger elsewhere never locks the account's owner out.
- **Spraying** many accounts: ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever
  the usernames, lock the address.
- **Cool-off**: short at first (``LOGIN_COOLOFF_MINUTES``), doubling with every earlier lock of the
  same pair (since its last successful login) or address in the last 24 hours, up to
  ``LOGIN_COOLOFF_MAX_MINUTES``. Failures while locked are not counted, so hammering a locked form
  does not extend the lock. Each failure record carries its own expiry (``AXES_USE_ATTEMPT_EXPIRATION``).
- An administrator unlocks a username or an address in the admin (*Pembatasan masuk*).
"""

from __future__ import annotations

import datetime
import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

ESCALATION_WINDOW = datetime.timedelta(hours=24)
_MAX_DOUBLINGS = 16


def client_address(request) -> str | None:
    """The address failures are counted under: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry
    written by the outermost of ``TRUSTED_PROXY_COUNT`` trusted proxies; an IPv6 one as its /64."""
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return _throttled_as(remote)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return _throttled_as(remote)  # the request did not come through the configured proxies
    candidate = forwarded[-count]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        candidate = remote
    return _throttled_as(candidate)


def _throttled_as(address: str | None) -> str | None:
    """An IPv4 address as it is; an IPv6 address as the first address of its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network((ip, 64), strict=False).network_address)


def _address(request) -> str | None:
    return getattr(request, "axes_ip_address", None) or client_address(request)


def cool_off(request=None) -> datetime.timedelta:
    """How long a lock (and a failure's record) lasts: the base cool-off, doubled for every earlier
    lock of this username+address (since its last successful login) or of this address in the last
    24 hours."""
    base = datetime.timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    longest = datetime.timedelta(minutes=settings.LOGIN_COOLOFF_MAX_MINUTES)
    if request is None:
        return base
    address = _address(request)
    username = get_client_username(request)
    since = timezone.now() - ESCALATION_WINDOW
    failures = AccessFailureLog.objects.filter(attempt_time__gte=since, ip_address=address)
    address_failures = failures.count()
    last_success = AccessLog.objects.filter(username=username, ip_address=address).aggregate(last=Max("attempt_time"))["last"]
    pair_failures = failures.filter(username=username, attempt_time__gt=max(since, last_success or since)).count()
    locks = max(pair_failures // settings.AXES_FAILURE_LIMIT, address_failures // settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    return min(base * 2 ** min(locks, _MAX_DOUBLINGS), longest)


def _active_attempts(request):
    return AccessAttempt.objects.filter(ip_address=_address(request), expiration__expires_at__gt=timezone.now())


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottle(AxesDatabaseHandler):
    """Counts unexpired failures per username+address and per address (see the module docstring)."""

    def get_failures(self, request, credentials=None) -> int:
        attempts = _active_attempts(request)
        pair = _failures(attempts.filter(username=get_client_username(request, credentials)))
        if _failures(attempts) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful login clears the failures of its own username from its address only: an
        address that sprays other accounts stays locked even if it knows one password."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=_address(request)).delete()
        return count


def locked_until(request, credentials=None) -> datetime.datetime | None:
    """When the lock this request ran into ends at the latest."""
    attempts = _active_attempts(request)
    mine = attempts.filter(username=get_client_username(request, credentials))
    if _failures(mine) < get_failure_limit(request, credentials):
        mine = attempts  # locked as an address
    return mine.aggregate(until=Max("expiration__expires_at"))["until"]


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page, saying at most how many minutes are left (429)."""
    until = locked_until(request, credentials)
    seconds = (until - timezone.now()).total_seconds() if until else settings.LOGIN_COOLOFF_MINUTES * 60
    return render(
        request, "registration/lockout.html", {"minutes": max(1, math.ceil(seconds / 60))},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def unlock(*, attempt_ids: list[int]) -> int:
    """Lift the locks these failure records hold (an administrator's decision); the failure log,
    which the doubling reads, is kept."""
    count, _deleted = AccessAttempt.objects.filter(pk__in=attempt_ids).delete()
    return count
