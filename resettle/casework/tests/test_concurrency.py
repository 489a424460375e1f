"""Two people moving one household at once: one wins, the other gets a clear conflict.

Real threads, each with its own database connection, on whichever database the suite
runs on (SQLite by default, PostgreSQL with RESETTLE_DATABASE_URL; scripts/test runs both).
"""

from __future__ import annotations

import pytest

from resettle.casework import services
from resettle.casework.models import Hold, StageChange
from resettle.casework.tests.helpers import TODAY, fresh, give_documents, members, race
from resettle.core.stages import HoldType
from resettle.registry.models import Household
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db(transaction=True)

def test_two_moves_of_one_household_one_wins(camp: SmallCamp) -> None:
    household = camp.household_new
    seen = household.version

    def assess() -> None:
        services.transition_household(actor=camp.users["caseworker"], household=household.pk,
                                      target="assessed", expected_version=seen, today=TODAY)

    def withdraw() -> None:
        services.transition_household(actor=camp.users["caseworker-b"],
                                      household=household.pk, target="withdrawn",
                                      expected_version=seen, reason="left", today=TODAY)

    results = race([assess, withdraw])
    assert sorted(r[0] for r in results) == ["conflict", "ok"], results
    conflict = next(detail for outcome, detail in results if outcome == "conflict")
    assert "Someone else changed this household since you opened it" in conflict
    after = fresh(household)
    changes = list(StageChange.objects.filter(household=household))
    assert len(changes) == 1
    assert after.stage == changes[0].to_stage
    assert after.version == seen + 1


def test_many_movers_exactly_one_wins(camp: SmallCamp) -> None:
    household = camp.household_de
    give_documents(household)
    seen = household.version

    def decide() -> None:
        services.record_decision(actor=None, household=household.pk, expected_version=seen,
                                 decision="accepted", today=TODAY)

    results = race([decide] * 6)
    assert sorted(r[0] for r in results) == ["conflict"] * 5 + ["ok"], results
    assert StageChange.objects.filter(household=household, to_stage="decided").count() == 1
    assert Household.objects.get(pk=household.pk).version == seen + 1


def test_hold_racing_a_move_never_lets_the_move_pass_it(camp: SmallCamp) -> None:
    """A security hold placed while someone records an acceptance: either the hold came
    first (the move is a conflict) or the move came first (then the hold is in force)."""
    household = camp.household_de
    person = members(household)[0]
    seen = household.version

    def decide() -> None:
        services.record_decision(actor=None, household=household.pk, expected_version=seen,
                                 decision="accepted", today=TODAY)

    def place() -> None:
        services.place_hold(actor=None, person=person, hold=services.HoldInput(
            hold_type=HoldType.SECURITY, reason="specific_threat", start_date=TODAY))

    results = race([decide, place])
    outcomes = sorted(r[0] for r in results)
    assert "error" not in outcomes, results
    assert Hold.objects.filter(person=person, status="active").count() == 1
    moved = StageChange.objects.filter(household=household, to_stage="decided").exists()
    if outcomes == ["conflict", "ok"]:
        assert not moved  # the hold won: the stale decision was refused
    else:
        assert outcomes == ["ok", "ok"] and moved  # the decision won, then the hold landed
    assert fresh(household).version == seen + (2 if moved else 1)
