"""Explainable risk (resettle.core.risk): arithmetic, attribution, households, exposure."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resettle.core.risk import (
    DEFAULT_RISK_WEIGHTS,
    DailySnapshot,
    HouseholdMode,
    RiskInput,
    RiskWeights,
    camp_exposure,
    household_risk,
    person_risk,
    weights_table,
)


def test_no_factor_no_risk() -> None:
    r = person_risk(RiskInput("p", age_years=30))
    assert r.score == 0.0
    assert r.factors == ()


def test_single_factor_score_is_its_weight() -> None:
    r = person_risk(RiskInput("p", age_years=30, legal_hold=True, legal_hold_label="warrant"))
    assert r.score == pytest.approx(DEFAULT_RISK_WEIGHTS.legal_hold)
    (factor,) = r.factors
    assert factor.factor == "legal_hold"
    assert factor.value == 1.0
    assert factor.contribution == pytest.approx(0.60)
    assert factor.words == "named in a legal hold (warrant)"


def test_noisy_or_arithmetic_by_hand() -> None:
    w = RiskWeights()
    p = RiskInput(
        "p",
        age_years=70,
        legal_hold=True,
        injury_severity=0.5,
        incidents_exposed=3,
        days_in_camp=1825,
    )
    r = person_risk(p, w)
    elderly = (70 - 60) / (80 - 60)
    incidents = 1 - math.exp(-1)
    days = 1825 / 3650
    expected = 1 - (
        (1 - 0.60)
        * (1 - 0.35 * 0.5)
        * (1 - 0.20 * elderly)
        * (1 - 0.25 * incidents)
        * (1 - 0.20 * days)
    )
    assert r.score == pytest.approx(expected)
    by_name = {f.factor: f for f in r.factors}
    assert set(by_name) == {"legal_hold", "injured", "elderly", "incidents", "days_in_camp"}
    assert by_name["elderly"].value == pytest.approx(0.5)
    assert by_name["incidents"].words == "exposed to 3 incidents"
    assert by_name["days_in_camp"].words == "1,825 days in camp"
    assert by_name["elderly"].words == "aged 70 (elderly)"
    # contributions add up to the score and follow ln(1 - w x)
    assert sum(f.contribution for f in r.factors) == pytest.approx(r.score)
    ratio = by_name["legal_hold"].contribution / by_name["injured"].contribution
    assert ratio == pytest.approx(math.log(1 - 0.60) / math.log(1 - 0.175))
    # sorted by contribution
    contributions = [f.contribution for f in r.factors]
    assert contributions == sorted(contributions, reverse=True)


def test_factor_tuples_read_as_name_value_contribution_words() -> None:
    r = person_risk(RiskInput("p", age_years=2))
    name, value, contribution, words = r.factors[0]
    assert name == "young_child"
    assert value == pytest.approx(0.6)
    assert contribution == pytest.approx(0.15 * 0.6)
    assert words == "aged 2 (young child)"


def test_age_ramps() -> None:
    assert person_risk(RiskInput("p", age_years=59)).score == 0.0
    assert person_risk(RiskInput("p", age_years=5)).score == 0.0
    assert person_risk(RiskInput("p", age_years=95)).score == pytest.approx(0.20)
    assert person_risk(RiskInput("p", age_years=0)).score == pytest.approx(0.15)


def test_weights_change_the_score() -> None:
    p = RiskInput("p", prominence=1.0)
    assert person_risk(p).score == pytest.approx(0.40)
    assert person_risk(p, RiskWeights(prominence=0.9)).score == pytest.approx(0.90)
    assert person_risk(p, RiskWeights(prominence=0.0)).factors == ()


def test_weight_of_one_is_certainty_without_crashing() -> None:
    r = person_risk(RiskInput("p", legal_hold=True, prominence=0.5), RiskWeights(legal_hold=1.0))
    assert r.score == pytest.approx(1.0)
    assert sum(f.contribution for f in r.factors) == pytest.approx(1.0)


def test_validation_messages() -> None:
    with pytest.raises(ValueError, match=r"prominence = 1\.5"):
        RiskInput("p", prominence=1.5)
    with pytest.raises(ValueError, match="age 140"):
        RiskInput("p", age_years=140)
    with pytest.raises(ValueError, match="incidents_exposed"):
        RiskInput("p", incidents_exposed=-1)
    with pytest.raises(ValueError, match="legal_hold = 2"):
        RiskWeights(legal_hold=2)
    with pytest.raises(ValueError, match="elderly_start"):
        RiskWeights(elderly_start=80, elderly_full=70)
    with pytest.raises(ValueError, match="needs a person key"):
        RiskInput("")


@given(
    legal=st.booleans(),
    prominence=st.floats(0, 1),
    injury=st.floats(0, 1),
    medical=st.floats(0, 1),
    age=st.integers(0, 110),
    incidents=st.integers(0, 50),
    days=st.integers(0, 20_000),
)
def test_score_bounded_monotone_and_fully_attributed(
    legal: bool,
    prominence: float,
    injury: float,
    medical: float,
    age: int,
    incidents: int,
    days: int,
) -> None:
    p = RiskInput("p", age, legal, "warrant", prominence, injury, medical, incidents, days)
    r = person_risk(p)
    assert 0.0 <= r.score <= 1.0
    assert sum(f.contribution for f in r.factors) == pytest.approx(r.score, abs=1e-9)
    assert all(f.contribution >= 0 for f in r.factors)
    more = person_risk(
        RiskInput("p", age, legal, "w", prominence, injury, medical, incidents + 1, days + 30)
    )
    assert more.score >= r.score - 1e-12


def test_a_vanishingly_small_factor_still_gets_a_share() -> None:
    # 1 - 1e-300 rounds to 1.0, so a plain log gave a zero total and a division by zero
    r = person_risk(RiskInput("p", prominence=5e-300))
    assert r.score == 0.0
    assert [f.factor for f in r.factors] == ["prominence"]
    assert r.factors[0].contribution == 0.0


def test_household_max_and_combined() -> None:
    members = [
        RiskInput("a", age_years=40, legal_hold=True),
        RiskInput("b", age_years=3),
        RiskInput("c", age_years=35),
    ]
    hh = household_risk("h1", members)
    assert hh.mode is HouseholdMode.MAX
    assert hh.score == pytest.approx(0.60)
    assert hh.driver == "a"
    assert [m.key for m in hh.members] == ["a", "b", "c"]
    assert hh.words == "most exposed member a: named in a legal hold (warrant)"
    combined = household_risk("h1", members, mode=HouseholdMode.COMBINED)
    b_score = 0.15 * (5 - 3) / 5
    assert combined.score == pytest.approx(1 - (1 - 0.60) * (1 - b_score))
    assert combined.score > hh.score
    empty = household_risk("h2", [])
    assert empty.score == 0.0 and empty.driver is None


def test_household_accepts_precomputed_scores() -> None:
    a = person_risk(RiskInput("a", prominence=1.0))
    hh = household_risk("h", [a, RiskInput("b", injury_severity=1.0)])
    assert hh.driver == "a"
    assert hh.score == pytest.approx(0.40)


def test_camp_exposure_sums_risk_times_days() -> None:
    snaps = [
        DailySnapshot(date(2024, 1, 1), {"a": 0.5, "b": 0.25}),
        DailySnapshot(date(2024, 1, 2), {"a": 0.5}),
        DailySnapshot(date(2024, 1, 5), {"a": 0.75, "c": 0.1}),
    ]
    points = camp_exposure(snaps)
    assert [p.days for p in points] == [1, 3, 1]
    assert [p.residents for p in points] == [2, 1, 2]
    assert [p.exposure for p in points] == pytest.approx([0.75, 1.5, 0.85])
    assert [p.cumulative for p in points] == pytest.approx([0.75, 2.25, 3.1])
    assert camp_exposure([]) == []


def test_camp_exposure_rejects_unordered_days_and_bad_scores() -> None:
    with pytest.raises(ValueError, match="increasing day order"):
        camp_exposure([DailySnapshot(date(2024, 1, 2), {}), DailySnapshot(date(2024, 1, 1), {})])
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        DailySnapshot(date(2024, 1, 1), {"a": 1.2})


def test_weights_table_lists_every_factor() -> None:
    table = dict(weights_table())
    assert table["legal_hold"] == 0.60
    assert len(table) == 8
