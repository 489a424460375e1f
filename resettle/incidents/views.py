"""Incident log pages: everyone with access sees that incidents happened; details are limited."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require, scope_for
from resettle.audit.services import record_read
from resettle.incidents import selectors, services
from resettle.incidents.forms import IncidentForm
from resettle.registry.models import Site
from resettle.registry.selectors import persons_for


@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_INCIDENTS)
    incidents = selectors.incidents_for(request.user).order_by("-occurred_at")
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": page,
            "details": selectors.sees_details(request.user),
            "can_record": scope_for(request.user).can(Action.RECORD_INCIDENT),
            "reviews": selectors.open_principal_reviews(request.user)
            if scope_for(request.user).can(Action.TRANSITION) else [],
        },
    )


@require_safe
def incident_detail(request: HttpRequest, incident_id: str) -> HttpResponse:
    require(request.user, Action.VIEW_INCIDENTS)
    incident = selectors.get_incident(request.user, incident_id)
    details = selectors.sees_details(request.user)
    casualties = []
    if details:
        record_read(actor=request.user, action="incident.view", obj=incident)
        casualties = list(incident.casualties.select_related("person").order_by("outcome"))
    return render(
        request,
        "incidents/incident_detail.html",
        {"incident": incident, "details": details, "casualties": casualties},
    )


def _scoped_sites(request: HttpRequest) -> QuerySet[Site]:
    scope = scope_for(request.user)
    sites = Site.objects.all()
    if scope.site_ids is not None:
        sites = sites.filter(pk__in=list(scope.site_ids))
    return sites


@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.RECORD_INCIDENT)
    form = IncidentForm(
        request.POST or None, sites=_scoped_sites(request), persons=persons_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.record_incident(
                actor=request.user, site=data["site"], incident_type=data["incident_type"],
                occurred_at=data["occurred_at"], severity=data["severity"],
                place=data["place"], description=data["description"], source=data["source"],
                damage=data["damage"], casualties=data["casualties"],
            )
        except services.IncidentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Incident recorded: {outcome.deceased} killed, "
                f"{outcome.medical_holds_proposed} medical holds proposed, "
                f"{outcome.households_closed} households closed, "
                f"{outcome.principal_reviews} households need a new principal applicant, "
                f"{outcome.exposed} residents recorded as exposed.",
            )
            return redirect("incidents:detail", incident_id=outcome.incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form})


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@require_POST
def confirm_principal(request: HttpRequest, review_id: str) -> HttpResponse:
    require(request.user, Action.TRANSITION)
    review = selectors.get_principal_review(request.user, review_id)
    person_id = _uuid_or_none(request.POST.get("person"))
    person = persons_for(request.user).filter(pk=person_id).first() if person_id else None
    if person is None:
        messages.error(request, "Choose a living member of the household.")
    else:
        try:
            services.confirm_principal(actor=request.user, review=review, person=person)
        except services.IncidentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Case {review.household.reference} has a new principal.")
    return redirect("incidents:list")
