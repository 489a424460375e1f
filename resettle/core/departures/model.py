"""Departure-planning problem and result, as self-validating dataclasses with JSON I/O.

Why here: the planner, the CLI and (later) the database adapter all exchange these
plain objects, so every malformed input is rejected once, at the edge, with the
name of the offending field (``cases[3].size: ...``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Case",
    "Departure",
    "PlanResult",
    "Problem",
    "ProblemError",
    "load_problem",
    "problem_from_dict",
    "problem_to_dict",
    "result_from_dict",
    "save_result",
]


class ProblemError(ValueError):
    """A malformed problem or result; ``field`` is the JSON path of the culprit."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)

    def within(self, prefix: str) -> ProblemError:
        """The same error, with its field path placed under ``prefix``."""
        if not self.field:
            return ProblemError(prefix, self.message)
        sep = "" if self.field.startswith("[") else "."
        return ProblemError(f"{prefix}{sep}{self.field}", self.message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(name, f"must be a non-empty string, got {value!r}")


def _check_int(name: str, value: object, *, minimum: int | None = None) -> None:
    if not _is_int(value):
        raise ProblemError(name, f"must be an integer, got {value!r}")
    assert isinstance(value, int)
    if minimum is not None and value < minimum:
        raise ProblemError(name, f"must be at least {minimum}, got {value}")


def _check_counts(name: str, value: object) -> None:
    if not isinstance(value, Mapping):
        raise ProblemError(name, f"must be an object of kind -> count, got {value!r}")
    for kind, count in value.items():
        _check_id(f"{name}", kind)
        _check_int(f"{name}.{kind}", count, minimum=0)


@dataclass(frozen=True)
class Case:
    """One household; it travels whole or not at all.

    ``risk`` is supplied by the risk model (resettle.core.risk); the planner only
    needs it to be a non-negative number. ``documents_valid_until`` None means the
    travel documents do not expire within any horizon we plan for.
    """

    id: str
    size: int
    destination: str
    risk: float
    ready_day: int = 0
    documents_valid_until: int | None = None
    blocked: bool = False
    needs: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_int("size", self.size, minimum=1)
        _check_id("destination", self.destination)
        if (
            isinstance(self.risk, bool)
            or not isinstance(self.risk, int | float)
            or not math.isfinite(self.risk)
            or self.risk < 0
        ):
            raise ProblemError("risk", f"must be a finite number >= 0, got {self.risk!r}")
        _check_int("ready_day", self.ready_day)
        if self.documents_valid_until is not None:
            _check_int("documents_valid_until", self.documents_valid_until)
        if not isinstance(self.blocked, bool):
            raise ProblemError("blocked", f"must be true or false, got {self.blocked!r}")
        _check_counts("needs", self.needs)
        # Zero counts carry no meaning; drop them so equal households compare equal.
        object.__setattr__(self, "needs", {k: v for k, v in sorted(self.needs.items()) if v})
        object.__setattr__(self, "risk", float(self.risk))

    @property
    def weight(self) -> float:
        """Person-days at risk accrued per day of waiting: risk x size."""
        return self.risk * self.size


@dataclass(frozen=True)
class Departure:
    """One flight (or convoy) to one destination, on one day, with finite places.

    ``seats`` counts every passenger; ``special`` counts additional places such as
    wheelchair or stretcher positions, which a passenger needing one occupies on top
    of a seat.
    """

    id: str
    destination: str
    day: int
    seats: int
    special: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id("id", self.id)
        _check_id("destination", self.destination)
        _check_int("day", self.day)
        _check_int("seats", self.seats, minimum=0)
        _check_counts("special", self.special)
        object.__setattr__(self, "special", dict(sorted(self.special.items())))


@dataclass(frozen=True)
class Problem:
    """Households, departures, groups that must travel together, and the horizon.

    Households still in the camp at ``horizon_day`` are counted as at risk until
    then, so no departure may be later than the horizon (travelling would then look
    worse than staying).
    """

    cases: tuple[Case, ...]
    departures: tuple[Departure, ...]
    together: tuple[tuple[str, ...], ...] = ()
    horizon_day: int = 365

    def __post_init__(self) -> None:
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "departures", tuple(self.departures))
        object.__setattr__(self, "together", tuple(tuple(g) for g in self.together))
        _check_int("horizon_day", self.horizon_day)
        seen: set[str] = set()
        for i, case in enumerate(self.cases):
            if not isinstance(case, Case):
                raise ProblemError(f"cases[{i}]", "must be a Case")
            if case.id in seen:
                raise ProblemError(f"cases[{i}].id", f"duplicate case id {case.id!r}")
            seen.add(case.id)
        dep_seen: set[str] = set()
        for i, dep in enumerate(self.departures):
            if not isinstance(dep, Departure):
                raise ProblemError(f"departures[{i}]", "must be a Departure")
            if dep.id in dep_seen:
                raise ProblemError(f"departures[{i}].id", f"duplicate departure id {dep.id!r}")
            dep_seen.add(dep.id)
            if dep.day > self.horizon_day:
                raise ProblemError(
                    f"departures[{i}].day",
                    f"day {dep.day} is after horizon_day {self.horizon_day}",
                )
        for g, group in enumerate(self.together):
            if len(group) < 2:
                raise ProblemError(f"together[{g}]", "a group needs at least two case ids")
            members: set[str] = set()
            for j, cid in enumerate(group):
                if not isinstance(cid, str) or cid not in seen:
                    raise ProblemError(f"together[{g}][{j}]", f"unknown case id {cid!r}")
                if cid in members:
                    raise ProblemError(f"together[{g}][{j}]", f"case {cid!r} listed twice")
                members.add(cid)

    @property
    def case_by_id(self) -> dict[str, Case]:
        return {c.id: c for c in self.cases}

    @property
    def departure_by_id(self) -> dict[str, Departure]:
        return {d.id: d for d in self.departures}

    def person_days_at_risk(self, assignments: Mapping[str, str]) -> float:
        """The objective: risk x size x day of departure, or x horizon if left behind."""
        days = {d.id: d.day for d in self.departures}
        total = 0.0
        for case in self.cases:
            dep = assignments.get(case.id)
            total += case.weight * (days[dep] if dep is not None else self.horizon_day)
        return total


