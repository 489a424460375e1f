"""Reads of forecast runs, always scoped to the user.

A run covers the sites of the user who started it (all sites, or a site-narrowed
user's sites); a user sees the runs that cover exactly their own reach, so a forecast
never tells a site-narrowed user about households beyond it. Out of scope = 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from resettle.accounts.selectors import scope_for
from resettle.forecast.models import ForecastRun, RunStatus
from resettle.forecast.services import scope_key_for


def runs_for(user: Any) -> QuerySet[ForecastRun]:
    scope = scope_for(user)
    if not scope.operation_wide:
        return ForecastRun.objects.none()
    return ForecastRun.objects.filter(scope_key=scope_key_for(user))


def get_run(user: Any, run_id: Any) -> ForecastRun:
    run = runs_for(user).filter(pk=run_id).select_related("created_by").first()
    if run is None:
        raise Http404("No such forecast run.")
    return run


def latest_run(user: Any) -> ForecastRun | None:
    return runs_for(user).select_related("created_by").order_by("-created_at").first()


def latest_finished(user: Any) -> ForecastRun | None:
    return (
        runs_for(user).filter(status=RunStatus.DONE).select_related("created_by")
        .order_by("-finished_at", "-created_at").first()
    )
