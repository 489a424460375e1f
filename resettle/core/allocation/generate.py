"""Seeded synthetic allocation problems for tests and benchmarks.

The instances vary on purpose (score structure, sparsity of compatibility, extra capacity
dimensions, linked households, locks, shortfall of places) so the solver is not tuned to
one shape.  Family sizes follow a camp-like distribution (many singles and couples, a tail
of large families).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from resettle.core.allocation.model import AllocationProblem, Case, Destination

ScoreStructure = Literal["employment", "ties", "uniform", "mixed"]
_STRUCTURES: tuple[str, ...] = ("employment", "ties", "uniform", "mixed")
EXTRA_DIMS: tuple[str, ...] = ("large_family", "medical", "single_parent", "language")


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """What to generate; every field is explicit so a bench line names its instance."""

    n_cases: int
    n_destinations: int
    extra_dims: int = 3
    structure: ScoreStructure = "employment"
    density: float = 0.8
    """Share of (case, destination) pairs that are compatible."""
    together_share: float = 0.05
    """Share of cases that are in a linked group (pairs and triples)."""
    lock_share: float = 0.01
    places_ratio: float = 1.05
    """Pledged person-places / persons in the caseload; below 1 means a shortfall."""

    def __post_init__(self) -> None:
        if self.n_cases < 1 or self.n_destinations < 1:
            raise ValueError("n_cases and n_destinations must be at least 1")
        if not 0 <= self.extra_dims <= len(EXTRA_DIMS):
            raise ValueError(f"extra_dims must be between 0 and {len(EXTRA_DIMS)}")
        if self.structure not in _STRUCTURES:
            raise ValueError(f"structure must be one of {_STRUCTURES}")
        for name in ("density", "together_share", "lock_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.density == 0:
            raise ValueError("density must be positive")
        if self.places_ratio <= 0:
            raise ValueError("places_ratio must be positive")


def _sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    probs = np.array([0.22, 0.2, 0.17, 0.14, 0.1, 0.07, 0.05, 0.03, 0.02])
    return rng.choice(np.arange(1, 10), size=n, p=probs / probs.sum())


def generate(spec: InstanceSpec, *, seed: int) -> AllocationProblem:
    """A problem drawn from ``spec``; the same seed gives the same problem."""
    rng = np.random.default_rng(seed)
    n, m = spec.n_cases, spec.n_destinations
    sizes = _sizes(rng, n)
    dims = EXTRA_DIMS[: spec.extra_dims]
    needs = {
        "large_family": (sizes >= 6).astype(float),
        "medical": (rng.random(n) < 0.1).astype(float),
        "single_parent": ((rng.random(n) < 0.12) & (sizes >= 2)).astype(float),
        "language": (rng.random(n) < 0.2).astype(float) * np.minimum(sizes, 3),
    }

    structure = spec.structure
    per_case = (
        rng.choice(["employment", "ties", "uniform"], size=n)
        if structure == "mixed"
        else np.full(n, structure)
    )
    adults = np.maximum(1, np.round(sizes * 0.55))
    case_eff = rng.normal(0, 1, n)
    dest_eff = rng.normal(0, 0.7, m)
    f_case = rng.normal(0, 1, (n, 3))
    f_dest = rng.normal(0, 0.6, (m, 3))
    logits = case_eff[:, None] + dest_eff[None, :] + f_case @ f_dest.T - 0.5
    employment = adults[:, None] / (1 + np.exp(-logits))
    ties = rng.exponential(0.3, (n, m))
    tie_dest = rng.integers(0, m, size=(n, 2))
    has_tie = rng.random((n, 2)) < 0.35
    for t in range(2):
        ties[np.arange(n)[has_tie[:, t]], tie_dest[has_tie[:, t], t]] += rng.uniform(
            3, 8, has_tie[:, t].sum()
        )
    uniform = rng.uniform(0, 10, (n, m))
    scores = np.where(
        (per_case == "employment")[:, None],
        employment,
        np.where((per_case == "ties")[:, None], ties, uniform),
    )
    scores = np.round(scores, 4)

    compatible = rng.random((n, m)) < spec.density
    support: dict[str, np.ndarray] = {k: rng.random(m) < 0.6 for k in dims}
    for k in dims:
        if k in ("large_family", "medical"):
            # a destination without support is incompatible for cases that need it
            compatible &= ~((needs[k][:, None] > 0) & ~support[k][None, :])

    # capacities: Dirichlet shares of the demand, scaled by the places ratio
    shares = rng.dirichlet(np.full(m, 2.0))
    total_persons = float(sizes.sum())
    person_cap = np.floor(shares * total_persons * spec.places_ratio) + 1
    caps: dict[str, np.ndarray] = {"persons": person_cap}
    for k in dims:
        demand = float(needs[k].sum())
        s = shares * support[k]
        s = s / s.sum() if s.sum() > 0 else shares
        caps[k] = np.floor(s * demand * spec.places_ratio * rng.uniform(0.9, 1.3)) + 1
        caps[k][~support[k]] = 0.0
    destinations = tuple(
        Destination(
            id=f"D{d:03d}",
            capacity={key: float(caps[key][d]) for key in caps},
        )
        for d in range(m)
    )

    case_ids = [f"H{i:06d}" for i in range(n)]
    locked = rng.random(n) < spec.lock_share
    cases = []
    for i in range(n):
        compat = np.flatnonzero(compatible[i])
        lock = None
        if locked[i] and compat.size:
            lock = f"D{int(rng.choice(compat)):03d}"
        cases.append(
            Case(
                id=case_ids[i],
                size=int(sizes[i]),
                usage={k: float(needs[k][i]) for k in dims if needs[k][i] > 0},
                scores={f"D{d:03d}": float(scores[i, d]) for d in compat.tolist()},
                locked=lock,
            )
        )

    together: list[tuple[str, ...]] = []
    i = 0
    while i < n - 1:
        if rng.random() < spec.together_share / 2.5:
            width = 2 if rng.random() < 0.7 or i + 2 >= n else 3
            group = tuple(case_ids[i : i + width])
            together.append(group)
            i += width
        else:
            i += 1
    return AllocationProblem(
        destinations=destinations, cases=tuple(cases), together=tuple(together)
    )
