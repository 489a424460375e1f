"""Auditor pages (who saw or changed what) and governed exports: thin views over services."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods, require_POST

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require
from resettle.audit import exports
from resettle.audit.models import AuditEvent, ExportKind, ExportRequest, ExportStatus
from resettle.audit.services import record

PAGE_SIZE = 100


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _filtered_events(params: Any) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    filters = {k: str(params.get(k, "")).strip()[:150]
               for k in ("user", "object", "action", "since", "until")}
    events = AuditEvent.objects.all()
    if filters["user"]:
        events = events.filter(actor_username=filters["user"])
    if filters["action"]:
        events = events.filter(action__startswith=filters["action"])
    object_id = _uuid(filters["object"])
    if filters["object"] and object_id is None:
        filters["object"] = ""
    elif object_id is not None:
        # a household's events include those about its members (who saw or changed them)
        from resettle.registry.models import Membership

        ids = {str(object_id)} | {
            str(p) for p in Membership.objects.filter(household_id=object_id)
            .values_list("person_id", flat=True)}
        events = events.filter(object_id__in=ids)
    for key, op in (("since", "gte"), ("until", "lte")):
        day = parse_date(filters[key]) if filters[key] else None
        if filters[key] and day is None:
            filters[key] = ""
        elif day is not None:
            moment = datetime.combine(day, time.max if key == "until" else time.min,
                                      tzinfo=timezone.get_current_timezone())
            events = events.filter(**{f"at__{op}": moment})
    return events.order_by("-seq"), filters


@require_http_methods(["GET"])
def events(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_AUDIT)
    found, filters = _filtered_events(request.GET)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    with transaction.atomic():  # auditors are audited too
        record(actor=request.user, action="audit.viewed", object_type="audit",
               detail={k: v for k, v in filters.items() if v and k != "user"})
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "audit/events.html",
                  {"page": page, "filters": filters, "query": query})


def _visible_requests(request: HttpRequest) -> QuerySet[ExportRequest]:
    scope = require(request.user, Action.EXPORT)
    found = ExportRequest.objects.select_related("requested_by", "decided_by", "destination")
    if scope.can(Action.APPROVE_EXPORT) or scope.can(Action.VIEW_AUDIT):
        return found
    return found.filter(requested_by_id=request.user.pk)


@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's export requests, those awaiting their approval, and a request form."""
    scope = require(request.user, Action.EXPORT)
    from resettle.destinations.models import Destination

    status = 200
    error = ""
    if request.method == "POST":
        try:
            exports.request_export(
                actor=request.user, kind=request.POST.get("kind", ""),
                purpose=request.POST.get("purpose", ""),
                recipient=request.POST.get("recipient", ""),
                reason=request.POST.get("reason", ""),
                fields=request.POST.getlist("fields"),
                destination=_destination(request.POST.get("destination")),
                subject_id=_uuid(request.POST.get("subject")),
            )
        except exports.ExportError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, "Export requested: a second person must approve it.")
            return redirect("audit:exports")
    requests = list(_visible_requests(request)[:200])
    return render(request, "audit/exports.html", {
        "requests": requests,
        "error": error,
        "kinds": ExportKind.choices,
        "fields": exports.allowed_fields(scope),
        "destinations": Destination.objects.order_by("code"),
        "can_approve": scope.can(Action.APPROVE_EXPORT),
        "statuses": ExportStatus,
    }, status=status)


def _destination(value: str | None) -> Any:
    from resettle.destinations.models import Destination

    destination_id = _uuid(value)
    return None if destination_id is None else Destination.objects.filter(
        pk=destination_id).first()


def _request_or_400(request: HttpRequest) -> uuid.UUID | HttpResponse:
    request_id = _uuid(request.POST.get("request"))
    if request_id is None:
        return HttpResponseBadRequest("Which export request? (missing id)")
    return request_id


@require_POST
def export_decide(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.APPROVE_EXPORT)
    request_id = _request_or_400(request)
    if isinstance(request_id, HttpResponse):
        return request_id
    if not ExportRequest.objects.filter(pk=request_id).exists():
        raise Http404
    try:
        exports.decide_export(actor=request.user, request_id=request_id,
                              approve=request.POST.get("decision") == "approve",
                              note=request.POST.get("note", ""))
    except exports.ExportError as exc:
        messages.error(request, str(exc))
    return redirect("audit:exports")


@require_POST
def export_download(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.EXPORT)
    request_id = _request_or_400(request)
    if isinstance(request_id, HttpResponse):
        return request_id
    if not ExportRequest.objects.filter(pk=request_id,
                                        requested_by_id=request.user.pk).exists():
        raise Http404
    try:
        produced = exports.produce_export(actor=request.user, request_id=request_id,
                                          password=request.POST.get("password", ""))
    except exports.ExportError as exc:
        messages.error(request, str(exc))
        return redirect("audit:exports")
    response = HttpResponse(produced.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
    response["X-Content-SHA256"] = produced.sha256
    response["Cache-Control"] = "no-store"
    return response
