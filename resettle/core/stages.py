"""The relocation pipeline as an explicit state machine.

Django-free so that the casework services, the departure planner and the Monte Carlo
forecast all move households through exactly the same stages and guards.
Stage names follow UNHCR's Resettlement Handbook up to "pending departure
arrangements" and IOM's movement practice after it.

Days are plain integers (the caller picks the epoch; the casework services use
``date.toordinal()``), so the guards never read a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
#: Closures in a fixed display order (forms, tables).
CLOSURE_ORDER: tuple[Stage, ...] = (
    Stage.WITHDRAWN,
    Stage.DECEASED,
    Stage.DISAPPEARED,
    Stage.RETURNED,
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

#: Moves that only the departures service may make (booking, boarding, cancellation,
#: no-show, arrival). Nothing else may enter booked, departed or arrived.
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


HOLD_TYPE_LABELS: dict[HoldType, str] = {
    HoldType.LEGAL: "Legal (arrest warrant, travel ban, court summons)",
    HoldType.MEDICAL: "Medical (not fit to travel, hospitalised, quarantine)",
    HoldType.SECURITY: "Security (vetting pending, specific threat)",
    HoldType.ADMINISTRATIVE: "Administrative (documents missing)",
}

#: The one place that says which target stages each hold type blocks. A hold on any
#: travelling member blocks the household (unless that member stays behind in a split).
#: Holds stop forward moves only: going back (a cancelled booking, a rejection) and
#: closures are never blocked, so a hold can never trap a household.
HOLD_BLOCKS: dict[HoldType, frozenset[Stage]] = {
    # an arrest warrant or travel ban stops the exit, not the paperwork
    HoldType.LEGAL: frozenset({Stage.READY, Stage.BOOKED, Stage.DEPARTED}),
    # not fit to travel: may be processed, may not be booked or fly
    HoldType.MEDICAL: frozenset({Stage.BOOKED, Stage.DEPARTED}),
    # vetting pending: a destination must not receive the file, nor may anyone travel
    HoldType.SECURITY: frozenset(
        {
            Stage.SUBMITTED,
            Stage.DECIDED,
            Stage.PRE_DEPARTURE,
            Stage.READY,
            Stage.BOOKED,
            Stage.DEPARTED,
        }
    ),
    # documents missing: no file to a destination, no readiness, no travel
    HoldType.ADMINISTRATIVE: frozenset(
        {Stage.SUBMITTED, Stage.READY, Stage.BOOKED, Stage.DEPARTED}
    ),
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
#: Targets that need every travelling member's documents valid on the checked day.
DOCUMENT_TARGETS: frozenset[Stage] = frozenset({Stage.READY, Stage.BOOKED, Stage.DEPARTED})


class Decision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DEFERRED = "deferred"
    SPLIT = "split"  # some members accepted, others not


@dataclass(frozen=True)
class DocumentFact:
    """One document's validity window in days; None means open on that side."""

    kind: DocumentKind
    valid_from: int | None = None
    valid_until: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DocumentKind):
            raise ValueError(f"DocumentFact.kind must be a DocumentKind, got {self.kind!r}")
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            raise ValueError(
                f"DocumentFact: {self.kind.value} ends (day {self.valid_until}) before it "
                f"starts (day {self.valid_from})"
            )

    def valid_on(self, day: int) -> bool:
        starts_ok = self.valid_from is None or self.valid_from <= day
        return starts_ok and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class MemberFacts:
    """What the guards need to know about one member of the household."""

    member_id: str
    travelling: bool = True
    documents: tuple[DocumentFact, ...] = ()
    active_holds: tuple[HoldType, ...] = ()
    #: a short display name for messages (kept out of the core's logic)
    label: str = ""

    def __post_init__(self) -> None:
        if not self.member_id:
            raise ValueError("MemberFacts.member_id must not be empty")
        for hold in self.active_holds:
            if not isinstance(hold, HoldType):
                raise ValueError(f"MemberFacts.active_holds: {hold!r} is not a HoldType")
        for doc in self.documents:
            if not isinstance(doc, DocumentFact):
                raise ValueError(f"MemberFacts.documents: {doc!r} is not a DocumentFact")

    @property
    def name(self) -> str:
        return self.label or self.member_id


