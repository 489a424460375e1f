"""Travel units (households linked by together groups) and their eligible departures.

Why: every rule except capacity is a yes/no fact about a (unit, departure) pair, so
it is decided once here; the solvers then only see eligible pairs and capacities,
and every unit that has no eligible departure gets its reason in words here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resettle.core.departures.model import Case, Departure, Problem

__all__ = ["Unit", "build_units", "fits", "full_reason"]


@dataclass(frozen=True)
class Unit:
    """Households that must share a departure; the planner's indivisible item."""

    members: tuple[str, ...]
    destination: str
    size: int
    weight: float  # sum of risk x size over members
    needs: Mapping[str, int]
    eligible: tuple[int, ...]  # indices into problem.departures, by day then id
    reasons: Mapping[str, str]  # case id -> why it cannot travel (empty if eligible)

    @property
    def label(self) -> str:
        return self.members[0] if len(self.members) == 1 else ", ".join(self.members)


def fits(unit: Unit, seats_left: int, special_left: Mapping[str, int]) -> bool:
    """True when the unit's people and special needs fit into what is left."""
    if unit.size > seats_left:
        return False
    return all(special_left.get(k, 0) >= v for k, v in unit.needs.items())


def _groups(problem: Problem) -> list[list[str]]:
    """Union-find over together groups: overlapping groups merge into one unit."""
    parent = {c.id: c.id for c in problem.cases}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for group in problem.together:
        root = find(group[0])
        for cid in group[1:]:
            other = find(cid)
            if other != root:
                parent[other] = root
    order = {c.id: i for i, c in enumerate(problem.cases)}
    members: dict[str, list[str]] = {}
    for c in problem.cases:
        members.setdefault(find(c.id), []).append(c.id)
    out = [sorted(m, key=order.__getitem__) for m in members.values()]
    out.sort(key=lambda m: order[m[0]])
    return out


def _days(days: list[int]) -> str:
    return (
        f"day {days[0]}"
        if len(days) == 1 or days[0] == days[-1]
        else (f"days {days[0]} to {days[-1]}")
    )


def _explain(
    cases: list[Case], departures: list[Departure], size: int, needs: Mapping[str, int]
) -> dict[str, str]:
    """Why this unit has no eligible departure; {} if it has one (decided by caller)."""
    ids = [c.id for c in cases]
    dest = cases[0].destination

    def for_all(own: str, other_phrase: str, culprit: Case) -> dict[str, str]:
        out = {}
        for c in cases:
            out[c.id] = (
                own if c.id == culprit.id else (f"must travel with {culprit.id}, {other_phrase}")
            )
        return out

    blocked = [c for c in cases if c.blocked]
    if blocked:
        out = {c.id: "blocked by a hold" for c in blocked}
        for c in cases:
            if not c.blocked:
                out[c.id] = f"must travel with {blocked[0].id}, who is blocked by a hold"
        return out
    other_dest = [c for c in cases if c.destination != dest]
    if other_dest:
        o = other_dest[0]
        out = {}
        for c in cases:
            mate = o if c.destination == dest else cases[0]
            out[c.id] = (
                f"must travel with {mate.id}, whose destination is {mate.destination}, "
                f"not {c.destination}"
            )
        return out
    to_dest = sorted((d for d in departures if d.destination == dest), key=lambda d: (d.day, d.id))
    if not to_dest:
        return {cid: f"no departure to {dest}" for cid in ids}
    first, last = to_dest[0].day, to_dest[-1].day
    latest_ready = max(cases, key=lambda c: c.ready_day)
    expiring = [c for c in cases if c.documents_valid_until is not None]
    soonest = min(expiring, key=lambda c: c.documents_valid_until or 0) if expiring else None
    hi = soonest.documents_valid_until if soonest is not None else None
    lo = latest_ready.ready_day
    if soonest is not None and hi is not None and hi < first:
        return for_all(
            f"documents expire on day {hi}, before any departure to {dest} (first on day {first})",
            f"whose documents expire on day {hi}, before any departure to {dest} "
            f"(first on day {first})",
            soonest,
        )
    if lo > last:
        return for_all(
            f"not ready before the last departure to {dest} (ready on day {lo}, "
            f"last departure on day {last})",
            f"who is not ready before the last departure to {dest} (ready on day {lo}, "
            f"last departure on day {last})",
            latest_ready,
        )
    if soonest is not None and hi is not None and hi < lo:
        return for_all(
            f"documents expire on day {hi}, before it is ready to travel (day {lo})",
            f"whose documents expire on day {hi}, before the group is ready to travel "
            f"(day {lo})",
            soonest,
        )
    window = [d for d in to_dest if d.day >= lo and (hi is None or d.day <= hi)]
    if not window:
        what = "the group's" if len(cases) > 1 else "its"
        return {
            cid: f"no departure to {dest} between {what} ready day {lo} and "
            f"document expiry day {hi}"
            for cid in ids
        }
    days = [d.day for d in window]
    who = "household" if len(cases) == 1 else f"group of {len(cases)} households"
    if all(d.seats < size for d in window):
        return {
            cid: f"{who} of {size} people is larger than any departure to {dest} it could "
            f"take ({_days(days)})"
            for cid in ids
        }
    roomy = [d for d in window if d.seats >= size]
    for kind, count in needs.items():
        if all(d.special.get(kind, 0) < count for d in roomy):
            return {
                cid: f"needs {count} {kind} place{'s' if count > 1 else ''}, and no departure "
                f"to {dest} it could take ({_days(days)}) has {'them' if count > 1 else 'one'}"
                for cid in ids
            }
    # Each need is met somewhere, but never all at once on one departure.
    return {
        cid: f"no departure to {dest} it could take ({_days(days)}) has both the seats and "
        f"the special places ({', '.join(f'{v} {k}' for k, v in needs.items())}) it needs"
        for cid in ids
    }


