"""Shared helpers for the departure-planner tests: an independent rule checker.

Written separately from ``solver.check_plan`` so that a bug in one is caught by the other.
"""

from __future__ import annotations

from collections import Counter

from resettle.core.departures import Problem


def rule_breaks(problem: Problem, assignments: dict[str, str]) -> list[str]:
    cases = {c.id: c for c in problem.cases}
    deps = {d.id: d for d in problem.departures}
    broken = []
    seats: Counter[str] = Counter()
    places: Counter[tuple[str, str]] = Counter()
    for cid, did in assignments.items():
        c, d = cases[cid], deps[did]
        if c.blocked:
            broken.append(f"blocked {cid} travels")
        if c.destination != d.destination:
            broken.append(f"{cid} on a departure to another destination")
        if not c.ready_day <= d.day:
            broken.append(f"{cid} travels before being ready")
        if c.documents_valid_until is not None and d.day > c.documents_valid_until:
            broken.append(f"{cid} travels on expired documents")
        seats[did] += c.size
        for kind, n in c.needs.items():
            places[(did, kind)] += n
    for did, n in seats.items():
        if n > deps[did].seats:
            broken.append(f"{did} oversold")
    for (did, kind), n in places.items():
        if n > deps[did].special.get(kind, 0):
            broken.append(f"{did} {kind} places oversold")
    for group in problem.together:
        if len({assignments.get(cid) for cid in group}) != 1:
            broken.append(f"group {group} split")
    return broken
