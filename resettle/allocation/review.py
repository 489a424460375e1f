"""What the review page shows of a run: load per destination and each placement in words.

The solver speaks in ids and dimension names ("NO was full for large_family (price
1.8)"); an officer reads "Norway was full for large families (price 1.8)". Everything
here is derived from the run's stored problem, result and context plus its placements,
so the page shows what the solver saw even if pledges changed since.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from resettle.allocation.models import AllocationRun, Placement

DIMENSION_WORDS: dict[str, str] = {
    "persons": "persons",
    "large_family": "large families",
    "medical": "medical cases",
    "single_parent": "single parents",
}

_FULL_FOR = re.compile(r"was full for (\w+)")


def in_words(text: str, names: Mapping[str, str]) -> str:
    """Destination ids to names and capacity dimensions to words."""
    text = _FULL_FOR.sub(lambda m: f"was full for {DIMENSION_WORDS.get(m[1], m[1])}", text)
    if names:
        pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in names) + r")\b")
        text = pattern.sub(lambda m: names[m[1]], text)
    return text


def _score(value: Any) -> str:
    return "" if value is None else f"{float(value):.2f}".rstrip("0").rstrip(".")


@dataclass
class Row:
    placement: Placement
    reference: str
    size: int
    needs: list[str]
    destination: str
    proposed: str
    changed: bool
    explanation: list[str]
    compatible: list[tuple[str, str]]


@dataclass
class Load:
    code: str
    name: str
    pledged: int
    committed: int
    room: int
    used: int
    large_room: int
    large_used: int
    medical_room: int
    medical_used: int
    prices: str

    @property
    def over(self) -> bool:
        return (self.used > self.room or self.large_used > self.large_room
                or self.medical_used > self.medical_room)


@dataclass
class Review:
    rows: list[Row]
    loads: list[Load]
    unassigned: list[Row]
    names: dict[str, str]
    summary: dict[str, Any]
    held_back: list[dict[str, str]] = field(default_factory=list)
    dropped_locks: list[dict[str, str]] = field(default_factory=list)


def _needs(info: Mapping[str, Any]) -> list[str]:
    out = []
    if info.get("large_family"):
        out.append("large family")
    if info.get("medical_persons"):
        out.append(f"medical x{info['medical_persons']}")
    if info.get("single_parent"):
        out.append("single parent")
    return out


def explain(
    *,
    placement: Placement,
    reference: str,
    proposed: str,
    incompatible: Mapping[str, str],
    names: Mapping[str, str],
) -> list[str]:
    """The sentences that say why this household is where it is (or nowhere)."""
    lines: list[str] = []
    code = placement.destination.code if placement.destination else ""
    if code:
        where = names.get(code, code)
        if proposed and proposed != code:
            lines.append(f"Placed in {where} by an officer (the solver proposed "
                         f"{names.get(proposed, proposed)}).")
        elif not proposed and placement.locked:
            lines.append(f"Placed in {where} by an officer.")
        else:
            lines.append(f"Placed in {where} (score {_score(placement.score)}).")
    else:
        reason = placement.unassigned_reason or "not placed"
        lines.append(f"Not placed: {in_words(reason, names)}.")
    note = str(placement.explanation.get("note", "")) if placement.explanation else ""
    if note and note != placement.unassigned_reason:
        lines.append(in_words(note[0].upper() + note[1:], names) + ".")
    for alt in (placement.explanation or {}).get("alternatives", []):
        dest = alt.get("destination", "")
        why = in_words(str(alt.get("why", "")), names)
        lines.append(f"{names.get(dest, dest)} (score {_score(alt.get('score'))}) not "
                     f"chosen: {why}.")
    if incompatible:
        reasons = "; ".join(in_words(why, names) for _, why in sorted(incompatible.items()))
        lines.append(f"Not compatible: {reasons}.")
    return lines


def _prices_in_words(prices: Mapping[str, float], name: str) -> str:
    return "; ".join(
        f"full for {DIMENSION_WORDS.get(dim, dim)} (price {value:.3g})"
        for dim, value in sorted(prices.items(), key=lambda kv: -kv[1])
    )


def build_review(run: AllocationRun, placements: Iterable[Placement]) -> Review:
    ctx = run.context or {}
    destinations: Mapping[str, Mapping[str, Any]] = ctx.get("destinations", {})
    households: Mapping[str, Mapping[str, Any]] = ctx.get("households", {})
    incompatible: Mapping[str, Mapping[str, str]] = ctx.get("incompatible", {})
    names = {code: str(info.get("name", code)) for code, info in destinations.items()}
    result = run.result or {}
    assignments: Mapping[str, str] = result.get("assignments", {})
    compatible: dict[str, list[str]] = {
        c.get("id", ""): sorted(c.get("scores", {})) for c in (run.problem or {}).get("cases", [])
    }
    used: dict[str, list[int]] = {code: [0, 0, 0] for code in destinations}
    rows: list[Row] = []
    unassigned: list[Row] = []
    for placement in placements:
        reference = placement.household.reference
        info = households.get(reference, {})
        code = placement.destination.code if placement.destination else ""
        size = int(info.get("size", 0))
        if code in used:
            used[code][0] += size
            used[code][1] += 1 if info.get("large_family") else 0
            used[code][2] += int(info.get("medical_persons", 0))
        proposed = assignments.get(reference, "")
        row = Row(
            placement=placement,
            reference=reference,
            size=size,
            needs=_needs(info),
            destination=names.get(code, code),
            proposed=names.get(proposed, proposed),
            changed=bool(run.result) and proposed != code,
            explanation=explain(
                placement=placement, reference=reference, proposed=proposed,
                incompatible=incompatible.get(reference, {}), names=names),
            compatible=[(c, names.get(c, c)) for c in compatible.get(reference, [])],
        )
        rows.append(row)
        if not code:
            unassigned.append(row)
    prices: Mapping[str, Mapping[str, float]] = result.get("prices", {})
    loads = [
        Load(
            code=code, name=names[code], pledged=int(info.get("places", 0)),
            committed=int(info.get("committed", 0)), room=int(info.get("room", 0)),
            used=used[code][0], large_room=int(info.get("large_family_room", 0)),
            large_used=used[code][1], medical_room=int(info.get("medical_room", 0)),
            medical_used=used[code][2],
            prices=_prices_in_words(prices.get(code, {}), names[code]),
        )
        for code, info in destinations.items()
    ]
    objective = result.get("objective", {})
    bound = result.get("bound", {})
    summary = {
        "status": result.get("status", ""),
        "persons_placed": objective.get("persons_placed"),
        "persons_bound": bound.get("persons"),
        "score": objective.get("score"),
        "score_bound": bound.get("score"),
        "gap_percent": 100.0 * float(result.get("gap", 0.0) or 0.0),
        "solve_seconds": result.get("solve_seconds"),
        "method": result.get("method", ""),
        "households": len(rows),
        "placed": len(rows) - len(unassigned),
        "changed": sum(1 for r in rows if r.changed),
        "locked": sum(1 for r in rows if r.placement.locked),
    }
    return Review(
        rows=rows, loads=loads, unassigned=unassigned, names=names, summary=summary,
        held_back=list(ctx.get("held_back", [])), dropped_locks=list(ctx.get("dropped_locks", [])),
    )
