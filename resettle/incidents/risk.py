"""Bridge from the database to the explainable risk model in ``resettle.core.risk``.

Gathers each member's facts (legal holds, prominence, injuries, medical needs, age,
incidents exposed to, days in camp), scores them in core, and stores the household score
on ``Household.risk`` so that lists, work queues and the departures planner can sort by it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Max, QuerySet

from resettle.casework.models import Hold, HoldStatus
from resettle.core.risk import HouseholdRisk, RiskInput, household_risk
from resettle.core.stages import IN_CAMP, Stage
from resettle.incidents.models import Casualty, CasualtyOutcome, Exposure
from resettle.registry.models import Household, Membership

#: specific-needs codes that make a person medically vulnerable, and how much (0..1)
MEDICAL_NEEDS: dict[str, float] = {"SM": 1.0, "DS": 0.6, "TR": 0.5}
#: prominence 0..3 on the person record mapped to 0..1
PROMINENCE_SCALE = 3.0


def _age(born: date, today: date) -> int:
    return max(0, min(130, today.year - born.year - ((today.month, today.day) < (born.month,
                                                                                   born.day))))


def inputs_for(households: QuerySet[Household], *, today: date) -> dict[Any, list[RiskInput]]:
    """RiskInput per active member, grouped by household id (a few queries, no N+1)."""
    memberships = list(
        Membership.objects.filter(active=True, household__in=households).select_related("person")
    )
    person_ids = [m.person_id for m in memberships]
    legal = set(
        Hold.objects.filter(
            person_id__in=person_ids, status=HoldStatus.ACTIVE, hold_type="legal"
        ).values_list("person_id", flat=True)
    )
    medical_holds = set(
        Hold.objects.filter(
            person_id__in=person_ids, status=HoldStatus.ACTIVE, hold_type="medical"
        ).values_list("person_id", flat=True)
    )
    injuries = dict(
        Casualty.objects.filter(person_id__in=person_ids, outcome=CasualtyOutcome.INJURED)
        .values("person_id")
        .annotate(worst=Max("injury_severity"))
        .values_list("person_id", "worst")
    )
    exposures = dict(
        Exposure.objects.filter(person_id__in=person_ids)
        .values("person_id")
        .annotate(n=Count("incident"))
        .values_list("person_id", "n")
    )
    grouped: dict[Any, list[RiskInput]] = defaultdict(list)
    for membership in memberships:
        person = membership.person
        medical = max([MEDICAL_NEEDS.get(code, 0.0) for code in person.specific_needs] + [0.0])
        if person.pk in medical_holds:
            medical = 1.0
        arrived = person.arrived_in_camp
        grouped[membership.household_id].append(
            RiskInput(
                key=person.registration_id,
                age_years=_age(person.date_of_birth, today),
                legal_hold=person.pk in legal,
                prominence=min(person.prominence / PROMINENCE_SCALE, 1.0),
                injury_severity=min((injuries.get(person.pk) or 0) / 4.0, 1.0),
                medical_vulnerability=medical,
                incidents_exposed=exposures.get(person.pk, 0),
                days_in_camp=max((today - arrived).days, 0) if arrived else 0,
            )
        )
    return grouped


def explain_household(
    household: Household, *, today: date | None = None
) -> HouseholdRisk | None:
    """The household's score with every member's factor contributions, for its page;
    None once the household has left the camp."""
    if Stage(household.stage) not in IN_CAMP:
        return None
    today = today or date.today()
    inputs = inputs_for(Household.objects.filter(pk=household.pk), today=today)
    return household_risk(household.reference, inputs.get(household.pk, []))


def refresh_household_risk(households: QuerySet[Household], *, today: date | None = None) -> int:
    """Recompute and store ``Household.risk``; returns how many changed."""
    today = today or date.today()
    inputs = inputs_for(households, today=today)
    changed: list[Household] = []
    in_camp = {stage.value for stage in IN_CAMP}
    for household in households.only("pk", "reference", "risk", "stage"):
        # a household that has left the camp (or whose case is closed) is no longer exposed
        score = (
            round(household_risk(household.reference, inputs.get(household.pk, [])).score, 4)
            if household.stage in in_camp else 0.0
        )
        if abs(score - household.risk) > 1e-9:
            household.risk = score
            changed.append(household)
    Household.objects.bulk_update(changed, ["risk"], batch_size=500)
    return len(changed)
