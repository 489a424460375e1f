"""From a stored run to what a page shows: headline numbers, the fan chart, the table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from resettle.forecast.models import ForecastRun, RunStatus
from resettle.forecast.runner import is_stale
from resettle.reports import charts


def fan_chart(run: ForecastRun) -> str:
    """Residents present over time: the P10-P90 band and the P50 line (SVG)."""
    band = run.result.get("baseline", {}).get("residents_present", {})
    days = band.get("day", [])
    labels = [(run.today + timedelta(days=int(d))).strftime("%Y-%m") for d in days]
    return charts.line_chart(
        "Residents present, forecast (P10-P90 band, P50 line)",
        labels,
        {"P50 residents present": band.get("p50", [])},
        band=(band.get("p10", []), band.get("p90", [])),
    )


def _date(run: ForecastRun, day: float | None) -> date | None:
    return None if day is None else run.today + timedelta(days=round(day))


def headline(run: ForecastRun) -> dict[str, Any]:
    """The current forecast in a few numbers (None where not cleared in the horizon)."""
    base = run.result.get("baseline", {})
    cd = base.get("clear_day", {})
    pd = base.get("person_days_at_risk", {})
    clear_by = base.get("clear_by") or []
    bottleneck = base.get("bottleneck") or {}
    return {
        "p10": _date(run, cd.get("p10")),
        "p50": _date(run, cd.get("p50")),
        "p90": _date(run, cd.get("p90")),
        "cleared_fraction": cd.get("cleared_fraction"),
        "clear_by": run.clear_by,
        "clear_by_probability": clear_by[0]["probability"] if clear_by else None,
        "person_days_p50": pd.get("p50"),
        "person_days_p10": pd.get("p10"),
        "person_days_p90": pd.get("p90"),
        "deaths_mean": (base.get("deaths") or {}).get("mean"),
        "bottleneck": bottleneck.get("name"),
        "bottleneck_utilisation": bottleneck.get("utilisation_mean"),
        "residents": base.get("residents"),
        "households": base.get("households"),
        "horizon_years": round(float(base.get("horizon_days", 3650)) / 365),
        "on_hold": (run.calibration or {}).get("households", {}).get("on_hold_today"),
        "on_hold_unknown": (run.calibration or {}).get("households", {}).get(
            "on_hold_today_lift_unknown"
        ),
    }


def rows(run: ForecastRun) -> list[dict[str, Any]]:
    """The comparison table, with dates and the direction of each change."""
    out = []
    for row in run.result.get("rows", []):
        item = dict(row)
        if row.get("ok"):
            item["p50"] = _date(run, row.get("p50_clear_day"))
            item["p90"] = _date(run, row.get("p90_clear_day"))
            d = row.get("delta_p50_days")
            item["sooner"] = d is not None and d < 0
            item["later"] = d is not None and d > 0
        out.append(item)
    return out


def view_model(run: ForecastRun | None) -> dict[str, Any]:
    """Context for the run partial: progress while busy, results when done."""
    if run is None:
        return {"run": None, "busy": False, "stale": False}
    stale = is_stale(run)
    context: dict[str, Any] = {
        "run": run,
        "busy": run.busy and not stale,
        "stale": stale,
        "percent": round(100 * run.steps_done / run.steps_total) if run.steps_total else 0,
    }
    if run.status == RunStatus.DONE and run.result:
        context.update({
            "headline": headline(run),
            "rows": rows(run),
            "chart": fan_chart(run),
            "variants": max(0, len(run.result.get("rows", [])) - 1),
        })
    return context
