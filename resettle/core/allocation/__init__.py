"""Allocation engine: which household goes to which destination, and why.

``solve(problem, time_limit=..., seed=...)`` places as many persons as possible, then
maximises the total score, and reports a proven bound; see docs/allocation.md.
"""

from resettle.core.allocation.jsonio import (
    problem_from_dict,
    problem_to_dict,
    read_problem,
    result_from_dict,
    result_to_dict,
    write_problem,
    write_result,
)
from resettle.core.allocation.model import (
    PERSONS,
    AllocationProblem,
    AllocationResult,
    Alternative,
    Case,
    Destination,
    Explanation,
    ProblemFormatError,
)
from resettle.core.allocation.solver import SolveOptions, solve

__all__ = [
    "PERSONS",
    "AllocationProblem",
    "AllocationResult",
    "Alternative",
    "Case",
    "Destination",
    "Explanation",
    "ProblemFormatError",
    "SolveOptions",
    "problem_from_dict",
    "problem_to_dict",
    "read_problem",
    "result_from_dict",
    "result_to_dict",
    "solve",
    "write_problem",
    "write_result",
]
