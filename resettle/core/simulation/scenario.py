"""What a forecast run simulates: the scenario, its TOML form, and the what-if levers.

A scenario is plain data (frozen dataclasses that check themselves) so that the
engine, the CLI and a calibration from the live database all build the same thing.
Times are days since ``start_date`` (day 0); TOML fields that take a day also accept
an ISO date when ``start_date`` is set.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from resettle.core.stages import PIPELINE, HoldType, Stage

from .distributions import Distribution, ScenarioError, parse_distribution

T = TypeVar("T")

#: Stages whose entry the scenario may time (entry into REGISTERED is the arrival;
#: BOOKED and DEPARTED are set by the departure schedule).
TIMED_STAGES: tuple[Stage, ...] = (
    Stage.ASSESSED,
    Stage.ALLOCATED,
    Stage.SUBMITTED,
    Stage.DECIDED,
    Stage.PRE_DEPARTURE,
    Stage.READY,
    Stage.ARRIVED,
)
#: Stages inside the rejection loop (decided -> allocated): their capacity must not
#: depend on the order households arrive in, so servers are not allowed there.
LOOP_STAGES: frozenset[Stage] = frozenset({Stage.ALLOCATED, Stage.SUBMITTED, Stage.DECIDED})
SERVER_STAGES: frozenset[Stage] = frozenset({Stage.ASSESSED, Stage.PRE_DEPARTURE, Stage.READY})
QUOTA_STAGES: frozenset[Stage] = frozenset(
    {Stage.ASSESSED, Stage.SUBMITTED, Stage.PRE_DEPARTURE, Stage.READY}
)
#: Stages in which a household may start a run (a calibration from the database).
START_STAGES: tuple[Stage, ...] = PIPELINE[: PIPELINE.index(Stage.BOOKED)]
POLICIES = ("fcfs", "risk-first")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


@dataclass(frozen=True)
class StageSpec:
    """How long the move into ``stage`` takes and what limits it.

    ``servers``: that many parallel teams, each busy for the drawn duration
    (e.g. interview teams). ``quota``: at most that many completions per
    ``quota_period_days`` after the drawn duration has passed (e.g. interviews per week).
    """

    stage: Stage
    duration: Distribution = field(default_factory=lambda: Distribution.fixed(0.0))
    servers: int | None = None
    quota: int | None = None
    quota_period_days: float = 7.0

    def __post_init__(self) -> None:
        _check(self.stage in TIMED_STAGES, f"stage {self.stage.value!r} cannot be timed")
        _check(
            self.servers is None or self.quota is None,
            f"stage {self.stage.value}: give servers or quota, not both",
        )
        if self.servers is not None:
            _check(
                self.stage in SERVER_STAGES,
                f"stage {self.stage.value} cannot have servers "
                f"(allowed: {', '.join(sorted(s.value for s in SERVER_STAGES))})",
            )
            _check(self.servers >= 1, f"stage {self.stage.value}: servers must be >= 1")
        if self.quota is not None:
            _check(
                self.stage in QUOTA_STAGES,
                f"stage {self.stage.value} cannot have a quota "
                f"(allowed: {', '.join(sorted(s.value for s in QUOTA_STAGES))})",
            )
            _check(self.quota >= 1, f"stage {self.stage.value}: quota must be >= 1")
        _check(self.quota_period_days > 0, "quota_period_days must be > 0")


@dataclass(frozen=True)
class DestinationSpec:
    """A host state: its decisions (rate, speed, monthly quota) and its priority."""

    code: str
    accept_rate: float = 1.0
    priority: int = 1
    decision_scale: float = 1.0
    decisions_per_period: int | None = None
    decision_period_days: float = 30.0

    def __post_init__(self) -> None:
        _check(bool(self.code) and self.code.isalnum(), f"bad destination code {self.code!r}")
        _check(0.0 <= self.accept_rate <= 1.0, f"{self.code}: accept_rate must be in [0, 1]")
        _check(self.decision_scale >= 0, f"{self.code}: decision_scale must be >= 0")
        _check(
            self.decisions_per_period is None or self.decisions_per_period >= 0,
            f"{self.code}: decisions_per_period must be >= 0",
        )
        _check(self.decision_period_days > 0, f"{self.code}: decision_period_days must be > 0")


@dataclass(frozen=True)
class Pledge:
    """``places`` persons a destination will take, open from ``open_day``."""

    destination: str
    places: int
    open_day: float = 0.0

    def __post_init__(self) -> None:
        _check(self.places >= 0, f"pledge to {self.destination}: places must be >= 0")
        _check(
            math.isfinite(self.open_day) and self.open_day >= 0,
            f"pledge to {self.destination}: open_day must be >= 0",
        )


@dataclass(frozen=True)
class DepartureSpec:
    """Departures of ``seats`` persons from ``first_day``, every ``every_days`` until
    ``until_day`` (a single departure when ``every_days`` is 0); ``destinations``
    empty means any destination may board."""

    first_day: float
    seats: int
    every_days: float = 0.0
    until_day: float | None = None
    destinations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(math.isfinite(self.first_day) and self.first_day >= 0, "departure day must be >= 0")
        _check(self.seats >= 1, "departure seats must be >= 1")
        _check(self.every_days >= 0, "every_days must be >= 0")
        _check(
            self.every_days == 0 or self.until_day is not None,
            "a recurring departure needs until_day (or until_date)",
        )
        _check(
            self.until_day is None or self.until_day >= self.first_day,
            "until_day must not be before the first departure",
        )

    def days(self) -> list[float]:
        if self.every_days == 0 or self.until_day is None:
            return [self.first_day]
        count = math.floor((self.until_day - self.first_day) / self.every_days + 1e-9) + 1
        return [self.first_day + i * self.every_days for i in range(count)]


@dataclass(frozen=True)
class HoldSpec:
    """Holds of one type arriving per household at ``rate_per_year`` (at most one per
    type and household), lifting after ``duration``; what they block is HOLD_BLOCKS."""

    hold_type: HoldType
    rate_per_year: float
    duration: Distribution

    def __post_init__(self) -> None:
        _check(self.rate_per_year >= 0, f"{self.hold_type.value} hold rate must be >= 0")


@dataclass(frozen=True)
class IncidentSpec:
    """Attacks on the camp: a Poisson process; each present person dies with
    ``fatality_per_person`` in each attack (the largest attack killed 24 of ~2,300)."""

    rate_per_year: float = 0.0
    fatality_per_person: float = 0.0

    def __post_init__(self) -> None:
        _check(self.rate_per_year >= 0, "incidents.rate_per_year must be >= 0")
        _check(
            0 <= self.fatality_per_person <= 1, "incidents.fatality_per_person must be in [0, 1]"
        )


#: TOML value of a current hold whose lift day nobody knows
UNKNOWN_LIFT = "unknown"


@dataclass(frozen=True)
class CurrentHold:
    """A hold already active at day 0: it blocks the moves HOLD_BLOCKS names for its type
    until ``lift_day``; ``None`` means nobody knows (the remaining duration is drawn from
    the scenario's ``[holds.<type>]`` duration). Without it a household under an arrest
    warrant today could be forecast to leave before the warrant is lifted."""

    hold_type: HoldType
    lift_day: float | None = None

    def __post_init__(self) -> None:
        _check(
            isinstance(self.hold_type, HoldType),
            f"hold type must be one of {', '.join(h.value for h in HoldType)}",
        )
        _check(
            self.lift_day is None or (math.isfinite(self.lift_day) and self.lift_day >= 0),
            f"{self.hold_type.value} hold: lift day must be >= 0 (or unknown)",
        )


@dataclass(frozen=True)
class HouseholdGroup:
    """``count`` alike households present from ``arrival_day`` in ``stage``, each under
    the ``holds`` active at day 0 (at most one per type)."""

    count: int
    size: int = 1
    risk: float = 0.0
    stage: Stage = Stage.REGISTERED
    arrival_day: float = 0.0
    destination: str | None = None
    holds: tuple[CurrentHold, ...] = ()

    def __post_init__(self) -> None:
        types = [h.hold_type for h in self.holds]
        _check(len(set(types)) == len(types), "at most one current hold per type")
        _check(self.count >= 0, "household count must be >= 0")
        _check(self.size >= 1, "household size must be >= 1")
        _check(0 <= self.risk <= 1, "household risk must be in [0, 1]")
        _check(
            self.stage in START_STAGES,
            f"households can start only in {', '.join(s.value for s in START_STAGES)}",
        )
        _check(self.arrival_day >= 0, "arrival_day must be >= 0")
        past_allocation = PIPELINE.index(self.stage) >= PIPELINE.index(Stage.SUBMITTED)
        _check(
            not past_allocation or self.destination is not None,
            f"households starting in {self.stage.value} need a destination",
        )


@dataclass(frozen=True)
class ArrivalStream:
    """``count`` households arriving as a Poisson process from ``start_day``."""

    count: int
    rate_per_day: float
    size: int = 1
    risk: float = 0.0
    start_day: float = 0.0

    def __post_init__(self) -> None:
        _check(self.count >= 0, "arrivals.count must be >= 0")
        _check(self.rate_per_day > 0, "arrivals.rate_per_day must be > 0")
        _check(self.size >= 1, "arrivals.size must be >= 1")
        _check(0 <= self.risk <= 1, "arrivals.risk must be in [0, 1]")


LEVER_KINDS = ("capacity", "pledge", "duration", "departure", "accept")


@dataclass(frozen=True)
class Lever:
    """One what-if change to a scenario.

    capacity: ``add`` servers or quota at ``stage`` (stage "decided" with a
    ``destination`` adds decisions per period); pledge: ``places`` to ``destination``
    opening on ``day``; duration: multiply the ``stage`` duration by ``factor``;
    departure: ``seats`` from ``day`` every ``every_days`` until ``until_day`` to
    ``destinations``; accept: set ``destination``'s accept rate to ``factor``.
    """

    kind: str
    name: str = ""
    stage: Stage | None = None
    destination: str | None = None
    add: int = 0
    places: int = 0
    day: float = 0.0
    factor: float = 1.0
    seats: int = 0
    every_days: float = 0.0
    until_day: float | None = None
    destinations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self.kind in LEVER_KINDS, f"lever kind must be one of {', '.join(LEVER_KINDS)}")
        if self.kind == "capacity":
            _check(self.stage is not None, "a capacity lever needs a stage")
            _check(self.add != 0, "a capacity lever needs add != 0")
        if self.kind == "pledge":
            _check(
                self.destination is not None and self.places > 0,
                "a pledge lever needs a destination and places > 0",
            )
        if self.kind == "duration":
            _check(
                self.stage is not None and self.factor >= 0,
                "a duration lever needs a stage and a factor >= 0",
            )
        if self.kind == "departure":
            _check(self.seats >= 1, "a departure lever needs seats >= 1")
        if self.kind == "accept":
            _check(
                self.destination is not None and 0 <= self.factor <= 1,
                "an accept lever needs a destination and a factor (rate) in [0, 1]",
            )

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.kind == "capacity":
            where = f"{self.stage.value if self.stage else ''}"
            where += f" {self.destination}" if self.destination else ""
            return f"capacity {where} {self.add:+d}"
        if self.kind == "pledge":
            return f"pledge {self.destination} +{self.places} from day {self.day:g}"
        if self.kind == "duration":
            return f"duration {self.stage.value if self.stage else ''} x{self.factor:g}"
        if self.kind == "departure":
            every = f" every {self.every_days:g}d" if self.every_days else ""
            return f"departure {self.seats} seats from day {self.day:g}{every}"
        return f"accept {self.destination} = {self.factor:g}"


@dataclass(frozen=True)
class Scenario:
    """Everything one forecast needs, validated as a whole."""

    name: str
    households: tuple[HouseholdGroup, ...]
    destinations: tuple[DestinationSpec, ...]
    pledges: tuple[Pledge, ...]
    stages: Mapping[Stage, StageSpec] = field(default_factory=dict)
    departures: tuple[DepartureSpec, ...] = ()
    booking_lead_days: float = 0.0
    max_attempts: int = 3
    resubmission_delay: Distribution = field(default_factory=lambda: Distribution.fixed(0.0))
    holds: tuple[HoldSpec, ...] = ()
    incidents: IncidentSpec = field(default_factory=IncidentSpec)
    withdrawn_per_year: float = 0.0
    disappeared_per_year: float = 0.0
    arrivals: ArrivalStream | None = None
    horizon_days: float = 3650.0
    report_step_days: float = 7.0
    start_date: dt.date | None = None
    clear_by_days: tuple[float, ...] = ()
    policy: str = "fcfs"
    levers: tuple[Lever, ...] = ()

    def __post_init__(self) -> None:
        _check(self.horizon_days > 0, "horizon_days must be > 0")
        _check(self.report_step_days > 0, "report_step_days must be > 0")
        _check(self.policy in POLICIES, f"policy must be one of {', '.join(POLICIES)}")
        _check(self.max_attempts >= 1, "max_attempts must be >= 1")
        _check(self.booking_lead_days >= 0, "booking_lead_days must be >= 0")
        _check(
            self.withdrawn_per_year >= 0 and self.disappeared_per_year >= 0,
            "closure rates must be >= 0",
        )
        _check(bool(self.destinations), "a scenario needs at least one destination")
        codes = [d.code for d in self.destinations]
        _check(len(set(codes)) == len(codes), "destination codes must be unique")
        for p in self.pledges:
            _check(p.destination in codes, f"pledge to unknown destination {p.destination!r}")
        for dep in self.departures:
            for code in dep.destinations:
                _check(code in codes, f"departure to unknown destination {code!r}")
        for g in self.households:
            _check(
                g.destination is None or g.destination in codes,
                f"households with unknown destination {g.destination!r}",
            )
        hold_specs = {h.hold_type for h in self.holds}
        for i, g in enumerate(self.households):
            for h in g.holds:
                _check(
                    h.lift_day is not None or h.hold_type in hold_specs,
                    f"households[{i}]: a current {h.hold_type.value} hold with an unknown "
                    f"lift day needs [holds.{h.hold_type.value}] (its duration)",
                )
        for key, spec in self.stages.items():
            _check(key == spec.stage, f"stage key {key} does not match its spec")
        types = [h.hold_type for h in self.holds]
        _check(len(set(types)) == len(types), "one hold spec per hold type")
        _check(self.household_count > 0, "a scenario needs at least one household")

    @property
    def household_count(self) -> int:
        return sum(g.count for g in self.households) + (self.arrivals.count if self.arrivals else 0)

    @property
    def resident_count(self) -> int:
        n = sum(g.count * g.size for g in self.households)
        return n + (self.arrivals.count * self.arrivals.size if self.arrivals else 0)

    def stage(self, stage: Stage) -> StageSpec:
        return self.stages.get(stage) or StageSpec(stage)

    def date_of(self, day: float) -> str | None:
        if self.start_date is None or not math.isfinite(day):
            return None
        return (self.start_date + dt.timedelta(days=math.floor(day))).isoformat()

    def with_policy(self, policy: str) -> Scenario:
        return replace(self, policy=policy)


# --------------------------------------------------------------------------- TOML


def _table(raw: object, field: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ScenarioError(field, "expected a table")
    return raw


def _no_unknown(raw: Mapping[str, Any], allowed: set[str], field: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        prefix = f"{field}." if field else ""
        raise ScenarioError(f"{prefix}{unknown[0]}", "unknown field")


def _num(raw: Mapping[str, Any], key: str, field: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{field}.{key}" if field else key, "expected a number")
    if not math.isfinite(float(value)):
        raise ScenarioError(f"{field}.{key}" if field else key, "must be finite")
    return float(value)


def _int(raw: Mapping[str, Any], key: str, field: str, default: int | None = None) -> int:
    value = raw.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{field}.{key}" if field else key, "expected a whole number")
    return value


def _str(raw: Mapping[str, Any], key: str, field: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{field}.{key}" if field else key, "expected a string")
    return value


def _day(
    raw: Mapping[str, Any],
    key: str,
    field: str,
    start: dt.date | None,
    default: float | None = None,
) -> float:
    """A day number, or an ISO date (under ``<key>`` with _day -> _date) after start_date."""
    date_key = key.removesuffix("_day") + "_date" if key.endswith("_day") else key + "_date"
    path = f"{field}." if field else ""
    if key in raw and date_key in raw:
        raise ScenarioError(f"{path}{key}", f"give {key} or {date_key}, not both")
    if date_key in raw:
        value = raw[date_key]
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ScenarioError(f"{path}{date_key}", "expected a date YYYY-MM-DD") from exc
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ScenarioError(f"{path}{date_key}", "expected a date YYYY-MM-DD")
        if start is None:
            raise ScenarioError(f"{path}{date_key}", "dates need scenario.start_date")
        day = float((value - start).days)
        if day < 0:
            raise ScenarioError(f"{path}{date_key}", "is before scenario.start_date")
        return day
    return _num(raw, key, field, default)


def _stage(value: object, field: str, allowed: tuple[Stage, ...]) -> Stage:
    try:
        stage: Stage | None = Stage(str(value))
    except ValueError:
        stage = None
    if stage is None or stage not in allowed:
        raise ScenarioError(
            field, f"expected one of {', '.join(s.value for s in allowed)}, not {value!r}"
        )
    return stage


def _build(field: str, factory: Callable[..., T], **kwargs: Any) -> T:
    try:
        return factory(**kwargs)
    except ScenarioError:
        raise
    except ValueError as exc:
        raise ScenarioError(field, str(exc)) from exc


def _current_holds(raw: object, field: str, start: dt.date | None) -> tuple[CurrentHold, ...]:
    """``{legal = 40, medical = "unknown", security = 2013-05-01}``: per hold type, the
    day (or date) it lifts, or "unknown"."""
    t = _table(raw, field)
    out: list[CurrentHold] = []
    for key, value in t.items():
        f = f"{field}.{key}"
        try:
            hold_type = HoldType(key)
        except ValueError as exc:
            raise ScenarioError(
                f, f"expected one of {', '.join(h.value for h in HoldType)}"
            ) from exc
        lift: float | None
        if value == UNKNOWN_LIFT:
            lift = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            lift = float(value)
            if not math.isfinite(lift) or lift < 0:
                raise ScenarioError(f, "lift day must be a finite number >= 0")
        elif isinstance(value, str | dt.date) and not isinstance(value, dt.datetime):
            if isinstance(value, str):
                try:
                    dt.date.fromisoformat(value)
                except ValueError as exc:
                    raise ScenarioError(
                        f, f'expected a lift day, a date YYYY-MM-DD or "{UNKNOWN_LIFT}"'
                    ) from exc
            try:
                lift = _day({"x_date": value}, "x_day", "", start)
            except ScenarioError as exc:
                raise ScenarioError(f, exc.message) from exc
        else:
            raise ScenarioError(f, f'expected a lift day, a date YYYY-MM-DD or "{UNKNOWN_LIFT}"')
        out.append(_build(f, CurrentHold, hold_type=hold_type, lift_day=lift))
    return tuple(out)


def _lever(raw: object, field: str, start: dt.date | None) -> Lever:
    t = _table(raw, field)
    _no_unknown(
        t,
        {
            "kind",
            "name",
            "stage",
            "destination",
            "add",
            "places",
            "day",
            "date",
            "factor",
            "seats",
            "every_days",
            "until_day",
            "until_date",
            "destinations",
        },
        field,
    )
    kind = _str(t, "kind", field)
    stage = _stage(t["stage"], f"{field}.stage", TIMED_STAGES) if "stage" in t else None
    dests = t.get("destinations", [])
    if not isinstance(dests, list) or not all(isinstance(d, str) for d in dests):
        raise ScenarioError(f"{field}.destinations", "expected a list of destination codes")
    until = _day(t, "until_day", field, start) if ("until_day" in t or "until_date" in t) else None
    return _build(
        field,
        Lever,
        kind=kind,
        name=_str(t, "name", field, ""),
        stage=stage,
        destination=t.get("destination"),
        add=_int(t, "add", field, 0),
        places=_int(t, "places", field, 0),
        day=_day(t, "day", field, start, 0.0),
        factor=_num(t, "factor", field, 1.0),
        seats=_int(t, "seats", field, 0),
        every_days=_num(t, "every_days", field, 0.0),
        until_day=until,
        destinations=tuple(dests),
    )


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario:
    """Build and validate a scenario from parsed TOML; errors name the field."""
    _no_unknown(
        data,
        {
            "scenario",
            "households",
            "arrivals",
            "stages",
            "destinations",
            "pledges",
            "departures",
            "resubmission",
            "holds",
            "incidents",
            "closures",
            "levers",
        },
        "",
    )
    head = _table(data.get("scenario", {}), "scenario")
    _no_unknown(
        head,
        {"name", "start_date", "horizon_days", "report_step_days", "clear_by", "policy"},
        "scenario",
    )
    start: dt.date | None = None
    if "start_date" in head:
        raw_start = head["start_date"]
        if isinstance(raw_start, str):
            try:
                raw_start = dt.date.fromisoformat(raw_start)
            except ValueError as exc:
                raise ScenarioError("scenario.start_date", "expected a date YYYY-MM-DD") from exc
        if not isinstance(raw_start, dt.date) or isinstance(raw_start, dt.datetime):
            raise ScenarioError("scenario.start_date", "expected a date YYYY-MM-DD")
        start = raw_start
    clear_by: list[float] = []
    raw_clear = head.get("clear_by", [])
    if not isinstance(raw_clear, list):
        raise ScenarioError("scenario.clear_by", "expected a list of days or dates")
    for i, item in enumerate(raw_clear):
        f = f"scenario.clear_by[{i}]"
        if isinstance(item, int | float) and not isinstance(item, bool):
            clear_by.append(float(item))
        else:
            clear_by.append(_day({"x_date": item}, "x_day", f, start))

    groups: list[HouseholdGroup] = []
    raw_groups = data.get("households", [])
    if not isinstance(raw_groups, list):
        raise ScenarioError("households", "expected an array of tables [[households]]")
    for i, raw in enumerate(raw_groups):
        f = f"households[{i}]"
        t = _table(raw, f)
        _no_unknown(
            t,
            {
                "count",
                "size",
                "risk",
                "stage",
                "arrival_day",
                "arrival_date",
                "destination",
                "holds",
            },
            f,
        )
        groups.append(
            _build(
                f,
                HouseholdGroup,
                count=_int(t, "count", f),
                size=_int(t, "size", f, 1),
                risk=_num(t, "risk", f, 0.0),
                stage=_stage(t.get("stage", "registered"), f"{f}.stage", START_STAGES),
                arrival_day=_day(t, "arrival_day", f, start, 0.0),
                destination=t.get("destination"),
                holds=_current_holds(t.get("holds", {}), f"{f}.holds", start),
            )
        )

    arrivals = None
    if "arrivals" in data:
        t = _table(data["arrivals"], "arrivals")
        _no_unknown(
            t, {"count", "rate_per_day", "size", "risk", "start_day", "start_date"}, "arrivals"
        )
        arrivals = _build(
            "arrivals",
            ArrivalStream,
            count=_int(t, "count", "arrivals"),
            rate_per_day=_num(t, "rate_per_day", "arrivals"),
            size=_int(t, "size", "arrivals", 1),
            risk=_num(t, "risk", "arrivals", 0.0),
            start_day=_day(t, "start_day", "arrivals", start, 0.0),
        )

    stages: dict[Stage, StageSpec] = {}
    raw_stages = _table(data.get("stages", {}), "stages")
    for key, raw in raw_stages.items():
        f = f"stages.{key}"
        stage = _stage(key, f, TIMED_STAGES)
        t = _table(raw, f)
        _no_unknown(t, {"duration", "servers", "quota", "quota_period_days"}, f)
        stages[stage] = _build(
            f,
            StageSpec,
            stage=stage,
            duration=parse_distribution(t.get("duration", 0), f"{f}.duration"),
            servers=_int(t, "servers", f) if "servers" in t else None,
            quota=_int(t, "quota", f) if "quota" in t else None,
            quota_period_days=_num(t, "quota_period_days", f, 7.0),
        )

    destinations: list[DestinationSpec] = []
    raw_dest = _table(data.get("destinations", {}), "destinations")
    for code, raw in raw_dest.items():
        f = f"destinations.{code}"
        t = _table(raw, f)
        _no_unknown(
            t,
            {
                "accept_rate",
                "priority",
                "decision_scale",
                "decisions_per_period",
                "decision_period_days",
            },
            f,
        )
        destinations.append(
            _build(
                f,
                DestinationSpec,
                code=code,
                accept_rate=_num(t, "accept_rate", f, 1.0),
                priority=_int(t, "priority", f, 1),
                decision_scale=_num(t, "decision_scale", f, 1.0),
                decisions_per_period=(
                    _int(t, "decisions_per_period", f) if "decisions_per_period" in t else None
                ),
                decision_period_days=_num(t, "decision_period_days", f, 30.0),
            )
        )

    pledges: list[Pledge] = []
    raw_pledges = data.get("pledges", [])
    if not isinstance(raw_pledges, list):
        raise ScenarioError("pledges", "expected an array of tables [[pledges]]")
    for i, raw in enumerate(raw_pledges):
        f = f"pledges[{i}]"
        t = _table(raw, f)
        _no_unknown(t, {"destination", "places", "open_day", "open_date"}, f)
        pledges.append(
            _build(
                f,
                Pledge,
                destination=_str(t, "destination", f),
                places=_int(t, "places", f),
                open_day=_day(t, "open_day", f, start, 0.0),
            )
        )

    dep_head = _table(data.get("departures", {}), "departures")
    _no_unknown(dep_head, {"booking_lead_days", "schedule"}, "departures")
    departures: list[DepartureSpec] = []
    raw_sched = dep_head.get("schedule", [])
    if not isinstance(raw_sched, list):
        raise ScenarioError("departures.schedule", "expected an array [[departures.schedule]]")
    for i, raw in enumerate(raw_sched):
        f = f"departures.schedule[{i}]"
        t = _table(raw, f)
        _no_unknown(
            t,
            {
                "first_day",
                "first_date",
                "seats",
                "every_days",
                "until_day",
                "until_date",
                "destinations",
            },
            f,
        )
        dests = t.get("destinations", [])
        if not isinstance(dests, list) or not all(isinstance(d, str) for d in dests):
            raise ScenarioError(f"{f}.destinations", "expected a list of destination codes")
        until = _day(t, "until_day", f, start) if ("until_day" in t or "until_date" in t) else None
        departures.append(
            _build(
                f,
                DepartureSpec,
                first_day=_day(t, "first_day", f, start),
                seats=_int(t, "seats", f),
                every_days=_num(t, "every_days", f, 0.0),
                until_day=until,
                destinations=tuple(dests),
            )
        )

    resub = _table(data.get("resubmission", {}), "resubmission")
    _no_unknown(resub, {"max_attempts", "delay"}, "resubmission")

    holds: list[HoldSpec] = []
    for key, raw in _table(data.get("holds", {}), "holds").items():
        f = f"holds.{key}"
        try:
            hold_type = HoldType(key)
        except ValueError as exc:
            raise ScenarioError(
                f, f"expected one of {', '.join(h.value for h in HoldType)}"
            ) from exc
        t = _table(raw, f)
        _no_unknown(t, {"rate_per_year", "duration"}, f)
        holds.append(
            _build(
                f,
                HoldSpec,
                hold_type=hold_type,
                rate_per_year=_num(t, "rate_per_year", f),
                duration=parse_distribution(t.get("duration", 0), f"{f}.duration"),
            )
        )

    hold_types = {h.hold_type for h in holds}
    for i, g in enumerate(groups):
        for ch in g.holds:
            if ch.lift_day is None and ch.hold_type not in hold_types:
                raise ScenarioError(
                    f"households[{i}].holds.{ch.hold_type.value}",
                    f"an unknown lift day is drawn from [holds.{ch.hold_type.value}], "
                    "which is missing (give its duration, rate_per_year may be 0)",
                )

    inc = _table(data.get("incidents", {}), "incidents")
    _no_unknown(inc, {"rate_per_year", "fatality_per_person"}, "incidents")
    closures = _table(data.get("closures", {}), "closures")
    _no_unknown(closures, {"withdrawn_per_year", "disappeared_per_year"}, "closures")

    raw_levers = data.get("levers", [])
    if not isinstance(raw_levers, list):
        raise ScenarioError("levers", "expected an array of tables [[levers]]")
    levers = tuple(_lever(raw, f"levers[{i}]", start) for i, raw in enumerate(raw_levers))

    return _build(
        "scenario",
        Scenario,
        name=_str(head, "name", "scenario", "scenario"),
        households=tuple(groups),
        destinations=tuple(destinations),
        pledges=tuple(pledges),
        stages=stages,
        departures=tuple(departures),
        booking_lead_days=_num(dep_head, "booking_lead_days", "departures", 0.0),
        max_attempts=_int(resub, "max_attempts", "resubmission", 3),
        resubmission_delay=parse_distribution(resub.get("delay", 0), "resubmission.delay"),
        holds=tuple(holds),
        incidents=_build(
            "incidents",
            IncidentSpec,
            rate_per_year=_num(inc, "rate_per_year", "incidents", 0.0),
            fatality_per_person=_num(inc, "fatality_per_person", "incidents", 0.0),
        ),
        withdrawn_per_year=_num(closures, "withdrawn_per_year", "closures", 0.0),
        disappeared_per_year=_num(closures, "disappeared_per_year", "closures", 0.0),
        arrivals=arrivals,
        horizon_days=_num(head, "horizon_days", "scenario", 3650.0),
        report_step_days=_num(head, "report_step_days", "scenario", 7.0),
        start_date=start,
        clear_by_days=tuple(clear_by),
        policy=_str(head, "policy", "scenario", "fcfs"),
        levers=levers,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read a TOML scenario file; raises ScenarioError naming the bad field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("scenario", f"cannot read {p}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("scenario", f"{p} is not valid TOML: {exc}") from exc
    return scenario_from_dict(data)


DEMO_SCENARIO = Path(__file__).parent / "scenarios" / "demo_camp.toml"
