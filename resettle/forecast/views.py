"""Forecast pages: the what-if page, one run (polled while it runs), starting a run.

Thin: check the action first (403 before any lookup), read through the scoped selectors
(out of scope = 404), validate the form, call one service. Showing a finished run's
results is an audited read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require
from resettle.forecast import presenters, selectors, services
from resettle.forecast.forms import WhatIfForm
from resettle.forecast.models import ForecastRun, RunStatus


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _show(request: HttpRequest, run: ForecastRun | None, form: WhatIfForm | None = None,
          status: int = 200) -> HttpResponse:
    context: dict[str, Any] = presenters.view_model(run)
    if run is not None and run.status == RunStatus.DONE:
        services.record_viewed(actor=request.user, run=run, page="whatif")
    if _is_htmx(request):
        return render(request, "forecast/_run.html", context, status=status)
    if form is None:
        initial: dict[str, Any] = {}
        if run is not None:
            initial = {"replications": run.replications, "seed": run.seed}
            if run.clear_by:
                initial["clear_by"] = run.clear_by
        form = WhatIfForm(initial=initial)
    context["form"] = form
    return render(request, "forecast/whatif.html", context, status=status)


@require_safe
def whatif(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.RUN_FORECAST)
    services.mark_stale()
    return _show(request, selectors.latest_run(request.user))


@require_safe
def run_detail(request: HttpRequest, run_id: Any) -> HttpResponse:
    require(request.user, Action.RUN_FORECAST)
    run = selectors.get_run(request.user, run_id)
    if run.busy:
        services.mark_stale()
        run.refresh_from_db()
    return _show(request, run)


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.RUN_FORECAST)
    form = WhatIfForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The forecast was not started: correct the marked fields.")
        return _show(request, selectors.latest_run(request.user), form, status=400)
    data = form.cleaned_data
    services.mark_stale()
    try:
        run = services.start_run(
            actor=request.user, replications=data["replications"], seed=data["seed"],
            levers=data["levers"], clear_by=data.get("clear_by"),
        )
    except services.ForecastError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("forecast:whatif"))
    return HttpResponseRedirect(reverse("forecast:run", args=[run.pk]))
