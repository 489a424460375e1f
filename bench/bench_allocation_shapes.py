"""Allocation engine against PuLP + CBC on a fourth family of 3000x50 instances: odd shapes.

Run by hand:  python bench/bench_allocation_shapes.py [--configs 0,1,...] [--seeds 1,2]
              [--cbc-time 300] [--cap 5] [--large] [--cbc-default-gap]

Written in the ninth session (2026-11-30) to try shapes of problem the other families
never take, each of which a registry can produce: every score equal (no scoring model
configured: the answer is then persons first, households second), scores 0 or 1 (a tie
to a relative there or not), signed scores (benefits net of a cost), the persons
dimension alone, big linked groups (up to six households) with many locks, and a
budget counted in fractions (usage 0.3-0.5 per person), which no other family has and
where the LP places fractions of households that no integer solution can.  Each
configuration runs CBC first (capped at ``--cbc-time``), then ours at 1/20 of CBC's
time, capped at ``--cap`` seconds, once per seed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_allocation_pledges import run_family

from resettle.core.allocation import AllocationProblem, Case, Destination

CONFIGS: tuple[dict[str, Any], ...] = (
    {"seed": 21, "scores": "equal", "places": 0.9, "density": 0.5},
    {"seed": 22, "scores": "binary", "places": 0.95, "density": 0.4},
    {"seed": 23, "scores": "signed", "places": 1.2, "density": 0.3},
    {"seed": 24, "scores": "geo", "places": 0.92, "density": 0.3, "persons_only": True},
    {"seed": 25, "scores": "geo", "places": 0.85, "density": 0.4, "groups": 0.3, "locks": 0.1},
    {"seed": 26, "scores": "signed", "places": 0.9, "density": 0.5, "budget": True},
    {"seed": 27, "scores": "geo", "places": 0.9, "density": 0.5, "budget": True},
    {"seed": 28, "scores": "signed", "places": 0.9, "density": 0.5},
)


def shape_instance(
    *,
    seed: int,
    scores: str,
    places: float,
    density: float,
    persons_only: bool = False,
    groups: float = 0.05,
    locks: float = 0.02,
    budget: bool = False,
    n: int = 3000,
    m: int = 50,
) -> AllocationProblem:
    """One instance of the family; the same arguments give the same problem."""
    rng = np.random.default_rng(seed)
    size = np.clip(rng.geometric(0.3, n), 1, 11)
    needs = {"large_family": (size >= 6).astype(float), "medical": rng.random(n) < 0.12}
    compatible = rng.random((n, m)) < density
    if scores == "equal":
        table = np.ones((n, m))
    elif scores == "binary":
        table = (rng.random((n, m)) < 0.1).astype(float)
    elif scores == "signed":
        table = np.round(rng.normal(0, 1, (n, m)), 2)
    elif scores == "geo":
        skills, markets = rng.normal(0, 1, (n, 3)), rng.normal(0, 0.6, (m, 3))
        table = np.round(size[:, None] * 0.4 / (1 + np.exp(-(skills @ markets.T))), 3)
    else:
        raise ValueError(f"unknown score model {scores!r}")
    share = rng.dirichlet(np.full(m, 2.0))
    capacity = {"persons": np.floor(share * size.sum() * places)}
    usage: dict[str, np.ndarray] = {}
    if not persons_only:
        for dim, served, spare in (("large_family", 0.6, 1.4), ("medical", 0.3, 2.5)):
            usage[dim] = needs[dim].astype(float)
            room = np.floor(share * usage[dim].sum() * places * spare)
            capacity[dim] = np.where(rng.random(m) < served, room, 0.0)
    if budget:
        usage["budget"] = np.round(size * rng.uniform(0.3, 0.5, n), 2)
        spend = share * usage["budget"].sum() * places * rng.uniform(0.8, 1.1, m)
        capacity["budget"] = np.round(spend, 2)
    destinations = tuple(
        Destination(f"D{d:02d}", {dim: float(room[d]) for dim, room in capacity.items()})
        for d in range(m)
    )
    ids = [f"H{i:05d}" for i in range(n)]
    cases = []
    for i in range(n):
        options = np.flatnonzero(compatible[i])
        if options.size == 0:
            options = np.array([int(rng.integers(m))])
        lock = f"D{int(rng.choice(options)):02d}" if rng.random() < locks else None
        cases.append(Case(
            ids[i], int(size[i]),
            usage={dim: float(use[i]) for dim, use in usage.items() if use[i] > 0},
            scores={f"D{d:02d}": float(table[i, d]) for d in options.tolist()},
            locked=lock,
        ))
    return AllocationProblem(
        destinations=destinations, cases=tuple(cases),
        together=_linked(rng, ids, groups),
    )


def _linked(
    rng: np.random.Generator, ids: Sequence[str], share: float
) -> tuple[tuple[str, ...], ...]:
    """Groups of 2 (up to 6 when more than a tenth are linked) drawn anywhere in the list."""
    order = rng.permutation(len(ids))
    groups: list[tuple[str, ...]] = []
    start = 0
    while start < int(share * len(ids)):
        length = int(rng.integers(2, 7 if share > 0.1 else 3))
        group = tuple(ids[j] for j in order[start : start + length])
        if len(group) > 1:
            groups.append(group)
        start += length
    return tuple(groups)


def main() -> None:
    run_family(__doc__.splitlines()[0], CONFIGS, shape_instance, "1,2")


if __name__ == "__main__":
    main()
