"""JSON in and out: round trips, and every validation error names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from resettle.core.departures import (
    PlanResult,
    ProblemError,
    load_problem,
    plan,
    problem_from_dict,
    problem_to_dict,
    result_from_dict,
    save_result,
)
from resettle.core.departures.generate import GeneratorSettings, generate

ISSUE_EXAMPLE = {
    "cases": [
        {"id": "H00001", "size": 4, "destination": "DE", "risk": 0.8, "ready_day": 0,
         "documents_valid_until": 200, "blocked": False, "needs": {"wheelchair": 1}},
        {"id": "H00002", "size": 2, "destination": "DE", "risk": 0.3, "ready_day": 3,
         "documents_valid_until": 200, "blocked": False, "needs": {}},
    ],
    "departures": [
        {"id": "F001", "destination": "DE", "day": 14, "seats": 150, "special": {"wheelchair": 2}}
    ],
    "together": [["H00001", "H00002"]],
    "horizon_day": 365,
}


def test_issue_example_plans():
    problem = problem_from_dict(ISSUE_EXAMPLE)
    result = plan(problem, time_limit=5, seed=0)
    assert dict(result.assignments) == {"H00001": "F001", "H00002": "F001"}
    assert result.person_days_at_risk == pytest.approx((0.8 * 4 + 0.3 * 2) * 14)
    assert result.status == "optimal"


def test_problem_round_trip(tmp_path):
    problem = generate(GeneratorSettings(n_cases=60, n_departures=5), seed=4)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem_to_dict(problem)))
    assert load_problem(path) == problem


def test_result_round_trip(tmp_path):
    problem = generate(GeneratorSettings(n_cases=60, n_departures=5), seed=4)
    result = plan(problem, time_limit=5, seed=0)
    path = tmp_path / "r.json"
    save_result(result, path)
    data = json.loads(path.read_text())
    for key in ("status", "assignments", "unassigned", "person_days_at_risk", "bound",
                "solve_seconds"):
        assert key in data
    back = result_from_dict(data)
    assert back.assignments == result.assignments
    assert back.unassigned == result.unassigned
    assert back.person_days_at_risk == pytest.approx(result.person_days_at_risk, abs=1e-5)


def _with(path: str, value: object) -> dict[str, Any]:
    """ISSUE_EXAMPLE with one field replaced (value ... = delete)."""
    data: dict[str, Any] = json.loads(json.dumps(ISSUE_EXAMPLE))
    *parents, last = path.split(".")
    node: Any = data
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("cases.0.size", 0, "cases[0].size"),
        ("cases.0.size", 2.5, "cases[0].size"),
        ("cases.0.size", True, "cases[0].size"),
        ("cases.1.size", ..., "cases[1].size"),
        ("cases.0.risk", -0.1, "cases[0].risk"),
        ("cases.0.risk", "high", "cases[0].risk"),
        ("cases.0.id", "", "cases[0].id"),
        ("cases.1.id", "H00001", "cases[1].id"),
        ("cases.0.destination", ..., "cases[0].destination"),
        ("cases.0.ready_day", "soon", "cases[0].ready_day"),
        ("cases.0.documents_valid_until", 1.5, "cases[0].documents_valid_until"),
        ("cases.0.blocked", "no", "cases[0].blocked"),
        ("cases.0.needs", {"wheelchair": -1}, "cases[0].needs.wheelchair"),
        ("cases.0.needs", ["wheelchair"], "cases[0].needs"),
        ("cases.0.colour", "red", "cases[0].colour"),
        ("departures.0.seats", -1, "departures[0].seats"),
        ("departures.0.day", 400, "departures[0].day"),
        ("departures.0.special", {"stretcher": "1"}, "departures[0].special.stretcher"),
        ("departures.0.id", ..., "departures[0].id"),
        ("together.0", ["H00001", "H09999"], "together[0][1]"),
        ("together.0", ["H00001"], "together[0]"),
        ("together.0", ["H00001", "H00001"], "together[0][1]"),
        ("horizon_day", ..., "horizon_day"),
        ("horizon_day", "365", "horizon_day"),
        ("cases", {}, "cases"),
    ],
)
def test_validation_error_names_the_field(path, value, field):
    with pytest.raises(ProblemError) as info:
        problem_from_dict(_with(path, value))
    assert info.value.field == field
    assert str(info.value).startswith(field + ": ")


def test_bad_json_says_where(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"cases": [\n  {"id": }\n]}')
    with pytest.raises(ProblemError, match="line 2"):
        load_problem(path)


def test_result_refuses_a_bound_above_its_value():
    with pytest.raises(ProblemError, match=r"^bound"):
        PlanResult("optimal", {}, {}, person_days_at_risk=10.0, bound=11.0, solve_seconds=0.1)
    with pytest.raises(ProblemError, match=r"^unassigned"):
        PlanResult("optimal", {"A": "F"}, {"A": "x"}, 10.0, 9.0, 0.1)


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"time_limit": 0, "seed": 0}, "time_limit"),
    ({"time_limit": 5, "seed": 1.5}, "seed"),
    ({"time_limit": 5, "seed": 0, "target_gap": 2.0}, "target_gap"),
])
def test_plan_refuses_bad_parameters(kwargs, word):
    with pytest.raises(ValueError, match=word):
        plan(problem_from_dict(ISSUE_EXAMPLE), **kwargs)
