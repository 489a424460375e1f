"""Recording an incident and carrying its effects through the operation, in one transaction.

A person killed becomes deceased and leaves every plan; a household whose principal
applicant died gets a proposed new principal for a caseworker to confirm; an injured
person gets a proposed medical hold; every resident present is recorded as exposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from resettle.audit.services import record
from resettle.casework.models import HoldReason, HoldStatus
from resettle.casework.services import CaseworkError, HoldInput, close_household, place_hold
from resettle.core.stages import CLOSURES, HoldType, Stage
from resettle.departures.models import ManifestEntry, ManifestStatus
from resettle.incidents.models import (
    Casualty,
    CasualtyOutcome,
    Exposure,
    Incident,
    IncidentType,
    PrincipalReview,
)
from resettle.registry.models import Household, Membership, Person, PersonStatus, Site


class IncidentError(Exception):
    """An incident cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class CasualtyInput:
    person: Person
    outcome: str  # CasualtyOutcome value
    injury_severity: int | None = None
    details: str = ""


@dataclass(frozen=True)
class IncidentOutcome:
    incident: Incident
    deceased: int
    households_closed: int
    principal_reviews: int
    medical_holds_proposed: int
    exposed: int


def _validate(
    *, incident_type: str, occurred_at: datetime, severity: int, casualties: list[CasualtyInput]
) -> None:
    if incident_type not in IncidentType.values:
        raise IncidentError(f"Unknown incident type '{incident_type}'.")
    if occurred_at > timezone.now():
        raise IncidentError("An incident cannot be in the future.")
    if not 1 <= severity <= 4:
        raise IncidentError("Severity must be between 1 (low) and 4 (critical).")
    seen: set[Any] = set()
    for casualty in casualties:
        if casualty.outcome not in CasualtyOutcome.values:
            raise IncidentError(f"Unknown casualty outcome '{casualty.outcome}'.")
        if casualty.person.pk in seen:
            raise IncidentError(
                f"Person {casualty.person.registration_id} is listed twice among casualties."
            )
        seen.add(casualty.person.pk)
        if casualty.person.status != PersonStatus.PRESENT:
            raise IncidentError(
                f"Person {casualty.person.registration_id} is not present in the camp "
                f"({casualty.person.get_status_display().lower()})."
            )
        if casualty.outcome == CasualtyOutcome.INJURED and casualty.injury_severity is None:
            raise IncidentError(
                f"Give the injury severity for {casualty.person.registration_id}."
            )


@transaction.atomic
def record_incident(
    *,
    actor: Any,
    site: Site,
    incident_type: str,
    occurred_at: datetime,
    severity: int,
    place: str = "",
    description: str = "",
    source: str = "",
    damage: str = "",
    casualties: list[CasualtyInput] | None = None,
) -> IncidentOutcome:
    """Record the incident, its casualties and exposure, and apply every effect."""
    casualties = casualties or []
    _validate(
        incident_type=incident_type, occurred_at=occurred_at, severity=severity,
        casualties=casualties,
    )
    for casualty in casualties:
        if casualty.person.site_id != site.pk:
            raise IncidentError(
                f"Person {casualty.person.registration_id} is not registered at {site.name}."
            )
    incident = Incident.objects.create(
        site=site, incident_type=incident_type, occurred_at=occurred_at, severity=severity,
        place=place, description=description, source=source, damage=damage,
        recorded_by=actor,
    )
    present_ids = list(
        Person.objects.filter(site=site, status=PersonStatus.PRESENT).values_list("pk", flat=True)
    )
    Exposure.objects.bulk_create(
        [Exposure(incident=incident, person_id=pk) for pk in present_ids], batch_size=1000
    )
    try:
        deceased, closed, reviews, holds = _apply_casualties(
            actor=actor, incident=incident, casualties=casualties
        )
    except CaseworkError as exc:  # the whole incident is refused, nothing is written
        raise IncidentError(str(exc)) from exc
    record(
        actor=actor, action="incident.record", obj=incident,
        detail={"type": incident_type, "killed": deceased, "injured": len(casualties) - deceased,
                "exposed": len(present_ids)},
    )
    _refresh_risk(site)
    return IncidentOutcome(incident, deceased, closed, reviews, holds, len(present_ids))


