from django.urls import URLPattern, path  # noqa: F401

from resettle.accounts.routes import RouteRule

app_name = "allocation"

urlpatterns: list[URLPattern] = []
route_rules: dict[str, RouteRule] = {}
