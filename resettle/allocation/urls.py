from django.urls import URLPattern, path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.allocation import views

app_name = "allocation"

urlpatterns: list[URLPattern] = [
    path("", views.runs, name="runs"),
    path("new/", views.create, name="create"),
    path("<uuid:run_id>/", views.run, name="run"),
    path("<uuid:run_id>/progress/", views.progress, name="progress"),
    path("<uuid:run_id>/placement/", views.placement, name="placement"),
    path("<uuid:run_id>/rerun/", views.rerun, name="rerun"),
    path("<uuid:run_id>/accept/", views.accept, name="accept"),
]

_POST = ("POST",)
_RUN = "allocation_run"
route_rules: dict[str, RouteRule] = {
    "runs": RouteRule(action=Action.RUN_ALLOCATION),
    "create": RouteRule(action=Action.RUN_ALLOCATION, methods=_POST),
    "run": RouteRule(action=Action.RUN_ALLOCATION, object_kind=_RUN),
    "progress": RouteRule(action=Action.RUN_ALLOCATION, object_kind=_RUN),
    "placement": RouteRule(action=Action.RUN_ALLOCATION, object_kind=_RUN, methods=_POST),
    "rerun": RouteRule(action=Action.RUN_ALLOCATION, object_kind=_RUN, methods=_POST),
    # accepting also moves households on (submissions): the casework action is checked too
    "accept": RouteRule(action=Action.RUN_ALLOCATION, object_kind=_RUN, methods=_POST),
}
