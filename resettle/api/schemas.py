"""Input and output schemas, separate from the models.

Output fields a caller's role may not see are omitted from the response entirely
(operations use ``exclude_unset``), so every field below that depends on a field group
is optional.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from resettle.core.stages import Decision, HoldType, Stage

STAGES = tuple(s.value for s in Stage)


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, object] = {}


class ErrorOut(Schema):
    error: ErrorBody


class PersonOut(Schema):
    """A person; groups of fields appear only for roles that may see them."""

    id: str
    registration_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    given_name_original: str | None = None
    family_name_original: str | None = None
    sex: str | None = None
    date_of_birth: date | None = None
    dob_precision: str | None = None
    dob_estimated: bool | None = None
    nationality: str | None = None
    languages: list[str] | None = None
    education: str | None = None
    occupation: str | None = None
    skills: str | None = None
    ties: list[str] | None = None
    specific_needs: list[str] | None = None
    phone: str | None = None
    status: str | None = None


class MemberOut(Schema):
    relationship: str
    travelling: bool
    person: PersonOut


class HouseholdOut(Schema):
    id: str
    reference: str
    site: str
    version: int
    stage: str | None = None
    stage_changed_at: datetime | None = None
    destination: str | None = None
    risk: float | None = None
    members: list[MemberOut] = []


class PersonPage(Schema):
    results: list[PersonOut]
    count: int
    next: str | None


class HouseholdPage(Schema):
    results: list[HouseholdOut]
    count: int
    next: str | None


class SearchIn(Schema):
    """Name in either script, registration id or case number; sent in the body so that
    names never appear in URLs or access logs."""

    q: str = Field(..., min_length=1, max_length=200)
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(50, ge=1, le=500)


class TransitionIn(Schema):
    to: Literal[STAGES]  # type: ignore[valid-type]
    reason: str = Field("", max_length=500)


class TransitionOut(Schema):
    household: str
    from_stage: str
    to_stage: str
    version: int


class HoldOut(Schema):
    id: str
    person: str
    hold_type: HoldType
    reason: str
    status: str
    start_date: date
    review_date: date | None = None
    lifted_at: datetime | None = None
    authority: str | None = None
    reference: str | None = None


class HoldPage(Schema):
    results: list[HoldOut]
    count: int
    next: str | None


class SubmissionOut(Schema):
    id: str
    household: str
    household_reference: str
    destination: str
    status: str
    submitted_at: datetime
    decision: str | None = None
    decided_at: datetime | None = None
    accepted_members: list[str] | None = None


class SubmissionPage(Schema):
    results: list[SubmissionOut]
    count: int
    next: str | None


class DecisionIn(Schema):
    decision: Decision
    #: for a split decision: the ids of the persons the destination accepts
    accepted_members: list[str] = Field(default_factory=list, max_length=100)
    notes: str = Field("", max_length=2000)


class DepartureOut(Schema):
    id: str
    code: str
    date: date
    origin: str
    destination: str
    seats: int
    status: str
    carrier: str
    flight_number: str
    special_places: dict[str, int]
    passengers: int


class DeparturePage(Schema):
    results: list[DepartureOut]
    count: int
    next: str | None


class ManifestLineOut(Schema):
    household_reference: str
    status: str
    person: PersonOut


class ManifestOut(Schema):
    departure: DepartureOut
    lines: list[ManifestLineOut]


class IncidentOut(Schema):
    id: str
    incident_type: str
    occurred_at: datetime
    site: str
    severity: int
    killed: int | None = None
    injured: int | None = None
    place: str | None = None
    description: str | None = None


class IncidentPage(Schema):
    results: list[IncidentOut]
    count: int
    next: str | None


class AllocationRunOut(Schema):
    id: str
    status: str
    created_at: datetime
    finished_at: datetime | None = None
    progress: int
    summary: dict[str, object] = {}


class AllocationRunPage(Schema):
    results: list[AllocationRunOut]
    count: int
    next: str | None


class StatsOut(Schema):
    """Headline numbers within the token's scope; numbers about fields or records the
    role may not see (stages, holds, incidents, pledges) are absent."""

    persons_total: int
    residents_present: int
    departed: int
    households_total: int
    by_stage: dict[str, int] | None = None
    departed_by_destination: dict[str, int] | None = None
    holds_active: dict[str, int] | None = None
    blocked_by_hold_type: dict[str, int] | None = None
    incidents: int | None = None
    places_pledged: int | None = None
