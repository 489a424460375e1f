from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("households/", views.household_list, name="households"),
    path("households/<uuid:household_id>/", views.household_detail, name="household"),
    path("persons/", views.person_list, name="persons"),
    path("persons/<uuid:person_id>/", views.person_detail, name="person"),
]

route_rules: dict[str, RouteRule] = {
    "home": RouteRule(action=None),
    "households": RouteRule(action=Action.VIEW_REGISTRY, methods=("GET", "POST")),
    "household": RouteRule(action=Action.VIEW_REGISTRY, object_kind="household"),
    "persons": RouteRule(action=Action.VIEW_REGISTRY, methods=("GET", "POST")),
    "person": RouteRule(action=Action.VIEW_REGISTRY, object_kind="person"),
}
