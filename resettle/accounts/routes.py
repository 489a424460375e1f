"""What every route requires, declared next to the route (each app's ``urls.py``).

Each app's urls.py exports ``route_rules: dict[str, RouteRule]`` keyed by URL name.
The authorization matrix test walks the URL configuration and fails for any route
without a rule, so no page ships unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass

from resettle.accounts.policy import Action


@dataclass(frozen=True)
class RouteRule:
    #: the action the route needs (403 without it); None = any signed-in user
    action: Action | None
    #: True for the few pages reachable without signing in (login, static)
    public: bool = False
    #: the kind of record named by the URL's id, scoped by a selector (out of scope = 404):
    #: "household", "person", "departure", "incident", "allocation_run", "export", ...
    object_kind: str | None = None
    #: HTTP methods the route accepts
    methods: tuple[str, ...] = ("GET",)


#: URL namespaces served by third-party code with its own gate, so no route_rules of ours.
#: The matrix test checks each of them separately (see test_matrix.test_external_namespaces).
EXTERNAL_NAMESPACES: dict[str, str] = {
    "admin": "Django's admin site: only is_staff accounts, behind its own sign-in and the "
    "same second-factor gate",
    "api": "the token-authenticated Web API (/api/v1/): bearer tokens instead of sessions, "
    "401 instead of a sign-in redirect; its own matrix is resettle/api/tests/test_api_matrix.py",
}