@dataclass(frozen=True)
class PlanResult:
    """A plan, its value, a proven lower bound on any plan's value, and why not others.

    ``status`` is "optimal" when the value meets the bound (within 1e-6 relative),
    otherwise "feasible" (a valid plan, with ``gap`` telling how far it may be from
    the best one).
    """

    status: str
    assignments: Mapping[str, str]
    unassigned: Mapping[str, str]
    person_days_at_risk: float
    bound: float
    solve_seconds: float
    method: str = ""

    STATUSES = ("optimal", "feasible")

    def __post_init__(self) -> None:
        if self.status not in self.STATUSES:
            raise ProblemError("status", f"must be one of {', '.join(self.STATUSES)}")
        both = set(self.assignments) & set(self.unassigned)
        if both:
            raise ProblemError("unassigned", f"case {sorted(both)[0]!r} is also in assignments")
        for name in ("person_days_at_risk", "bound", "solve_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProblemError(name, f"must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ProblemError(name, f"must be finite, got {value!r}")
        if self.bound > self.person_days_at_risk * (1 + 1e-9) + 1e-6:
            raise ProblemError(
                "bound",
                f"bound {self.bound} exceeds the plan's value {self.person_days_at_risk}",
            )

    @property
    def gap(self) -> float:
        """Relative distance of the plan's value above the proven bound."""
        if self.person_days_at_risk <= 0:
            return 0.0
        return max(0.0, self.person_days_at_risk - self.bound) / max(self.bound, 1e-12)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "assignments": dict(sorted(self.assignments.items())),
            "unassigned": dict(sorted(self.unassigned.items())),
            "person_days_at_risk": round(self.person_days_at_risk, 6),
            "bound": round(self.bound, 6),
            "gap": round(self.gap, 8),
            "solve_seconds": round(self.solve_seconds, 3),
            "method": self.method,
        }


# --------------------------------------------------------------------------- JSON


