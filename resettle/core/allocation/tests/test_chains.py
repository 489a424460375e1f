"""Ejection chains and routes: they only ever add persons, and never break a hard
constraint."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from resettle.core.allocation import AllocationProblem, Case, Destination, solver
from resettle.core.allocation.chains import place_by_chains, place_by_routes
from resettle.core.allocation.tests.test_solver import _instance_and_greedy, tiny_problems


def _where(
    problem: AllocationProblem, inst: solver._Instance, assign: np.ndarray
) -> dict[str, str]:
    return {
        problem.cases[i].id: inst.dest_ids[inst.col_dest[assign[u]]]
        for u in np.flatnonzero(assign >= 0).tolist()
        for i in inst.unit_cases[u]
    }


def _chains(inst: solver._Instance, assign: np.ndarray, bound: float = 1e9) -> int:
    return place_by_chains(inst, assign, bound, time.perf_counter() + 5.0, time.perf_counter, 1)


def _routes(
    inst: solver._Instance, assign: np.ndarray, bound: float = 1e9, deadline: float = 5.0
) -> int:
    return place_by_routes(
        inst, assign, bound, time.perf_counter() + deadline, time.perf_counter, 1,
        solver._usage_classes(inst),
    )


def _a_in_the_way_of_b() -> AllocationProblem:
    """A may go to DE or NO; B may go only to DE; each fills a destination."""
    return AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": 4}),
                      Destination(id="NO", capacity={"persons": 4})),
        cases=(Case(id="A", size=4, scores={"DE": 2.0, "NO": 1.0}),
               Case(id="B", size=4, scores={"DE": 1.0})),
    )


def _start(
    problem: AllocationProblem, placed: dict[str, str]
) -> tuple[solver._Instance, np.ndarray]:
    """The array form with the households in ``placed`` seated there, the rest left out."""
    inst = solver._build_instance(problem)
    solver._admit_locks(inst)
    assign = np.full(inst.n_units, -1, dtype=np.int64)
    ids = [c.id for c in problem.cases]
    for case_id, dest_id in placed.items():
        u = next(u for u, members in enumerate(inst.unit_cases) if ids.index(case_id) in members)
        d = inst.dest_ids.index(dest_id)
        assign[u] = int(np.flatnonzero((inst.col_unit == u) & (inst.col_dest == d))[0])
    assert solver._violations(inst, assign) == ""
    return inst, assign


@pytest.mark.parametrize("search", ["chains", "routes"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems(max_cases=6))
def test_searches_keep_every_constraint_and_never_lose_persons(
    search: str, problem: AllocationProblem
) -> None:
    inst, assign = _instance_and_greedy(problem)
    persons = solver._totals(inst, assign)[0]
    locked = assign[inst.unit_forced].copy()
    applied = (_chains if search == "chains" else _routes)(inst, assign)
    assert solver._violations(inst, assign) == ""
    after = solver._totals(inst, assign)[0]
    assert after >= persons
    assert (after > persons) == (applied > 0)
    assert np.array_equal(assign[inst.unit_forced], locked)


def test_a_household_moves_aside_for_one_that_can_go_nowhere_else() -> None:
    # A sits at DE, the only destination B may go to
    problem = _a_in_the_way_of_b()
    inst, assign = _start(problem, {"A": "DE"})
    assert _chains(inst, assign) == 1
    assert _where(problem, inst, assign) == {"A": "NO", "B": "DE"}


def test_two_moves_in_a_row() -> None:
    # C only fits DE (full with A); A can only go on to NO (full with B); B to FI
    problem = AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": 3}),
                      Destination(id="NO", capacity={"persons": 3}),
                      Destination(id="FI", capacity={"persons": 3})),
        cases=(Case(id="A", size=3, scores={"DE": 1.0, "NO": 1.0}),
               Case(id="B", size=3, scores={"NO": 1.0, "FI": 1.0}),
               Case(id="C", size=3, scores={"DE": 1.0})),
    )
    inst, assign = _start(problem, {"A": "DE", "B": "NO"})
    assert _chains(inst, assign) == 1
    assert _where(problem, inst, assign) == {"A": "NO", "B": "FI", "C": "DE"}


def test_several_move_out_to_make_room_for_a_large_family() -> None:
    # the family of six fits only DE, where three couples sit that may also go to NO
    problem = AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": 6}),
                      Destination(id="NO", capacity={"persons": 6})),
        cases=(*(Case(id=f"C{i}", size=2, scores={"DE": 1.0, "NO": 1.0}) for i in range(3)),
               Case(id="F", size=6, scores={"DE": 1.0})),
    )
    inst, assign = _start(problem, {"C0": "DE", "C1": "DE", "C2": "DE"})
    assert _chains(inst, assign) == 1
    assert _where(problem, inst, assign) == {"C0": "NO", "C1": "NO", "C2": "NO", "F": "DE"}


def test_a_smaller_household_is_left_out_only_when_persons_gain() -> None:
    problem = AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": 5}),),
        cases=(Case(id="S", size=3, scores={"DE": 9.0}),
               Case(id="L", size=5, scores={"DE": 1.0})),
    )
    inst, assign = _start(problem, {"S": "DE"})
    assert _chains(inst, assign) == 1
    assert _where(problem, inst, assign) == {"L": "DE"}
    assert _chains(inst, assign) == 0  # the other way round would lose persons


def test_locked_households_stay_and_the_bound_stops_the_search() -> None:
    problem = AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": 4}),
                      Destination(id="NO", capacity={"persons": 8})),
        cases=(Case(id="A", size=4, scores={"DE": 1.0, "NO": 1.0}, locked="DE"),
               Case(id="B", size=4, scores={"DE": 1.0}),
               Case(id="C", size=2, scores={"NO": 1.0}),
               Case(id="D", size=2, scores={"NO": 1.0})),
    )
    inst, assign = _start(problem, {"A": "DE"})
    assert _chains(inst, assign, bound=6.0) == 1  # stops at 6 persons, D stays out
    assert solver._totals(inst, assign)[0] == 6.0
    assert _where(problem, inst, assign)["A"] == "DE"
    assert "B" not in _where(problem, inst, assign)


@pytest.mark.parametrize("search", ["chains", "routes"])
def test_nothing_moves_once_the_deadline_has_passed(search: str) -> None:
    inst, assign = _start(_a_in_the_way_of_b(), {"A": "DE"})
    before = assign.copy()
    if search == "chains":
        expired = time.perf_counter() - 1.0
        assert place_by_chains(inst, assign, 1e9, expired, time.perf_counter, 1) == 0
    else:
        assert _routes(inst, assign, deadline=-1.0) == 0
    assert np.array_equal(assign, before)



def _corridor(n: int) -> AllocationProblem:
    """Destinations D0..Dn in a row, each full with one household of 3 that may also go
    one step on; the last has room; X (3) may go only to D0.  Placing X moves all n."""
    destinations = tuple(Destination(id=f"D{i}", capacity={"persons": 3}) for i in range(n + 1))
    cases = tuple(
        Case(id=f"H{i}", size=3, scores={f"D{i}": 2.0, f"D{i + 1}": 1.0}) for i in range(n)
    )
    return AllocationProblem(
        destinations=destinations, cases=(*cases, Case(id="X", size=3, scores={"D0": 1.0}))
    )


def test_a_route_moves_households_four_deep_where_short_chains_cannot() -> None:
    problem = _corridor(4)
    placed = {f"H{i}": f"D{i}" for i in range(4)}
    inst, assign = _start(problem, placed)
    assert _chains(inst, assign.copy()) == 0  # two moves in a row are not enough
    assert _routes(inst, assign) == 1
    where = _where(problem, inst, assign)
    assert where == {"X": "D0", "H0": "D1", "H1": "D2", "H2": "D3", "H3": "D4"}
    assert solver._violations(inst, assign) == ""


def test_a_route_longer_than_its_depth_is_not_taken() -> None:
    problem = _corridor(8)
    placed = {f"H{i}": f"D{i}" for i in range(8)}
    inst, assign = _start(problem, placed)
    before = assign.copy()
    assert _routes(inst, assign) == 0
    assert np.array_equal(assign, before)


def _one_destination(places: int, a: int, b: int, x: int) -> AllocationProblem:
    """DE with ``places``, holding A and B, which may go nowhere else; X (x) may go only
    to DE."""
    return AllocationProblem(
        destinations=(Destination(id="DE", capacity={"persons": places}),),
        cases=(
            Case(id="A", size=a, scores={"DE": 1.0}),
            Case(id="B", size=b, scores={"DE": 1.0}),
            Case(id="X", size=x, scores={"DE": 1.0}),
        ),
    )


def test_routes_leave_a_smaller_household_out_only_for_more_persons() -> None:
    inst, assign = _start(_one_destination(5, 2, 3, 5), {"A": "DE", "B": "DE"})
    assert _routes(inst, assign) == 0  # 5 in for 2 + 3 out: no gain
    problem = _one_destination(5, 1, 2, 4)
    inst, assign = _start(problem, {"A": "DE", "B": "DE"})
    assert _routes(inst, assign) == 1  # 4 in for B's 2 out (2 places were left)
    assert _where(problem, inst, assign) == {"X": "DE", "A": "DE"}
