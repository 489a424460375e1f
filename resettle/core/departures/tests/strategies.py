"""Hypothesis strategy for small but nasty departure problems."""

from __future__ import annotations

from hypothesis import strategies as st

from resettle.core.departures import Case, Departure, Problem

DESTS = ("DE", "FR", "CA")
KINDS = ("wheelchair", "stretcher")


@st.composite
def problems(draw: st.DrawFn, max_cases: int = 10, max_departures: int = 4) -> Problem:
    horizon = draw(st.integers(20, 60))
    n_cases = draw(st.integers(0, max_cases))
    cases = []
    for i in range(n_cases):
        ready = draw(st.integers(0, horizon))
        docs = draw(st.one_of(st.none(), st.integers(0, horizon + 10)))
        needs = draw(st.dictionaries(st.sampled_from(KINDS), st.integers(0, 2), max_size=2))
        cases.append(
            Case(
                id=f"H{i}",
                size=draw(st.integers(1, 6)),
                destination=draw(st.sampled_from(DESTS[:2])),
                risk=draw(st.sampled_from((0.0, 0.1, 0.35, 0.5, 0.9, 1.0))),
                ready_day=ready,
                documents_valid_until=docs,
                blocked=draw(st.integers(0, 4)) == 0,
                needs=needs,
            )
        )
    n_deps = draw(st.integers(0, max_departures))
    departures = [
        Departure(
            id=f"F{j}",
            destination=draw(st.sampled_from(DESTS)),
            day=draw(st.integers(0, horizon)),
            seats=draw(st.integers(0, 14)),
            special=draw(st.dictionaries(st.sampled_from(KINDS), st.integers(0, 2), max_size=2)),
        )
        for j in range(n_deps)
    ]
    together: list[tuple[str, ...]] = []
    if n_cases >= 2:
        for _ in range(draw(st.integers(0, 2))):
            members = draw(
                st.lists(st.integers(0, n_cases - 1), min_size=2, max_size=3, unique=True)
            )
            together.append(tuple(f"H{m}" for m in members))
    return Problem(
        cases=tuple(cases), departures=tuple(departures), together=tuple(together),
        horizon_day=horizon,
    )
