from django.urls import URLPattern, path

from resettle.accounts.routes import RouteRule
from resettle.api import ui

app_name = "tokens"

urlpatterns: list[URLPattern] = [
    path("", ui.token_list, name="list"),
    path("<uuid:token_id>/revoke/", ui.token_revoke, name="revoke"),
]
route_rules: dict[str, RouteRule] = {
    "list": RouteRule(action=None, methods=("GET", "POST")),
    "revoke": RouteRule(action=None, object_kind="api_token", methods=("POST",)),
}
