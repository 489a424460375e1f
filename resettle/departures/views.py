"""Departures pages: list, create/edit, manifest, boarding, arrival, "clear the camp".

Thin: check the action first (403 before any lookup), fetch through the scoped selectors
(out of scope = 404), validate the form, call one service, turn its error into a message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import require
from resettle.departures import forms, manifests, planning, selectors, services
from resettle.departures.models import (
    Departure,
    DepartureStatus,
    ManifestStatus,
    PlanningRun,
    PlanPurpose,
    RunStatus,
)
from resettle.registry import selectors as registry
from resettle.registry.models import Household


def _detail(departure: Departure, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("departures:detail", args=[departure.pk])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{name.replace('_', ' ')}: "
        messages.error(request, f"{label}{' '.join(errors)}")


def _run(request: HttpRequest, done: str, call: Callable[[], object]) -> bool:
    try:
        call()
    except services.DepartureError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, done)
    return True


# --------------------------------------------------------------------------- list, create


@require_safe
def departure_list(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.VIEW_DEPARTURES)
    status = request.GET.get("status", "")
    departures = selectors.with_counts(selectors.departures_for(request.user))
    if status in DepartureStatus.values:
        departures = departures.filter(status=status)
    elif status != "all":
        status = ""
        departures = departures.filter(
            status__in=(DepartureStatus.PLANNED, DepartureStatus.CONFIRMED,
                        DepartureStatus.DEPARTED))
    return render(request, "departures/list.html", {
        "departures": departures.order_by("date", "code"),
        "status": status,
        "statuses": DepartureStatus.choices,
        "can_manage": scope.can(Action.MANAGE_DEPARTURES),
    })


@require_http_methods(["GET", "POST"])
def departure_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    form = forms.DepartureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            departure = services.create_departure(actor=request.user, data=form.to_input())
        except services.DepartureError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Departure {departure.code} created.")
            return _detail(departure)
    return render(request, "departures/form.html", {"form": form, "departure": None},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def departure_edit(request: HttpRequest, departure_id: str) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    if request.method == "GET":
        form = forms.DepartureForm.for_departure(departure)
        return render(request, "departures/form.html", {"form": form, "departure": departure})
    form = forms.DepartureForm(request.POST)
    if form.is_valid():
        try:
            services.update_departure(
                actor=request.user, departure=departure,
                expected_version=form.cleaned_data["version"], data=form.to_input())
        except services.DepartureError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Departure saved.")
            return _detail(departure)
    return render(request, "departures/form.html", {"form": form, "departure": departure},
                  status=400)


# --------------------------------------------------------------------------- detail


def _household_sizes(household_ids: list[Any]) -> dict[Any, int]:
    return dict(
        Household.objects.filter(pk__in=household_ids)
        .annotate(n=Count("memberships", filter=Q(memberships__active=True,
                                                   memberships__travelling=True)))
        .values_list("pk", "n")
    )


@require_safe
def departure_detail(request: HttpRequest, departure_id: str) -> HttpResponse:
    scope = require(request.user, Action.VIEW_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    groups = selectors.manifest_of(departure)
    seats, special = selectors.seats_used(departure)
    on_board = [g for g in groups if g.status != "removed"]
    off = [g for g in groups if g.status == "removed"]
    return render(request, "departures/detail.html", {
        "departure": departure,
        "groups": on_board,
        "removed": off,
        "seats_used": seats,
        "seats_left": departure.seats - seats,
        "special": [(k, v, special.get(k, 0)) for k, v in
                    sorted((departure.special_places or {}).items())],
        "escorts": special.get("escort", 0),
        "can_manage": scope.can(Action.MANAGE_DEPARTURES),
        "sees_identity": scope.sees(FieldGroup.IDENTITY),
        "sees_needs": scope.sees(FieldGroup.NEEDS),
        "editable": departure.status == DepartureStatus.PLANNED,
        "variants": [v.value for v in manifests.Variant],
        "formats": [f.value for f in manifests.Format],
        "add_form": forms.AddHouseholdForm(),
    })


def _versioned_action(
    request: HttpRequest, departure_id: str, success: str, service: Any
) -> HttpResponse:
    """A status change that needs only the version the user saw (confirm, close, arrive)."""
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(departure)
    _run(request, success, lambda: service(
        actor=request.user, departure=departure, expected_version=form.cleaned_data["version"]))
    return _detail(departure)


@require_POST
def departure_confirm(request: HttpRequest, departure_id: str) -> HttpResponse:
    return _versioned_action(request, departure_id,
                             "Departure confirmed: the manifest is final.",
                             services.confirm_departure)


@require_POST
def departure_cancel(request: HttpRequest, departure_id: str) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(departure)
    _run(request, "Departure cancelled; its households are back to ready.",
         lambda: services.cancel_departure(
             actor=request.user, departure=departure,
             expected_version=form.cleaned_data["version"], reason=form.cleaned_data["reason"]))
    return _detail(departure)


@require_POST
def manifest_add(request: HttpRequest, departure_id: str) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    form = forms.AddHouseholdForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(departure, "manifest")
    household = registry.households_for(request.user).filter(
        reference__iexact=form.cleaned_data["reference"].strip()).first()
    if household is None:
        messages.error(request, "No household with that case number.")
        return _detail(departure, "manifest")
    _run(request, f"{household.reference} added to the manifest.",
         lambda: services.book_household(actor=request.user, departure=departure,
                                         household=household,
                                         reason=form.cleaned_data["reason"]))
    return _detail(departure, "manifest")


@require_POST
def manifest_remove(request: HttpRequest, departure_id: str) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    form = forms.RemoveHouseholdForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _detail(departure, "manifest")
    household = registry.households_for(request.user).filter(
        pk=form.cleaned_data["household"]).first()
    if household is None:
        messages.error(request, "No such household.")
        return _detail(departure, "manifest")
    _run(request, f"{household.reference} taken off the manifest and back to ready.",
         lambda: services.remove_household(
             actor=request.user, departure=departure, household=household,
             expected_version=form.cleaned_data["version"], reason=form.cleaned_data["reason"]))
    return _detail(departure, "manifest")


@require_safe
def manifest_download(request: HttpRequest, departure_id: str) -> HttpResponse:
    scope = require(request.user, Action.VIEW_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    try:
        variant = manifests.Variant(request.GET.get("variant", "carrier"))
        fmt = manifests.Format(request.GET.get("format", "pdf"))
    except ValueError:
        return HttpResponse("Unknown manifest variant or format.", status=400,
                            content_type="text/plain")
    manifest = manifests.build(departure, variant, scope)
    body = manifests.RENDERERS[fmt](manifest)
    services.record_manifest(actor=request.user, departure=departure, variant=variant.value,
                             fmt=fmt.value, passengers=manifest.passengers,
                             columns=[c.key for c in manifest.columns])
    response = HttpResponse(body, content_type=manifests.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{manifests.filename(manifest, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- departure day


@require_safe
def boarding(request: HttpRequest, departure_id: str) -> HttpResponse:
    scope = require(request.user, Action.VIEW_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    groups = [g for g in selectors.manifest_of(departure) if g.status != "removed"]
    lines = [line for g in groups for line in g.lines]
    counts = {s: sum(1 for ln in lines if ln.status == s) for s in ManifestStatus.values}
    return render(request, "departures/boarding.html", {
        "departure": departure,
        "groups": groups,
        "counts": counts,
        "rule": services.NO_SHOW_RULE,
        "can_manage": scope.can(Action.MANAGE_DEPARTURES),
        "open": departure.status == DepartureStatus.CONFIRMED,
        "days_to_go": (departure.date - timezone.localdate()).days,
    })


@require_POST
def check_in(request: HttpRequest, departure_id: str) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    departure = selectors.get_departure(request.user, departure_id)
    back = HttpResponseRedirect(reverse("departures:boarding", args=[departure.pk]))
    form = forms.CheckInForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return back
    person = form.cleaned_data["person"]
    outcome = form.cleaned_data["outcome"]
    if outcome == "boarded":
        _run(request, "Boarded.", lambda: services.board(
            actor=request.user, departure=departure, person=person))
    elif outcome == "undo_no_show":
        _run(request, "No-show undone: the household is back on this departure.",
             lambda: services.undo_no_show(actor=request.user, departure=departure,
                                           person=person))
    else:
        _run(request, "No-show recorded: the household is off this departure and back to "
             "ready.", lambda: services.no_show(
                 actor=request.user, departure=departure, person=person,
                 reason=form.cleaned_data["reason"]))
    return back


@require_POST
def departure_close(request: HttpRequest, departure_id: str) -> HttpResponse:
    return _versioned_action(request, departure_id,
                             "Departed: the passengers have left the camp.",
                             services.close_departure)


@require_POST
def departure_arrive(request: HttpRequest, departure_id: str) -> HttpResponse:
    return _versioned_action(request, departure_id, "Arrival confirmed.", services.confirm_arrival)


# --------------------------------------------------------------------------- clear the camp


def _run_view(request: HttpRequest, run: PlanningRun | None) -> dict[str, Any]:
    """What the page shows of a run: households the user may see, grouped per destination."""
    if run is None or run.status != RunStatus.DONE:
        return {}
    result = run.result
    today = date.fromisoformat(result["today"])
    visible = {str(h.pk): h for h in registry.households_for(request.user).filter(
        pk__in=list(result["assignments"]) + list(result["unassigned"])
        + list(result["excluded"]) + list(result["booked"]))}
    sizes = {str(k): v for k, v in _household_sizes(list(visible)).items()}
    departure_ids = set(result["assignments"].values()) | set(result["booked"].values())
    departures = {str(d.pk): d for d in selectors.departures_for(request.user).filter(
        pk__in=list(departure_ids))}
    trips: dict[str, dict[str, Any]] = {}
    for source, household_departure in (("planned", result["assignments"]),
                                        ("booked", result["booked"])):
        for household_id, departure_id in household_departure.items():
            household = visible.get(household_id)
            departure = departures.get(departure_id)
            if household is None or departure is None:
                continue
            trip = trips.setdefault(departure_id, {
                "departure": departure, "households": [], "persons": 0})
            trip["households"].append((household, source))
            trip["persons"] += sizes.get(household_id, 0)
    per_destination: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for trip in sorted(trips.values(), key=lambda t: (t["departure"].date, t["departure"].code)):
        trip["households"].sort(key=lambda hs: hs[0].reference)
        per_destination[trip["departure"].destination.name].append(trip)
    sees_holds = require(request.user, Action.VIEW_DEPARTURES).sees(FieldGroup.HOLDS)
    cannot: list[dict[str, Any]] = []
    reasons = {**result["excluded"], **result["unassigned"]}
    for household_id, reason in reasons.items():
        household = visible.get(household_id)
        if household is None:
            continue
        category = result["categories"].get(household_id) or planning.categorise(reason)
        if category == "hold" and not sees_holds:
            reason, category = "cannot travel yet", "other"
        cannot.append({"household": household, "reason": reason, "category": category,
                       "persons": sizes.get(household_id, 0)})
    cannot.sort(key=lambda c: (c["category"], c["household"].reference))
    by_category: dict[str, int] = defaultdict(int)
    for c in cannot:
        by_category[c["category"]] += 1
    last = max((t["departure"].date for t in trips.values()), default=None)
    gain = None
    if result.get("fcfs_person_days_at_risk"):
        fcfs = result["fcfs_person_days_at_risk"]
        gain = 100.0 * (fcfs - result["person_days_at_risk"]) / fcfs if fcfs else None
    return {
        "today": today,
        "per_destination": sorted(per_destination.items()),
        "cannot": cannot,
        "by_category": sorted(by_category.items()),
        "empty_day": last if not cannot else None,
        "last_day": last,
        "left_behind_persons": sum(c["persons"] for c in cannot),
        "gain": gain,
        "result": result,
        "proposed": sum(1 for t in trips.values() for _h, s in t["households"] if s == "planned"),
    }


@require_safe
def clear_camp(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.VIEW_DEPARTURES)
    purpose = request.GET.get("purpose", PlanPurpose.CLEAR)
    if purpose not in PlanPurpose.values:
        purpose = PlanPurpose.CLEAR
    run = selectors.latest_run(request.user, purpose)
    busy = run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and not (
        planning.is_stale(run))
    context = {
        "run": run, "busy": busy, "purpose": purpose,
        "stale": run is not None and planning.is_stale(run),
        "can_manage": scope.can(Action.MANAGE_DEPARTURES),
        "can_book": run is not None and run.purpose == PlanPurpose.BOOK
        and run.status == RunStatus.DONE and run.applied_at is None,
        **_run_view(request, run),
    }
    if getattr(request, "htmx", False) or request.headers.get("HX-Request") == "true":
        return render(request, "departures/_run.html", context)
    return render(request, "departures/clear.html", context)


@require_POST
def plan_start(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    form = forms.PlanForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(reverse("departures:clear"))
    purpose = form.cleaned_data["purpose"]
    _run(request, "Planning started; this page updates when the plan is ready.",
         lambda: services.start_planning_run(actor=request.user, purpose=purpose))
    return HttpResponseRedirect(reverse("departures:clear") + f"?purpose={purpose}")


@require_POST
def plan_apply(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.MANAGE_DEPARTURES)
    run = selectors.latest_run(request.user, PlanPurpose.BOOK)
    if run is None:
        messages.error(request, "There is no booking plan to apply.")
        return HttpResponseRedirect(reverse("departures:clear") + "?purpose=book")
    try:
        outcomes = services.apply_run(actor=request.user, run=run)
    except services.DepartureError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("departures:clear") + "?purpose=book")
    return render(request, "departures/applied.html", {
        "outcomes": outcomes,
        "booked": sum(1 for o in outcomes if o.ok),
        "refused": sum(1 for o in outcomes if not o.ok),
    })
