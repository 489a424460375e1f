"""Shared helpers for the allocation tests: a checker of every hard constraint."""

from __future__ import annotations

from resettle.core.allocation import AllocationProblem, AllocationResult


def assert_valid(problem: AllocationProblem, result: AllocationResult) -> None:
    """Fail if the result breaks capacity, compatibility, a lock or a together group."""
    cases = {c.id: c for c in problem.cases}
    dests = {d.id: d for d in problem.destinations}
    assert set(result.assignments) | set(result.unassigned) == set(cases)
    used: dict[str, dict[str, float]] = {d: {} for d in dests}
    for case_id, dest_id in result.assignments.items():
        case = cases[case_id]
        assert dest_id in case.scores, f"{case_id} sent to incompatible {dest_id}"
        if case.locked is not None:
            assert dest_id == case.locked, f"{case_id} moved off its lock"
        for dim, value in case.usage.items():
            used[dest_id][dim] = used[dest_id].get(dim, 0.0) + value
    for dest_id, dims in used.items():
        for dim, value in dims.items():
            cap = dests[dest_id].capacity.get(dim)
            if cap is not None:
                assert value <= cap + 1e-6, f"{dest_id} over {dim}: {value} > {cap}"
    for group in problem.together:
        where = {result.assignments.get(c) for c in group}
        assert len(where) == 1, f"together group {group} split: {where}"
    for reason in result.unassigned.values():
        assert reason.strip(), "every unassigned case needs a reason"
    persons = sum(cases[c].persons for c in result.assignments)
    score = sum(cases[c].scores[d] for c, d in result.assignments.items())
    assert abs(persons - result.persons_placed) < 1e-6
    assert abs(score - result.score) < 1e-6 * max(1.0, abs(score))
    assert result.bound_score >= result.score - 1e-6 * max(1.0, abs(score))
    assert result.bound_persons >= result.persons_placed - 1e-9
