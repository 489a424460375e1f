"""The relocation pipeline as an explicit state machine.

Django-free so that the casework services, the departure planner and the Monte Carlo
forecast all move households through exactly the same stages and guards.
Stage names follow UNHCR's Resettlement Handbook up to "pending departure
arrangements" and IOM's movement practice after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Stage(StrEnum):
    REGISTERED = "registered"
    ASSESSED = "assessed"
    ALLOCATED = "allocated"
    SUBMITTED = "submitted"
    DECIDED = "decided"
    PRE_DEPARTURE = "pre_departure"
    READY = "ready"
    BOOKED = "booked"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    # closures
    WITHDRAWN = "withdrawn"
    DECEASED = "deceased"
    DISAPPEARED = "disappeared"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS: dict[Stage, str] = {
    Stage.REGISTERED: "Registered",
    Stage.ASSESSED: "Assessed",
    Stage.ALLOCATED: "Allocated",
    Stage.SUBMITTED: "Submitted",
    Stage.DECIDED: "Decided",
    Stage.PRE_DEPARTURE: "Pre-departure",
    Stage.READY: "Ready",
    Stage.BOOKED: "Booked",
    Stage.DEPARTED: "Departed",
    Stage.ARRIVED: "Arrived",
    Stage.WITHDRAWN: "Withdrawn",
    Stage.DECEASED: "Deceased",
    Stage.DISAPPEARED: "Disappeared",
    Stage.RETURNED: "Returned",
}

PIPELINE: tuple[Stage, ...] = (
    Stage.REGISTERED,
    Stage.ASSESSED,
    Stage.ALLOCATED,
    Stage.SUBMITTED,
    Stage.DECIDED,
    Stage.PRE_DEPARTURE,
    Stage.READY,
    Stage.BOOKED,
    Stage.DEPARTED,
    Stage.ARRIVED,
)
CLOSURES: frozenset[Stage] = frozenset(
    {Stage.WITHDRAWN, Stage.DECEASED, Stage.DISAPPEARED, Stage.RETURNED}
)
#: Stages in which a household is still physically in the camp.
IN_CAMP: frozenset[Stage] = frozenset(PIPELINE[: PIPELINE.index(Stage.DEPARTED)])
#: Stages from which nothing moves any more.
FINAL: frozenset[Stage] = frozenset({Stage.ARRIVED}) | CLOSURES

#: Allowed moves. Closures are reachable from every stage in the camp (and
#: "returned" also after departure), added below.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.REGISTERED: frozenset({Stage.ASSESSED}),
    Stage.ASSESSED: frozenset({Stage.ALLOCATED, Stage.REGISTERED}),
    Stage.ALLOCATED: frozenset({Stage.SUBMITTED, Stage.ASSESSED}),
    # a rejection or a withdrawn submission returns the household to allocation
    Stage.SUBMITTED: frozenset({Stage.DECIDED, Stage.ALLOCATED}),
    Stage.DECIDED: frozenset({Stage.PRE_DEPARTURE, Stage.ALLOCATED}),
    Stage.PRE_DEPARTURE: frozenset({Stage.READY}),
    Stage.READY: frozenset({Stage.BOOKED, Stage.PRE_DEPARTURE}),
    # a cancelled departure or a no-show returns the household to ready
    Stage.BOOKED: frozenset({Stage.DEPARTED, Stage.READY}),
    Stage.DEPARTED: frozenset({Stage.ARRIVED, Stage.RETURNED}),
    Stage.ARRIVED: frozenset(),
    Stage.WITHDRAWN: frozenset(),
    Stage.DECEASED: frozenset(),
    Stage.DISAPPEARED: frozenset(),
    Stage.RETURNED: frozenset(),
}
for _stage in IN_CAMP:
    TRANSITIONS[_stage] = TRANSITIONS[_stage] | CLOSURES

#: Moves that only the departures service may make (boarding, cancellation, no-show).
DEPARTURE_ONLY: frozenset[tuple[Stage, Stage]] = frozenset(
    {
        (Stage.READY, Stage.BOOKED),
        (Stage.BOOKED, Stage.DEPARTED),
        (Stage.BOOKED, Stage.READY),
        (Stage.DEPARTED, Stage.ARRIVED),
    }
)


class HoldType(StrEnum):
    LEGAL = "legal"
    MEDICAL = "medical"
    SECURITY = "security"
    ADMINISTRATIVE = "administrative"


#: The one place that says which target stages each hold type blocks. A hold on any
#: travelling member blocks the household (unless that member stays behind in a split).
HOLD_BLOCKS: dict[HoldType, frozenset[Stage]] = {
    # an arrest warrant or travel ban stops the exit, not the paperwork
    HoldType.LEGAL: frozenset({Stage.READY, Stage.BOOKED, Stage.DEPARTED}),
    # not fit to travel: may be processed, may not be booked or fly
    HoldType.MEDICAL: frozenset({Stage.BOOKED, Stage.DEPARTED}),
    # vetting pending: a destination must not receive the file, nor may anyone travel
    HoldType.SECURITY: frozenset(
        {Stage.SUBMITTED, Stage.DECIDED, Stage.PRE_DEPARTURE, Stage.READY, Stage.BOOKED,
         Stage.DEPARTED}
    ),
    # documents missing: blocks assessment completion onwards to travel readiness
    HoldType.ADMINISTRATIVE: frozenset({Stage.SUBMITTED, Stage.READY, Stage.BOOKED}),
}


class DocumentKind(StrEnum):
    TRAVEL_DOCUMENT = "travel_document"
    EXIT_PERMIT = "exit_permit"
    ENTRY_VISA = "entry_visa"
    FIT_TO_TRAVEL = "fit_to_travel"


DOCUMENT_LABELS: dict[DocumentKind, str] = {
    DocumentKind.TRAVEL_DOCUMENT: "valid travel document",
    DocumentKind.EXIT_PERMIT: "exit permit",
    DocumentKind.ENTRY_VISA: "entry visa or permit",
    DocumentKind.FIT_TO_TRAVEL: "fit-to-travel certificate",
}

#: Documents every travelling member needs before the household is ready.
READY_DOCUMENTS: tuple[DocumentKind, ...] = tuple(DocumentKind)


class Decision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    SPLIT = "split"  # some members accepted, others not


@dataclass(frozen=True)
class MemberFacts:
    """What the guards need to know about one member of the household."""

    member_id: str
    travelling: bool = True
    #: document kind -> last day (inclusive, days since an epoch the caller chooses)
    documents_valid_until: dict[DocumentKind, int] = field(default_factory=dict)
    active_holds: tuple[HoldType, ...] = ()


@dataclass(frozen=True)
class HouseholdFacts:
    """Plain facts about a household, gathered by the caller from wherever it keeps them."""

    stage: Stage
    members: tuple[MemberFacts, ...]
    today: int = 0
    destination: str | None = None
    destination_has_room: bool = False
    decision: Decision | None = None
    split_confirmed: bool = False
    assessment_complete: bool = True
    closure_reason: str = ""
    via_departure: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why a move is not allowed, in words a caseworker can act on."""

    code: str
    message: str


