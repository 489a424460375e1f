"""The dashboard's forecast panel: the latest finished run the user may see."""

from __future__ import annotations

from typing import Any

from resettle.accounts.policy import Action
from resettle.accounts.selectors import scope_for
from resettle.forecast import presenters, selectors, services


def dashboard_forecast(user: Any) -> dict[str, Any] | None:
    """Fan chart and headline of the latest finished forecast (an audited read), or
    None when there is none in the user's reach."""
    run = selectors.latest_finished(user)
    if run is None:
        return None
    services.record_viewed(actor=user, run=run, page="dashboard")
    return {
        "run": run,
        "headline": presenters.headline(run),
        "chart": presenters.fan_chart(run),
        "can_run": scope_for(user).can(Action.RUN_FORECAST),
    }
