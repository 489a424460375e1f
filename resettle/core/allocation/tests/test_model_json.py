"""JSON problem/result files: validation names the field, round trips are lossless."""

from __future__ import annotations

import json

import pytest

from resettle.core.allocation import (
    ProblemFormatError,
    problem_from_dict,
    problem_to_dict,
    read_problem,
    result_from_dict,
    result_to_dict,
    solve,
)

ISSUE_EXAMPLE = {
    "destinations": [
        {"id": "DE", "capacity": {"persons": 520, "large_family": 12, "medical": 30}},
        {"id": "NO", "capacity": {"persons": 10}},
    ],
    "cases": [
        {"id": "H00001", "size": 4, "usage": {"large_family": 0, "medical": 1},
         "scores": {"DE": 2.5, "NO": 1.0}, "locked": "DE"},
        {"id": "H00002", "size": 2, "scores": {"DE": 1.0, "NO": 3.0}},
    ],
    "together": [["H00001", "H00002"]],
}


def test_issue_example_parses_and_solves() -> None:
    problem = problem_from_dict(ISSUE_EXAMPLE)
    assert problem.cases[0].persons == 4
    assert problem.cases[0].usage["medical"] == 1
    result = solve(problem, time_limit=5, seed=0)
    assert result.assignments == {"H00001": "DE", "H00002": "DE"}
    assert result.status == "optimal"
    assert result.score == pytest.approx(3.5)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["cases"][1].update(size="two"), "cases[1].size"),
        (lambda d: d["cases"][1].update(size=0), "cases[1].size"),
        (lambda d: d["cases"][0]["usage"].update(medical=-1), "cases[0].usage.medical"),
        (lambda d: d["cases"][1]["scores"].update(XX=1.0), "cases[1].scores.XX"),
        (lambda d: d["cases"][1]["scores"].update(NO=float("nan")), "cases[1].scores.NO"),
        (lambda d: d["cases"][0].update(locked="FR"), "cases[0].locked"),
        (lambda d: d["cases"][1].pop("scores"), "cases[1].scores"),
        (lambda d: d["cases"][1].update(id="H00001"), "cases[1].id"),
        (lambda d: d["cases"][1].update(colour="red"), "cases[1].colour"),
        (lambda d: d["destinations"][0]["capacity"].update(persons="x"),
         "destinations[0].capacity.persons"),
        (lambda d: d["destinations"][1].update(id=""), "destinations[1].id"),
        (lambda d: d["together"].append(["H00001", "H9"]), "together[1][1]"),
        (lambda d: d.pop("cases"), "cases"),
        (lambda d: d.update(cases={}), "cases"),
    ],
)
def test_validation_error_names_the_field(mutate, field) -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    mutate(data)
    with pytest.raises(ProblemFormatError) as info:
        problem_from_dict(data)
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_syntax_error_reports_line(tmp_path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"destinations": [,]}')
    with pytest.raises(ProblemFormatError, match="line 1"):
        read_problem(path)


def test_problem_round_trip() -> None:
    problem = problem_from_dict(ISSUE_EXAMPLE)
    assert problem_from_dict(json.loads(json.dumps(problem_to_dict(problem)))) == problem


def test_result_round_trip_with_explanations() -> None:
    problem = problem_from_dict(ISSUE_EXAMPLE)
    result = solve(problem, time_limit=5, seed=0, explain=True)
    data = json.loads(json.dumps(result_to_dict(result)))
    assert set(data) >= {"status", "assignments", "unassigned", "objective", "bound",
                         "solve_seconds", "explanations"}
    back = result_from_dict(data)
    assert back.assignments == result.assignments
    assert back.explanations == result.explanations
    assert back.bound_score == result.bound_score


def test_a_write_that_fails_midway_leaves_the_previous_result(tmp_path, monkeypatch) -> None:
    import os

    from resettle.core.allocation import write_result

    problem = problem_from_dict(ISSUE_EXAMPLE)
    first = solve(problem, time_limit=5, seed=0)
    path = tmp_path / "r.json"
    write_result(first, path)
    before = path.read_bytes()

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_result(solve(problem, time_limit=5, seed=1, explain=True), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left
