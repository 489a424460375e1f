"""No plan, optimised or baseline, ever breaks a rule; every household is accounted for."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from resettle.core.departures import check_plan, first_come_first_served, plan
from resettle.core.departures.tests.independent import rule_breaks
from resettle.core.departures.tests.strategies import problems

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(problems())
def test_plan_never_breaks_a_rule(problem):
    result = plan(problem, time_limit=5, seed=0)
    assert rule_breaks(problem, dict(result.assignments)) == []
    assert check_plan(problem, dict(result.assignments)) == []
    every = {c.id for c in problem.cases}
    assert set(result.assignments) | set(result.unassigned) == every
    assert not set(result.assignments) & set(result.unassigned)
    assert all(result.unassigned[cid].strip() for cid in result.unassigned)
    assert result.person_days_at_risk == pytest.approx(
        problem.person_days_at_risk(result.assignments)
    )
    assert result.bound <= result.person_days_at_risk + 1e-6


@FAST
@given(problems())
def test_baseline_never_breaks_a_rule(problem):
    result = first_come_first_served(problem)
    assert rule_breaks(problem, dict(result.assignments)) == []
    assert set(result.assignments) | set(result.unassigned) == {c.id for c in problem.cases}


@FAST
@given(problems())
def test_plan_is_never_worse_than_first_come_first_served(problem):
    ours = plan(problem, time_limit=5, seed=0, target_gap=0.0)
    baseline = first_come_first_served(problem)
    assert ours.person_days_at_risk <= baseline.person_days_at_risk + 1e-6


@FAST
@given(problems())
def test_nobody_left_behind_fits_anywhere(problem):
    """The "no seat left" reason is true: no unplaced unit fits in what is left."""
    result = plan(problem, time_limit=5, seed=0)
    cases = problem.case_by_id
    seats = {d.id: d.seats for d in problem.departures}
    special = {d.id: dict(d.special) for d in problem.departures}
    for cid, did in result.assignments.items():
        seats[did] -= cases[cid].size
        for k, v in cases[cid].needs.items():
            special[did][k] -= v
    # travel units, computed here independently: transitive closure of the groups
    unit_of = {cid: {cid} for cid in cases}
    for group in problem.together:
        merged = set().union(*(unit_of[cid] for cid in group))
        for cid in merged:
            unit_of[cid] = merged
    for cid, why in result.unassigned.items():
        if not why.startswith("no seat left"):
            continue
        members = [cases[m] for m in unit_of[cid]]
        size = sum(c.size for c in members)
        needs: dict[str, int] = {}
        for c in members:
            for k, v in c.needs.items():
                needs[k] = needs.get(k, 0) + v
        for d in problem.departures:
            eligible = all(
                d.destination == c.destination
                and c.ready_day <= d.day
                and (c.documents_valid_until is None or d.day <= c.documents_valid_until)
                and not c.blocked
                for c in members
            )
            room = seats[d.id] >= size and all(
                special[d.id].get(k, 0) >= v for k, v in needs.items()
            )
            assert not (eligible and room), f"{cid} fits on {d.id} but was left: {why}"
        assert eligible_somewhere(problem, members), f"{cid}: 'no seat left' but never eligible"


def eligible_somewhere(problem, members) -> bool:
    """Some departure would take the whole unit if it were empty."""
    size = sum(c.size for c in members)
    for d in problem.departures:
        if d.seats < size:
            continue
        if all(
            d.destination == c.destination
            and c.ready_day <= d.day
            and (c.documents_valid_until is None or d.day <= c.documents_valid_until)
            for c in members
        ) and all(
            d.special.get(k, 0) >= sum(c.needs.get(k, 0) for c in members)
            for k in {k for c in members for k in c.needs}
        ):
            return True
    return False


def test_checker_catches_each_rule():
    from resettle.core.departures import Case, Departure, Problem

    problem = Problem(
        cases=(
            Case("A", 3, "DE", 0.5, ready_day=0, documents_valid_until=10, needs={"wheelchair": 1}),
            Case("B", 2, "DE", 0.5, blocked=True),
            Case("C", 2, "FR", 0.5, ready_day=20),
        ),
        departures=(
            Departure("F1", "DE", 5, 4, {"wheelchair": 0}),
            Departure("F2", "DE", 15, 9),
        ),
        together=(("A", "C"),),
        horizon_day=30,
    )
    bad = {"A": "F1", "B": "F1", "C": "F2"}
    for broken in (rule_breaks(problem, bad), check_plan(problem, bad)):
        text = " | ".join(broken)
        assert "blocked" in text
        assert "oversold" in text or "passengers for" in text
        assert "wheelchair" in text
        assert "another destination" in text or "goes to FR" in text
        assert "ready" in text
        assert "split" in text
    late = {"A": "F2"}
    assert any("expire" in b for b in check_plan(problem, late))
    assert any("expired" in b for b in rule_breaks(problem, late))
