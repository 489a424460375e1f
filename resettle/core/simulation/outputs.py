"""From raw replications to the documented JSON report (and a short text rendering).

The report holds numbers only (no wall-clock time), so the same scenario, seed and
replication count give byte-identical JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .engine import CLOSURE_KINDS, RunArrays
from .scenario import Scenario

SCHEMA = "resettle.simulation/1"


def _num(x: float) -> float | None:
    """JSON-safe number: infinities (never cleared) become null."""
    x = float(x)
    return round(x, 3) if math.isfinite(x) else None


def dist(x: NDArray[np.float64]) -> dict[str, float | None]:
    """Mean and P10/P50/P90 over replications (empirical quantiles; inf allowed)."""
    q = np.quantile(x, [0.1, 0.5, 0.9], method="inverted_cdf")
    finite = x[np.isfinite(x)]
    mean = float(finite.mean()) if finite.size == x.size and x.size else math.inf
    return {"mean": _num(mean), "p10": _num(q[0]), "p50": _num(q[1]), "p90": _num(q[2])}


def summarise(sc: Scenario, ra: RunArrays, *, seed: int, replications: int) -> dict[str, Any]:
    """The documented report (see docs/simulation.md, "Outputs")."""
    clear = ra.clear_day
    cd = dist(clear)
    clear_days = {
        **cd,
        "cleared_fraction": _num(np.isfinite(clear).mean()),
        "dates": {
            k: (sc.date_of(v) if v is not None else None) for k, v in cd.items() if k != "mean"
        },
    }
    clear_by = [
        {"day": _num(day), "date": sc.date_of(day), "probability": _num((clear <= day).mean())}
        for day in sc.clear_by_days
    ]
    present = ra.present
    grid = np.arange(present.shape[1]) * sc.report_step_days
    nonzero = np.nonzero(present.max(0) > 0)[0]
    last = min(present.shape[1], int(nonzero[-1]) + 2) if nonzero.size else 1
    band = np.quantile(present[:, :last], [0.1, 0.5, 0.9], axis=0, method="inverted_cdf")
    residents = {
        "step_days": sc.report_step_days,
        "day": [float(d) for d in grid[:last]],
        "p10": band[0].tolist(),
        "p50": band[1].tolist(),
        "p90": band[2].tolist(),
        "mean": [round(float(v), 3) for v in present[:, :last].mean(0)],
    }
    codes = [d.code for d in sc.destinations]
    departures = {
        code: {
            "persons": dist(ra.departed_persons[:, i]),
            "households": dist(ra.departed_households[:, i]),
        }
        for i, code in enumerate(codes)
    }
    stages = {}
    for key, wait in ra.stage_wait_days.items():
        served = ra.stage_served[key].sum()
        stages[key] = {
            "households_through": _num(ra.stage_served[key].mean()),
            "mean_wait_days": _num(wait.sum() / served) if served else None,
        }
    caps = [
        {
            "name": c.name,
            "kind": c.kind,
            "utilisation": dist(c.utilisation),
            "wait_person_days": dist(c.wait_person_days),
        }
        for c in ra.capacities
    ]
    bottleneck = None
    if caps:
        worst = max(ra.capacities, key=lambda c: float(c.wait_person_days.mean()))
        bottleneck = {
            "name": worst.name,
            "utilisation_mean": _num(worst.utilisation.mean()),
            "wait_person_days_mean": _num(worst.wait_person_days.mean()),
            "why": "households waited longest (person-days) in front of this capacity",
        }
    return {
        "schema": SCHEMA,
        "scenario": sc.name,
        "start_date": sc.start_date.isoformat() if sc.start_date else None,
        "horizon_days": sc.horizon_days,
        "replications": replications,
        "seed": seed,
        "policy": sc.policy,
        "households": sc.household_count,
        "residents": sc.resident_count,
        "clear_day": clear_days,
        "clear_by": clear_by,
        "residents_present": residents,
        "departures_by_destination": departures,
        "person_days_at_risk": dist(ra.person_days),
        "risk_weighted_person_days": dist(ra.risk_person_days),
        "deaths": dist(ra.deaths),
        "closures_households": {k: dist(ra.closures[:, i]) for i, k in enumerate(CLOSURE_KINDS)},
        "stranded_households": dist(ra.stranded),
        "stages": stages,
        "capacities": caps,
        "bottleneck": bottleneck,
    }


def _fmt_day(report: dict[str, Any], key: str) -> str:
    v = report["clear_day"][key]
    if v is None:
        return "not cleared"
    date = report["clear_day"]["dates"].get(key)
    return f"day {v:,.0f}" + (f" ({date})" if date else "")


def render_report(report: dict[str, Any]) -> str:
    """A few lines for the terminal: the answer first, then what limits it."""
    cd = report["clear_day"]
    lines = [
        f"{report['scenario']}: {report['households']} households, {report['residents']} "
        f"residents, {report['replications']} replications, seed {report['seed']}, "
        f"policy {report['policy']}",
        f"camp empty: P10 {_fmt_day(report, 'p10')}, P50 {_fmt_day(report, 'p50')}, "
        f"P90 {_fmt_day(report, 'p90')}; cleared within horizon in "
        f"{100 * (cd['cleared_fraction'] or 0):.0f}% of runs",
    ]
    for item in report["clear_by"]:
        label = item["date"] or f"day {item['day']:g}"
        lines.append(f"  P(empty by {label}) = {item['probability']:.2f}")
    pd = report["person_days_at_risk"]
    lines.append(
        f"person-days at risk: P50 {pd['p50']:,.0f} (P10 {pd['p10']:,.0f}, "
        f"P90 {pd['p90']:,.0f}); deaths P50 {report['deaths']['p50']:.0f}"
    )
    b = report["bottleneck"]
    if b:
        lines.append(
            f"bottleneck: {b['name']} (utilisation {b['utilisation_mean']:.0%}, "
            f"{b['wait_person_days_mean']:,.0f} person-days waited)"
        )
    dep = ", ".join(
        f"{k} {v['persons']['p50']:.0f}" for k, v in report["departures_by_destination"].items()
    )
    lines.append(f"departures by destination (P50 persons): {dep}")
    return "\n".join(lines)
