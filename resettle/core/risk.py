"""Explainable risk per person and household, and camp exposure over time.

Why: the departures planner and the work queues put the most exposed people first, and a
caseworker must be able to say why a household ranks where it does. So the score is built
from a few named factors with weights in one configuration (``RiskWeights``), and every
factor's share of the score is returned with words a caseworker can read out.

Combination ("noisy-OR"): each factor i has a value x_i in 0..1 and a weight w_i in 0..1,
read as "the chance that this factor alone makes the person at risk", and

    score = 1 - prod_i (1 - w_i * x_i)

Why this rather than a capped weighted sum: it stays in 0..1 without a cap that would make
every heavily exposed person tie at 1, adding a factor never lowers the score, and one very
strong factor (a warrant) dominates as it should instead of being averaged away.

Attribution: the score's log-survival is a sum, ln(1 - score) = sum_i ln(1 - w_i x_i), so
factor i is credited ``score * ln(1 - w_i x_i) / sum_j ln(1 - w_j x_j)``. The contributions
are non-negative, add up exactly to the score and do not depend on the order of factors.

Household risk: the maximum over members by default (a household moves together, so it is
as urgent as its most exposed member); ``HouseholdMode.COMBINED`` instead applies the same
noisy-OR over the members' scores, so that a large household of moderately exposed people
ranks above a single moderately exposed person.

Camp exposure: the sum over residents present of risk x days, from daily snapshots.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "DEFAULT_RISK_WEIGHTS",
    "DailySnapshot",
    "ExposurePoint",
    "FactorContribution",
    "HouseholdMode",
    "HouseholdRisk",
    "PersonRisk",
    "RiskInput",
    "RiskWeights",
    "camp_exposure",
    "household_risk",
    "person_risk",
    "weights_table",
]


@dataclass(frozen=True, slots=True)
class RiskWeights:
    """Factor weights (each in 0..1) and the shapes that turn raw facts into 0..1 values.

    Defaults, and why:
    - ``legal_hold`` 0.60: being named in a warrant or similar legal hold is the most direct
      threat to a person's freedom or life; alone it gives a score of 0.60.
    - ``prominence`` 0.40: public figures (spokespeople, witnesses) are targeted.
    - ``injured`` 0.35 x severity: the injured cannot flee or shelter and need care outside.
    - ``medical`` 0.30 x vulnerability: chronic conditions untreatable under siege.
    - ``elderly`` 0.20, ramping from ``elderly_start`` (60) to full at ``elderly_full`` (80).
    - ``young_child`` 0.15, full at birth, zero at ``young_child_end`` (5 years).
    - ``incidents`` 0.25 x (1 - exp(-n / incidents_scale)): each attack lived through adds,
      with diminishing returns (3 incidents give 63% of the weight).
    - ``days_in_camp`` 0.20 x min(days / days_scale, 1): the longer in camp, the more
      exposure accumulated; full after ``days_scale`` (10 years).
    """

    legal_hold: float = 0.60
    prominence: float = 0.40
    injured: float = 0.35
    medical: float = 0.30
    elderly: float = 0.20
    young_child: float = 0.15
    incidents: float = 0.25
    days_in_camp: float = 0.20
    elderly_start: int = 60
    elderly_full: int = 80
    young_child_end: int = 5
    incidents_scale: float = 3.0
    days_scale: int = 3650

    def __post_init__(self) -> None:
        for name in FACTORS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"risk weight {name} = {value} is outside 0..1")
        if not 0 < self.elderly_start < self.elderly_full:
            raise ValueError("need 0 < elderly_start < elderly_full")
        if self.young_child_end <= 0:
            raise ValueError("young_child_end must be positive")
        if self.incidents_scale <= 0 or self.days_scale <= 0:
            raise ValueError("incidents_scale and days_scale must be positive")


FACTORS: tuple[str, ...] = (
    "legal_hold",
    "prominence",
    "injured",
    "medical",
    "elderly",
    "young_child",
    "incidents",
    "days_in_camp",
)
DEFAULT_RISK_WEIGHTS = RiskWeights()


@dataclass(frozen=True, slots=True)
class RiskInput:
    """The facts about one person that risk is computed from (all optional but the key)."""

    key: str
    age_years: int | None = None
    legal_hold: bool = False
    legal_hold_label: str = "warrant"
    prominence: float = 0.0
    injury_severity: float = 0.0
    medical_vulnerability: float = 0.0
    incidents_exposed: int = 0
    days_in_camp: int = 0

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("risk input needs a person key")
        if self.age_years is not None and not 0 <= self.age_years <= 130:
            raise ValueError(f"{self.key}: age {self.age_years} is outside 0..130")
        for name in ("prominence", "injury_severity", "medical_vulnerability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{self.key}: {name} = {value} is outside 0..1")
        if self.incidents_exposed < 0:
            raise ValueError(f"{self.key}: incidents_exposed is negative")
        if self.days_in_camp < 0:
            raise ValueError(f"{self.key}: days_in_camp is negative")


class FactorContribution(NamedTuple):
    """(factor name, value in 0..1, contribution to the score, words for a caseworker)."""

    factor: str
    value: float
    contribution: float
    words: str


@dataclass(frozen=True, slots=True)
class PersonRisk:
    key: str
    score: float
    factors: tuple[FactorContribution, ...]  # factors that apply, largest contribution first

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"risk score {self.score} is outside 0..1")


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def _factor_values(p: RiskInput, w: RiskWeights) -> list[tuple[str, float, str]]:
    """(factor, value in 0..1, words) for every factor with a non-zero value."""
    out: list[tuple[str, float, str]] = []
    if p.legal_hold:
        out.append(("legal_hold", 1.0, f"named in a legal hold ({p.legal_hold_label})"))
    if p.prominence > 0:
        out.append(("prominence", p.prominence, f"public prominence {p.prominence:.2f}"))
    if p.injury_severity > 0:
        out.append(("injured", p.injury_severity, f"injured (severity {p.injury_severity:.2f})"))
    if p.medical_vulnerability > 0:
        out.append(
            (
                "medical",
                p.medical_vulnerability,
                f"medical vulnerability {p.medical_vulnerability:.2f}",
            )
        )
    if p.age_years is not None:
        elderly = _clamp((p.age_years - w.elderly_start) / (w.elderly_full - w.elderly_start))
        if elderly > 0:
            out.append(("elderly", elderly, f"aged {p.age_years} (elderly)"))
        young = _clamp((w.young_child_end - p.age_years) / w.young_child_end)
        if young > 0:
            out.append(("young_child", young, f"aged {p.age_years} (young child)"))
    if p.incidents_exposed > 0:
        value = 1.0 - math.exp(-p.incidents_exposed / w.incidents_scale)
        plural = "incident" if p.incidents_exposed == 1 else "incidents"
        out.append(("incidents", value, f"exposed to {p.incidents_exposed} {plural}"))
    if p.days_in_camp > 0:
        value = _clamp(p.days_in_camp / w.days_scale)
        out.append(("days_in_camp", value, f"{p.days_in_camp:,} days in camp"))
    return out


def person_risk(p: RiskInput, weights: RiskWeights = DEFAULT_RISK_WEIGHTS) -> PersonRisk:
    """Noisy-OR risk score of one person with each factor's exact share of it."""
    parts: list[tuple[str, float, str, float]] = []  # factor, value, words, ln(1 - w x)
    for factor, value, words in _factor_values(p, weights):
        wx = getattr(weights, factor) * value
        if wx <= 0:
            continue
        # log1p keeps a tiny factor's log non-zero (log(1 - 1e-300) is 0.0, and the shares
        # below would divide by zero); a weight of exactly 1 at full value means certainty,
        # so the log is kept finite
        parts.append((factor, value, words, math.log1p(-min(wx, 1.0 - 1e-12))))
    total_log = sum(part[3] for part in parts)
    score = _clamp(1.0 - math.exp(total_log)) if parts else 0.0
    contributions = [
        FactorContribution(factor, round(value, 4), score * log / total_log if total_log else 0.0,
                           words)
        for factor, value, words, log in parts
    ]
    contributions.sort(key=lambda c: (-c.contribution, c.factor))
    return PersonRisk(p.key, score, tuple(contributions))


