"""What-if levers and policy comparison: same seed, one change at a time.

Every variant runs with the same seed, and each stage has its own random stream, so
a difference in the table comes from the lever, not from different luck.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

from resettle.core.stages import Stage

from .distributions import ScenarioError
from .engine import simulate_arrays
from .outputs import summarise
from .scenario import (
    LEVER_KINDS,
    POLICIES,
    TIMED_STAGES,
    DepartureSpec,
    DestinationSpec,
    Lever,
    Pledge,
    Scenario,
)


def apply_lever(sc: Scenario, lever: Lever) -> Scenario:
    """The scenario with ``lever`` applied; ValueError if it does not fit the scenario."""
    codes = [d.code for d in sc.destinations]
    if lever.destination is not None and lever.destination not in codes:
        raise ValueError(f"lever {lever.label!r}: unknown destination {lever.destination!r}")
    if lever.kind == "capacity":
        assert lever.stage is not None
        if lever.stage == Stage.DECIDED:
            if lever.destination is None:
                raise ValueError("a decision-capacity lever needs a destination")
            dests: list[DestinationSpec] = []
            for d in sc.destinations:
                if d.code == lever.destination:
                    if d.decisions_per_period is None:
                        raise ValueError(f"{d.code} has no decision quota to change")
                    d = replace(d, decisions_per_period=max(0, d.decisions_per_period + lever.add))
                dests.append(d)
            return replace(sc, destinations=tuple(dests))
        spec = sc.stage(lever.stage)
        if spec.servers is not None:
            spec = replace(spec, servers=max(1, spec.servers + lever.add))
        elif spec.quota is not None:
            spec = replace(spec, quota=max(1, spec.quota + lever.add))
        else:
            raise ValueError(f"stage {lever.stage.value} has no servers or quota to change")
        return replace(sc, stages={**sc.stages, lever.stage: spec})
    if lever.kind == "pledge":
        assert lever.destination is not None
        pledge = Pledge(lever.destination, lever.places, lever.day)
        return replace(sc, pledges=(*sc.pledges, pledge))
    if lever.kind == "duration":
        assert lever.stage is not None
        spec = sc.stage(lever.stage)
        spec = replace(spec, duration=spec.duration.scaled(lever.factor))
        return replace(sc, stages={**sc.stages, lever.stage: spec})
    if lever.kind == "departure":
        for c in lever.destinations:
            if c not in codes:
                raise ValueError(f"lever {lever.label!r}: unknown destination {c!r}")
        dep = DepartureSpec(
            lever.day, lever.seats, lever.every_days, lever.until_day, lever.destinations
        )
        return replace(sc, departures=(*sc.departures, dep))
    return replace(
        sc,
        destinations=tuple(
            replace(d, accept_rate=lever.factor) if d.code == lever.destination else d
            for d in sc.destinations
        ),
    )


def parse_day(text: str, start: dt.date | None, field: str) -> float:
    """A day number, or an ISO date counted from ``start``; ScenarioError names ``field``."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        date = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioError(field, f"expected a day number or a date, not {text!r}") from exc
    if start is None:
        raise ScenarioError(field, "dates need scenario.start_date")
    day = float((date - start).days)
    if day < 0:
        raise ScenarioError(field, f"{text} is before the scenario's start date")
    return day


def parse_lever(text: str, start: dt.date | None = None) -> Lever:
    """Read a lever from the command line.

    capacity:STAGE:+N | capacity:decided:DEST:+N | pledge:DEST:PLACES:DAY_OR_DATE |
    duration:STAGE:FACTOR | departure:SEATS:FIRST[:EVERY_DAYS:UNTIL[:DEST,DEST]] |
    accept:DEST:RATE
    """
    field = f"--lever {text}"
    parts = text.split(":")
    kind = parts[0]
    if kind not in LEVER_KINDS:
        raise ScenarioError(field, f"kind must be one of {', '.join(LEVER_KINDS)}")

    def stage(value: str) -> Stage:
        try:
            s = Stage(value)
        except ValueError:
            s = None
        if s is None or s not in TIMED_STAGES:
            raise ScenarioError(field, f"unknown or untimed stage {value!r}")
        return s

    def number(value: str, what: str) -> float:
        try:
            x = float(value)
        except ValueError as exc:
            raise ScenarioError(field, f"{what} must be a number, not {value!r}") from exc
        if not math.isfinite(x):
            raise ScenarioError(field, f"{what} must be finite")
        return x

    try:
        if kind == "capacity" and len(parts) == 3:
            return Lever("capacity", stage=stage(parts[1]), add=int(number(parts[2], "N")))
        if kind == "capacity" and len(parts) == 4:
            return Lever(
                "capacity",
                stage=stage(parts[1]),
                destination=parts[2],
                add=int(number(parts[3], "N")),
            )
        if kind == "pledge" and len(parts) == 4:
            return Lever(
                "pledge",
                destination=parts[1],
                places=int(number(parts[2], "places")),
                day=parse_day(parts[3], start, field),
            )
        if kind == "duration" and len(parts) == 3:
            return Lever("duration", stage=stage(parts[1]), factor=number(parts[2], "factor"))
        if kind == "departure" and len(parts) in (3, 5, 6):
            every = number(parts[3], "every_days") if len(parts) >= 5 else 0.0
            until = parse_day(parts[4], start, field) if len(parts) >= 5 else None
            dests = tuple(c for c in parts[5].split(",") if c) if len(parts) == 6 else ()
            return Lever(
                "departure",
                seats=int(number(parts[1], "seats")),
                day=parse_day(parts[2], start, field),
                every_days=every,
                until_day=until,
                destinations=dests,
            )
        if kind == "accept" and len(parts) == 3:
            return Lever("accept", destination=parts[1], factor=number(parts[2], "rate"))
    except ValueError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(field, str(exc)) from exc
    raise ScenarioError(field, "wrong number of parts; see `resettle simulate --help`")


