"""Duration distributions for the forecast, as small validated value objects.

Planners think in "mean and spread", so gamma and lognormal take a mean and a
coefficient of variation; the empirical distribution resamples durations observed
in the live database. All draws come from a caller's numpy Generator: no hidden state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

KINDS = ("fixed", "exponential", "gamma", "lognormal", "empirical")


class ScenarioError(ValueError):
    """A scenario value is malformed; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Distribution:
    """A non-negative duration in days."""

    kind: str
    mean: float = 0.0
    cv: float = 0.0
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"distribution kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
            )
        if self.kind == "empirical":
            if not self.values:
                raise ValueError("an empirical distribution needs at least one observed value")
            if any(not math.isfinite(v) or v < 0 for v in self.values):
                raise ValueError("observed durations must be finite and >= 0")
            return
        if not math.isfinite(self.mean) or self.mean < 0:
            raise ValueError(f"mean must be a finite number >= 0, not {self.mean!r}")
        if self.kind in ("gamma", "lognormal") and not (math.isfinite(self.cv) and self.cv > 0):
            raise ValueError(
                f"{self.kind} needs cv > 0 (coefficient of variation), not {self.cv!r}"
            )

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        return cls("fixed", mean=float(value))

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return cls("exponential", mean=float(mean))

    @classmethod
    def gamma(cls, mean: float, cv: float) -> Distribution:
        return cls("gamma", mean=float(mean), cv=float(cv))

    @classmethod
    def lognormal(cls, mean: float, cv: float) -> Distribution:
        return cls("lognormal", mean=float(mean), cv=float(cv))

    @classmethod
    def empirical(cls, values: tuple[float, ...] | list[float]) -> Distribution:
        return cls("empirical", values=tuple(float(v) for v in values))

    @property
    def expected(self) -> float:
        if self.kind == "empirical":
            return float(np.mean(self.values))
        return self.mean

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every duration multiplied by ``factor`` (a what-if lever)."""
        if not (math.isfinite(factor) and factor >= 0):
            raise ValueError(f"scale factor must be >= 0, not {factor!r}")
        if self.kind == "empirical":
            return Distribution("empirical", values=tuple(v * factor for v in self.values))
        return Distribution(self.kind, mean=self.mean * factor, cv=self.cv)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> NDArray[np.float64]:
        """Draw ``size`` durations (days) from ``rng``."""
        if self.kind == "fixed" or (self.mean == 0.0 and self.kind != "empirical"):
            return np.full(size, self.mean, dtype=np.float64)
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "gamma":
            shape = 1.0 / (self.cv * self.cv)
            return rng.gamma(shape, self.mean / shape, size)
        if self.kind == "lognormal":
            sigma2 = math.log1p(self.cv * self.cv)
            mu = math.log(self.mean) - sigma2 / 2.0
            return rng.lognormal(mu, math.sqrt(sigma2), size)
        values = np.asarray(self.values, dtype=np.float64)
        return values[rng.integers(0, values.size, size)]

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "empirical":
            return {"dist": "empirical", "values": list(self.values)}
        if self.kind in ("fixed",):
            return {"dist": "fixed", "value": self.mean}
        if self.kind == "exponential":
            return {"dist": "exponential", "mean": self.mean}
        return {"dist": self.kind, "mean": self.mean, "cv": self.cv}


def parse_distribution(raw: object, field: str) -> Distribution:
    """Read ``{dist = "gamma", mean = 20, cv = 0.5}`` (or a bare number = fixed)."""
    if isinstance(raw, bool):
        raise ScenarioError(field, "expected a number of days or a table with 'dist'")
    if isinstance(raw, int | float):
        raw = {"dist": "fixed", "value": raw}
    if not isinstance(raw, Mapping):
        raise ScenarioError(field, "expected a number of days or a table with 'dist'")
    kind = raw.get("dist")
    if kind not in KINDS:
        raise ScenarioError(f"{field}.dist", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    allowed = {
        "fixed": {"dist", "value"},
        "exponential": {"dist", "mean"},
        "gamma": {"dist", "mean", "cv"},
        "lognormal": {"dist", "mean", "cv"},
        "empirical": {"dist", "values"},
    }[kind]
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ScenarioError(f"{field}.{unknown[0]}", f"not a field of a {kind} distribution")

    def num(key: str) -> float:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{field}.{key}", "required number missing or not a number")
        return float(value)

    try:
        if kind == "fixed":
            return Distribution.fixed(num("value"))
        if kind == "exponential":
            return Distribution.exponential(num("mean"))
        if kind == "empirical":
            values = raw.get("values")
            if not isinstance(values, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                raise ScenarioError(f"{field}.values", "expected a list of numbers (days)")
            return Distribution.empirical(values)
        return Distribution(kind, mean=num("mean"), cv=num("cv"))
    except ScenarioError:
        raise
    except ValueError as exc:
        raise ScenarioError(field, str(exc)) from exc
