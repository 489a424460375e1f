"""Problem and result of an allocation run, as plain dataclasses that validate themselves.

A problem says which households (cases) may go to which destinations, with what benefit
(score), how much of each destination's capacity they use, which cases are locked to a
destination by an officer and which cases must travel together.  The solver never sees
Django objects: the web part converts its rows into these classes at the edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

PERSONS = "persons"
"""The capacity dimension that counts people; a case uses ``size`` of it unless told."""

Status = Literal["optimal", "feasible"]


class ProblemFormatError(ValueError):
    """Invalid input, with the path of the offending field (``cases[3].size``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)

    def within(self, prefix: str) -> ProblemFormatError:
        """The same error, with its field path placed under ``prefix``."""
        if not self.field:
            return ProblemFormatError(prefix, self.message)
        joiner = "" if self.field.startswith("[") else "."
        return ProblemFormatError(f"{prefix}{joiner}{self.field}", self.message)


def _check_number(value: object, field_name: str, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProblemFormatError(field_name, f"must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ProblemFormatError(field_name, "must be a finite number")
    if minimum is not None and number < minimum:
        raise ProblemFormatError(field_name, f"must be at least {minimum:g}, got {number:g}")
    return number


def _check_id(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProblemFormatError(field_name, "must be a non-empty string")
    return value


@dataclass(frozen=True, slots=True)
class Destination:
    """A destination with its pledged capacity per dimension; a missing dimension is unbounded."""

    id: str
    capacity: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        if not isinstance(self.capacity, Mapping):
            raise ProblemFormatError("capacity", "must be an object of dimension: number")
        clean: dict[str, float] = {}
        for dim, value in self.capacity.items():
            _check_id(dim, "capacity")
            clean[dim] = _check_number(value, f"capacity.{dim}", minimum=0.0)
        object.__setattr__(self, "capacity", MappingProxyType(clean))


@dataclass(frozen=True, slots=True)
class Case:
    """A household: the unit that is placed whole.

    ``scores`` lists the compatible destinations with the benefit of each placement;
    ``usage`` says how much of each capacity dimension the case takes (``persons``
    defaults to ``size``); ``locked`` fixes the destination when an officer decided it.
    """

    id: str
    size: int
    scores: Mapping[str, float]
    usage: Mapping[str, float] = field(default_factory=dict)
    locked: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "id")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ProblemFormatError("size", "must be a whole number")
        if self.size < 1:
            raise ProblemFormatError("size", f"must be at least 1, got {self.size}")
        if not isinstance(self.scores, Mapping):
            raise ProblemFormatError("scores", "must be an object of destination: number")
        scores: dict[str, float] = {}
        for dest, value in self.scores.items():
            _check_id(dest, "scores")
            scores[dest] = _check_number(value, f"scores.{dest}")
        if not isinstance(self.usage, Mapping):
            raise ProblemFormatError("usage", "must be an object of dimension: number")
        usage: dict[str, float] = {PERSONS: float(self.size)}
        for dim, value in self.usage.items():
            _check_id(dim, "usage")
            usage[dim] = _check_number(value, f"usage.{dim}", minimum=0.0)
        if self.locked is not None:
            _check_id(self.locked, "locked")
        object.__setattr__(self, "scores", MappingProxyType(scores))
        object.__setattr__(self, "usage", MappingProxyType(usage))

    @property
    def persons(self) -> float:
        """Persons-capacity this case uses (``usage.persons``, else ``size``)."""
        return self.usage[PERSONS]


@dataclass(frozen=True, slots=True)
class AllocationProblem:
    """Destinations, cases and together-groups; ids must be unique and references known."""

    destinations: tuple[Destination, ...]
    cases: tuple[Case, ...]
    together: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "destinations", tuple(self.destinations))
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "together", tuple(tuple(g) for g in self.together))
        dest_ids: set[str] = set()
        for i, dest in enumerate(self.destinations):
            if not isinstance(dest, Destination):
                raise ProblemFormatError(f"destinations[{i}]", "must be a Destination")
            if dest.id in dest_ids:
                raise ProblemFormatError(f"destinations[{i}].id", f"duplicate id {dest.id!r}")
            dest_ids.add(dest.id)
        case_ids: set[str] = set()
        for i, case in enumerate(self.cases):
            if not isinstance(case, Case):
                raise ProblemFormatError(f"cases[{i}]", "must be a Case")
            if case.id in case_ids:
                raise ProblemFormatError(f"cases[{i}].id", f"duplicate id {case.id!r}")
            case_ids.add(case.id)
            for dest_id in case.scores:
                if dest_id not in dest_ids:
                    raise ProblemFormatError(f"cases[{i}].scores.{dest_id}", "unknown destination")
            if case.locked is not None and case.locked not in dest_ids:
                raise ProblemFormatError(
                    f"cases[{i}].locked", f"unknown destination {case.locked!r}"
                )
        for g, group in enumerate(self.together):
            if len(group) < 1:
                raise ProblemFormatError(f"together[{g}]", "must list at least one case")
            for j, case_id in enumerate(group):
                if case_id not in case_ids:
                    raise ProblemFormatError(f"together[{g}][{j}]", f"unknown case {case_id!r}")


@dataclass(frozen=True, slots=True)
class Alternative:
    """A destination a case did not get, and why, in words."""

    destination: str
    score: float | None
    why: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a case went where it went (or nowhere)."""

    destination: str | None
    score: float | None
    alternatives: tuple[Alternative, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """Assignment with its objective, a proven bound and the gap between them.

    ``bound_score`` is an upper bound on the total score of any solution that places at
    least ``persons_placed`` persons; ``bound_persons`` bounds the persons any solution
    can place.  ``status`` is ``optimal`` only when both are met.
    """

    status: Status
    assignments: Mapping[str, str]
    unassigned: Mapping[str, str]
    persons_placed: float
    score: float
    bound_score: float
    bound_persons: float
    solve_seconds: float
    method: str = ""
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    explanations: Mapping[str, Explanation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in ("optimal", "feasible"):
            raise ProblemFormatError("status", "must be 'optimal' or 'feasible'")
        overlap = set(self.assignments) & set(self.unassigned)
        if overlap:
            raise ProblemFormatError(
                "assignments", f"cases both assigned and unassigned: {sorted(overlap)[:3]}"
            )
        for name in ("persons_placed", "score", "bound_score", "bound_persons", "solve_seconds"):
            _check_number(getattr(self, name), name)

    @property
    def gap(self) -> float:
        """Relative distance of the score to its proven bound (0 when optimal)."""
        return relative_gap(self.score, self.bound_score)


def relative_gap(value: float, bound: float) -> float:
    """(bound - value) / max(|bound|, 1), never negative."""
    return max(0.0, bound - value) / max(abs(bound), 1.0)
