from django.urls import URLPattern, path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.incidents import views

app_name = "incidents"

urlpatterns: list[URLPattern] = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_create, name="create"),
    path("<uuid:incident_id>/", views.incident_detail, name="detail"),
    path("reviews/<uuid:review_id>/confirm/", views.confirm_principal, name="confirm_principal"),
]
route_rules: dict[str, RouteRule] = {
    "list": RouteRule(action=Action.VIEW_INCIDENTS),
    "create": RouteRule(action=Action.RECORD_INCIDENT, methods=("GET", "POST")),
    "detail": RouteRule(action=Action.VIEW_INCIDENTS, object_kind="incident"),
    "confirm_principal": RouteRule(
        action=Action.TRANSITION, object_kind="principal_review", methods=("POST",)
    ),
}
