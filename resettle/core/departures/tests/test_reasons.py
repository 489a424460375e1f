"""Every household off the plan has the right reason, in words."""

from __future__ import annotations

from collections.abc import Sequence

from resettle.core.departures import Case, Departure, PlanResult, Problem, plan


def _plan(
    cases: Sequence[Case],
    departures: Sequence[Departure],
    together: Sequence[tuple[str, ...]] = (),
    horizon: int = 100,
) -> PlanResult:
    problem = Problem(
        cases=tuple(cases), departures=tuple(departures), together=tuple(together),
        horizon_day=horizon,
    )
    return plan(problem, time_limit=5, seed=0)


DEPS = (
    Departure("F1", "DE", 10, 6, {"wheelchair": 1}),
    Departure("F2", "DE", 30, 6),
)


def test_each_reason():
    result = _plan(
        [
            Case("ok", 2, "DE", 0.5),
            Case("hold", 2, "DE", 0.9, blocked=True),
            Case("mate", 1, "DE", 0.9),
            Case("nowhere", 2, "SE", 0.9),
            Case("expired", 2, "DE", 0.9, documents_valid_until=5),
            Case("late", 2, "DE", 0.9, ready_day=40),
            Case("gap", 1, "DE", 0.9, ready_day=11, documents_valid_until=29),
            Case("huge", 7, "DE", 0.9),
            Case("stretcher", 1, "DE", 0.9, needs={"stretcher": 1}),
            Case("other", 1, "FR", 0.9),
            Case("mate2", 1, "DE", 0.9),
            Case("crossed", 1, "DE", 0.9, ready_day=20, documents_valid_until=15),
        ],
        DEPS,
        together=[("hold", "mate"), ("other", "mate2")],
    )
    why = result.unassigned
    assert "ok" in result.assignments
    assert why["hold"] == "blocked by a hold"
    assert why["mate"] == "must travel with hold, who is blocked by a hold"
    assert why["nowhere"] == "no departure to SE"
    assert why["expired"].startswith("documents expire on day 5, before any departure to DE")
    assert why["late"].startswith("not ready before the last departure to DE")
    assert "between its ready day 11 and document expiry day 29" in why["gap"]
    assert why["huge"].startswith("household of 7 people is larger than any departure to DE")
    assert why["stretcher"].startswith("needs 1 stretcher place")
    assert "whose destination is" in why["other"] and "whose destination is" in why["mate2"]
    assert why["crossed"] == "documents expire on day 15, before it is ready to travel (day 20)"


def test_group_member_expiry_is_blamed_on_the_right_one():
    result = _plan(
        [Case("a", 1, "DE", 0.5), Case("b", 1, "DE", 0.5, documents_valid_until=3)],
        DEPS,
        together=[("a", "b")],
    )
    assert result.unassigned["b"].startswith("documents expire on day 3")
    assert result.unassigned["a"].startswith("must travel with b, whose documents expire on day 3")


def test_full_departures():
    result = _plan(
        [Case("first", 6, "DE", 0.9), Case("second", 6, "DE", 0.8), Case("third", 3, "DE", 0.1)],
        DEPS,
    )
    assert set(result.assignments) == {"first", "second"}
    assert result.unassigned["third"].startswith(
        "no seat left - all 2 departures to DE it could take (days 10 to 30) are full"
    )


def test_wheelchair_place_taken():
    result = _plan(
        [
            Case("w1", 1, "DE", 0.9, needs={"wheelchair": 1}, documents_valid_until=20),
            Case("w2", 1, "DE", 0.5, needs={"wheelchair": 1}, documents_valid_until=20),
        ],
        DEPS,
    )
    assert result.assignments == {"w1": "F1"}
    assert result.unassigned["w2"].startswith("no seat left - the only departure to DE")
    assert "1 wheelchair place" in result.unassigned["w2"]


def test_together_group_travels_on_one_departure():
    result = _plan(
        [Case("a", 4, "DE", 0.9), Case("b", 2, "DE", 0.1), Case("c", 3, "DE", 0.5)],
        DEPS,
        together=[("a", "b")],
    )
    assert result.assignments["a"] == result.assignments["b"]
    assert "c" in result.assignments  # 3 seats left on the other departure
