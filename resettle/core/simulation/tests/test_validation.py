"""Configurations with known answers: closed forms, Erlang C, Little's law, seeds."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from resettle.core.simulation import scenario_from_dict, simulate, simulate_arrays


def one_stage(n: int, servers: int, mean: float, **extra: Any) -> dict[str, Any]:
    """Households pass one exponential multi-server stage, then leave at once."""
    data: dict[str, Any] = {
        "scenario": {"name": "one stage", "horizon_days": 1000, "report_step_days": 1},
        "households": [{"count": n, "size": 1}],
        "stages": {
            "assessed": {"duration": {"dist": "exponential", "mean": mean}, "servers": servers}
        },
        "destinations": {"XX": {}},
        "pledges": [{"destination": "XX", "places": 10**9}],
    }
    data.update(extra)
    return data


def test_exponential_servers_clear_time_matches_closed_form() -> None:
    n, c, mean = 40, 3, 5.0
    mu = 1.0 / mean
    # while k > c households remain the next completion comes at rate c*mu, then k*mu
    expected = sum(1.0 / (min(k, c) * mu) for k in range(1, n + 1))
    sd = math.sqrt(sum((1.0 / (min(k, c) * mu)) ** 2 for k in range(1, n + 1)))
    reps = 4000
    ra = simulate_arrays(scenario_from_dict(one_stage(n, c, mean)), replications=reps, seed=7)
    got = float(ra.clear_day.mean())
    assert abs(got - expected) < 4 * sd / math.sqrt(reps), (got, expected)
    assert abs(got - expected) / expected < 0.01


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def test_mmc_mean_wait_matches_erlang_c_within_2_percent() -> None:
    lam, mean, c = 0.8, 2.0, 2  # rho = 0.8
    data = one_stage(0, c, mean, arrivals={"count": 4000, "rate_per_day": lam})
    data["households"] = []
    data["scenario"]["horizon_days"] = 8000
    report = simulate(scenario_from_dict(data), replications=400, seed=3)
    got = report["stages"]["assessed"]["mean_wait_days"]
    expected = erlang_c_wait(lam, 1.0 / mean, c)
    assert abs(got - expected) / expected < 0.02, (got, expected)


def test_littles_law_holds_on_outputs() -> None:
    # time-average residents present x horizon == total person-days (L = lambda W)
    lam, mean, c = 0.8, 2.0, 2
    data = one_stage(0, c, mean, arrivals={"count": 2000, "rate_per_day": lam})
    data["households"] = []
    data["scenario"]["report_step_days"] = 0.05
    data["scenario"]["horizon_days"] = 4000
    report = simulate(scenario_from_dict(data), replications=50, seed=11)
    step = report["residents_present"]["step_days"]
    area = sum(report["residents_present"]["mean"]) * step
    person_days = report["person_days_at_risk"]["mean"]
    assert abs(area - person_days) / person_days < 0.01, (area, person_days)
    # and in the form L = lambda W: time-average present over the run, against the
    # arrival rate times the mean time in the camp
    L = area / report["clear_day"]["mean"]
    W = person_days / 2000
    assert abs(L - lam * W) / L < 0.03, (L, lam * W)


def test_same_seed_same_result_different_seed_different() -> None:
    from resettle.core.simulation import DEMO_SCENARIO, load_scenario

    sc = load_scenario(DEMO_SCENARIO)
    a = json.dumps(simulate(sc, replications=20, seed=5), sort_keys=True)
    b = json.dumps(simulate(sc, replications=20, seed=5), sort_keys=True)
    c = json.dumps(simulate(sc, replications=20, seed=6), sort_keys=True)
    assert a == b
    assert a != c


def test_replication_is_the_same_alone_in_a_batch_or_in_a_worker() -> None:
    from resettle.core.simulation import DEMO_SCENARIO, load_scenario
    from resettle.core.simulation.engine import run_batch

    sc = load_scenario(DEMO_SCENARIO)
    batch = simulate_arrays(sc, replications=6, seed=9, workers=2, batch=3)
    alone = run_batch(sc, 9, [4])
    assert np.array_equal(batch.clear_day[4:5], alone.clear_day)
    assert np.array_equal(batch.person_days[4:5], alone.person_days)
    single = simulate_arrays(sc, replications=6, seed=9, workers=1)
    assert np.array_equal(batch.present, single.present)
