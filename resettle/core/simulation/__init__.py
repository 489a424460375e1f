"""Monte Carlo forecast of the relocation pipeline: when will the camp be empty,
and which lever makes it sooner. Django-free; see docs/simulation.md."""

from __future__ import annotations

from typing import Any

from .distributions import Distribution, ScenarioError, parse_distribution
from .engine import RunArrays, simulate_arrays
from .levers import (
    ComparisonRow,
    apply_lever,
    compare_levers,
    compare_policies,
    parse_lever,
    render_table,
)
from .outputs import render_report, summarise
from .scenario import (
    DEMO_SCENARIO,
    Lever,
    Scenario,
    load_scenario,
    scenario_from_dict,
)


def simulate(sc: Scenario, *, replications: int, seed: int, workers: int = 1) -> dict[str, Any]:
    """Run ``replications`` of ``sc`` from ``seed`` and return the JSON-ready report."""
    ra = simulate_arrays(sc, replications=replications, seed=seed, workers=workers)
    return summarise(sc, ra, seed=seed, replications=replications)


__all__ = [
    "DEMO_SCENARIO",
    "ComparisonRow",
    "Distribution",
    "Lever",
    "RunArrays",
    "Scenario",
    "ScenarioError",
    "apply_lever",
    "compare_levers",
    "compare_policies",
    "load_scenario",
    "parse_distribution",
    "parse_lever",
    "render_report",
    "render_table",
    "scenario_from_dict",
    "simulate",
    "simulate_arrays",
    "summarise",
]