def _require(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise ProblemError(f"{where}.{key}" if where else key, "is required")
    return obj[key]


def _reject_unknown(obj: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ProblemError(f"{where}.{key}" if where else str(key), "unknown field")


_CASE_FIELDS = (
    "id",
    "size",
    "destination",
    "risk",
    "ready_day",
    "documents_valid_until",
    "blocked",
    "needs",
)
_DEPARTURE_FIELDS = ("id", "destination", "day", "seats", "special")


def problem_from_dict(data: object) -> Problem:
    """Build a Problem from parsed JSON; errors name the JSON path of the bad field."""
    if not isinstance(data, Mapping):
        raise ProblemError("", "the problem must be a JSON object")
    _reject_unknown(data, ("cases", "departures", "together", "horizon_day"), "")
    raw_cases = _require(data, "cases", "")
    raw_deps = _require(data, "departures", "")
    raw_together = data.get("together")
    if raw_together is None:  # absent or null: no groups
        raw_together = []
    horizon = _require(data, "horizon_day", "")
    for name, value in (("cases", raw_cases), ("departures", raw_deps), ("together", raw_together)):
        if not isinstance(value, list):
            raise ProblemError(name, "must be a list")
    cases: list[Case] = []
    for i, raw in enumerate(raw_cases):
        where = f"cases[{i}]"
        if not isinstance(raw, Mapping):
            raise ProblemError(where, "must be an object")
        _reject_unknown(raw, _CASE_FIELDS, where)
        try:
            cases.append(
                Case(
                    id=_require(raw, "id", where),
                    size=_require(raw, "size", where),
                    destination=_require(raw, "destination", where),
                    risk=_require(raw, "risk", where),
                    ready_day=raw.get("ready_day", 0),
                    documents_valid_until=raw.get("documents_valid_until"),
                    blocked=raw.get("blocked", False),
                    needs=raw.get("needs") or {},
                )
            )
        except ProblemError as exc:
            raise (exc if exc.field.startswith(where) else exc.within(where)) from None
    departures: list[Departure] = []
    for i, raw in enumerate(raw_deps):
        where = f"departures[{i}]"
        if not isinstance(raw, Mapping):
            raise ProblemError(where, "must be an object")
        _reject_unknown(raw, _DEPARTURE_FIELDS, where)
        try:
            departures.append(
                Departure(
                    id=_require(raw, "id", where),
                    destination=_require(raw, "destination", where),
                    day=_require(raw, "day", where),
                    seats=_require(raw, "seats", where),
                    special=raw.get("special") or {},
                )
            )
        except ProblemError as exc:
            raise (exc if exc.field.startswith(where) else exc.within(where)) from None
    together: list[tuple[str, ...]] = []
    for g, group in enumerate(raw_together):
        if not isinstance(group, list):
            raise ProblemError(f"together[{g}]", "must be a list of case ids")
        together.append(tuple(group))
    return Problem(
        cases=tuple(cases),
        departures=tuple(departures),
        together=tuple(together),
        horizon_day=horizon,
    )


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON form documented in docs/departures.md."""
    return {
        "cases": [
            {
                "id": c.id,
                "size": c.size,
                "destination": c.destination,
                "risk": c.risk,
                "ready_day": c.ready_day,
                "documents_valid_until": c.documents_valid_until,
                "blocked": c.blocked,
                "needs": dict(c.needs),
            }
            for c in problem.cases
        ],
        "departures": [
            {
                "id": d.id,
                "destination": d.destination,
                "day": d.day,
                "seats": d.seats,
                "special": dict(d.special),
            }
            for d in problem.departures
        ],
        "together": [list(g) for g in problem.together],
        "horizon_day": problem.horizon_day,
    }


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file; bad JSON is reported with its line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError("", f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return problem_from_dict(data)


def result_from_dict(data: object) -> PlanResult:
    """Parse a result file (as written by ``save_result``)."""
    if not isinstance(data, Mapping):
        raise ProblemError("", "the result must be a JSON object")
    for key in ("assignments", "unassigned"):
        value = _require(data, key, "")
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ProblemError(key, "must be an object of case id -> string")
    return PlanResult(
        status=_require(data, "status", ""),
        assignments=dict(data["assignments"]),
        unassigned=dict(data["unassigned"]),
        person_days_at_risk=_require(data, "person_days_at_risk", ""),
        bound=_require(data, "bound", ""),
        solve_seconds=_require(data, "solve_seconds", ""),
        method=str(data.get("method", "")),
    )


def save_result(result: PlanResult, path: str | Path) -> None:
    """Write the result as pretty, sorted JSON."""
    Path(path).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
