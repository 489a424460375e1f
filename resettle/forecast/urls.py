"""Forecast routes; each declares the action it needs and the record its id names."""

from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.forecast import views

app_name = "forecast"

urlpatterns = [
    path("", views.whatif, name="whatif"),
    path("run/", views.start, name="start"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run"),
]

route_rules: dict[str, RouteRule] = {
    "whatif": RouteRule(action=Action.RUN_FORECAST),
    "start": RouteRule(action=Action.RUN_FORECAST, methods=("POST",)),
    "run": RouteRule(action=Action.RUN_FORECAST, object_kind="forecast_run"),
}
