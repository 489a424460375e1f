"""Home page and the registry's list and detail pages: thin views over scoped selectors."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import require, scope_for
from resettle.audit.services import record_read
from resettle.core.stages import HoldType
from resettle.registry import selectors
from resettle.registry.filters import HouseholdFilter, PersonFilter
from resettle.registry.models import STAGE_CHOICES, PersonStatus
from resettle.web.presenters import person_fields, person_row
from resettle.web.stats import headline_numbers

PAGE_SIZE = 50
#: search terms live in the session, never in URLs (they are personal data)
SEARCH_SESSION_KEY = "resettle_search_{}"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    numbers = headline_numbers(request.user) if scope.can(Action.VIEW_REGISTRY) else None
    return render(request, "web/home.html", {"numbers": numbers})


def _search_term(request: HttpRequest, key: str) -> str | None:
    """POST stores or clears the term and redirects (PRG); GET reads it from the session."""
    session_key = SEARCH_SESSION_KEY.format(key)
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(session_key, None)
        else:
            request.session[session_key] = request.POST.get("q", "").strip()[:200]
        return None
    return str(request.session.get(session_key, ""))


@require_http_methods(["GET", "POST"])
def household_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_REGISTRY)
    term = _search_term(request, "households")
    if term is None:
        return HttpResponseRedirect(reverse("web:households") + _query_suffix(request))
    filters = HouseholdFilter.from_query(request.GET)
    households = filters.apply(selectors.search_households(request.user, term), request.user)
    page = Paginator(
        selectors.with_list_columns(households).order_by("reference"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    partial = bool(getattr(request, "htmx", False))
    template = "web/_household_rows.html" if partial else "web/household_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "term": term,
            "query": filters.as_query(),
            "stage_choices": STAGE_CHOICES,
            "hold_types": [h.value for h in HoldType],
        },
    )


def _query_suffix(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return f"?{query}" if query else ""


@require_safe
def household_detail(request: HttpRequest, household_id: str) -> HttpResponse:
    from resettle.casework.models import DOCUMENT_KIND_CHOICES, HOLD_TYPE_CHOICES, HoldReason
    from resettle.casework.selectors import case_panel
    from resettle.incidents.risk import explain_household

    scope = require(request.user, Action.VIEW_REGISTRY)
    household = selectors.get_household(request.user, household_id)
    record_read(actor=request.user, action="household.view", obj=household)
    members = [
        (m, person_row(m.person, scope)) for m in selectors.active_members(household)
    ]
    return render(
        request,
        "web/household_detail.html",
        {
            "household": household,
            "members": members,
            "panel": case_panel(scope, household),
            "risk": explain_household(household) if scope.sees(FieldGroup.RISK) else None,
            "sees_case": scope.sees(FieldGroup.CASE),
            "sees_risk": scope.sees(FieldGroup.RISK),
            "sees_holds": scope.sees(FieldGroup.HOLDS),
            "sees_hold_refs": scope.sees(FieldGroup.HOLD_REFERENCES),
            "sees_documents": scope.sees(FieldGroup.DOCUMENTS),
            "can_manage_holds": scope.can(Action.MANAGE_HOLDS) and scope.sees(FieldGroup.HOLDS),
            "can_manage_documents": scope.can(Action.MANAGE_DOCUMENTS),
            "hold_type_choices": HOLD_TYPE_CHOICES,
            "hold_reason_choices": HoldReason.choices,
            "document_kind_choices": DOCUMENT_KIND_CHOICES,
        },
    )


@require_http_methods(["GET", "POST"])
def person_list(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.VIEW_REGISTRY)
    term = _search_term(request, "persons")
    if term is None:
        return HttpResponseRedirect(reverse("web:persons") + _query_suffix(request))
    filters = PersonFilter.from_query(request.GET)
    persons = filters.apply(selectors.search_persons(request.user, term))
    page = Paginator(persons.order_by("family_name", "given_name", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(p, person_row(p, scope)) for p in page.object_list]
    return render(
        request,
        "web/person_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "term": term,
            "query": filters.as_query(),
            "status_choices": PersonStatus.choices,
        },
    )


@require_safe
def person_detail(request: HttpRequest, person_id: str) -> HttpResponse:
    scope = require(request.user, Action.VIEW_REGISTRY)
    person = selectors.get_person(request.user, person_id)
    record_read(actor=request.user, action="person.view", obj=person)
    household_ids = selectors.households_for(request.user).filter(
        memberships__person=person, memberships__active=True
    )
    return render(
        request,
        "web/person_detail.html",
        {
            "person": person,
            "fields": person_fields(person, scope),
            "households": list(household_ids),
        },
    )