@dataclass(frozen=True)
class ComparisonRow:
    """One variant's headline numbers and their change against the baseline."""

    label: str
    p50_clear_day: float | None
    p90_clear_day: float | None
    delta_p50_days: float | None
    person_days_mean: float | None
    delta_person_days: float | None
    risk_person_days_mean: float | None
    deaths_mean: float | None
    cleared_fraction: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


def _row(label: str, rep: dict[str, Any], base: dict[str, Any] | None) -> ComparisonRow:
    p50 = rep["clear_day"]["p50"]
    pd = rep["person_days_at_risk"]["mean"]
    return ComparisonRow(
        label=label,
        p50_clear_day=p50,
        p90_clear_day=rep["clear_day"]["p90"],
        delta_p50_days=_delta(p50, base["clear_day"]["p50"]) if base else 0.0,
        person_days_mean=pd,
        delta_person_days=_delta(pd, base["person_days_at_risk"]["mean"]) if base else 0.0,
        risk_person_days_mean=rep["risk_weighted_person_days"]["mean"],
        deaths_mean=rep["deaths"]["mean"],
        cleared_fraction=rep["clear_day"]["cleared_fraction"],
    )


def _run(sc: Scenario, replications: int, seed: int, workers: int) -> dict[str, Any]:
    ra = simulate_arrays(sc, replications=replications, seed=seed, workers=workers)
    return summarise(sc, ra, seed=seed, replications=replications)


def compare_levers(
    sc: Scenario,
    levers: tuple[Lever, ...] | list[Lever],
    *,
    replications: int,
    seed: int,
    workers: int = 1,
) -> list[ComparisonRow]:
    """Baseline first, then each lever applied alone, all with the same seed."""
    base = _run(sc, replications, seed, workers)
    rows = [_row("baseline", base, None)]
    for lever in levers:
        rep = _run(apply_lever(sc, lever), replications, seed, workers)
        rows.append(_row(lever.label, rep, base))
    return rows


def compare_policies(
    sc: Scenario, *, replications: int, seed: int, workers: int = 1
) -> list[ComparisonRow]:
    """Boarding first-come-first-served against highest-risk-first, same seed."""
    reps = {p: _run(sc.with_policy(p), replications, seed, workers) for p in POLICIES}
    base = reps["fcfs"]
    return [_row(p, reps[p], None if p == "fcfs" else base) for p in POLICIES]


def render_table(rows: list[ComparisonRow], *, title: str = "") -> str:
    """Fixed-width text table for the terminal."""

    def f(x: float | None, signed: bool = False) -> str:
        if x is None:
            return "-"
        return f"{x:+,.0f}" if signed else f"{x:,.0f}"

    head = (
        "variant",
        "P50 clear",
        "ΔP50",
        "P90 clear",
        "person-days",
        "Δperson-days",
        "risk-wtd p-d",
        "deaths",
        "cleared",
    )
    body = [
        (
            r.label,
            f(r.p50_clear_day),
            f(r.delta_p50_days, True),
            f(r.p90_clear_day),
            f(r.person_days_mean),
            f(r.delta_person_days, True),
            f(r.risk_person_days_mean),
            "-" if r.deaths_mean is None else f"{r.deaths_mean:.1f}",
            "-" if r.cleared_fraction is None else f"{r.cleared_fraction:.0%}",
        )
        for r in rows
    ]
    widths = [max(len(str(x[i])) for x in (head, *body)) for i in range(len(head))]
    lines = [title] if title else []
    lines.append(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    )
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)
