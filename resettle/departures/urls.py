"""Departures routes; each declares the action it needs and the record its id names."""

from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.departures import views

app_name = "departures"

urlpatterns = [
    path("", views.departure_list, name="list"),
    path("new/", views.departure_create, name="create"),
    path("clear-the-camp/", views.clear_camp, name="clear"),
    path("clear-the-camp/plan/", views.plan_start, name="plan_start"),
    path("clear-the-camp/book/", views.plan_apply, name="plan_apply"),
    path("<uuid:departure_id>/", views.departure_detail, name="detail"),
    path("<uuid:departure_id>/edit/", views.departure_edit, name="edit"),
    path("<uuid:departure_id>/confirm/", views.departure_confirm, name="confirm"),
    path("<uuid:departure_id>/cancel/", views.departure_cancel, name="cancel"),
    path("<uuid:departure_id>/manifest/add/", views.manifest_add, name="manifest_add"),
    path("<uuid:departure_id>/manifest/remove/", views.manifest_remove, name="manifest_remove"),
    path("<uuid:departure_id>/manifest/file/", views.manifest_download, name="manifest"),
    path("<uuid:departure_id>/boarding/", views.boarding, name="boarding"),
    path("<uuid:departure_id>/boarding/check-in/", views.check_in, name="check_in"),
    path("<uuid:departure_id>/depart/", views.departure_close, name="close"),
    path("<uuid:departure_id>/arrive/", views.departure_arrive, name="arrive"),
]

_POST = ("POST",)
_GET_POST = ("GET", "POST")
_VIEW, _MANAGE = Action.VIEW_DEPARTURES, Action.MANAGE_DEPARTURES
route_rules: dict[str, RouteRule] = {
    "list": RouteRule(action=_VIEW),
    "create": RouteRule(action=_MANAGE, methods=_GET_POST),
    "clear": RouteRule(action=_VIEW),
    "plan_start": RouteRule(action=_MANAGE, methods=_POST),
    "plan_apply": RouteRule(action=_MANAGE, methods=_POST),
    "detail": RouteRule(action=_VIEW, object_kind="departure"),
    "edit": RouteRule(action=_MANAGE, object_kind="departure", methods=_GET_POST),
    "confirm": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "cancel": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "manifest_add": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "manifest_remove": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "manifest": RouteRule(action=_VIEW, object_kind="departure"),
    "boarding": RouteRule(action=_VIEW, object_kind="departure"),
    "check_in": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "close": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
    "arrive": RouteRule(action=_MANAGE, object_kind="departure", methods=_POST),
}
