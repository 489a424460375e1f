"""Holds active at day 0 (``[[households]] holds = {...}``): known lift days hold the
household back exactly, unknown ones draw from the hold type's duration, only the moves
HOLD_BLOCKS names are blocked, and the draws are deterministic and worker-independent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from scipy import stats

from resettle.core.simulation import ScenarioError, scenario_from_dict, simulate, simulate_arrays
from resettle.core.simulation.engine import run_batch
from resettle.core.simulation.scenario import CurrentHold, HouseholdGroup
from resettle.core.stages import HOLD_BLOCKS, HoldType, Stage

D = 60.0


def ready_soon(holds: dict[str, Any] | None = None, **over: Any) -> dict[str, Any]:
    """4 households about to become ready (exponential, mean 30 days), leaving when ready:
    the camp clears at the last of 4 draws (P10 ~25 days, P50 ~60, P90 ~109)."""
    group: dict[str, Any] = {"count": 4, "size": 2, "stage": "pre_departure", "destination": "AA"}
    if holds is not None:
        group["holds"] = holds
    data: dict[str, Any] = {
        "scenario": {"name": "t", "horizon_days": 2000, "report_step_days": 1},
        "households": [group],
        "destinations": {"AA": {}},
        "pledges": [{"destination": "AA", "places": 1000}],
        "stages": {"ready": {"duration": {"dist": "exponential", "mean": 30}}},
    }
    data.update(over)
    return data


@pytest.mark.parametrize("hold_type", [h.value for h in HoldType])
def test_hold_lifting_on_day_d_never_clears_before_d(hold_type: str) -> None:
    free = simulate_arrays(scenario_from_dict(ready_soon()), replications=300, seed=4)
    held = simulate_arrays(scenario_from_dict(ready_soon({hold_type: D})), replications=300, seed=4)
    # every hold type blocks departing; nobody leaves before D, and since the hold has
    # its own random stream every other draw is the same: each replication's clear day
    # is exactly max(its clear day without the hold, D)
    assert held.clear_day.min() == D
    assert np.array_equal(held.clear_day, np.maximum(free.clear_day, D))
    # the distribution shifts: D sits inside the unheld one, so its low quantiles move up
    # to D while the tail (households ready after D anyway) stays where it was
    assert np.percentile(free.clear_day, 10) < D
    assert np.percentile(held.clear_day, 10) == D
    hi = np.percentile(free.clear_day, 90)
    assert hi > D and np.percentile(held.clear_day, 90) == pytest.approx(hi)


def test_nobody_departs_before_d_even_with_seats_on_every_flight() -> None:
    data = ready_soon(
        {"legal": D},
        departures={
            "schedule": [{"first_day": 7, "every_days": 7, "until_day": 700, "seats": 200}]
        },
    )
    report = simulate(scenario_from_dict(data), replications=50, seed=2)
    present = report["residents_present"]
    first_after = int(np.ceil(D / 7) * 7)  # the first flight on or after D
    assert present["p10"][first_after - 1] == 8  # all 8 residents still there
    assert present["p90"][first_after] < 8
    assert report["clear_day"]["p10"] >= first_after


@pytest.mark.parametrize(
    ("hold_type", "clear"),
    [
        # fixed durations: decided 10 days, everything else at once; hold lifts on day 50
        ("security", 60.0),  # blocks submitted: submitted 50, decided 60, leaves 60
        ("administrative", 60.0),  # blocks submitted too
        ("legal", 50.0),  # decided 10, blocked from ready until 50
        ("medical", 50.0),  # decided 10, ready 10, blocked from booking until 50
    ],
)
def test_only_the_moves_hold_blocks_names_wait(hold_type: str, clear: float) -> None:
    data: dict[str, Any] = {
        "scenario": {"name": "t", "horizon_days": 500},
        "households": [{"count": 5, "holds": {hold_type: 50}}],
        "destinations": {"AA": {}},
        "pledges": [{"destination": "AA", "places": 100}],
        "stages": {"decided": {"duration": 10}},
    }
    blocks = HOLD_BLOCKS[HoldType(hold_type)]
    assert (Stage.SUBMITTED in blocks) == (clear == 60.0)
    ra = simulate_arrays(scenario_from_dict(data), replications=3, seed=1)
    assert np.all(ra.clear_day == clear)


def unknown_lift(dist: dict[str, Any] | float, count: int = 1, **hold: Any) -> dict[str, Any]:
    return {
        "scenario": {"name": "t", "horizon_days": 5000},
        "households": [
            {"count": count, "stage": "ready", "destination": "AA", "holds": {"legal": "unknown"}}
        ],
        "destinations": {"AA": {}},
        "pledges": [{"destination": "AA", "places": 1000}],
        "holds": {"legal": {"rate_per_year": 0, "duration": dist, **hold}},
    }


def test_unknown_lift_day_draws_from_the_hold_types_distribution() -> None:
    # one ready household: it leaves the day its hold lifts, so the clear days are the
    # drawn remaining durations
    sc = scenario_from_dict(unknown_lift({"dist": "exponential", "mean": 30}))
    ra = simulate_arrays(sc, replications=3000, seed=7)
    assert ra.clear_day.min() > 0
    assert ra.clear_day.mean() == pytest.approx(30.0, rel=0.06)
    assert stats.kstest(ra.clear_day, stats.expon(scale=30).cdf).pvalue > 0.01
    fixed = scenario_from_dict(unknown_lift(40))
    assert np.all(simulate_arrays(fixed, replications=5, seed=7).clear_day == 40)


def test_unknown_lift_days_differ_by_household_and_replication() -> None:
    sc = scenario_from_dict(unknown_lift({"dist": "gamma", "mean": 50, "cv": 0.5}, count=30))
    ra = simulate_arrays(sc, replications=200, seed=3)
    # the camp clears when the last of 30 independent draws lifts: the maximum of 30
    # gamma(4, 12.5) draws, well above the mean of one
    assert np.percentile(ra.clear_day, 50) > 80
    assert len(np.unique(ra.clear_day)) == 200


def test_random_holds_still_arrive_for_households_on_a_hold_today() -> None:
    data = unknown_lift(5)
    data["holds"]["legal"]["rate_per_year"] = 365_000  # a second hold at once, 5 days
    ra = simulate_arrays(scenario_from_dict(data), replications=5, seed=1)
    # the current hold lifts on day 5; the random one started near day 0 and also
    # lasts 5 days, so the household leaves a moment after day 5
    assert np.all(ra.clear_day >= 5) and np.all(ra.clear_day < 5.01)


def test_same_seed_same_numbers_alone_in_a_batch_or_on_workers() -> None:
    data = unknown_lift({"dist": "lognormal", "mean": 40, "cv": 1.0}, count=12)
    data["households"].append(
        {
            "count": 8,
            "stage": "ready",
            "destination": "AA",
            "holds": {"legal": 25, "medical": "unknown"},
        }
    )
    data["holds"]["medical"] = {
        "rate_per_year": 0.5,
        "duration": {"dist": "exponential", "mean": 20},
    }
    sc = scenario_from_dict(data)
    one = simulate_arrays(sc, replications=40, seed=9, workers=1, batch=40)
    split = simulate_arrays(sc, replications=40, seed=9, workers=2, batch=7)
    assert np.array_equal(one.clear_day, split.clear_day)
    assert np.array_equal(one.person_days, split.person_days)
    alone = run_batch(sc, 9, [17])
    assert alone.clear_day[0] == one.clear_day[17]
    other = simulate_arrays(sc, replications=40, seed=10)
    assert not np.array_equal(one.clear_day, other.clear_day)
    assert simulate(sc, replications=10, seed=9) == simulate(sc, replications=10, seed=9)


# --- the format ------------------------------------------------------------------------


def test_toml_holds_take_days_dates_or_unknown() -> None:
    data = ready_soon(
        {
            "legal": 40,
            "medical": "unknown",
            "security": dt.date(2020, 3, 1),
            "administrative": "2020-01-11",
        }
    )
    data["scenario"]["start_date"] = "2020-01-01"
    data["holds"] = {"medical": {"rate_per_year": 0, "duration": 10}}
    sc = scenario_from_dict(data)
    assert sc.households[0].holds == (
        CurrentHold(HoldType.LEGAL, 40.0),
        CurrentHold(HoldType.MEDICAL, None),
        CurrentHold(HoldType.SECURITY, 60.0),
        CurrentHold(HoldType.ADMINISTRATIVE, 10.0),
    )


@pytest.mark.parametrize(
    ("holds", "field", "words"),
    [
        ({"curse": 4}, "households[0].holds.curse", "expected one of legal"),
        ({"legal": "soon"}, "households[0].holds.legal", "unknown"),
        ({"legal": -1}, "households[0].holds.legal", ">= 0"),
        ({"legal": True}, "households[0].holds.legal", "expected a lift day"),
        ({"legal": "2020-01-05"}, "households[0].holds.legal", "start_date"),
        ({"medical": "unknown"}, "households[0].holds.medical", "[holds.medical]"),
        (["legal"], "households[0].holds", "expected a table"),
    ],
)
def test_malformed_current_holds_name_the_field(holds: Any, field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(ready_soon(holds))
    assert err.value.field == field
    assert words in err.value.message


def test_lift_date_before_the_start_is_refused() -> None:
    data = ready_soon({"legal": "2019-12-31"})
    data["scenario"]["start_date"] = "2020-01-01"
    with pytest.raises(ScenarioError, match=r"households\[0\]\.holds\.legal: .*before"):
        scenario_from_dict(data)


def test_dataclasses_check_themselves() -> None:
    with pytest.raises(ValueError, match="lift day must be >= 0"):
        CurrentHold(HoldType.LEGAL, float("nan"))
    with pytest.raises(ValueError, match="one current hold per type"):
        HouseholdGroup(
            count=1, holds=(CurrentHold(HoldType.LEGAL, 1.0), CurrentHold(HoldType.LEGAL, 2.0))
        )
    sc = scenario_from_dict(ready_soon({"legal": 3}))

    unknown = replace(sc.households[0], holds=(CurrentHold(HoldType.MEDICAL, None),))
    with pytest.raises(ValueError, match=r"households\[0\].*\[holds.medical\]"):
        replace(sc, households=(unknown,))