@dataclass(frozen=True)
class HouseholdFacts:
    """Plain facts about a household, gathered by the caller from wherever it keeps them."""

    stage: Stage
    members: tuple[MemberFacts, ...]
    #: the day the move happens (documents for ready and departed are checked on it)
    today: int = 0
    #: the planned departure day for a booking; documents must still be valid then
    departure_day: int | None = None
    destination: str | None = None
    destination_has_room: bool = False
    decision: Decision | None = None
    split_confirmed: bool = False
    assessment_complete: bool = True
    closure_reason: str = ""
    via_departure: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.stage, Stage):
            raise ValueError(f"HouseholdFacts.stage must be a Stage, got {self.stage!r}")
        if self.decision is not None and not isinstance(self.decision, Decision):
            raise ValueError(f"HouseholdFacts.decision must be a Decision, got {self.decision!r}")
        ids = [m.member_id for m in self.members]
        if len(ids) != len(set(ids)):
            raise ValueError("HouseholdFacts.members lists a member twice")
        if self.departure_day is not None and self.departure_day < self.today:
            raise ValueError(
                f"HouseholdFacts.departure_day ({self.departure_day}) is before today "
                f"({self.today})"
            )


@dataclass(frozen=True)
class Refusal:
    """Why a move is not allowed, in words a caseworker can act on."""

    code: str
    message: str


def travelling_members(facts: HouseholdFacts) -> tuple[MemberFacts, ...]:
    return tuple(m for m in facts.members if m.travelling)


def is_forward(source: Stage, target: Stage) -> bool:
    """True for a move further along the pipeline (the only moves holds can block)."""
    return (
        source in PIPELINE
        and target in PIPELINE
        and PIPELINE.index(target) > PIPELINE.index(source)
    )


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
    """Document kinds for which the member holds no document valid on ``on_day``."""
    return [
        k for k in kinds if not any(d.kind == k and d.valid_on(on_day) for d in member.documents)
    ]


def document_day(facts: HouseholdFacts, target: Stage) -> int:
    """The day documents must be valid on: the departure day for a booking, else today."""
    if target == Stage.BOOKED and facts.departure_day is not None:
        return facts.departure_day
    return facts.today


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
    refusals: list[Refusal] = []
    if (source, target) in DEPARTURE_ONLY and not facts.via_departure:
        refusals.append(
            Refusal(
                "departure_only",
                f"{target.label} is set only through a departure (booking, boarding, "
                "cancellation or arrival).",
            )
        )
    if target in CLOSURES:
        if not facts.closure_reason.strip():
            refusals.append(Refusal("reason_required", "A closure needs a reason."))
        return refusals
    if not is_forward(source, target):
        # going back (rejection, cancelled booking, reassessment) is never blocked by holds
        return refusals
    for hold in blocking_holds(facts, target):
        refusals.append(
            Refusal(
                f"hold_{hold.value}",
                f"An active {hold.value} hold on a travelling member blocks "
                f"{target.label.lower()}.",
            )
        )
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
    if target == Stage.DECIDED:
        if facts.decision is None:
            refusals.append(
                Refusal("no_decision", "No decision from the destination is recorded.")
            )
        elif facts.decision == Decision.DEFERRED:
            refusals.append(
                Refusal(
                    "deferred",
                    "The destination deferred its decision; the household stays submitted "
                    "until it decides.",
                )
            )
        elif facts.decision == Decision.REJECTED:
            refusals.append(
                Refusal(
                    "rejected",
                    "The destination rejected the household: return it to allocation.",
                )
            )
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
    if (target in DOCUMENT_TARGETS or target == Stage.PRE_DEPARTURE) and not (
        travelling_members(facts)
    ):
        refusals.append(Refusal("nobody_travels", "No member is travelling."))
    if target in DOCUMENT_TARGETS:
        day = document_day(facts, target)
        when = "on the departure day" if day != facts.today else "today"
        for member in travelling_members(facts):
            for kind in missing_documents(member, on_day=day):
                refusals.append(
                    Refusal(
                        f"document_{kind.value}",
                        f"{member.name} has no {DOCUMENT_LABELS[kind]} valid {when}.",
                    )
                )
    return refusals


def allowed_targets(facts: HouseholdFacts) -> list[Stage]:
    """Targets reachable now, in pipeline order then closures: the UI's next actions."""
    order = list(PIPELINE) + list(CLOSURE_ORDER)
    return [t for t in order if t in TRANSITIONS[facts.stage] and not check_transition(facts, t)]


def next_stage(stage: Stage) -> Stage | None:
    """The next pipeline stage after ``stage`` (None at the end or for closures)."""
    if stage not in PIPELINE or stage == PIPELINE[-1]:
        return None
    return PIPELINE[PIPELINE.index(stage) + 1]
