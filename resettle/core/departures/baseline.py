"""First-come-first-served: what an operations team does by hand, as a baseline.

Departures are taken in date order, and each is filled with the households that
became ready first (then in listed order), whoever fits; risk is ignored. It keeps
every rule (whole households, together groups, holds, documents, places), so the
bench compares plans, not rule-breaking.
"""

from __future__ import annotations

import time

from resettle.core.departures.model import PlanResult, Problem
from resettle.core.departures.units import build_units, fits, full_reason

__all__ = ["first_come_first_served"]


def first_come_first_served(problem: Problem) -> PlanResult:
    """Baseline plan; its ``bound`` is the trivial 0 (it proves nothing)."""
    t0 = time.perf_counter()
    units = build_units(problem)
    cases = problem.case_by_id
    deps = problem.departures
    ready = [max(cases[m].ready_day for m in unit.members) for unit in units]
    queue = sorted(
        (u for u, unit in enumerate(units) if unit.eligible), key=lambda u: (ready[u], u)
    )
    order = sorted(range(len(deps)), key=lambda j: (deps[j].day, deps[j].id))
    placed: dict[int, int] = {}
    for j in order:
        seats = deps[j].seats
        special = dict(deps[j].special)
        for u in queue:
            unit = units[u]
            if u in placed or j not in unit.eligible or not fits(unit, seats, special):
                continue
            placed[u] = j
            seats -= unit.size
            for k, v in unit.needs.items():
                special[k] -= v
    assignments: dict[str, str] = {}
    unassigned: dict[str, str] = {}
    for u, unit in enumerate(units):
        if u in placed:
            assignments.update({m: deps[placed[u]].id for m in unit.members})
        elif unit.eligible:
            why = full_reason(unit, deps)
            unassigned.update({m: why for m in unit.members})
        else:
            unassigned.update(unit.reasons)
    return PlanResult(
        status="feasible",
        assignments=assignments,
        unassigned=unassigned,
        person_days_at_risk=problem.person_days_at_risk(assignments),
        bound=0.0,
        solve_seconds=time.perf_counter() - t0,
        method="first-come-first-served",
    )