def travelling_members(facts: HouseholdFacts) -> tuple[MemberFacts, ...]:
    return tuple(m for m in facts.members if m.travelling)


def blocking_holds(facts: HouseholdFacts, target: Stage) -> list[HoldType]:
    """Hold types on travelling members that forbid entering ``target``."""
    found: list[HoldType] = []
    for member in travelling_members(facts):
        for hold in member.active_holds:
            if target in HOLD_BLOCKS[hold] and hold not in found:
                found.append(hold)
    return found


def missing_documents(
    member: MemberFacts, *, on_day: int, kinds: Iterable[DocumentKind] = READY_DOCUMENTS
) -> list[DocumentKind]:
    """Document kinds the member lacks or that are no longer valid on ``on_day``."""
    return [k for k in kinds if member.documents_valid_until.get(k, -(10**9)) < on_day]


def check_transition(facts: HouseholdFacts, target: Stage) -> list[Refusal]:
    """Every reason the household may not move to ``target`` now; empty means allowed."""
    source = facts.stage
    if target == source:
        return [Refusal("same_stage", f"The household is already {source.label.lower()}.")]
    if target not in TRANSITIONS[source]:
        return [
            Refusal(
                "not_allowed",
                f"A household cannot go from {source.label.lower()} to {target.label.lower()}.",
            )
        ]
    if (source, target) in DEPARTURE_ONLY and not facts.via_departure:
        return [
            Refusal(
                "departure_only",
                f"{target.label} is set only through a departure (booking, boarding, "
                "cancellation or arrival).",
            )
        ]
    refusals: list[Refusal] = []
    if target in CLOSURES:
        if not facts.closure_reason.strip():
            refusals.append(Refusal("reason_required", "A closure needs a reason."))
        return refusals
    for hold in blocking_holds(facts, target):
        refusals.append(
            Refusal(
                f"hold_{hold.value}",
                f"An active {hold.value} hold on a travelling member blocks "
                f"{target.label.lower()}.",
            )
        )
    going_back = PIPELINE.index(target) < PIPELINE.index(source)
    if going_back:
        return refusals
    if target == Stage.ALLOCATED and not facts.assessment_complete:
        refusals.append(Refusal("assessment", "The assessment is not complete."))
    if target == Stage.SUBMITTED:
        if not facts.destination:
            refusals.append(Refusal("no_destination", "No destination has been chosen."))
        elif not facts.destination_has_room:
            refusals.append(
                Refusal(
                    "no_room",
                    f"{facts.destination} has no pledged room left for this household.",
                )
            )
    if target == Stage.DECIDED and facts.decision is None:
        refusals.append(Refusal("no_decision", "No decision from the destination is recorded."))
    if target == Stage.PRE_DEPARTURE:
        if facts.decision in (None, Decision.REJECTED, Decision.DEFERRED):
            refusals.append(
                Refusal("not_accepted", "The destination has not accepted the household.")
            )
        elif facts.decision == Decision.SPLIT and not facts.split_confirmed:
            refusals.append(
                Refusal(
                    "split_unconfirmed",
                    "The decision accepts only some members: confirm who stays before the "
                    "others go on.",
                )
            )
    if target in (Stage.READY, Stage.BOOKED):
        if not travelling_members(facts):
            refusals.append(Refusal("nobody_travels", "No member is travelling."))
        for member in travelling_members(facts):
            for kind in missing_documents(member, on_day=facts.today):
                refusals.append(
                    Refusal(
                        f"document_{kind.value}",
                        f"Member {member.member_id} has no {DOCUMENT_LABELS[kind]} "
                        "valid on that day.",
                    )
                )
    return refusals


def allowed_targets(facts: HouseholdFacts) -> list[Stage]:
    """Targets reachable now, in pipeline order then closures: the UI's next actions."""
    order = list(PIPELINE) + sorted(CLOSURES)
    return [t for t in order if t in TRANSITIONS[facts.stage] and not check_transition(facts, t)]
