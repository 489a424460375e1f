"""The other apps' main models in the admin site: read-mostly, administrators only.

Every class is resettle.audit.admin.ReadOnlyAdmin: no actions (no bulk delete, no bulk
export), no add/change/delete, superusers only, and no encrypted field shown. Changes go
through the application's audited services and pages.
"""

from __future__ import annotations

from django.contrib import admin

from resettle.audit.admin import ReadOnlyAdmin
from resettle.casework.models import Document, Hold, StageChange, Submission
from resettle.departures.models import Departure, ManifestEntry
from resettle.destinations.models import Destination, Pledge
from resettle.incidents.models import Casualty, Incident
from resettle.registry.models import Household, Membership, Person, Site

# no "delete selected" (or any other bulk action) on any model, Django's own included
admin.site.disable_action("delete_selected")

for model in (Site, Person, Household, Membership, StageChange, Submission, Hold, Document,
              Destination, Pledge, Departure, ManifestEntry, Incident, Casualty):
    if not admin.site.is_registered(model):
        admin.site.register(model, ReadOnlyAdmin)
