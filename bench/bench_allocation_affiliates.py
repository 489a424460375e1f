"""Allocation engine against PuLP + CBC on a third family of 3000x50 instances.

Run by hand:  python bench/bench_allocation_affiliates.py [--configs 0,1,...]
              [--seeds 1,2] [--cbc-time 300] [--cap 5] [--large] [--cbc-default-gap]

Written in the sixth session of 2026-11-29 to test the solver on instances it was not
tuned on, the way resettlement affiliates (Annie MOORE's word for the local offices that
pledge places) set their terms: a largest household size per destination, single-parent
support, households counted as well as persons (``households``: usage 1 for every
household), anchor relatives (a large bonus at one destination, which is then always
compatible), a medical dimension with half the places it needs, linked groups of up to
four with many locks, very sparse compatibility with scores to two decimals, and
destinations whose sizes vary tenfold.  CBC is quick on most of them (6-21 s), so ours
gets 0.3-1 s: the family shows what the solver does when even its LP takes a large
share of the time.  Each configuration runs CBC first (capped at ``--cbc-time``), then
ours at 1/20 of CBC's time, capped at ``--cap`` seconds, once per seed.
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
    {"seed": 11, "density": 0.6, "places": 0.95, "count_households": True},
    {"seed": 12, "density": 0.4, "places": 1.0, "anchors": 0.3},
    {"seed": 13, "density": 0.5, "places": 1.1, "medical_short": True},
    {"seed": 14, "density": 0.3, "places": 0.9, "together": 0.3, "locks": 0.1},
    {"seed": 15, "density": 0.1, "places": 0.85, "decimals": 2},
    {"seed": 16, "density": 0.35, "places": 0.93, "size_spread": 1.0},
)


def affiliate_instance(
    *,
    seed: int,
    density: float,
    places: float,
    count_households: bool = False,
    anchors: float = 0.0,
    medical_short: bool = False,
    together: float = 0.08,
    locks: float = 0.02,
    decimals: int = 3,
    size_spread: float = 0.3,
    n: int = 3000,
    m: int = 50,
) -> AllocationProblem:
    """One instance of the family; the same arguments give the same problem."""
    rng = np.random.default_rng(seed)
    size = np.clip(rng.geometric(0.32, n), 1, 12)
    adults = np.minimum(size, 1 + rng.binomial(np.maximum(size - 1, 0), 0.35))
    single_parent = (adults == 1) & (size > 1)
    medical = rng.random(n) < 0.1
    largest = rng.choice([6, 8, 10, 13], m, p=[0.2, 0.3, 0.3, 0.2])
    single_parent_ok = rng.random(m) < 0.6
    compatible = rng.random((n, m)) < density
    compatible &= size[:, None] <= largest[None, :]
    compatible &= ~(single_parent[:, None] & ~single_parent_ok[None, :])
    skills, markets = rng.normal(0, 1, (n, 3)), rng.normal(0, 0.7, (m, 3))
    scores = adults[:, None] / (1 + np.exp(0.5 - skills @ markets.T))
    if anchors:
        anchored = np.flatnonzero(rng.random(n) < anchors)
        where = rng.integers(0, m, anchored.size)
        scores[anchored, where] += 2.0 + rng.random(anchored.size)
        compatible[anchored, where] = True
    scores = np.round(scores, decimals)
    share = rng.lognormal(0, size_spread, m)
    share /= share.sum()
    destinations = []
    for d in range(m):
        capacity = {
            "persons": float(np.floor(share[d] * size.sum() * places) + 1),
            "medical": float(
                np.floor(medical.sum() * share[d] * 0.5) if medical_short
                else np.floor(medical.sum() * share[d] * 1.2) + 1
            ),
            "single_parent": float(np.floor(single_parent.sum() * share[d] * 1.1) + 1)
            if single_parent_ok[d] else 0.0,
        }
        if count_households:
            capacity["households"] = float(np.floor(n * share[d] * 0.95) + 1)
        else:
            capacity["large_family"] = float(np.floor((size >= 6).sum() * share[d] * 0.9) + 1)
        destinations.append(Destination(f"A{d:02d}", capacity))
    locked = set(rng.choice(n, int(locks * n), replace=False).tolist())
    cases = []
    for i in range(n):
        options = np.flatnonzero(compatible[i])
        if options.size == 0:
            options = np.array([int(rng.integers(m))])
        usage = {"medical": float(medical[i]), "single_parent": float(single_parent[i])}
        if count_households:
            usage["households"] = 1.0
        else:
            usage["large_family"] = float(size[i] >= 6)
        lock = f"A{int(rng.choice(options)):02d}" if i in locked else None
        cases.append(Case(
            f"H{i:05d}", int(size[i]), usage=usage,
            scores={f"A{d:02d}": float(scores[i, d]) for d in options.tolist()}, locked=lock,
        ))
    order = rng.permutation(n)
    groups: list[tuple[str, ...]] = []
    start = 0
    while start < int(together * n):
        length = int(rng.integers(2, 5)) if together > 0.2 else 2
        groups.append(tuple(f"H{int(j):05d}" for j in order[start : start + length]))
        start += length
    return AllocationProblem(
        destinations=tuple(destinations), cases=tuple(cases), together=tuple(groups)
    )


def main() -> None:
    run_family(__doc__.splitlines()[0], CONFIGS, affiliate_instance, "1,2")


if __name__ == "__main__":
    main()
