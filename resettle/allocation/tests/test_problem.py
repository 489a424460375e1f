"""problem_from_db: households, room left, capacity dimensions, scores, links, scope."""

from __future__ import annotations

from datetime import date

from resettle.accounts.policy import Role
from resettle.allocation.selectors import problem_from_db
from resettle.allocation.tests.conftest import AllocationCamp
from resettle.casework.models import Hold
from resettle.core.allocation.model import PERSONS
from resettle.core.allocation.scoring import HouseholdFacts
from resettle.registry.models import Membership
from resettle.testing.fixtures import make_household, make_person, make_user

TODAY = date(2026, 3, 1)


def test_cases_are_the_waiting_households_with_their_needs(alloc: AllocationCamp) -> None:
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY)
    cases = {c.id: c for c in built.problem.cases}
    assert sorted(cases) == ["H00101", "H00102", "H00103", "H00104", "H00105"]
    assert cases["H00101"].size == 6
    assert cases["H00101"].usage == {PERSONS: 6.0, "large_family": 1.0}
    assert cases["H00102"].usage == {PERSONS: 2.0, "medical": 1.0}
    assert cases["H00103"].usage == {PERSONS: 2.0, "single_parent": 1.0}
    assert cases["H00105"].usage == {PERSONS: 1.0}
    assert built.households["H00101"].id == str(alloc.large.pk)
    assert built.households["H00101"].version == alloc.large.version


def test_capacity_is_the_room_left_per_dimension(alloc: AllocationCamp) -> None:
    camp = alloc.camp
    # a committed large family with a seriously ill member at DE uses DE's room in all three
    big = make_household(camp.site, "H00900", [
        (make_person(camp.site, f"R-09{i:02d}", "C", f"{i}",
                     specific_needs=["SM"] if i == 1 else []), "principal" if i == 1 else "child")
        for i in range(1, 8)], "decided", camp.de)
    built = problem_from_db(camp.users["resettlement"], today=TODAY)
    caps = {d.id: dict(d.capacity) for d in built.problem.destinations}
    # DE: 100 pledged - 2 (H00001 submitted) - 7 (H00900 decided)
    assert caps["DE"][PERSONS] == 91
    assert caps["DE"]["large_family"] == 1
    assert caps["DE"]["medical"] == 0
    # NO: the pledge that ended in 2021 does not count
    assert caps["NO"][PERSONS] == 99
    assert caps["FI"][PERSONS] == 10
    assert built.destinations["DE"].committed == 9
    assert big.pk  # the committed household is not a case
    assert "H00900" not in {c.id for c in built.problem.cases}


def test_compatibility_follows_the_pledge_criteria(alloc: AllocationCamp) -> None:
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY)
    cases = {c.id: c for c in built.problem.cases}
    assert set(cases["H00101"].scores) == {"DE", "NO"}  # FI takes at most 4 persons
    assert set(cases["H00102"].scores) == {"DE"}  # only DE treats serious illness
    assert set(cases["H00103"].scores) == {"DE"}  # only DE supports single parents
    assert set(cases["H00105"].scores) == {"DE", "NO", "FI"}
    assert "medical" in built.incompatible["H00102"]["NO"]
    assert "at most 4" in built.incompatible["H00101"]["FI"]


def test_ties_and_preferences_raise_the_score(alloc: AllocationCamp) -> None:
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY)
    cases = {c.id: c for c in built.problem.cases}
    tied = cases["H00104"].scores
    assert tied["NO"] > tied["DE"] > tied["FI"]
    # the linked brother has no ties of his own: Norway is not favoured for him
    assert cases["H00105"].scores["NO"] == cases["H00105"].scores["DE"]


def test_links_become_together_groups(alloc: AllocationCamp) -> None:
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY)
    assert built.problem.together == (("H00104", "H00105"),)


def test_locks_are_carried_and_unknown_destinations_dropped(alloc: AllocationCamp) -> None:
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY, locks={
        str(alloc.large.pk): "NO", str(alloc.single.pk): "SE"})
    cases = {c.id: c for c in built.problem.cases}
    assert cases["H00101"].locked == "NO"
    assert cases["H00103"].locked is None
    assert built.dropped_locks == [{"id": str(alloc.single.pk), "reference": "H00103",
                                    "destination": "SE",
                                    "reason": "no active pledge there any more"}]


def test_a_hold_that_blocks_submission_keeps_the_household_out(alloc: AllocationCamp) -> None:
    member = Membership.objects.get(household=alloc.medical, relationship="spouse").person
    Hold.objects.create(person=member, hold_type="security", reason="vetting_pending",
                        start_date=TODAY)
    Hold.objects.create(person=member, hold_type="medical", reason="hospitalised",
                        start_date=TODAY)  # a medical hold does not block submission
    built = problem_from_db(alloc.camp.users["resettlement"], today=TODAY)
    assert "H00102" not in {c.id for c in built.problem.cases}
    assert built.held_back == [{"id": str(alloc.medical.pk), "reference": "H00102",
                                "reason": "an active security hold blocks submission"}]


def test_only_households_in_the_users_scope(alloc: AllocationCamp) -> None:
    camp = alloc.camp
    make_household(camp.other_site, "H00201", [
        (make_person(camp.other_site, "R-2001", "B", "B"), "principal")], "allocated")
    wide = problem_from_db(camp.users["resettlement"], today=TODAY)
    narrowed_user = make_user("resettlement-a", Role.RESETTLEMENT, site=camp.site)
    narrowed = problem_from_db(narrowed_user, today=TODAY)
    assert "H00201" in {c.id for c in wide.problem.cases}
    assert "H00201" not in {c.id for c in narrowed.problem.cases}
    assert len(narrowed.problem.cases) == 5
    assert problem_from_db(camp.users["liaison-de"], today=TODAY).problem.cases == ()


class _EmploymentInFinland:
    def predict(self, household: HouseholdFacts, destination: str) -> float:
        return 5.0 if destination == "FI" else 0.0


def test_a_fitted_outcome_model_adds_to_the_score(alloc: AllocationCamp) -> None:
    user = alloc.camp.users["resettlement"]
    plain = {c.id: c for c in problem_from_db(user, today=TODAY).problem.cases}
    fitted = {c.id: c for c in problem_from_db(
        user, today=TODAY, outcome_model=_EmploymentInFinland()).problem.cases}
    assert fitted["H00105"].scores["FI"] == plain["H00105"].scores["FI"] + 5.0
    assert fitted["H00105"].scores["DE"] == plain["H00105"].scores["DE"]
