"""Reads of incidents, scoped to the user's sites; details only for those who may see them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import scope_for
from resettle.incidents.models import Incident, PrincipalReview
from resettle.registry.selectors import households_for


def incidents_for(user: Any) -> QuerySet[Incident]:
    scope = scope_for(user)
    if not scope.can(Action.VIEW_INCIDENTS) or not scope.operation_wide:
        return Incident.objects.none()
    qs = Incident.objects.select_related("site")
    if scope.site_ids is not None:
        qs = qs.filter(site_id__in=list(scope.site_ids))
    return qs.annotate(
        killed=Count("casualties", filter=Q(casualties__outcome="killed")),
        injured=Count("casualties", filter=Q(casualties__outcome="injured")),
    )


def casualty_counts(incident: Incident) -> tuple[int, int]:
    """(killed, injured) as annotated by ``incidents_for``."""
    return int(getattr(incident, "killed", 0)), int(getattr(incident, "injured", 0))


def get_incident(user: Any, incident_id: object) -> Incident:
    try:
        return incidents_for(user).get(pk=uuid.UUID(str(incident_id)))
    except (ValueError, Incident.DoesNotExist) as exc:
        raise Http404("No such record.") from exc


def sees_details(user: Any) -> bool:
    return scope_for(user).sees(FieldGroup.INCIDENT_DETAILS)


def open_principal_reviews(user: Any) -> QuerySet[PrincipalReview]:
    return PrincipalReview.objects.filter(
        resolved_at__isnull=True, household__in=households_for(user)
    ).select_related("household", "proposed_principal", "deceased_principal")


def get_principal_review(user: Any, review_id: object) -> PrincipalReview:
    try:
        return PrincipalReview.objects.select_related("household").get(
            pk=uuid.UUID(str(review_id)), household__in=households_for(user)
        )
    except (ValueError, PrincipalReview.DoesNotExist) as exc:
        raise Http404("No such record.") from exc
