from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.casework import views

app_name = "casework"

urlpatterns = [
    path("queues/", views.queues, name="queues"),
    path("queues/bulk/", views.bulk, name="bulk"),
    path("holds/help/", views.holds_help, name="holds_help"),
    path("households/<uuid:household_id>/move/", views.move, name="move"),
    path("households/<uuid:household_id>/submit/", views.submit, name="submit"),
    path("households/<uuid:household_id>/close/", views.close, name="close"),
    path("households/<uuid:household_id>/decision/", views.decide, name="decide"),
    path("households/<uuid:household_id>/split/", views.confirm_split, name="confirm_split"),
    path("households/<uuid:household_id>/holds/", views.place_hold, name="place_hold"),
    path("households/<uuid:household_id>/holds/lift/", views.lift_hold, name="lift_hold"),
    path("households/<uuid:household_id>/holds/confirm/", views.confirm_hold,
         name="confirm_hold"),
    path("households/<uuid:household_id>/documents/", views.add_document,
         name="add_document"),
]

_POST = ("POST",)
route_rules: dict[str, RouteRule] = {
    "queues": RouteRule(action=Action.TRANSITION),
    "bulk": RouteRule(action=Action.TRANSITION, methods=_POST),
    "holds_help": RouteRule(action=Action.VIEW_REGISTRY),
    "move": RouteRule(action=Action.TRANSITION, object_kind="household", methods=_POST),
    "submit": RouteRule(action=Action.TRANSITION, object_kind="household", methods=_POST),
    "close": RouteRule(action=Action.TRANSITION, object_kind="household", methods=_POST),
    "decide": RouteRule(action=Action.RECORD_DECISION, object_kind="household",
                        methods=_POST),
    # the family's answer to a split decision: recorded by whoever moves households on
    "confirm_split": RouteRule(action=Action.TRANSITION, object_kind="household",
                               methods=_POST),
    "place_hold": RouteRule(action=Action.MANAGE_HOLDS, object_kind="household",
                            methods=_POST),
    "lift_hold": RouteRule(action=Action.MANAGE_HOLDS, object_kind="household",
                           methods=_POST),
    "confirm_hold": RouteRule(action=Action.MANAGE_HOLDS, object_kind="household",
                              methods=_POST),
    "add_document": RouteRule(action=Action.MANAGE_DOCUMENTS, object_kind="household",
                              methods=_POST),
}
