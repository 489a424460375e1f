"""Allocation engine against PuLP + CBC on a fifth family of 3000x50 instances: the issue's.

Run by hand:  python bench/bench_allocation_outside.py [--configs 0,1,...] [--seeds 1,2,3]
              [--cbc-time 300] [--cap 5] [--large] [--cbc-default-gap]

Written in the tenth session (2026-11-30) from the issue's text alone, the way a reviewer
who never saw the other families might write one: the problem file's example dimensions
(persons, large families of 6 or more, medical cases), household sizes drawn evenly from 1
to 8, and the variations the issue names (other score structures, sparse compatibility,
linked households, locks, a shortfall of places).  Score structures: scores drawn evenly
in [0, 1]; whole numbers 0-10; ranked preferences (5 for the first of five destinations
down to 1); employed adults (a logistic employment probability times the adults); and a
heavy-tailed (log-normal) score with places for everyone.  Each configuration runs CBC
first (capped at ``--cbc-time``), then ours at 1/20 of CBC's time, capped at ``--cap``
seconds, once per seed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_allocation_pledges import run_family

from resettle.core.allocation import AllocationProblem, Case, Destination

CONFIGS: tuple[dict[str, Any], ...] = (
    {"seed": 101, "scores": "uniform", "options": (50, 50), "places": 0.9},
    {"seed": 102, "scores": "whole", "options": (3, 10), "places": 0.9},
    {"seed": 103, "scores": "ranked", "options": (5, 5), "places": 0.8, "linked": 0.05,
     "locks": 0.02},
    {"seed": 104, "scores": "employed", "options": (20, 40), "places": 1.0},
    {"seed": 105, "scores": "uniform", "options": (10, 20), "places": 0.6},
    {"seed": 106, "scores": "heavy", "options": (15, 35), "places": 1.5},
)


def outside_instance(
    *,
    seed: int,
    scores: str,
    options: tuple[int, int],
    places: float,
    linked: float = 0.02,
    locks: float = 0.01,
    n: int = 3000,
    m: int = 50,
) -> AllocationProblem:
    """One instance of the family; ``options`` is the range of destinations a household may
    go to (drawn evenly); the same arguments give the same problem."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 9, n)
    large = (size >= 6).astype(float)
    medical = (rng.random(n) < 0.1).astype(float)
    compatible = np.zeros((n, m), dtype=bool)
    for i in range(n):
        count = int(rng.integers(options[0], min(options[1], m) + 1))
        compatible[i, rng.choice(m, count, replace=False)] = True
    table = _scores(rng, scores, size, compatible)
    share = rng.uniform(0.5, 1.5, m)
    share /= share.sum()
    capacity = {
        "persons": np.floor(share * size.sum() * places),
        "large_family": np.floor(share * large.sum() * places * rng.uniform(0.5, 1.5, m)),
        "medical": np.floor(share * medical.sum() * places * rng.uniform(0.5, 1.5, m)),
    }
    names = [f"C{d:02d}" for d in range(m)]
    destinations = tuple(
        Destination(names[d], {dim: float(room[d]) for dim, room in capacity.items()})
        for d in range(m)
    )
    ids = [f"H{i:05d}" for i in range(n)]
    cases = []
    for i in range(n):
        allowed = np.flatnonzero(compatible[i]).tolist()
        lock = names[int(rng.choice(allowed))] if rng.random() < locks else None
        cases.append(Case(
            ids[i], int(size[i]),
            usage={"large_family": float(large[i]), "medical": float(medical[i])},
            scores={names[d]: float(table[i, d]) for d in allowed},
            locked=lock,
        ))
    order = rng.permutation(n)
    pairs = tuple(
        (ids[order[2 * j]], ids[order[2 * j + 1]]) for j in range(int(linked * n / 2))
    )
    return AllocationProblem(destinations=destinations, cases=tuple(cases), together=pairs)


def _scores(
    rng: np.random.Generator, model: str, size: np.ndarray, compatible: np.ndarray
) -> np.ndarray:
    """The score of every household at every destination (read where compatible only)."""
    n, m = compatible.shape
    if model == "uniform":
        return np.round(rng.random((n, m)), 2)
    if model == "whole":
        return rng.integers(0, 11, (n, m)).astype(float)
    if model == "ranked":
        table = np.zeros((n, m))
        for i in range(n):
            allowed = rng.permutation(np.flatnonzero(compatible[i]))
            table[i, allowed] = np.maximum(1, 5 - np.arange(allowed.size))
        return table
    if model == "employed":
        adults = np.maximum(1, np.round(size * 0.5))
        logit = rng.normal(0, 1, (n, 1)) + rng.normal(0, 1, (1, m))
        employed: np.ndarray = np.round(adults[:, None] / (1 + np.exp(-logit)), 3)
        return employed
    if model == "heavy":
        return np.round(rng.lognormal(0, 1, (n, m)), 3)
    raise ValueError(f"unknown score model {model!r}")


def main() -> None:
    run_family(__doc__.splitlines()[0], CONFIGS, outside_instance, "1,2,3")


if __name__ == "__main__":
    main()
