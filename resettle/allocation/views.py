"""Allocation pages: start a run, watch it solve, review, adjust, re-run, accept.

Thin: check the action, fetch the run through the scoped selector (out of scope = 404),
validate the form, call one service, turn its error into a message. Every page that
shows a run's results records an audited read.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require
from resettle.allocation import forms, selectors, services
from resettle.allocation.models import AllocationRun, RunStatus
from resettle.allocation.review import build_review
from resettle.audit.services import record_read

RUNS_SHOWN = 30


def _run_url(run: AllocationRun, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("allocation:run", args=[run.pk]) + anchor)


def _form_errors(request: HttpRequest, form: Form) -> None:
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{name.replace('_', ' ')}: "
        messages.error(request, f"{label}{' '.join(str(e) for e in errors)}")


def _runs_page(request: HttpRequest, form: forms.RunForm, status: int = 200) -> HttpResponse:
    services.expire_stale_runs()
    return render(request, "allocation/runs.html", {
        "form": form,
        "runs": selectors.runs_for(request.user).defer("problem", "context").annotate(
            households=Count("placements"))[:RUNS_SHOWN],
        "waiting": selectors.waiting_summary(request.user),
    }, status=status)


@require_safe
def runs(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    return _runs_page(request, forms.RunForm())


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    form = forms.RunForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form, status=400)
    try:
        run = services.create_run(actor=request.user, time_limit=form.cleaned_data["time_limit"],
                                  seed=form.cleaned_data["seed"])
    except services.AllocationError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("allocation:runs"))
    return _run_url(run)


@require_safe
def run(request: HttpRequest, run_id: str) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    found = selectors.get_run(request.user, run_id)
    services.expire_stale_runs()
    found.refresh_from_db()
    review = None
    if found.has_results:
        record_read(actor=request.user, action="allocation_run.view", obj=found)
        review = build_review(found, selectors.placements_of(found))
    return render(request, "allocation/run.html", {
        "run": found,
        "review": review,
        "progress": services.shown_progress(found),
        "can_change": found.status == RunStatus.DONE,
    })


@require_safe
def progress(request: HttpRequest, run_id: str) -> HttpResponse:
    """The polled fragment; once the run has finished, htmx reloads the whole page."""
    require(request.user, Action.RUN_ALLOCATION)
    found = selectors.get_run(request.user, run_id)
    services.expire_stale_runs()
    found.refresh_from_db()
    response = render(request, "allocation/_progress.html", {
        "run": found, "progress": services.shown_progress(found)})
    if not found.in_progress:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def placement(request: HttpRequest, run_id: str) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    found = selectors.get_run(request.user, run_id)
    form = forms.PlacementForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _run_url(found)
    data = form.cleaned_data
    action = data["action"]
    try:
        changed = services.change_placement(
            actor=request.user, run=found, placement_id=data["placement"],
            expected_version=data["version"], lock=action != "unlock",
            destination_code=(data["destination"] or None) if action == "change" else None,
        )
    except services.AllocationError as exc:
        messages.error(request, str(exc))
        return _run_url(found)
    verb = {"lock": "locked", "unlock": "unlocked", "change": "moved and locked"}[action]
    messages.success(request, f"{changed.household.reference} {verb}.")
    return _run_url(found, f"#p-{changed.pk}")


@require_POST
def rerun(request: HttpRequest, run_id: str) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    found = selectors.get_run(request.user, run_id)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _run_url(found)
    if form.cleaned_data["version"] != found.version:
        messages.error(request, "The run changed since you opened it: reload and try again.")
        return _run_url(found)
    try:
        new = services.create_run(actor=request.user, time_limit=found.time_limit,
                                  seed=found.seed, rerun_of=found)
    except services.AllocationError as exc:
        messages.error(request, str(exc))
        return _run_url(found)
    messages.success(request, "Re-running with the locked placements.")
    return _run_url(new)


@require_POST
def accept(request: HttpRequest, run_id: str) -> HttpResponse:
    require(request.user, Action.RUN_ALLOCATION)
    require(request.user, Action.TRANSITION)
    found = selectors.get_run(request.user, run_id)
    form = forms.VersionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _run_url(found)
    try:
        outcome = services.accept_run(actor=request.user, run=found,
                                      expected_version=form.cleaned_data["version"])
    except services.AllocationError as exc:
        messages.error(request, str(exc))
        return _run_url(found)
    text = f"Accepted: {len(outcome.submitted)} households submitted."
    if outcome.refused:
        messages.warning(request, f"{text} {len(outcome.refused)} refused: see the reasons "
                                  "below; they stay waiting for allocation.")
    else:
        messages.success(request, text)
    return _run_url(found)
