"""Scoring model (compatibility, weights, outcome hook) and the EU relocation key."""

from __future__ import annotations

import pytest

from resettle.core.allocation import solve
from resettle.core.allocation.fair_share import (
    CountryFacts,
    KeyWeights,
    compare_with_pledges,
    fair_shares,
)
from resettle.core.allocation.scoring import (
    HouseholdFacts,
    OutcomeModel,
    PledgeFacts,
    ScoringWeights,
    build_problem,
    incompatibility,
    score,
)

W = ScoringWeights()
NO = PledgeFacts("NO", places=50, large_family_places=0, medical_places=2,
                 single_parent_places=1, local_languages=frozenset({"en"}))
DE = PledgeFacts("DE", places=50, large_family_places=3, medical_places=0,
                 single_parent_places=0, nationalities=frozenset({"IR"}),
                 languages_served=frozenset({"fa", "en"}), max_household_size=8,
                 local_languages=frozenset({"de"}))


def test_pledge_criteria_decide_compatibility() -> None:
    big = HouseholdFacts("big", 7, nationalities=frozenset({"IR"}), languages=frozenset({"fa"}))
    assert incompatibility(big, NO, W) == "NO has no support for large families"
    assert incompatibility(big, DE, W) is None
    sick = HouseholdFacts("sick", 2, nationalities=frozenset({"IR"}),
                          languages=frozenset({"fa"}), medical=True)
    assert incompatibility(sick, DE, W) == "DE has no medical capacity"
    alone = HouseholdFacts("alone", 2, nationalities=frozenset({"IR"}),
                           languages=frozenset({"fa"}), single_parent=True)
    assert "single parents" in (incompatibility(alone, DE, W) or "")
    iraqi = HouseholdFacts("iq", 2, nationalities=frozenset({"IQ"}), languages=frozenset({"fa"}))
    assert "nationality" in (incompatibility(iraqi, DE, W) or "")
    arabic = HouseholdFacts("ar", 2, nationalities=frozenset({"IR"}), languages=frozenset({"ar"}))
    assert "language" in (incompatibility(arabic, DE, W) or "")
    huge = HouseholdFacts("huge", 9, nationalities=frozenset({"IR"}), languages=frozenset({"fa"}))
    assert "at most 8" in (incompatibility(huge, DE, W) or "")


def test_score_adds_ties_language_preferences_and_outcome() -> None:
    h = HouseholdFacts("h", 3, languages=frozenset({"EN", "fa"}), ties={"NO": 5},
                       preferences=("DE", "NO"))
    # base 1 + ties min(6, 2*5) + language 1.5 * 1/2 + second preference 2
    assert score(h, NO, W) == pytest.approx(1 + 6 + 0.75 + 2)
    assert score(h, DE, W) == pytest.approx(1 + 3)

    class Employment:
        def predict(self, household: HouseholdFacts, destination: str) -> float:
            return 0.5 if destination == "DE" else 0.0

    model = Employment()
    assert isinstance(model, OutcomeModel)
    custom = ScoringWeights(outcome=4.0)
    assert score(h, DE, custom, model) == pytest.approx(1 + 3 + 2)


def test_build_problem_feeds_the_solver() -> None:
    households = [
        HouseholdFacts("a", 7, nationalities=frozenset({"IR"}), languages=frozenset({"fa"})),
        HouseholdFacts("b", 2, nationalities=frozenset({"IR"}), languages=frozenset({"fa"}),
                       medical=True),
        HouseholdFacts("c", 1, nationalities=frozenset({"IQ"}), languages=frozenset({"ar"}),
                       ties={"DE": 1}),
    ]
    scored = build_problem(households, [NO, DE], together=[("b", "c")])
    problem = scored.problem
    assert set(problem.cases[0].scores) == {"DE"}
    assert problem.cases[0].usage["large_family"] == 1
    assert set(problem.cases[1].scores) == {"NO"}
    assert "medical capacity" in scored.incompatible["b"]["DE"]
    result = solve(problem, time_limit=5, seed=0)
    assert result.assignments == {"a": "DE", "b": "NO", "c": "NO"}


def test_weights_are_validated() -> None:
    with pytest.raises(ValueError, match="tie_cap"):
        ScoringWeights(tie_cap=-1)
    with pytest.raises(ValueError, match="size"):
        HouseholdFacts("x", 0)


COUNTRIES = [
    CountryFacts("DE", population=82e6, gdp=3.0e12, unemployment_rate=4.6,
                 asylum_per_million=2400),
    CountryFacts("FR", population=66e6, gdp=2.2e12, unemployment_rate=10.1,
                 asylum_per_million=900),
    CountryFacts("NO", population=5.2e6, gdp=0.4e12, unemployment_rate=3.5,
                 asylum_per_million=2300),
    CountryFacts("MT", population=0.43e6, gdp=0.009e12, unemployment_rate=5.8,
                 asylum_per_million=5000),
]


def test_fair_shares_sum_and_respect_cap() -> None:
    shares = fair_shares(COUNTRIES, caseload=1000)
    assert sum(s.places for s in shares.values()) == 1000
    assert sum(s.share for s in shares.values()) == pytest.approx(1.0)
    for s in shares.values():
        assert 0.7 * s.size_key - 1e-9 <= s.share <= 1.3 * s.size_key + 1e-9 or not s.capped
    # tiny economies hit the cap: their corrections would otherwise multiply their share
    assert shares["MT"].capped
    assert shares["MT"].share == pytest.approx(1.3 * shares["MT"].size_key, rel=0.05)


def test_size_only_weights_give_the_size_key() -> None:
    w = KeyWeights(population=0.5, gdp=0.5, unemployment=0.0, asylum=0.0)
    shares = fair_shares(COUNTRIES, caseload=0, weights=w)
    for s in shares.values():
        assert s.share == pytest.approx(s.size_key)
        assert not s.capped


def test_compare_with_pledges_and_validation() -> None:
    shares = fair_shares(COUNTRIES, caseload=100)
    diff = compare_with_pledges(shares, {"DE": 60})
    assert diff["DE"] == 60 - shares["DE"].places
    assert diff["FR"] == -shares["FR"].places
    with pytest.raises(ValueError, match="sum to 1"):
        KeyWeights(population=0.5)
    with pytest.raises(ValueError, match="unique"):
        fair_shares([COUNTRIES[0], COUNTRIES[0]], caseload=1)
