"""Behaviour of the pipeline pieces: pledges, departures, holds, rejections, policies."""

from __future__ import annotations

from typing import Any

import numpy as np

from resettle.core.simulation import scenario_from_dict, simulate, simulate_arrays


def base(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "scenario": {"name": "t", "horizon_days": 2000, "report_step_days": 1},
        "households": [{"count": 20, "size": 2, "risk": 0.2}],
        "destinations": {"AA": {}, "BB": {"priority": 2}},
        "pledges": [{"destination": "AA", "places": 1000}, {"destination": "BB", "places": 1000}],
    }
    data.update(over)
    return data


def test_nobody_leaves_before_the_pledge_opens() -> None:
    data = base(
        pledges=[{"destination": "AA", "places": 100, "open_day": 300}], destinations={"AA": {}}
    )
    ra = simulate_arrays(scenario_from_dict(data), replications=5, seed=1)
    assert np.all(ra.clear_day == 300)
    assert np.all(ra.departed_persons[:, 0] == 40)


def test_departures_only_on_schedule_and_never_over_seats() -> None:
    data = base(
        departures={"schedule": [{"first_day": 10, "every_days": 10, "until_day": 100, "seats": 9}]}
    )
    report = simulate(scenario_from_dict(data), replications=5, seed=1)
    # 40 persons, 9 seats a flight, households of 2: 4 households a flight -> 5 flights
    assert report["clear_day"]["p50"] == 50
    present = report["residents_present"]["p50"]
    assert present[9] == 40 and present[10] == 32 and present[49] == 8 and present[50] == 0
    seats = next(c for c in report["capacities"] if c["kind"] == "seats")
    assert abs(seats["utilisation"]["mean"] - 40 / 45) < 1e-3


def test_rejected_household_goes_to_another_destination() -> None:
    data = base(destinations={"AA": {"accept_rate": 0.0}, "BB": {"priority": 2}})
    report = simulate(scenario_from_dict(data), replications=5, seed=1)
    deps = report["departures_by_destination"]
    assert deps["AA"]["persons"]["p50"] == 0
    assert deps["BB"]["persons"]["p50"] == 40


def test_rejected_everywhere_means_stranded_and_not_cleared() -> None:
    data = base(destinations={"AA": {"accept_rate": 0.0}, "BB": {"accept_rate": 0.0}})
    report = simulate(scenario_from_dict(data), replications=3, seed=1)
    assert report["clear_day"]["p50"] is None
    assert report["clear_day"]["cleared_fraction"] == 0
    assert report["stranded_households"]["p50"] == 20


def test_legal_hold_delays_departure_until_lifted() -> None:
    ready = {"ready": {"duration": 1}}
    data = base(holds={"legal": {"rate_per_year": 365_000, "duration": 50}}, stages=ready)
    ra = simulate_arrays(scenario_from_dict(data), replications=5, seed=2)
    # holds arrive at once and last 50 days; a legal hold blocks ready, booked, departed
    assert np.all(ra.clear_day >= 50)
    assert np.all(ra.clear_day < 51)
    no_hold = simulate_arrays(scenario_from_dict(base(stages=ready)), replications=5, seed=2)
    assert np.all(no_hold.clear_day == 1)


def test_risk_first_boards_the_high_risk_first() -> None:
    data = base(
        households=[{"count": 20, "size": 1, "risk": 0.1}, {"count": 20, "size": 1, "risk": 0.9}],
        stages={"ready": {"duration": {"dist": "exponential", "mean": 5}}},
        departures={
            "schedule": [{"first_day": 30, "every_days": 30, "until_day": 300, "seats": 5}]
        },
    )
    sc = scenario_from_dict(data)
    fcfs = simulate(sc, replications=50, seed=4)
    risk = simulate(sc.with_policy("risk-first"), replications=50, seed=4)
    assert fcfs["clear_day"]["p50"] == risk["clear_day"]["p50"]
    assert (
        risk["risk_weighted_person_days"]["mean"] < 0.8 * fcfs["risk_weighted_person_days"]["mean"]
    )


def test_incidents_kill_and_deaths_are_counted() -> None:
    data = base(
        incidents={"rate_per_year": 365, "fatality_per_person": 0.05},
        stages={"ready": {"duration": 200}},
    )
    report = simulate(scenario_from_dict(data), replications=20, seed=5)
    # ~200 attacks while 40 people wait 200 days: nearly everyone dies
    assert report["deaths"]["mean"] > 30
    quiet = simulate(
        scenario_from_dict(base(stages={"ready": {"duration": 200}})), replications=5, seed=5
    )
    assert quiet["deaths"]["mean"] == 0


def test_quota_limits_completions_per_period() -> None:
    data = base(stages={"assessed": {"duration": 0, "quota": 4, "quota_period_days": 7}})
    ra = simulate_arrays(scenario_from_dict(data), replications=2, seed=1)
    # 20 households, 4 a week: the last is assessed at the start of week 5 (day 28)
    assert np.all(ra.clear_day == 28)


def test_decision_quota_per_destination() -> None:
    data = base(
        destinations={"AA": {"decisions_per_period": 5, "decision_period_days": 30}},
        pledges=[{"destination": "AA", "places": 1000}],
    )
    ra = simulate_arrays(scenario_from_dict(data), replications=2, seed=1)
    assert np.all(ra.clear_day == 90)  # 20 decisions, 5 a month: months 0..3
