"""Larger instances built differently from the generator: rules, gap, edge cases."""

from __future__ import annotations

import random

import pytest

from resettle.core.departures import (
    Case,
    Departure,
    Problem,
    check_plan,
    first_come_first_served,
    plan,
)
from resettle.core.departures.generate import GeneratorSettings, generate
from resettle.core.departures.tests.independent import rule_breaks


def uniform_instance(seed: int, n: int, m: int, *, equal_risk: bool = False) -> Problem:
    """Plain uniform draws (not the generator's distributions)."""
    rng = random.Random(seed)
    dests = ["A", "B", "C"]
    cases = tuple(
        Case(
            id=f"c{i}",
            size=rng.randint(1, 12),
            destination=rng.choice(dests),
            risk=0.5 if equal_risk else rng.random(),
            ready_day=rng.choice([0, 0, 0, rng.randint(0, 90)]),
            documents_valid_until=rng.choice([None, rng.randint(0, 120)]),
            blocked=rng.random() < 0.05,
            needs={"wheelchair": 1} if rng.random() < 0.05 else {},
        )
        for i in range(n)
    )
    departures = tuple(
        Departure(
            id=f"d{j}",
            destination=dests[j % 3],
            day=rng.randint(1, 100),
            seats=rng.randint(20, 200),
            special={"wheelchair": rng.randint(0, 3)},
        )
        for j in range(m)
    )
    ids = [c.id for c in cases]
    rng.shuffle(ids)
    together = tuple(tuple(ids[i : i + 2]) for i in range(0, n // 10, 2))  # may mix dests
    return Problem(cases=cases, departures=departures, together=together, horizon_day=120)


@pytest.mark.parametrize("equal_risk", [False, True])
def test_uniform_instance_near_bound(equal_risk: bool) -> None:
    problem = uniform_instance(5, 600, 12, equal_risk=equal_risk)
    result = plan(problem, time_limit=20, seed=0)
    assert rule_breaks(problem, dict(result.assignments)) == []
    assert result.gap <= 0.005
    assert result.person_days_at_risk <= first_come_first_served(problem).person_days_at_risk


def test_zero_risk_everyone_who_fits_still_travels() -> None:
    problem = Problem(
        cases=tuple(Case(f"c{i}", 2, "A", 0.0) for i in range(10)),
        departures=(Departure("d1", "A", 10, 7), Departure("d2", "A", 20, 6)),
        horizon_day=30,
    )
    result = plan(problem, time_limit=5, seed=0)
    assert len(result.assignments) == 6  # 3 + 3 households of 2
    assert result.person_days_at_risk == 0.0 and result.status == "optimal"
    assert check_plan(problem, dict(result.assignments)) == []


def test_empty_problems() -> None:
    for problem in (
        Problem(cases=(), departures=(), horizon_day=10),
        Problem(cases=(Case("c", 1, "A", 1.0),), departures=(), horizon_day=10),
        Problem(cases=(), departures=(Departure("d", "A", 1, 5),), horizon_day=10),
    ):
        result = plan(problem, time_limit=5, seed=0)
        assert result.status == "optimal"
        assert result.assignments == {}
        assert len(result.unassigned) == len(problem.cases)


@pytest.mark.slow
def test_bench_sized_instance_within_half_a_percent() -> None:
    problem = generate(GeneratorSettings(n_cases=2000, n_departures=20, ready_share=1.0), seed=9)
    result = plan(problem, time_limit=30, seed=0)
    assert result.gap <= 0.005
    assert check_plan(problem, dict(result.assignments)) == []
    baseline = first_come_first_served(problem)
    assert result.person_days_at_risk < 0.9 * baseline.person_days_at_risk
