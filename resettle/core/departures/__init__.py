"""Departure planning without Django: who takes which departure, and why not.

Public surface: the problem/result dataclasses and their JSON form (model), the
planner ``plan`` with its rule checker ``check_plan`` (solver), the
first-come-first-served baseline (baseline) and an instance generator (generate).
"""

from resettle.core.departures.baseline import first_come_first_served
from resettle.core.departures.model import (
    Case,
    Departure,
    PlanResult,
    Problem,
    ProblemError,
    load_problem,
    problem_from_dict,
    problem_to_dict,
    result_from_dict,
    save_result,
)
from resettle.core.departures.solver import check_plan, plan

__all__ = [
    "Case",
    "Departure",
    "PlanResult",
    "Problem",
    "ProblemError",
    "check_plan",
    "first_come_first_served",
    "load_problem",
    "plan",
    "problem_from_dict",
    "problem_to_dict",
    "result_from_dict",
    "save_result",
]
