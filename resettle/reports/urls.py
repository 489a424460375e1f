from django.urls import URLPattern, path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.reports import views

app_name = "reports"

urlpatterns: list[URLPattern] = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("sitrep.pdf", views.sitrep, name="sitrep"),
    path("aggregates.hxl.csv", views.aggregates_hxl, name="aggregates"),
]
route_rules: dict[str, RouteRule] = {
    "dashboard": RouteRule(action=Action.VIEW_DASHBOARD),
    "sitrep": RouteRule(action=Action.VIEW_DASHBOARD),
    "aggregates": RouteRule(action=Action.VIEW_DASHBOARD),
}
