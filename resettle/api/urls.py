"""/api/v1/: token-authenticated (not session), so exempt from the login redirect."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.api.endpoints import api
from resettle.api.idempotency import idempotent


def _exempt(patterns: list[Any]) -> list[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _exempt(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(idempotent(pattern.callback))
    return patterns


_api_patterns, _app_name, _namespace = api.urls
urlpatterns: list[URLPattern | URLResolver] = [
    path("", (_exempt(list(_api_patterns)), _app_name, _namespace)),
]

#: What each API route needs, for the API's own authorization matrix
#: (resettle/api/tests/test_api_matrix.py). "public" here means "no token needed".
route_rules: dict[str, RouteRule] = {
    # ninja's bare root (used to build the docs' links) answers 404 with no token needed
    "api-root": RouteRule(action=None, public=True),
    "openapi-json": RouteRule(action=None, public=True),
    "openapi-view": RouteRule(action=None, public=True),
    "list_persons": RouteRule(action=Action.VIEW_REGISTRY),
    "get_person": RouteRule(action=Action.VIEW_REGISTRY, object_kind="person"),
    "list_households": RouteRule(action=Action.VIEW_REGISTRY),
    "search_households": RouteRule(action=Action.VIEW_REGISTRY, methods=("POST",)),
    "get_household": RouteRule(action=Action.VIEW_REGISTRY, object_kind="household"),
    "transition": RouteRule(action=Action.TRANSITION, object_kind="household", methods=("POST",)),
    "list_holds": RouteRule(action=Action.VIEW_REGISTRY),
    "list_submissions": RouteRule(action=Action.VIEW_REGISTRY),
    "post_decision": RouteRule(
        action=Action.RECORD_DECISION, object_kind="submission", methods=("POST",)
    ),
    "list_departures": RouteRule(action=Action.VIEW_DEPARTURES),
    "get_manifest": RouteRule(action=Action.VIEW_DEPARTURES, object_kind="departure"),
    "list_incidents": RouteRule(action=Action.VIEW_INCIDENTS),
    "list_allocation_runs": RouteRule(action=Action.RUN_ALLOCATION),
    "stats": RouteRule(action=Action.VIEW_REGISTRY),
}
