"""/api/v1/: the same scoped selectors, filters, services and audit as the web UI."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Schema

from resettle.accounts.policy import Action, FieldGroup
from resettle.api import schemas as s
from resettle.api.auth import TokenAuth, require, user_of
from resettle.api.errors import ApiError, install_handlers
from resettle.api.serializers import household_dict, paginate, person_dict
from resettle.audit.services import record, record_read
from resettle.casework.models import (
    Hold,
    HoldStatus,
    MemberDecision,
    Submission,
    SubmissionStatus,
)
from resettle.core.stages import Decision, HoldType, Stage
from resettle.registry import selectors as registry
from resettle.registry.filters import HouseholdFilter, PersonFilter
from resettle.registry.models import PersonStatus, Sex

api = NinjaAPI(
    title="resettle API",
    version="1",
    description=(
        "Scoped, audited access to the relocation registry. Authenticate with a personal "
        "token (`Authorization: Bearer rst_...`); it acts with its user's roles and scopes. "
        "A record outside your scope answers 404 exactly like a missing one, and fields your "
        "role may not see are absent from responses. Errors use one envelope: "
        '`{"error": {"code", "message", "details"}}`. POST requests honour '
        "`Idempotency-Key`; updates need `If-Match` with the ETag you read (412 when stale)."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_handlers(api)

ERRORS: dict[int, type[Schema]] = {
    400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut, 422: s.ErrorOut,
}


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ApiError(404, "not_found", "No such record.") from exc


def _etag(version: int) -> str:
    return f'"v{version}"'


def _if_match(request: HttpRequest) -> int:
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise ApiError(428, "precondition_required",
                       "Send If-Match with the household's ETag (read it with GET first).")
    value = raw.removeprefix("W/").strip('"')
    if not value.startswith("v") or not value[1:].isdigit():
        raise ApiError(412, "precondition_failed", "If-Match does not hold a valid ETag.")
    return int(value[1:])


COUNTRY = r"^[A-Z]{2}$"


class PageQuery(Schema):
    """Paging; unknown query parameters are refused so that a misspelt filter never
    silently returns everything."""

    model_config = {"extra": "forbid"}
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=500)


class HouseholdQuery(PageQuery):
    stage: Stage | None = None
    destination: str | None = Field(None, pattern=COUNTRY)
    hold_type: HoldType | None = None
    registration_id: str | None = Field(None, min_length=1, max_length=64)


class PersonQuery(PageQuery):
    status: PersonStatus | None = None
    sex: Sex | None = None
    nationality: str | None = Field(None, pattern=COUNTRY)


def _reject_unknown(request: HttpRequest, model: type[Schema]) -> None:
    unknown = sorted(set(request.GET) - set(model.model_fields))
    if unknown:
        raise ApiError(422, "invalid_input", "Unknown query parameter.",
                       {"parameters": unknown[:10]})


# ---------------------------------------------------------------- persons


@api.get("/persons", response={200: s.PersonPage, **ERRORS}, exclude_unset=True,
         tags=["persons"])
def list_persons(request: HttpRequest, q: Query[PersonQuery]) -> dict[str, Any]:
    _reject_unknown(request, PersonQuery)
    scope = require(request, Action.VIEW_REGISTRY)
    filters = PersonFilter.from_query(q.model_dump(exclude_none=True, mode="json"))
    qs = filters.apply(registry.persons_for(user_of(request))).order_by("registration_id")
    items, count, next_url = paginate(request, qs, q.page, q.page_size)
    return {"results": [person_dict(p, scope) for p in items], "count": count, "next": next_url}


@api.get("/persons/{uuid:person_id}", response={200: s.PersonOut, **ERRORS}, exclude_unset=True,
         tags=["persons"])
def get_person(request: HttpRequest, person_id: uuid.UUID) -> dict[str, Any]:
    scope = require(request, Action.VIEW_REGISTRY)
    person = registry.get_person(user_of(request), person_id)
    record_read(actor=user_of(request), action="person.view", obj=person)
    return person_dict(person, scope)


# ---------------------------------------------------------------- households


@api.get("/households", response={200: s.HouseholdPage, **ERRORS}, exclude_unset=True,
         tags=["households"])
def list_households(request: HttpRequest, q: Query[HouseholdQuery]) -> dict[str, Any]:
    _reject_unknown(request, HouseholdQuery)
    scope = require(request, Action.VIEW_REGISTRY)
    user = user_of(request)
    filters = HouseholdFilter.from_query(q.model_dump(exclude_none=True, mode="json"))
    qs = filters.apply(registry.households_for(user), user).order_by("reference")
    items, count, next_url = paginate(request, qs, q.page, q.page_size)
    return {"results": [household_dict(h, scope) for h in items], "count": count,
            "next": next_url}


@api.post("/households/search", response={200: s.HouseholdPage, **ERRORS}, exclude_unset=True,
          tags=["households"])
def search_households(request: HttpRequest, body: s.SearchIn) -> dict[str, Any]:
    scope = require(request, Action.VIEW_REGISTRY)
    qs = registry.search_households(user_of(request), body.q).order_by("reference")
    items, count, _next = paginate(request, qs, body.page, body.page_size, with_next=False)
    return {"results": [household_dict(h, scope) for h in items], "count": count, "next": None}


@api.get("/households/{uuid:household_id}", response={200: s.HouseholdOut, **ERRORS},
         exclude_unset=True, tags=["households"])
def get_household(request: HttpRequest, household_id: uuid.UUID, response: HttpResponse) -> Any:
    scope = require(request, Action.VIEW_REGISTRY)
    household = registry.get_household(user_of(request), household_id)
    record_read(actor=user_of(request), action="household.view", obj=household)
    response["ETag"] = _etag(household.version)
    return household_dict(household, scope)


@api.post("/households/{uuid:household_id}/transitions",
          response={200: s.TransitionOut, 409: s.ErrorOut, 412: s.ErrorOut, 428: s.ErrorOut,
                    **ERRORS},
          tags=["households"])
def transition(
    request: HttpRequest, household_id: uuid.UUID, body: s.TransitionIn, response: HttpResponse
) -> Any:
    """Move a household to another stage; refused with the reason when a guard or hold
    blocks it. Booking, departure and arrival happen only through departures."""
    from resettle.casework.services import CaseworkError, ConflictError, transition_household

    require(request, Action.TRANSITION, write=True)
    household = registry.get_household(user_of(request), household_id)
    expected = _if_match(request)
    if expected != household.version:
        raise ApiError(412, "precondition_failed",
                       "The household changed since you read it; read it again.")
    source = household.stage
    try:
        transition_household(actor=user_of(request), household=household,
                             target=Stage(body.to), expected_version=expected,
                             reason=body.reason)
    except ConflictError as exc:
        raise ApiError(412, "precondition_failed", str(exc)) from exc
    except CaseworkError as exc:
        raise ApiError(409, "transition_refused", str(exc),
                       {"reasons": [{"code": r.code, "message": r.message}
                                    for r in exc.refusals]}) from exc
    household.refresh_from_db()
    response["ETag"] = _etag(household.version)
    return {"household": str(household.pk), "from_stage": source, "to_stage": household.stage,
            "version": household.version}


# ---------------------------------------------------------------- holds


def _hold_dict(hold: Hold, references: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(hold.pk), "person": str(hold.person_id), "hold_type": hold.hold_type,
        "reason": hold.reason, "status": hold.status, "start_date": hold.start_date,
        "review_date": hold.review_date, "lifted_at": hold.lifted_at,
    }
    if references:
        out["authority"] = hold.authority
        out["reference"] = hold.reference
    return out


class HoldQuery(PageQuery):
    hold_type: HoldType | None = None
    status: HoldStatus | None = None


@api.get("/holds", response={200: s.HoldPage, **ERRORS}, exclude_unset=True, tags=["holds"])
def list_holds(request: HttpRequest, q: Query[HoldQuery]) -> dict[str, Any]:
    _reject_unknown(request, HoldQuery)
    scope = require(request, Action.VIEW_REGISTRY)
    if not scope.sees(FieldGroup.HOLDS):
        raise ApiError(403, "forbidden", "Your role may not see holds.")
    qs = Hold.objects.filter(person__in=registry.persons_for(user_of(request)))
    if q.hold_type:
        qs = qs.filter(hold_type=q.hold_type)
    if q.status:
        qs = qs.filter(status=q.status)
    items, count, next_url = paginate(request, qs.order_by("-start_date", "id"), q.page,
                                      q.page_size)
    with transaction.atomic():
        record(actor=user_of(request), action="hold.list", object_type="casework.hold",
               detail={"count": len(items)})
    refs = scope.sees(FieldGroup.HOLD_REFERENCES)
    return {"results": [_hold_dict(h, refs) for h in items], "count": count, "next": next_url}


# ---------------------------------------------------------------- submissions


def _submissions_for(request: HttpRequest) -> Any:
    from resettle.accounts.selectors import scope_for

    user = user_of(request)
    scope = scope_for(user)
    qs = Submission.objects.filter(household__in=registry.households_for(user)).select_related(
        "household", "destination")
    if not scope.operation_wide:  # a liaison sees its own destination's submissions only
        qs = qs.filter(destination_id__in=list(scope.liaison_destination_ids))
    return qs


def _submission_dict(sub: Submission) -> dict[str, Any]:
    accepted = [
        str(d.person_id) for d in MemberDecision.objects.filter(submission=sub, accepted=True)
    ] if sub.decision else None
    return {
        "id": str(sub.pk), "household": str(sub.household_id),
        "household_reference": sub.household.reference, "destination": sub.destination.code,
        "status": sub.status, "submitted_at": sub.submitted_at,
        "decision": sub.decision or None, "decided_at": sub.decided_at,
        "accepted_members": accepted,
    }


class SubmissionQuery(PageQuery):
    status: SubmissionStatus | None = None
    destination: str | None = Field(None, pattern=COUNTRY)


@api.get("/submissions", response={200: s.SubmissionPage, **ERRORS}, exclude_unset=True,
         tags=["submissions"])
def list_submissions(request: HttpRequest, q: Query[SubmissionQuery]) -> dict[str, Any]:
    _reject_unknown(request, SubmissionQuery)
    require(request, Action.VIEW_REGISTRY)
    qs = _submissions_for(request)
    if q.status:
        qs = qs.filter(status=q.status)
    if q.destination:
        qs = qs.filter(destination__code=q.destination.upper()[:2])
    items, count, next_url = paginate(request, qs.order_by("-submitted_at", "id"), q.page,
                                      q.page_size)
    return {"results": [_submission_dict(x) for x in items], "count": count, "next": next_url}


@api.post("/submissions/{uuid:submission_id}/decision",
          response={200: s.SubmissionOut, 409: s.ErrorOut, **ERRORS}, exclude_unset=True,
          tags=["submissions"])
def post_decision(request: HttpRequest, submission_id: uuid.UUID, body: s.DecisionIn) -> Any:
    """A destination records its decision: accepted, rejected, deferred, or split (naming
    the accepted members)."""
    from resettle.casework.services import CaseworkError, record_decision

    require(request, Action.RECORD_DECISION, write=True)
    submission = _submissions_for(request).filter(pk=submission_id).first()
    if submission is None:
        raise ApiError(404, "not_found", "No such record.")
    if submission.status != SubmissionStatus.PENDING:
        raise ApiError(409, "already_decided", "This submission is no longer pending.")
    try:
        accepted = [_uuid(p) for p in body.accepted_members]
        record_decision(actor=user_of(request), household=submission.household,
                        expected_version=None, decision=Decision(body.decision),
                        accepted_members=accepted, notes=body.notes)
    except CaseworkError as exc:
        raise ApiError(409, "decision_refused", str(exc)) from exc
    submission.refresh_from_db()
    return _submission_dict(submission)


# ---------------------------------------------------------------- departures


def _departure_dict(dep: Any) -> dict[str, Any]:
    return {
        "id": str(dep.pk), "code": dep.code, "date": dep.date, "origin": dep.origin.name,
        "destination": dep.destination.code, "seats": dep.seats, "status": dep.status,
        "carrier": dep.carrier, "flight_number": dep.flight_number,
        "special_places": dep.special_places or {}, "passengers": getattr(dep, "passengers", 0),
    }


def _departures_for(request: HttpRequest) -> Any:
    from resettle.accounts.selectors import scope_for
    from resettle.departures.models import Departure

    scope = require(request, Action.VIEW_DEPARTURES)
    qs = Departure.objects.select_related("origin", "destination")
    if scope_for(user_of(request)).site_ids is not None:
        qs = qs.filter(origin_id__in=list(scope.site_ids or ()))
    return qs.annotate(passengers=Count("manifest", filter=~Q(manifest__status="removed")))


@api.get("/departures", response={200: s.DeparturePage, **ERRORS}, tags=["departures"])
def list_departures(request: HttpRequest, q: Query[PageQuery]) -> dict[str, Any]:
    _reject_unknown(request, PageQuery)
    items, count, next_url = paginate(request, _departures_for(request).order_by("date", "code"),
                                      q.page, q.page_size)
    return {"results": [_departure_dict(d) for d in items], "count": count, "next": next_url}


@api.get("/departures/{uuid:departure_id}/manifest", response={200: s.ManifestOut, **ERRORS},
         exclude_unset=True, tags=["departures"])
def get_manifest(request: HttpRequest, departure_id: uuid.UUID) -> dict[str, Any]:
    from resettle.accounts.selectors import scope_for

    departure = _departures_for(request).filter(pk=departure_id).first()
    if departure is None:
        raise ApiError(404, "not_found", "No such record.")
    scope = scope_for(user_of(request))
    lines = departure.manifest.exclude(status="removed").select_related("person", "household")
    with transaction.atomic():
        record(actor=user_of(request), action="manifest.view", obj=departure,
               detail={"channel": "api"})
    return {
        "departure": _departure_dict(departure),
        "lines": [
            {"household_reference": line.household.reference, "status": line.status,
             "person": person_dict(line.person, scope)}
            for line in lines.order_by("household__reference", "person__registration_id")
        ],
    }


# ---------------------------------------------------------------- incidents


@api.get("/incidents", response={200: s.IncidentPage, **ERRORS}, exclude_unset=True,
         tags=["incidents"])
def list_incidents(request: HttpRequest, q: Query[PageQuery]) -> dict[str, Any]:
    _reject_unknown(request, PageQuery)
    from resettle.incidents.selectors import casualty_counts, incidents_for, sees_details

    require(request, Action.VIEW_INCIDENTS)
    user = user_of(request)
    details = sees_details(user)
    items, count, next_url = paginate(request, incidents_for(user).order_by("-occurred_at"),
                                      q.page, q.page_size)
    results = []
    for incident in items:
        row: dict[str, Any] = {
            "id": str(incident.pk), "incident_type": incident.incident_type,
            "occurred_at": incident.occurred_at, "site": incident.site.name,
            "severity": incident.severity,
        }
        if details:
            row["killed"], row["injured"] = casualty_counts(incident)
            row["place"] = incident.place
            row["description"] = incident.description
        results.append(row)
    if details and items:
        with transaction.atomic():
            record(actor=user, action="incident.list", object_type="incidents.incident",
                   detail={"count": len(items)})
    return {"results": results, "count": count, "next": next_url}


# ---------------------------------------------------------------- allocation runs


@api.get("/allocation-runs", response={200: s.AllocationRunPage, **ERRORS},
         tags=["allocation"])
def list_allocation_runs(request: HttpRequest, q: Query[PageQuery]) -> dict[str, Any]:
    _reject_unknown(request, PageQuery)
    from resettle.allocation.models import AllocationRun

    require(request, Action.RUN_ALLOCATION)
    items, count, next_url = paginate(request, AllocationRun.objects.order_by("-created_at"),
                                      q.page, q.page_size)
    results = [
        {"id": str(r.pk), "status": r.status, "created_at": r.created_at,
         "finished_at": r.finished_at, "progress": r.progress,
         "summary": {k: v for k, v in (r.result or {}).items()
                     if k in ("status", "objective", "bound", "solve_seconds")}}
        for r in items
    ]
    return {"results": results, "count": count, "next": next_url}


# ---------------------------------------------------------------- stats


@api.get("/stats", response={200: s.StatsOut, **ERRORS}, exclude_unset=True, tags=["stats"])
def stats(request: HttpRequest) -> dict[str, Any]:
    from resettle.web.stats import headline_numbers

    require(request, Action.VIEW_REGISTRY)
    return headline_numbers(user_of(request))
