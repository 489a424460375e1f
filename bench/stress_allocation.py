"""Allocation engine under random odd shapes: every result valid, every run within its limit.

Run by hand:  python bench/stress_allocation.py [--first-seed 1000] [--count 56] [--slack 0.15]

Written in the eleventh session (2026-12-07), where it found two runs that ended 1.9 s past
a 3 s limit (a HiGHS root that ignores its time limit; since then a MIP still running at
the deadline is left behind).  Each run draws 50-4,000 households, 1-120 destinations, a
limit of 0.2-3 s and one of fourteen shapes: signed, zero, huge or tiny scores, whole
numbers, destinations with no place or no capacity at all, a budget counted in
fractions, groups of up to five linked households, many locks (some to incompatible
destinations), one or two compatible destinations per household.  It checks the result
against the problem itself (capacity, compatibility, locks, groups, the score and bounds
it reports) and flags a run that took more than ``--slack`` seconds past its limit.  At
the smallest limits on the largest shapes (0.2 s for 4,000 x 120, about 200,000
candidate columns) reading and writing up alone take longer than the limit: those are
flagged, and are not what the limits of the issue are about.  Exit status 1 on any
invalid result or error.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resettle.core.allocation import (
    AllocationProblem,
    AllocationResult,
    Case,
    Destination,
    solve,
)

SHAPES: tuple[dict[str, Any], ...] = (
    {}, {"scores": "signed"}, {"scores": "zero"}, {"scores": "huge"}, {"scores": "tiny"},
    {"scores": "whole", "options": 4}, {"no_places": True}, {"unbounded": True},
    {"budget": True}, {"groups": 0.2, "group_size": 5}, {"locks": 0.3, "bad_locks": True},
    {"options": 2}, {"options": 1}, {"budget": True, "scores": "signed", "groups": 0.1},
)


def _scores(rng: np.random.Generator, model: str, k: int) -> np.ndarray:
    draws: dict[str, Any] = {
        "uniform": lambda: rng.random(k),
        "signed": lambda: rng.normal(0, 1, k),
        "zero": lambda: np.zeros(k),
        "huge": lambda: rng.random(k) * 1e6,
        "tiny": lambda: rng.random(k) * 1e-6,
        "whole": lambda: rng.integers(-3, 4, k).astype(float),
    }
    scores: np.ndarray = draws[model]()
    return scores


def random_problem(
    rng: np.random.Generator, n: int, m: int, shape: dict[str, Any]
) -> AllocationProblem:
    """One problem of ``shape``; the same generator state gives the same problem."""
    size = rng.integers(1, 10, n)
    places = rng.choice([0.3, 0.6, 0.9, 1.0, 1.2, 3.0])
    share = rng.dirichlet(np.ones(m) * rng.choice([0.3, 1, 5]))
    destinations = []
    for d in range(m):
        persons = 0.0 if shape.get("no_places") and d % 7 == 0 else float(
            np.floor(share[d] * size.sum() * places))
        capacity = {"persons": persons}
        if rng.random() < 0.8:
            capacity["large_family"] = float(rng.integers(0, 40))
        if rng.random() < 0.6:
            capacity["medical"] = float(rng.integers(0, 20))
        if shape.get("budget"):
            capacity["budget"] = float(round(share[d] * size.sum() * places * 0.4, 2))
        if shape.get("unbounded") and d % 5 == 0:
            capacity = {}
        destinations.append(Destination(f"D{d}", capacity))
    cases = []
    for i in range(n):
        allowed = rng.choice(m, int(rng.integers(1, min(m, shape.get("options", m)) + 1)),
                             replace=False)
        values = _scores(rng, shape.get("scores", "uniform"), allowed.size)
        usage = {"large_family": float(size[i] >= 6), "medical": float(rng.random() < 0.15)}
        if shape.get("budget"):
            usage["budget"] = round(float(size[i]) * rng.uniform(0.3, 0.5), 2)
        locked = f"D{allowed[0]}" if rng.random() < shape.get("locks", 0.01) else None
        if locked and shape.get("bad_locks") and rng.random() < 0.3:
            locked = f"D{int(rng.integers(m))}"
        cases.append(Case(f"H{i}", int(size[i]),
                          {f"D{d}": float(v) for d, v in zip(allowed, values, strict=True)},
                          usage, locked))
    order = rng.permutation(n)
    groups: list[tuple[str, ...]] = []
    taken = 0
    for _ in range(int(shape.get("groups", 0) * n)):
        count = int(rng.integers(2, shape.get("group_size", 3) + 1))
        if taken + count > n:
            break
        groups.append(tuple(f"H{order[j]}" for j in range(taken, taken + count)))
        taken += count
    return AllocationProblem(tuple(destinations), tuple(cases), tuple(groups))


def violations(problem: AllocationProblem, result: AllocationResult) -> list[str]:
    """What is wrong with ``result`` for ``problem``, read from the problem alone."""
    wrong: list[str] = []
    capacity = {d.id: d.capacity for d in problem.destinations}
    cases = {c.id: c for c in problem.cases}
    used: dict[tuple[str, str], float] = {}
    for case_id, dest in result.assignments.items():
        case = cases[case_id]
        if dest not in case.scores:
            wrong.append(f"{case_id} at incompatible {dest}")
        if case.locked and dest != case.locked:
            wrong.append(f"{case_id} locked to {case.locked}, placed at {dest}")
        for dim, value in case.usage.items():
            used[(dest, dim)] = used.get((dest, dim), 0.0) + value
    for (dest, dim), value in used.items():
        if value > capacity[dest].get(dim, math.inf) + 1e-6:
            wrong.append(f"{dest} over its {dim}: {value:g}")
    for group in problem.together:
        if len({result.assignments.get(c) for c in group}) != 1:
            wrong.append(f"group {group} split")
    if set(result.assignments) | set(result.unassigned) != set(cases):
        wrong.append("a case is neither assigned nor unassigned")
    score = sum(cases[c].scores[d] for c, d in result.assignments.items())
    persons = sum(cases[c].persons for c in result.assignments)
    scale = max(1.0, abs(score))
    if abs(score - result.score) > 1e-6 * scale:
        wrong.append(f"score {result.score} reported, {score} placed")
    if result.bound_score < score - 1e-6 * scale or result.bound_persons < persons - 1e-6:
        wrong.append("a bound below the answer")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--count", type=int, default=56)
    parser.add_argument("--slack", type=float, default=0.15,
                        help="seconds past the limit before a run is flagged late")
    args = parser.parse_args()
    invalid = late = 0
    for t in range(args.count):
        rng = np.random.default_rng(args.first_seed + t)
        shape = SHAPES[t % len(SHAPES)]
        n = int(rng.choice([50, 300, 1500, 4000]))
        m = int(rng.choice([1, 3, 10, 40, 120]))
        limit = float(rng.choice([0.2, 0.5, 1.0, 3.0]))
        line = f"{t:3d} {n}x{m} limit {limit} s {shape}"
        try:
            problem = random_problem(rng, n, m, shape)
            started = time.perf_counter()
            result = solve(problem, time_limit=limit, seed=t, explain=bool(t % 2))
            seconds = time.perf_counter() - started
        except Exception:  # a stress run reports every failure and goes on
            invalid += 1
            print(f"{line} ERROR\n{traceback.format_exc()}", flush=True)
            continue
        wrong = violations(problem, result)
        invalid += bool(wrong)
        flag = "LATE" if seconds > limit + args.slack else ""
        late += bool(flag)
        print(f"{line} {seconds:.2f} s {flag} {result.status} persons "
              f"{result.persons_placed:g}/{result.bound_persons:g} gap {result.gap:.2e}"
              + (f" INVALID {wrong[:3]}" if wrong else ""), flush=True)
    print(f"{args.count} runs: {invalid} invalid or failed, {late} late")
    raise SystemExit(1 if invalid else 0)


if __name__ == "__main__":
    main()
