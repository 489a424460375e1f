"""Fair shares of a caseload by the EU relocation key (European Agenda on Migration, 2015).

The key, for destination ``i`` among the participating ones:

* size key ``S_i = (0.4 * pop_i / sum pop + 0.4 * gdp_i / sum gdp) / 0.8``;
* unemployment correction ``U_i = (1 / u_i) / sum_j (1 / u_j)`` (inverse: high
  unemployment, smaller share), weight 10 %;
* past asylum effort correction ``A_i = (1 / a_i) / sum_j (1 / a_j)`` where ``a_i`` is
  spontaneous asylum applications plus resettled refugees per million inhabitants over the
  reference years (inverse: a state that already received many gets less), weight 10 %;
* raw key ``K_i = 0.4 * P_i + 0.4 * G_i + 0.1 * U_i + 0.1 * A_i``;
* cap: the corrective factors may move a state's share by at most 30 % of its size key,
  so ``K_i`` is clipped to ``[0.7 S_i, 1.3 S_i]``; the shares are then renormalised over
  the states that were not clipped (repeated until no clip binds), so they sum to 1.

The clipping-and-renormalising reading of the cap is ours (the Commission's note states the
cap, not the arithmetic); weights and cap are parameters so other readings can be tried.
Places are shares times the caseload, rounded by largest remainder so they sum exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CountryFacts:
    """Public statistics of one destination."""

    id: str
    population: float
    gdp: float
    unemployment_rate: float
    """Percent of the labour force."""
    asylum_per_million: float
    """Past spontaneous asylum applications plus resettled refugees per million inhabitants."""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("id must not be empty")
        for name in ("population", "gdp", "unemployment_rate", "asylum_per_million"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.id}.{name} must be a number")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{self.id}.{name} must be a finite number >= 0")
        if self.population <= 0 or self.gdp <= 0:
            raise ValueError(f"{self.id}: population and gdp must be positive")


@dataclass(frozen=True, slots=True)
class KeyWeights:
    """Weights of the key and the cap on the corrective factors."""

    population: float = 0.4
    gdp: float = 0.4
    unemployment: float = 0.1
    asylum: float = 0.1
    cap: float = 0.3
    floor: float = 0.1
    """Smallest unemployment rate / asylum figure used, so a zero does not mean infinity."""

    def __post_init__(self) -> None:
        parts = (self.population, self.gdp, self.unemployment, self.asylum)
        if any(p < 0 for p in parts) or self.population + self.gdp <= 0:
            raise ValueError("weights must be >= 0 and population + gdp must be positive")
        if not math.isclose(sum(parts), 1.0, abs_tol=1e-9):
            raise ValueError(f"weights must sum to 1, got {sum(parts):g}")
        if not 0 <= self.cap < 1:
            raise ValueError("cap must be in [0, 1)")
        if self.floor <= 0:
            raise ValueError("floor must be positive")


@dataclass(frozen=True, slots=True)
class FairShare:
    """A destination's share under the key, its size-only key, and its places."""

    id: str
    share: float
    size_key: float
    capped: bool
    places: int


def _normalised(values: Sequence[float]) -> list[float]:
    total = sum(values)
    return [v / total for v in values]


def fair_shares(
    countries: Sequence[CountryFacts],
    caseload: int,
    weights: KeyWeights | None = None,
) -> dict[str, FairShare]:
    """Each destination's share of ``caseload`` persons under the relocation key."""
    w = weights or KeyWeights()
    if not countries:
        raise ValueError("at least one destination is needed")
    if len({c.id for c in countries}) != len(countries):
        raise ValueError("destination ids must be unique")
    if isinstance(caseload, bool) or not isinstance(caseload, int) or caseload < 0:
        raise ValueError("caseload must be a whole number >= 0")
    pop = _normalised([c.population for c in countries])
    gdp = _normalised([c.gdp for c in countries])
    unemp = _normalised([1 / max(c.unemployment_rate, w.floor) for c in countries])
    asylum = _normalised([1 / max(c.asylum_per_million, w.floor) for c in countries])
    size_w = w.population + w.gdp
    size_key = [(w.population * p + w.gdp * g) / size_w for p, g in zip(pop, gdp, strict=True)]
    raw = [
        w.population * p + w.gdp * g + w.unemployment * u + w.asylum * a
        for p, g, u, a in zip(pop, gdp, unemp, asylum, strict=True)
    ]
    share, capped = _apply_cap(raw, size_key, w.cap)
    places = _largest_remainder(share, caseload)
    return {
        c.id: FairShare(
            id=c.id, share=share[i], size_key=size_key[i], capped=capped[i], places=places[i]
        )
        for i, c in enumerate(countries)
    }


def _apply_cap(
    raw: Sequence[float], size_key: Sequence[float], cap: float
) -> tuple[list[float], list[bool]]:
    """Clip to ``[(1-cap) S, (1+cap) S]`` and renormalise the free shares until stable."""
    n = len(raw)
    lo = [(1 - cap) * s for s in size_key]
    hi = [(1 + cap) * s for s in size_key]
    fixed: dict[int, float] = {}
    share = list(raw)
    for _ in range(n + 1):
        free = [i for i in range(n) if i not in fixed]
        budget = 1.0 - sum(fixed.values())
        free_total = sum(raw[i] for i in free)
        for i in free:
            share[i] = raw[i] * budget / free_total if free_total > 0 else 0.0
        changed = False
        for i in free:
            if share[i] > hi[i] + 1e-15:
                fixed[i] = hi[i]
                changed = True
            elif share[i] < lo[i] - 1e-15:
                fixed[i] = lo[i]
                changed = True
        for i, v in fixed.items():
            share[i] = v
        if not changed or len(fixed) == n:
            break
    total = sum(share)
    return [s / total for s in share], [i in fixed for i in range(n)]


def _largest_remainder(share: Sequence[float], total: int) -> list[int]:
    exact = [s * total for s in share]
    places = [math.floor(x) for x in exact]
    left = total - sum(places)
    order = sorted(range(len(share)), key=lambda i: (-(exact[i] - places[i]), i))
    for i in order[:left]:
        places[i] += 1
    return places


def compare_with_pledges(
    shares: Mapping[str, FairShare], pledged: Mapping[str, int]
) -> dict[str, int]:
    """Pledged places minus fair-share places per destination (negative: below its share)."""
    return {d: int(pledged.get(d, 0)) - s.places for d, s in shares.items()}
