"""/api/v1/: token-authenticated (not session), so exempt from the login redirect."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

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

#: every API route answers for itself with the token's scope; the matrix test exercises
#: the API separately (resettle/api/tests), so these rules mark them token-authenticated.
route_rules: dict[str, RouteRule] = {}
