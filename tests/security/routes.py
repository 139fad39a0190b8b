"""Walk the project's URL configuration and call a URL as a given role; shared by the matrix tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

LOGIN = "login"  # 302 to the portal's login page, with ?next=
ADMIN_LOGIN = "admin-login"  # 302 to the admin's login page, with ?next=
REDIRECT = "redirect"  # any other 302 (the action ran, or the user was sent to their own page)


@dataclass(frozen=True)
class Route:
    name: str | None  # namespace-qualified, e.g. "programs:dashboard", "admin:households_household_change"
    route: str  # the pattern text, prefixes joined, e.g. "keluarga/<int:pk>/"
    converters: tuple[str, ...]  # parameter names in order

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _params(pattern) -> tuple[str, ...]:
    text = str(pattern)
    named = re.findall(r"<(?:\w+:)?(\w+)>", text)
    if named:
        return tuple(named)
    regex = getattr(pattern, "regex", None)
    if regex is not None:
        names = list(regex.groupindex)
        return tuple(names) if names else tuple(f"_{i}" for i in range(regex.groups))
    return ()


def all_routes() -> list[Route]:
    """Every URL pattern of the project, with its namespace-qualified name."""
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None, params: tuple[str, ...]):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns, params + _params(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
                routes.append(Route(name, prefix + str(pattern.pattern), params + _params(pattern.pattern)))

    walk(get_resolver().url_patterns, "", None, ())
    return routes


def call(user, method: str, url: str, data=None):
    """One request as ``user`` (None: anonymous) on a fresh client, so that no request (a logout,
    a language switch) changes the next one's session."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, data or {})


def outcome(response) -> int | str:
    """The response as the expected-access tables write it."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/masuk/?next="):
            return LOGIN
        if location.startswith("/admin/login/?next="):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code