def build_units(problem: Problem) -> list[Unit]:
    """Group households into units and decide each unit's eligible departures."""
    by_id = problem.case_by_id
    deps = list(problem.departures)
    order = sorted(range(len(deps)), key=lambda j: (deps[j].day, deps[j].id))
    units: list[Unit] = []
    for member_ids in _groups(problem):
        cases = [by_id[m] for m in member_ids]
        size = sum(c.size for c in cases)
        needs: dict[str, int] = {}
        for c in cases:
            for k, v in c.needs.items():
                needs[k] = needs.get(k, 0) + v
        dest = cases[0].destination
        ok = not any(c.blocked for c in cases) and all(c.destination == dest for c in cases)
        eligible: list[int] = []
        if ok:
            lo = max(c.ready_day for c in cases)
            his = [c.documents_valid_until for c in cases if c.documents_valid_until is not None]
            hi = min(his) if his else None
            for j in order:
                d = deps[j]
                if d.destination != dest or d.day < lo or (hi is not None and d.day > hi):
                    continue
                if d.seats < size or any(d.special.get(k, 0) < v for k, v in needs.items()):
                    continue
                eligible.append(j)
        reasons = {} if eligible else _explain(cases, deps, size, needs)
        units.append(
            Unit(
                members=tuple(member_ids),
                destination=dest,
                size=size,
                weight=sum(c.weight for c in cases),
                needs=dict(sorted(needs.items())),
                eligible=tuple(eligible),
                reasons=reasons,
            )
        )
    return units


def full_reason(unit: Unit, departures: tuple[Departure, ...]) -> str:
    """Reason for an eligible unit left off the plan: nothing it could take has room."""
    days = [departures[j].day for j in unit.eligible]
    n = len(unit.eligible)
    what = (
        "household"
        if len(unit.members) == 1
        else (f"group of {len(unit.members)} households travelling together")
    )
    need = ""
    if unit.needs:
        need = " and " + ", ".join(
            f"{v} {k} place{'s' if v > 1 else ''}" for k, v in unit.needs.items()
        )
    where = (
        f"the only departure to {unit.destination} it could take ({_days(days)}) is full"
        if n == 1
        else f"all {n} departures to {unit.destination} it could take ({_days(days)}) are full"
    )
    return f"no seat left - {where} (the {what} needs {unit.size} seats{need})"
