from django.urls import path

from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule
from resettle.registry import views

app_name = "registry"

urlpatterns = [
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<uuid:person_id>/edit/", views.person_edit, name="person_edit"),
    path("households/<uuid:household_id>/edit/", views.household_edit, name="household_edit"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("export/", views.export_persons, name="export"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/scan/", views.duplicates_scan, name="duplicates_scan"),
    path("duplicates/resolve/", views.duplicate_resolve, name="duplicate_resolve"),
]

_EDIT = Action.EDIT_REGISTRY
route_rules: dict[str, RouteRule] = {
    "person_create": RouteRule(action=_EDIT, methods=("GET", "POST")),
    "person_edit": RouteRule(action=_EDIT, object_kind="person", methods=("GET", "POST")),
    "household_edit": RouteRule(action=_EDIT, object_kind="household", methods=("GET", "POST")),
    "import": RouteRule(action=Action.IMPORT, methods=("GET", "POST")),
    "import_preview": RouteRule(action=Action.IMPORT),
    "import_confirm": RouteRule(action=Action.IMPORT, methods=("POST",)),
    "import_template": RouteRule(action=Action.IMPORT),
    "export": RouteRule(action=Action.EXPORT, methods=("GET", "POST")),
    "duplicates": RouteRule(action=_EDIT),
    "duplicates_scan": RouteRule(action=_EDIT, methods=("POST",)),
    "duplicate_resolve": RouteRule(action=_EDIT, methods=("POST",)),
}
