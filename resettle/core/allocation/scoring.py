"""From registry facts to an allocation problem: compatibility and a score per destination.

Compatibility follows the pledge criteria Annie MOORE uses (Ahani et al., Operations
Research 2021): large-family support (6 or more persons), single-parent support,
nationalities and languages served, medical capacity, maximum household size.  A
destination that fails one criterion is not listed in the case's ``scores`` and the
reason is kept, so explanations can say "not compatible: no medical capacity".

The score adds, with the weights of :class:`ScoringWeights` (all in one place):

* ties: relatives already at the destination (``tie_per_relative`` each, capped);
* language: a language the household speaks is spoken locally (``language_match``,
  scaled by the share of the household's languages that match);
* preference: the household's own ranked choices (``preference[0]`` for the first ...);
* outcome: a fitted model's prediction, e.g. expected employed persons
  (``outcome`` x prediction), through the :class:`OutcomeModel` protocol when historical
  outcomes exist; without one this term is zero;
* base: a constant so every compatible placement is worth more than none.

Scarce services become capacity dimensions: ``large_family``, ``single_parent`` and
``medical`` are each used once by a household that needs them and bounded by the pledge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from resettle.core.allocation.model import PERSONS, AllocationProblem, Case, Destination

LARGE_FAMILY = "large_family"
SINGLE_PARENT = "single_parent"
MEDICAL = "medical"


def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(v.strip().lower() for v in values)


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What the registry knows about a household that matters for placement."""

    id: str
    size: int
    nationalities: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    medical: bool = False
    """A member needs treatment that requires the destination's medical capacity."""
    single_parent: bool = False
    ties: Mapping[str, int] = field(default_factory=dict)
    """Destination id -> number of close relatives living there."""
    preferences: tuple[str, ...] = ()
    """Destination ids, most wanted first."""
    locked: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("id must not be empty")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"size must be a whole number >= 1, got {self.size!r}")
        for dest, count in self.ties.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"ties[{dest}] must be a whole number >= 0")
        if len(set(self.preferences)) != len(self.preferences):
            raise ValueError("preferences must not repeat a destination")
        object.__setattr__(self, "nationalities", _frozen(self.nationalities) or frozenset())
        object.__setattr__(self, "languages", _frozen(self.languages) or frozenset())


