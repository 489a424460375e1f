from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("exports/", views.export_list, name="exports"),
    path("exports/decide/", views.export_decide, name="export_decide"),
    path("exports/download/", views.export_download, name="export_download"),
]

route_rules: dict[str, RouteRule] = {
    "events": RouteRule(action=Action.VIEW_AUDIT),
    "exports": RouteRule(action=Action.EXPORT, methods=("GET", "POST")),
    "export_decide": RouteRule(action=Action.APPROVE_EXPORT, methods=("POST",)),
    "export_download": RouteRule(action=Action.EXPORT, methods=("POST",)),
}
