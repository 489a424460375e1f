"""Casework actions (POST, then back to the household page) and the work queues.

Thin: check the action, fetch the household through the scoped selector (out of scope =
404), validate the form, call one service, turn its error into a message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import require
from resettle.casework import forms, selectors, services
from resettle.casework.models import HOLD_TYPE_CHOICES
from resettle.core.stages import Stage
from resettle.registry import selectors as registry
from resettle.registry.filters import HouseholdFilter
from resettle.registry.models import Household

QUEUE_PAGE_SIZE = 100
BULK_LIMIT = 500


def _back(household: Household) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("web:household", args=[household.pk]) + "#actions")


def _form_errors(request: HttpRequest, form: Any) -> None:
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{name.replace('_', ' ')}: "
        messages.error(request, f"{label}{' '.join(errors)}")


def _run(request: HttpRequest, household: Household, done: str,
         call: Callable[[], object]) -> HttpResponseRedirect:
    try:
        call()
    except services.CaseworkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(household)


@require_POST
def move(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.TRANSITION)
    household = registry.get_household(request.user, household_id)
    form = forms.MoveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    target = Stage(form.cleaned_data["target"])
    return _run(request, household, f"Moved to {target.label.lower()}.", lambda: (
        services.transition_household(
            actor=request.user, household=household, target=target,
            expected_version=form.cleaned_data["version"], reason=form.cleaned_data["reason"])))


@require_POST
def submit(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.TRANSITION)
    household = registry.get_household(request.user, household_id)
    form = forms.SubmitForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    from resettle.destinations.models import Destination

    destination = Destination.objects.filter(pk=form.cleaned_data["destination"],
                                             active=True).first()
    if destination is None:
        messages.error(request, "Choose an active destination.")
        return _back(household)
    return _run(request, household, f"Submitted to {destination.name}.", lambda: (
        services.submit_household(
            actor=request.user, household=household, destination=destination,
            expected_version=form.cleaned_data["version"], reason=form.cleaned_data["reason"])))


@require_POST
def close(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.TRANSITION)
    household = registry.get_household(request.user, household_id)
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    closure = Stage(form.cleaned_data["closure"])
    return _run(request, household, f"Case closed: {closure.label.lower()}.", lambda: (
        services.close_household(
            actor=request.user, household=household, closure=closure,
            reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"])))


def _member_choices(household: Household) -> list[tuple[str, str]]:
    return [(str(m.person_id), str(m.person_id)) for m in registry.active_members(household)]


@require_POST
def decide(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.RECORD_DECISION)
    household = registry.get_household(request.user, household_id)
    form = forms.DecisionForm(request.POST, members=_member_choices(household))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    decision = form.cleaned_data["decision"]
    return _run(request, household, f"Decision recorded: {decision}.", lambda: (
        services.record_decision(
            actor=request.user, household=household, decision=decision,
            expected_version=form.cleaned_data["version"],
            accepted_members=form.cleaned_data["accepted"], notes=form.cleaned_data["notes"])))


@require_POST
def confirm_split(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.TRANSITION)
    household = registry.get_household(request.user, household_id)
    form = forms.SplitForm(request.POST, members=_member_choices(household))
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    return _run(request, household, "Split confirmed.", lambda: services.confirm_split(
        actor=request.user, household=household, expected_version=form.cleaned_data["version"],
        staying=form.cleaned_data["staying"]))


@require_POST
def place_hold(request: HttpRequest, household_id: str) -> HttpResponse:
    scope = require(request.user, Action.MANAGE_HOLDS)
    household = registry.get_household(request.user, household_id)
    form = forms.HoldForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    data = form.cleaned_data
    person = selectors.person_of_household(household, data["person"])
    hold = services.HoldInput(
        hold_type=data["hold_type"], reason=data["reason"], start_date=data["start_date"],
        review_date=data["review_date"], authority=data["authority"],
        reference=data["reference"] if scope.sees(FieldGroup.HOLD_REFERENCES) else "",
        notes=data["notes"] if scope.sees(FieldGroup.HOLD_REFERENCES) else "",
    )
    return _run(request, household, "Hold placed.", lambda: services.place_hold(
        actor=request.user, person=person, hold=hold))


def _hold_action(request: HttpRequest, household_id: str, lift: bool) -> HttpResponse:
    require(request.user, Action.MANAGE_HOLDS)
    household = registry.get_household(request.user, household_id)
    form = forms.HoldActionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    hold = selectors.hold_of_household(household, form.cleaned_data["hold"])
    version = form.cleaned_data["hold_version"]
    if lift:
        return _run(request, household, "Hold lifted.", lambda: services.lift_hold(
            actor=request.user, hold=hold, expected_version=version,
            reason=form.cleaned_data["reason"]))
    return _run(request, household, "Hold confirmed.", lambda: services.confirm_hold(
        actor=request.user, hold=hold, expected_version=version))


@require_POST
def lift_hold(request: HttpRequest, household_id: str) -> HttpResponse:
    return _hold_action(request, household_id, lift=True)


@require_POST
def confirm_hold(request: HttpRequest, household_id: str) -> HttpResponse:
    return _hold_action(request, household_id, lift=False)


@require_POST
def add_document(request: HttpRequest, household_id: str) -> HttpResponse:
    scope = require(request.user, Action.MANAGE_DOCUMENTS)
    household = registry.get_household(request.user, household_id)
    form = forms.DocumentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(household)
    data = form.cleaned_data
    person = selectors.person_of_household(household, data["person"])
    document = services.DocumentInput(
        kind=data["kind"], valid_from=data["valid_from"], valid_until=data["valid_until"],
        number=data["number"] if scope.sees(FieldGroup.DOCUMENTS) else "",
        issuing_country=data["issuing_country"],
    )
    return _run(request, household, "Document recorded.", lambda: services.add_document(
        actor=request.user, person=person, document=document))


@require_safe
def holds_help(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_REGISTRY)
    rows = selectors.hold_help_rows()
    return render(request, "casework/holds_help.html", {
        "rows": rows, "stages": [label for label, _b in rows[0][2]]})


# --------------------------------------------------------------------------- queues


@dataclass
class QueueRow:
    household: Any
    days: int
    sla: str
    holds: list[str]
    overdue: bool


def _queue_filters(request: HttpRequest) -> tuple[HouseholdFilter, Stage]:
    filters = HouseholdFilter.from_query(request.GET)
    stage = Stage(filters.stage) if filters.stage else Stage.REGISTERED
    return filters, stage


@require_safe
def queues(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.TRANSITION)
    filters, stage = _queue_filters(request)
    unstaged = HouseholdFilter(**{**filters.__dict__, "stage": ""})
    base = unstaged.apply(registry.households_for(request.user), request.user)
    counts = selectors.stage_counts(base)
    if not filters.stage:
        stage = next((s for s, n in counts if n), Stage.REGISTERED)
    listed = registry.with_list_columns(base.filter(stage=stage.value)).order_by(
        "stage_changed_at", "reference")
    page = Paginator(listed, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    ids = [h.pk for h in page.object_list]
    holds = selectors.active_hold_types(ids) if scope.sees(FieldGroup.HOLDS) else {}
    overdue = selectors.overdue_households(ids, today=today) if scope.sees(
        FieldGroup.HOLDS) else set()
    rows = []
    for household in page.object_list:
        days = selectors.days_in_stage(household, today=today)
        rows.append(QueueRow(household, days, selectors.sla_class(stage, days),
                             holds.get(household.pk, []), household.pk in overdue))
    query = HouseholdFilter(**{**filters.__dict__, "stage": stage.value}).as_query()
    return render(request, "casework/queues.html", {
        "filters": filters, "stage": stage, "counts": counts, "rows": rows, "page": page,
        "query": query, "sla_days": selectors.STAGE_SLA_DAYS.get(stage),
        "bulk_targets": [t for t in selectors.BULK_TARGETS],
        "hold_types": [v for v, _l in HOLD_TYPE_CHOICES],
        "risk_levels": HouseholdFilter.RISK_LEVELS,
        "sees_holds": scope.sees(FieldGroup.HOLDS), "sees_risk": scope.sees(FieldGroup.RISK),
        "sees_needs": scope.sees(FieldGroup.NEEDS),
    })


@dataclass
class BulkResult:
    reference: str
    household_id: str
    outcome: str  # moved, refused, conflict
    detail: str


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Move each selected household in its own transaction; report one line per household."""
    require(request.user, Action.TRANSITION)
    form = forms.BulkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return HttpResponseRedirect(reverse("casework:queues"))
    target = Stage(form.cleaned_data["target"])
    selected = forms.parse_selected(request.POST.getlist("selected"))
    if selected is None:
        messages.error(request, "A selected household is malformed.")
        return HttpResponseRedirect(reverse("casework:queues"))
    if target not in selectors.BULK_TARGETS:
        messages.error(request, f"{target.label} cannot be set in bulk: open each household.")
        return HttpResponseRedirect(reverse("casework:queues"))
    if not selected:
        messages.error(request, "Select at least one household.")
        return HttpResponseRedirect(reverse("casework:queues"))
    if len(selected) > BULK_LIMIT:
        messages.error(request, f"At most {BULK_LIMIT} households at once.")
        return HttpResponseRedirect(reverse("casework:queues"))
    results = bulk_move(request.user, selected, target, form.cleaned_data["reason"])
    moved = sum(1 for r in results if r.outcome == "moved")
    return render(request, "casework/bulk_result.html", {
        "results": results, "target": target, "moved": moved,
        "not_moved": len(results) - moved})


def bulk_move(user: Any, selected: list[tuple[str, int]], target: Stage,
              reason: str) -> list[BulkResult]:
    scoped = registry.households_for(user)
    results: list[BulkResult] = []
    for raw_id, version in selected:
        try:
            household = scoped.get(pk=uuid.UUID(raw_id))
        except (ValueError, Household.DoesNotExist):
            results.append(BulkResult("?", raw_id, "refused", "No such household."))
            continue
        try:
            if target == Stage.SUBMITTED:
                if household.destination is None:
                    raise services.CaseworkError("No destination has been chosen.")
                services.submit_household(actor=user, household=household,
                                          destination=household.destination,
                                          expected_version=version, reason=reason)
            else:
                services.transition_household(actor=user, household=household, target=target,
                                              expected_version=version, reason=reason)
        except services.ConflictError as exc:
            results.append(BulkResult(household.reference, raw_id, "conflict", str(exc)))
        except services.CaseworkError as exc:
            detail = " ".join(r.message for r in exc.refusals) or str(exc)
            results.append(BulkResult(household.reference, raw_id, "refused", detail))
        else:
            results.append(BulkResult(household.reference, raw_id, "moved",
                                      f"Now {target.label.lower()}."))
    return results
