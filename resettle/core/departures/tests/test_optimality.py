"""On tiny instances the planner's value equals a brute-force optimum."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from resettle.core.departures import plan
from resettle.core.departures.tests.independent import rule_breaks
from resettle.core.departures.tests.strategies import problems


def brute_force(problem) -> float:
    ids = [c.id for c in problem.cases]
    options = [None, *(d.id for d in problem.departures)]
    best = float("inf")
    for combo in itertools.product(options, repeat=len(ids)):
        assignments = {cid: did for cid, did in zip(ids, combo, strict=True) if did is not None}
        if rule_breaks(problem, assignments):
            continue
        best = min(best, problem.person_days_at_risk(assignments))
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_cases=6, max_departures=3))
def test_matches_brute_force(problem):
    result = plan(problem, time_limit=5, seed=1, target_gap=0.0)
    optimum = brute_force(problem)
    assert result.person_days_at_risk == pytest.approx(optimum, rel=1e-9, abs=1e-6)
    assert result.status == "optimal"
    assert result.bound <= optimum + 1e-6


def test_brute_force_is_not_trivially_satisfied():
    """Guard: the enumerated instances do contain plans worse than the optimum."""
    from resettle.core.departures import Case, Departure, Problem

    problem = Problem(
        cases=(Case("low", 4, "DE", 0.1), Case("high", 4, "DE", 0.9)),
        departures=(Departure("F1", "DE", 5, 4), Departure("F2", "DE", 20, 4)),
        horizon_day=30,
    )
    result = plan(problem, time_limit=5, seed=0)
    assert dict(result.assignments) == {"high": "F1", "low": "F2"}
    assert result.person_days_at_risk == pytest.approx(0.9 * 4 * 5 + 0.1 * 4 * 20)
    assert brute_force(problem) == pytest.approx(result.person_days_at_risk)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_cases=6, max_departures=3))
def test_bound_stays_valid_when_the_lp_does_not_finish(problem):
    """Fallback path (LP cut off by the time limit): valid plan, bound still a bound."""
    import numpy as np

    from resettle.core.departures import solver

    def unfinished(model, n_units, seed, time_limit):
        zeros = np.zeros(len(model.row_keys))
        return solver._Lp(None, solver._lagrangian_bound(model, n_units, zeros), zeros)

    original = solver._solve_lp
    solver._solve_lp = unfinished
    try:
        result = plan(problem, time_limit=5, seed=0)
    finally:
        solver._solve_lp = original
    assert rule_breaks(problem, dict(result.assignments)) == []
    optimum = brute_force(problem)
    assert result.bound <= optimum + 1e-6
    assert result.person_days_at_risk >= optimum - 1e-6
