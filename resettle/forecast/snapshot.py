"""A scenario as plain data in the TOML layout (docs/simulation.md), and back.

A forecast run stores the scenario it actually simulated, so a result can be traced to
its inputs (and re-run) even after the database has moved on. ``scenario_from_dict``
from the core reads it back; ``to_dict`` is its inverse.
"""

from __future__ import annotations

import json
from typing import Any

from resettle.core.simulation import Scenario, scenario_from_dict
from resettle.core.simulation.scenario import UNKNOWN_LIFT


def to_dict(sc: Scenario) -> dict[str, Any]:
    """The scenario (without its levers) as the tables of a TOML scenario file."""
    head: dict[str, Any] = {
        "name": sc.name,
        "horizon_days": sc.horizon_days,
        "report_step_days": sc.report_step_days,
        "clear_by": list(sc.clear_by_days),
        "policy": sc.policy,
    }
    if sc.start_date is not None:
        head["start_date"] = sc.start_date.isoformat()
    households = []
    for g in sc.households:
        row: dict[str, Any] = {
            "count": g.count, "size": g.size, "risk": g.risk, "stage": g.stage.value,
            "arrival_day": g.arrival_day,
        }
        if g.destination is not None:
            row["destination"] = g.destination
        if g.holds:
            row["holds"] = {
                h.hold_type.value: UNKNOWN_LIFT if h.lift_day is None else h.lift_day
                for h in g.holds
            }
        households.append(row)
    stages: dict[str, Any] = {}
    for stage, spec in sc.stages.items():
        entry: dict[str, Any] = {
            "duration": spec.duration.to_dict(), "quota_period_days": spec.quota_period_days,
        }
        if spec.servers is not None:
            entry["servers"] = spec.servers
        if spec.quota is not None:
            entry["quota"] = spec.quota
        stages[stage.value] = entry
    destinations: dict[str, Any] = {}
    for d in sc.destinations:
        entry = {
            "accept_rate": d.accept_rate, "priority": d.priority,
            "decision_scale": d.decision_scale, "decision_period_days": d.decision_period_days,
        }
        if d.decisions_per_period is not None:
            entry["decisions_per_period"] = d.decisions_per_period
        destinations[d.code] = entry
    schedule = []
    for dep in sc.departures:
        item: dict[str, Any] = {
            "first_day": dep.first_day, "seats": dep.seats, "every_days": dep.every_days,
            "destinations": list(dep.destinations),
        }
        if dep.until_day is not None:
            item["until_day"] = dep.until_day
        schedule.append(item)
    data: dict[str, Any] = {
        "scenario": head,
        "households": households,
        "stages": stages,
        "destinations": destinations,
        "pledges": [
            {"destination": p.destination, "places": p.places, "open_day": p.open_day}
            for p in sc.pledges
        ],
        "departures": {"booking_lead_days": sc.booking_lead_days, "schedule": schedule},
        "resubmission": {
            "max_attempts": sc.max_attempts, "delay": sc.resubmission_delay.to_dict(),
        },
        "holds": {
            h.hold_type.value: {"rate_per_year": h.rate_per_year, "duration": h.duration.to_dict()}
            for h in sc.holds
        },
        "incidents": {
            "rate_per_year": sc.incidents.rate_per_year,
            "fatality_per_person": sc.incidents.fatality_per_person,
        },
        "closures": {
            "withdrawn_per_year": sc.withdrawn_per_year,
            "disappeared_per_year": sc.disappeared_per_year,
        },
    }
    if sc.arrivals is not None:
        a = sc.arrivals
        data["arrivals"] = {
            "count": a.count, "rate_per_day": a.rate_per_day, "size": a.size, "risk": a.risk,
            "start_day": a.start_day,
        }
    return data


def dumps(sc: Scenario) -> str:
    """JSON text (key order kept: it decides the simulator's tie-breaks)."""
    return json.dumps(to_dict(sc), separators=(",", ":"))


def loads(text: str) -> Scenario:
    return scenario_from_dict(json.loads(text))