def _apply_casualties(
    *, actor: Any, incident: Incident, casualties: list[CasualtyInput]
) -> tuple[int, int, int, int]:
    """Casualty rows and their effects; returns (deceased, closed, reviews, holds)."""
    deceased = closed = reviews = holds = 0
    for casualty in casualties:
        Casualty.objects.create(
            incident=incident, person=casualty.person, outcome=casualty.outcome,
            injury_severity=casualty.injury_severity, details=casualty.details,
        )
        if casualty.outcome == CasualtyOutcome.KILLED:
            deceased += 1
            household_closed, review_opened = _person_killed(
                actor=actor, person=casualty.person, incident=incident
            )
            closed += household_closed
            reviews += review_opened
        else:
            holds += _propose_medical_hold(actor=actor, casualty=casualty, incident=incident)
    return deceased, closed, reviews, holds


def _person_killed(*, actor: Any, person: Person, incident: Incident) -> tuple[int, int]:
    """Deceased, off every plan; close or re-head the household. Returns (closed, review)."""
    when = incident.occurred_at
    Person.objects.filter(pk=person.pk).update(
        status=PersonStatus.DECEASED, left_camp=when.date(), version=person.version + 1
    )
    ManifestEntry.objects.filter(person=person, status=ManifestStatus.PLANNED).update(
        status=ManifestStatus.REMOVED, reason="Deceased"
    )
    membership = (
        Membership.objects.select_related("household")
        .filter(person=person, active=True)
        .first()
    )
    record(actor=actor, action="person.deceased", obj=person, detail={"incident": str(incident.pk)})
    if membership is None:
        return 0, 0
    household = membership.household
    was_principal = membership.relationship == "principal"
    membership.active = False
    membership.left_reason = "deceased"
    membership.relationship = "other_relative" if was_principal else membership.relationship
    membership.save(update_fields=["active", "left_reason", "relationship", "updated_at"])
    living = list(
        Membership.objects.filter(household=household, active=True)
        .select_related("person")
        .order_by("person__date_of_birth")
    )
    if not living:
        if Stage(household.stage) not in CLOSURES:
            _close_household(actor=actor, household=household)
            return 1, 0
        return 0, 0
    if not was_principal:
        return 0, 0
    proposed = _propose_principal(living)
    PrincipalReview.objects.create(
        household=household, deceased_principal=person, proposed_principal=proposed.person,
        incident=incident,
    )
    record(actor=actor, action="household.principal_review_opened", obj=household)
    return 0, 1


def _propose_principal(living: list[Membership]) -> Membership:
    """The spouse if there is one, otherwise the oldest adult, otherwise the oldest member."""
    for membership in living:
        if membership.relationship == "spouse":
            return membership
    return living[0]


def _close_household(*, actor: Any, household: Household) -> None:
    """Through the casework service: the closure is guarded, versioned and audited there."""
    close_household(
        actor=actor, household=household, closure=Stage.DECEASED,
        reason="All members were killed in an incident.", expected_version=None,
    )


def _propose_medical_hold(*, actor: Any, casualty: CasualtyInput, incident: Incident) -> int:
    """A proposed (not yet blocking) medical hold for a caseworker or clinician to confirm."""
    place_hold(
        actor=actor, person=casualty.person, status=HoldStatus.PROPOSED,
        hold=HoldInput(
            hold_type=HoldType.MEDICAL, reason=HoldReason.NOT_FIT_TO_TRAVEL,
            start_date=incident.occurred_at.date(),
            authority="Camp clinic (proposed after incident)",
            notes="Injured in an incident: check fitness to travel.",
        ),
    )
    return 1


@transaction.atomic
def confirm_principal(*, actor: Any, review: PrincipalReview, person: Person) -> None:
    """A caseworker confirms (or overrides) who now heads the household."""
    if review.resolved_at is not None:
        raise IncidentError("This review is already resolved.")
    membership = Membership.objects.filter(
        household=review.household, person=person, active=True
    ).first()
    if membership is None:
        raise IncidentError("The new principal applicant must be a living member.")
    Membership.objects.filter(household=review.household, active=True, relationship="principal")\
        .update(relationship="other_relative")
    membership.relationship = "principal"
    membership.save(update_fields=["relationship", "updated_at"])
    review.resolved_at = timezone.now()
    review.resolved_by = actor
    review.chosen_principal = person
    review.save(update_fields=["resolved_at", "resolved_by", "chosen_principal", "updated_at"])
    record(actor=actor, action="household.principal_changed", obj=review.household)


def _refresh_risk(site: Site) -> None:
    """Recompute the risk of the site's households once the effects are written."""
    from resettle.incidents.risk import refresh_household_risk

    refresh_household_risk(Household.objects.filter(site=site))
