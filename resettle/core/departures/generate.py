"""Seeded generator of realistic departure-planning instances (tests and bench).

Why: the planner must be checked on many varied instances, and benches must be
reproducible; every draw comes from ``random.Random(seed)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from resettle.core.departures.model import Case, Departure, Problem

__all__ = ["GeneratorSettings", "generate"]

_SIZE_WEIGHTS = (0.22, 0.18, 0.16, 0.14, 0.11, 0.08, 0.05, 0.04, 0.02)
_COUNTRIES = ("DE", "CA", "US", "FR", "SE", "NL", "GB", "AU", "NO", "ES", "IT", "FI", "NZ", "IE")
#: special-place kind -> (share of households needing it, places per departure low..high)
_SPECIAL = {
    "wheelchair": (0.04, 1, 6),
    "stretcher": (0.006, 0, 1),
    "medical_escort": (0.02, 0, 4),
}


@dataclass(frozen=True)
class GeneratorSettings:
    """Knobs of the generator; defaults give a camp-like, over-subscribed instance."""

    n_cases: int = 200
    n_departures: int = 4
    n_destinations: int | None = None
    horizon_day: int = 365
    seat_ratio: float = 0.8  # total seats / total persons
    ready_share: float = 0.85  # share ready on day 0; the others become ready later
    expiring_share: float = 0.08  # documents expiring within the horizon
    blocked_share: float = 0.03
    together_share: float = 0.08  # share of households in a together group
    first_day: int = 7
    last_day: int = 200

    def __post_init__(self) -> None:
        if self.n_cases < 0 or self.n_departures < 0:
            raise ValueError("n_cases and n_departures must be >= 0")
        if self.n_destinations is not None and self.n_destinations < 1:
            raise ValueError("n_destinations must be >= 1")
        if not self.seat_ratio > 0:
            raise ValueError("seat_ratio must be > 0")
        for name in ("ready_share", "expiring_share", "blocked_share", "together_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within [0, 1]")
        if not self.first_day <= self.last_day <= self.horizon_day:
            raise ValueError("need first_day <= last_day <= horizon_day")


def generate(settings: GeneratorSettings, seed: int) -> Problem:
    """A random but reproducible Problem: the same settings and seed give the same one."""
    rng = random.Random(seed)
    s = settings
    n_dest = s.n_destinations or max(1, min(len(_COUNTRIES), round(s.n_departures / 4) or 1))
    countries = [_COUNTRIES[i] if i < len(_COUNTRIES) else f"X{i:02d}" for i in range(n_dest)]
    # Destination popularity (uneven, as pledges are).
    popularity = [rng.uniform(0.4, 1.6) for _ in countries]
    total_pop = sum(popularity)

    cases: list[Case] = []
    for i in range(s.n_cases):
        size = rng.choices(range(1, 10), weights=_SIZE_WEIGHTS)[0]
        dest = rng.choices(countries, weights=popularity)[0]
        # A few very endangered households, many moderate ones.
        risk = rng.betavariate(2, 5) if rng.random() > 0.1 else rng.uniform(0.7, 1.0)
        ready = 0 if rng.random() < s.ready_share else rng.randint(1, s.last_day)
        if rng.random() < s.expiring_share:
            docs: int | None = rng.randint(max(ready - 10, 0), s.horizon_day)
        else:
            docs = rng.choice([None, s.horizon_day + rng.randint(30, 700)])
        needs: dict[str, int] = {}
        for kind, (share, _, _) in _SPECIAL.items():
            if rng.random() < share:
                needs[kind] = 1 if rng.random() < 0.85 or size == 1 else 2
        cases.append(
            Case(
                id=f"H{i + 1:05d}",
                size=size,
                destination=dest,
                risk=round(risk, 3),
                ready_day=ready,
                documents_valid_until=docs,
                blocked=rng.random() < s.blocked_share,
                needs=needs,
            )
        )

    together: list[tuple[str, ...]] = []
    by_dest: dict[str, list[str]] = {}
    for c in cases:
        by_dest.setdefault(c.destination, []).append(c.id)
    grouped = 0
    target = int(s.together_share * s.n_cases)
    pools = [ids[:] for ids in by_dest.values() if len(ids) >= 2]
    for pool in pools:
        rng.shuffle(pool)
    while grouped < target and pools:
        pool = rng.choice(pools)
        k = min(len(pool), rng.choice((2, 2, 2, 3)))
        if k < 2:
            pools.remove(pool)
            continue
        together.append(tuple(sorted(pool.pop() for _ in range(k))))
        grouped += k
        if len(pool) < 2:
            pools.remove(pool)

    persons = sum(c.size for c in cases)
    departures: list[Departure] = []
    if s.n_departures:
        # Every destination gets at least one departure when there are enough.
        dests = list(countries[: s.n_departures])
        dests += rng.choices(countries, weights=popularity, k=s.n_departures - len(dests))
        counts = {c: dests.count(c) for c in countries}
        for j, dest in enumerate(dests):
            share = popularity[countries.index(dest)] / total_pop / max(counts[dest], 1)
            seats = max(10, round(persons * s.seat_ratio * share * rng.uniform(0.7, 1.3)))
            special = {kind: rng.randint(lo, hi) for kind, (_, lo, hi) in _SPECIAL.items()}
            departures.append(
                Departure(
                    id=f"F{j + 1:03d}",
                    destination=dest,
                    day=rng.randint(s.first_day, s.last_day),
                    seats=seats,
                    special={k: v for k, v in special.items() if v},
                )
            )
    return Problem(
        cases=tuple(cases),
        departures=tuple(departures),
        together=tuple(together),
        horizon_day=s.horizon_day,
    )
