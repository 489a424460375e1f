"""JSON form of problems and results (the files ``resettle allocate`` reads and writes).

Every error names the field that is wrong (``cases[12].usage.medical: must be a number``)
so an officer can fix the file without reading code.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resettle.core.allocation.model import (
    PERSONS,
    AllocationProblem,
    AllocationResult,
    Alternative,
    Case,
    Destination,
    Explanation,
    ProblemFormatError,
)

_CASE_KEYS = {"id", "size", "usage", "scores", "locked"}
_DEST_KEYS = {"id", "capacity"}
_TOP_KEYS = {"destinations", "cases", "together"}


def _expect_object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ProblemFormatError(field, "must be an object")
    return value


def _expect_list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemFormatError(field, "must be a list")
    return value


def _reject_unknown(obj: Mapping[str, Any], allowed: set[str], field: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        prefix = f"{field}." if field else ""
        raise ProblemFormatError(f"{prefix}{extra[0]}", "unknown field")


def problem_from_dict(data: object) -> AllocationProblem:
    """Build and validate a problem from parsed JSON."""
    top = _expect_object(data, "")
    _reject_unknown(top, _TOP_KEYS, "")
    for key in ("destinations", "cases"):
        if key not in top:
            raise ProblemFormatError(key, "is required")
    destinations: list[Destination] = []
    for i, raw in enumerate(_expect_list(top["destinations"], "destinations")):
        where = f"destinations[{i}]"
        obj = _expect_object(raw, where)
        _reject_unknown(obj, _DEST_KEYS, where)
        if "id" not in obj:
            raise ProblemFormatError(f"{where}.id", "is required")
        try:
            destinations.append(Destination(id=obj["id"], capacity=obj.get("capacity", {})))
        except ProblemFormatError as exc:
            raise exc.within(where) from None
    cases: list[Case] = []
    for i, raw in enumerate(_expect_list(top["cases"], "cases")):
        where = f"cases[{i}]"
        obj = _expect_object(raw, where)
        _reject_unknown(obj, _CASE_KEYS, where)
        for key in ("id", "size", "scores"):
            if key not in obj:
                raise ProblemFormatError(f"{where}.{key}", "is required")
        try:
            cases.append(
                Case(
                    id=obj["id"],
                    size=obj["size"],
                    scores=obj["scores"],
                    usage=obj.get("usage", {}),
                    locked=obj.get("locked"),
                )
            )
        except ProblemFormatError as exc:
            raise exc.within(where) from None
    together: list[tuple[str, ...]] = []
    for g, raw in enumerate(_expect_list(top.get("together", []), "together")):
        group = _expect_list(raw, f"together[{g}]")
        for j, member in enumerate(group):
            if not isinstance(member, str):
                raise ProblemFormatError(f"together[{g}][{j}]", "must be a case id")
        together.append(tuple(group))
    return AllocationProblem(
        destinations=tuple(destinations), cases=tuple(cases), together=tuple(together)
    )


def read_problem(path: str | Path) -> AllocationProblem:
    """Read a problem file; a syntax error is reported with its line and column."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemFormatError(
            "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    return problem_from_dict(data)


def problem_to_dict(problem: AllocationProblem) -> dict[str, Any]:
    """The JSON form of a problem (usage.persons only when it differs from size)."""
    cases: list[dict[str, Any]] = []
    for case in problem.cases:
        usage = {k: v for k, v in case.usage.items() if k != PERSONS}
        if case.usage[PERSONS] != case.size:
            usage[PERSONS] = case.usage[PERSONS]
        row: dict[str, Any] = {"id": case.id, "size": case.size, "scores": dict(case.scores)}
        if usage:
            row["usage"] = usage
        if case.locked is not None:
            row["locked"] = case.locked
        cases.append(row)
    return {
        "destinations": [{"id": d.id, "capacity": dict(d.capacity)} for d in problem.destinations],
        "cases": cases,
        "together": [list(g) for g in problem.together],
    }


def _write_whole(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` all or nothing: a crash or a full disk midway leaves
    the previous file (or none), never half a manifest of placements."""
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_problem(problem: AllocationProblem, path: str | Path) -> None:
    """Write a problem file (compact: big instances are large)."""
    _write_whole(path, json.dumps(problem_to_dict(problem)))


def result_to_dict(result: AllocationResult) -> dict[str, Any]:
    """The result file format of issue 5, plus gap, method, prices and explanations."""
    out: dict[str, Any] = {
        "status": result.status,
        "assignments": dict(result.assignments),
        "unassigned": dict(result.unassigned),
        "objective": {"persons_placed": result.persons_placed, "score": result.score},
        "bound": {"score": result.bound_score, "persons": result.bound_persons},
        "gap": result.gap,
        "solve_seconds": result.solve_seconds,
        "method": result.method,
    }
    if result.prices:
        out["prices"] = {d: dict(p) for d, p in result.prices.items()}
    if result.explanations:
        out["explanations"] = {
            case_id: {
                "destination": e.destination,
                "score": e.score,
                "note": e.note,
                "alternatives": [
                    {"destination": a.destination, "score": a.score, "why": a.why}
                    for a in e.alternatives
                ],
            }
            for case_id, e in result.explanations.items()
        }
    return out


def result_from_dict(data: object) -> AllocationResult:
    """Read a result back (used by the web part and by tests)."""
    top = _expect_object(data, "")
    for key in ("status", "assignments", "unassigned", "objective", "bound", "solve_seconds"):
        if key not in top:
            raise ProblemFormatError(key, "is required")
    objective = _expect_object(top["objective"], "objective")
    bound = _expect_object(top["bound"], "bound")
    explanations: dict[str, Explanation] = {}
    for case_id, raw in _expect_object(top.get("explanations", {}), "explanations").items():
        obj = _expect_object(raw, f"explanations.{case_id}")
        explanations[case_id] = Explanation(
            destination=obj.get("destination"),
            score=obj.get("score"),
            note=obj.get("note", ""),
            alternatives=tuple(
                Alternative(destination=a["destination"], score=a.get("score"), why=a["why"])
                for a in _expect_list(obj.get("alternatives", []), f"explanations.{case_id}")
            ),
        )
    return AllocationResult(
        status=top["status"],
        assignments=dict(_expect_object(top["assignments"], "assignments")),
        unassigned=dict(_expect_object(top["unassigned"], "unassigned")),
        persons_placed=objective.get("persons_placed", 0),
        score=objective.get("score", 0.0),
        bound_score=bound.get("score", 0.0),
        bound_persons=bound.get("persons", 0.0),
        solve_seconds=top["solve_seconds"],
        method=top.get("method", ""),
        prices={d: dict(p) for d, p in _expect_object(top.get("prices", {}), "prices").items()},
        explanations=explanations,
    )


def write_result(result: AllocationResult, path: str | Path) -> None:
    """Write a result file (indented: people read it)."""
    _write_whole(path, json.dumps(result_to_dict(result), indent=1))