@dataclass(frozen=True, slots=True)
class PledgeFacts:
    """A destination's pledge: places and the criteria and services it offers."""

    destination: str
    places: int
    """Persons the destination will take."""
    max_household_size: int | None = None
    large_family_places: int = 0
    """Households of ``ScoringWeights.large_family_size`` or more it will take."""
    single_parent_places: int = 0
    medical_places: int = 0
    nationalities: frozenset[str] | None = None
    """Nationalities accepted; ``None`` accepts all."""
    languages_served: frozenset[str] | None = None
    """Languages its reception services work in; ``None`` serves all."""
    local_languages: frozenset[str] = frozenset()
    """Languages spoken where the household will live (for the score)."""

    def __post_init__(self) -> None:
        if not self.destination:
            raise ValueError("destination must not be empty")
        for name in ("places", "large_family_places", "single_parent_places", "medical_places"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        if self.max_household_size is not None and self.max_household_size < 1:
            raise ValueError("max_household_size must be at least 1")
        object.__setattr__(self, "nationalities", _frozen(self.nationalities))
        object.__setattr__(self, "languages_served", _frozen(self.languages_served))
        object.__setattr__(self, "local_languages", _frozen(self.local_languages) or frozenset())


@dataclass(frozen=True, slots=True)
class ScoringWeights:
    """Every weight of the score in one place; change here, not in code."""

    base: float = 1.0
    tie_per_relative: float = 2.0
    tie_cap: float = 6.0
    language_match: float = 1.5
    preference: tuple[float, ...] = (3.0, 2.0, 1.0)
    outcome: float = 1.0
    large_family_size: int = 6

    def __post_init__(self) -> None:
        for name in ("base", "tie_per_relative", "tie_cap", "language_match", "outcome"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        if any(v < 0 for v in self.preference):
            raise ValueError("preference weights must not be negative")
        if self.large_family_size < 2:
            raise ValueError("large_family_size must be at least 2")


@runtime_checkable
class OutcomeModel(Protocol):
    """A fitted model of how a household would fare at a destination (e.g. employment).

    Implementations are trained elsewhere on historical outcomes; the allocation only
    calls ``predict``.  Return a number on a stable scale (e.g. expected employed persons).
    """

    def predict(self, household: HouseholdFacts, destination: str) -> float: ...


def incompatibility(
    household: HouseholdFacts, pledge: PledgeFacts, weights: ScoringWeights
) -> str | None:
    """Why the household cannot go to the pledge's destination, or ``None`` if it can."""
    name = pledge.destination
    if household.size > pledge.places:
        return f"{name} pledged fewer places ({pledge.places}) than the household's size"
    if pledge.max_household_size is not None and household.size > pledge.max_household_size:
        return f"{name} takes households of at most {pledge.max_household_size} persons"
    if household.size >= weights.large_family_size and pledge.large_family_places == 0:
        return f"{name} has no support for large families"
    if household.single_parent and pledge.single_parent_places == 0:
        return f"{name} has no support for single parents"
    if household.medical and pledge.medical_places == 0:
        return f"{name} has no medical capacity"
    if pledge.nationalities is not None and not (household.nationalities & pledge.nationalities):
        return f"{name} does not accept this nationality"
    if pledge.languages_served is not None and not (
        household.languages & pledge.languages_served
    ):
        return f"{name} does not serve any language the household speaks"
    return None


def score(
    household: HouseholdFacts,
    pledge: PledgeFacts,
    weights: ScoringWeights,
    outcome_model: OutcomeModel | None = None,
) -> float:
    """Benefit of placing the household at the pledge's destination (compatible or not)."""
    dest = pledge.destination
    value = weights.base
    value += min(weights.tie_cap, weights.tie_per_relative * household.ties.get(dest, 0))
    if household.languages and pledge.local_languages:
        shared = len(household.languages & pledge.local_languages)
        value += weights.language_match * shared / len(household.languages)
    if dest in household.preferences:
        rank = household.preferences.index(dest)
        if rank < len(weights.preference):
            value += weights.preference[rank]
    if outcome_model is not None:
        value += weights.outcome * float(outcome_model.predict(household, dest))
    return round(value, 6)


@dataclass(frozen=True, slots=True)
class ScoredProblem:
    """The problem for the solver, plus the reason behind every incompatible pair."""

    problem: AllocationProblem
    incompatible: Mapping[str, Mapping[str, str]]


def build_problem(
    households: Sequence[HouseholdFacts],
    pledges: Sequence[PledgeFacts],
    *,
    weights: ScoringWeights | None = None,
    outcome_model: OutcomeModel | None = None,
    together: Sequence[Sequence[str]] = (),
) -> ScoredProblem:
    """Turn registry facts into an :class:`AllocationProblem` with capacity dimensions."""
    w = weights or ScoringWeights()
    destinations = tuple(
        Destination(
            id=p.destination,
            capacity={
                PERSONS: float(p.places),
                LARGE_FAMILY: float(p.large_family_places),
                SINGLE_PARENT: float(p.single_parent_places),
                MEDICAL: float(p.medical_places),
            },
        )
        for p in pledges
    )
    cases: list[Case] = []
    reasons: dict[str, dict[str, str]] = {}
    for h in households:
        scores: dict[str, float] = {}
        for p in pledges:
            why = incompatibility(h, p, w)
            if why is None:
                scores[p.destination] = score(h, p, w, outcome_model)
            else:
                reasons.setdefault(h.id, {})[p.destination] = why
        usage = {
            LARGE_FAMILY: 1.0 if h.size >= w.large_family_size else 0.0,
            SINGLE_PARENT: 1.0 if h.single_parent else 0.0,
            MEDICAL: 1.0 if h.medical else 0.0,
        }
        cases.append(
            Case(
                id=h.id,
                size=h.size,
                scores=scores,
                usage={k: v for k, v in usage.items() if v},
                locked=h.locked,
            )
        )
    problem = AllocationProblem(
        destinations=destinations,
        cases=tuple(cases),
        together=tuple(tuple(g) for g in together),
    )
    return ScoredProblem(problem=problem, incompatible=reasons)