class HouseholdMode(StrEnum):
    MAX = "max"
    COMBINED = "combined"


@dataclass(frozen=True, slots=True)
class HouseholdRisk:
    key: str
    score: float
    mode: HouseholdMode
    driver: str | None  # the member with the highest score
    members: tuple[PersonRisk, ...]  # highest score first

    @property
    def words(self) -> str:
        if self.driver is None:
            return "no members"
        top = self.members[0]
        reason = top.factors[0].words if top.factors else "no risk factor"
        return f"most exposed member {self.driver}: {reason}"


def household_risk(
    key: str,
    members: Iterable[RiskInput | PersonRisk],
    *,
    mode: HouseholdMode = HouseholdMode.MAX,
    weights: RiskWeights = DEFAULT_RISK_WEIGHTS,
) -> HouseholdRisk:
    """Risk of a household from its members (see the module docstring for the two modes)."""
    scored = [m if isinstance(m, PersonRisk) else person_risk(m, weights) for m in members]
    scored.sort(key=lambda r: (-r.score, r.key))
    if not scored:
        return HouseholdRisk(key, 0.0, mode, None, ())
    if mode is HouseholdMode.MAX:
        score = scored[0].score
    else:
        survival = 1.0
        for member in scored:
            survival *= 1.0 - member.score
        score = _clamp(1.0 - survival)
    return HouseholdRisk(key, score, mode, scored[0].key, tuple(scored))


@dataclass(frozen=True, slots=True)
class DailySnapshot:
    """Residents present in the camp on ``day`` and their risk score that day."""

    day: date
    residents: Mapping[str, float]

    def __post_init__(self) -> None:
        for person, score in self.residents.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"{self.day}: risk of {person} = {score} is outside 0..1")


@dataclass(frozen=True, slots=True)
class ExposurePoint:
    day: date
    residents: int
    days: int  # days this snapshot stands for (until the next one)
    exposure: float  # sum of risk x days over residents present
    cumulative: float


def camp_exposure(snapshots: Sequence[DailySnapshot]) -> list[ExposurePoint]:
    """Camp exposure over time: for each snapshot, sum over residents of risk x days.

    A snapshot stands for every day until the next snapshot (gaps are filled with the last
    known population); the last one stands for one day. Snapshots must be in strictly
    increasing day order.
    """
    points: list[ExposurePoint] = []
    cumulative = 0.0
    for i, snap in enumerate(snapshots):
        if i + 1 < len(snapshots):
            days = (snapshots[i + 1].day - snap.day).days
            if days <= 0:
                raise ValueError(
                    f"snapshots must be in increasing day order: {snapshots[i + 1].day} "
                    f"follows {snap.day}"
                )
        else:
            days = 1
        daily = math.fsum(snap.residents.values())
        exposure = daily * days
        cumulative += exposure
        points.append(ExposurePoint(snap.day, len(snap.residents), days, exposure, cumulative))
    return points


def weights_table(weights: RiskWeights = DEFAULT_RISK_WEIGHTS) -> list[tuple[str, float]]:
    """(factor, weight) pairs for display next to a household's explanation."""
    names = {f.name for f in fields(weights)}
    return [(name, float(getattr(weights, name))) for name in FACTORS if name in names]
