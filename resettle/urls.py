"""Top-level routes: one prefix per app, the API under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("resettle.web.urls")),
    path("accounts/", include("resettle.accounts.urls")),
    path("registry/", include("resettle.registry.urls")),
    path("casework/", include("resettle.casework.urls")),
    path("allocation/", include("resettle.allocation.urls")),
    path("departures/", include("resettle.departures.urls")),
    path("incidents/", include("resettle.incidents.urls")),
    path("reports/", include("resettle.reports.urls")),
    path("forecast/", include("resettle.forecast.urls")),
    path("audit/", include("resettle.audit.urls")),
    path("api/v1/", include("resettle.api.urls")),
    path("tokens/", include("resettle.api.ui_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "resettle.api.errors.not_found_view"
