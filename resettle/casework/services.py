"""Every casework write: stage moves, submissions, decisions, splits, holds, documents.

Each service is one transaction that claims the household with optimistic locking
(``UPDATE ... WHERE id = ? AND version = ?``) *before* reading the facts the guards need,
so two moves of one household cannot both pass, and a hold or document change (which
also bumps the household's version) cannot slip in between the check and the write.
The guards themselves are ``resettle.core.stages``: the same ones the forecast uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from resettle.audit.services import record
from resettle.casework.models import (
    Document,
    Hold,
    HoldReason,
    HoldStatus,
    MemberDecision,
    StageChange,
    Submission,
    SubmissionStatus,
)
from resettle.core.stages import (
    CLOSURES,
    PIPELINE,
    Decision,
    DocumentFact,
    DocumentKind,
    HoldType,
    HouseholdFacts,
    MemberFacts,
    Refusal,
    Stage,
    check_transition,
)
from resettle.destinations.models import Destination, Pledge
from resettle.modelbase import MissingRecord, StaleVersion, claim_version
from resettle.registry.models import Household, Membership, Person, PersonStatus

#: Stages in which a household's travelling members use up places at its destination.
COMMITTED_STAGES: tuple[Stage, ...] = PIPELINE[PIPELINE.index(Stage.SUBMITTED) :]

#: Which reasons fit which hold type ("other" fits every type).
HOLD_REASONS: dict[HoldType, frozenset[str]] = {
    HoldType.LEGAL: frozenset(
        {HoldReason.ARREST_WARRANT, HoldReason.TRAVEL_BAN, HoldReason.COURT_SUMMONS}
    ),
    HoldType.MEDICAL: frozenset(
        {HoldReason.NOT_FIT_TO_TRAVEL, HoldReason.HOSPITALISED, HoldReason.QUARANTINE}
    ),
    HoldType.SECURITY: frozenset({HoldReason.VETTING_PENDING, HoldReason.SPECIFIC_THREAT}),
    HoldType.ADMINISTRATIVE: frozenset({HoldReason.DOCUMENTS_MISSING}),
}


class CaseworkError(Exception):
    """A casework action was refused; the message says why in plain words."""

    def __init__(self, message: str, refusals: Iterable[Refusal] = ()) -> None:
        super().__init__(message)
        self.refusals: list[Refusal] = list(refusals)


class ConflictError(CaseworkError):
    """Someone else changed the household since the user loaded it (optimistic locking)."""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _as_id(obj: Any) -> uuid.UUID:
    return obj.pk if hasattr(obj, "pk") else uuid.UUID(str(obj))


def _claim(household: Any, expected_version: int | None) -> Household:
    """Bump the household's version if it still is ``expected_version``; else conflict.

    ``None`` (for system callers such as the departures service) claims whatever version
    the row has now, still under a row lock, so concurrent moves stay serialised.
    """
    household_id = _as_id(household)
    try:
        claim_version(Household, household_id, expected_version)
    except MissingRecord as exc:
        raise CaseworkError("No such household.") from exc
    except StaleVersion as exc:
        raise ConflictError(
            "Someone else changed this household since you opened it. Nothing was saved: "
            "reload the page to see the current state, then try again."
        ) from exc
    return Household.objects.select_related("destination", "site").get(pk=household_id)


def _touch_households_of(person_ids: Iterable[Any]) -> list[Household]:
    """Bump the version of the households these persons belong to (row-locks them).

    Placing or lifting a hold and adding or revoking a document change what the guards
    see; the bump makes any move that was checked against the old facts a conflict.
    """
    ids = list(
        Membership.objects.filter(person_id__in=list(person_ids), active=True)
        .values_list("household_id", flat=True)
        .distinct()
    )
    if ids:
        Household.objects.filter(pk__in=ids).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
    return list(Household.objects.filter(pk__in=ids))


# --------------------------------------------------------------------------- facts


def current_submission(household: Household) -> Submission | None:
    """The latest submission not withdrawn: the one the household's decision comes from."""
    return (
        Submission.objects.filter(household=household)
        .exclude(status=SubmissionStatus.WITHDRAWN)
        .select_related("destination")
        .order_by("-submitted_at", "-created_at")
        .first()
    )


def pledged_room(destination: Destination, *, today: date, exclude: Household | None) -> int:
    """Places pledged by ``destination`` (pledges not yet ended) minus persons already
    committed there (travelling members of households submitted, decided or further)."""
    places = (
        Pledge.objects.filter(destination=destination)
        .filter(Q(period_end__isnull=True) | Q(period_end__gte=today))
        .aggregate(n=Sum("places"))["n"]
        or 0
    )
    committed = Membership.objects.filter(
        active=True,
        travelling=True,
        household__destination=destination,
        household__stage__in=[s.value for s in COMMITTED_STAGES],
    )
    if exclude is not None:
        committed = committed.exclude(household=exclude)
    return int(places) - committed.count()


def _day(value: date | None) -> int | None:
    return value.toordinal() if value is not None else None


def gather_facts(
    household: Household,
    *,
    today: date,
    departure_date: date | None = None,
    destination: Destination | None = None,
    closure_reason: str = "",
    via_departure: bool = False,
) -> HouseholdFacts:
    """What the core guards need, read from the database (inside the caller's transaction)."""
    memberships = list(
        Membership.objects.filter(household=household, active=True).select_related("person")
    )
    person_ids = [m.person_id for m in memberships]
    holds: dict[Any, list[HoldType]] = {pid: [] for pid in person_ids}
    for person_id, hold_type in Hold.objects.filter(
        person_id__in=person_ids, status=HoldStatus.ACTIVE
    ).values_list("person_id", "hold_type"):
        holds[person_id].append(HoldType(hold_type))
    docs: dict[Any, list[DocumentFact]] = {pid: [] for pid in person_ids}
    for doc in Document.objects.filter(person_id__in=person_ids, revoked=False).only(
        "person_id", "kind", "valid_from", "valid_until"
    ):
        docs[doc.person_id].append(
            DocumentFact(DocumentKind(doc.kind), _day(doc.valid_from), _day(doc.valid_until))
        )
    members = tuple(
        MemberFacts(
            member_id=str(m.person_id),
            travelling=m.travelling,
            documents=tuple(docs[m.person_id]),
            active_holds=tuple(holds[m.person_id]),
            label=f"{m.person.given_name} {m.person.family_name}",
        )
        for m in memberships
    )
    destination = destination or household.destination
    has_room = False
    if destination is not None:
        travelling = sum(1 for m in memberships if m.travelling)
        has_room = pledged_room(destination, today=today, exclude=household) >= travelling
    submission = current_submission(household)
    decision = Decision(submission.decision) if submission and submission.decision else None
    return HouseholdFacts(
        stage=Stage(household.stage),
        members=members,
        today=today.toordinal(),
        departure_day=_day(departure_date),
        destination=destination.code if destination is not None else None,
        destination_has_room=has_room,
        decision=decision,
        split_confirmed=bool(submission and submission.split_confirmed_at),
        closure_reason=closure_reason,
        via_departure=via_departure,
    )


def refusal_message(target: Stage, refusals: list[Refusal]) -> str:
    listed = " ".join(r.message for r in refusals)
    return f"The household cannot move to {target.label.lower()}: {listed}"


# --------------------------------------------------------------------------- moves


def _apply_move(
    *,
    actor: Any,
    household: Household,
    target: Stage,
    reason: str,
    now: datetime,
    updates: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> StageChange:
    source = household.stage
    values: dict[str, Any] = {"stage": target.value, "stage_changed_at": now}
    values.update(updates or {})
    Household.objects.filter(pk=household.pk).update(**values)
    for name, value in values.items():
        setattr(household, name, value)
    change = StageChange.objects.create(
        household=household,
        from_stage=source,
        to_stage=target.value,
        at=now,
        actor=_user(actor),
        reason=reason[:500],
    )
    record(
        actor=actor,
        action="household.transition",
        obj=household,
        detail={"from": source, "to": target.value, **(detail or {})},
    )
    return change


def _back_to_allocation_updates(household: Household, *, decided: bool) -> dict[str, Any]:
    """Leaving a destination: withdraw a pending submission, forget the split, free the room."""
    submission = current_submission(household)
    if submission is not None and submission.status == SubmissionStatus.PENDING and not decided:
        Submission.objects.filter(pk=submission.pk).update(
            status=SubmissionStatus.WITHDRAWN, version=F("version") + 1
        )
    Membership.objects.filter(household=household, active=True, travelling=False).update(
        travelling=True, version=F("version") + 1
    )
    return {"destination": None}


@transaction.atomic
def transition_household(
    *,
    actor: Any,
    household: Any,
    target: Stage | str,
    expected_version: int | None,
    reason: str = "",
    via_departure: bool = False,
    departure_date: date | None = None,
    today: date | None = None,
) -> StageChange:
    """Move a household to ``target`` if the guards allow it, in one transaction.

    ``via_departure=True`` is for the departures service only: it is the sole way into
    booked, departed and arrived (and back from booked to ready). ``departure_date`` is
    the planned departure day a booking's documents must still be valid on.
    """
    stage_target = Stage(target)
    day = _today(today)
    claimed = _claim(household, expected_version)
    facts = gather_facts(
        claimed,
        today=day,
        departure_date=departure_date,
        closure_reason=reason if stage_target in CLOSURES else "",
        via_departure=via_departure,
    )
    refusals = check_transition(facts, stage_target)
    if refusals:
        raise CaseworkError(refusal_message(stage_target, refusals), refusals)
    updates: dict[str, Any] = {}
    source = Stage(claimed.stage)
    if stage_target == Stage.ALLOCATED and source in (Stage.SUBMITTED, Stage.DECIDED):
        updates = _back_to_allocation_updates(claimed, decided=source == Stage.DECIDED)
    detail: dict[str, Any] = {"via_departure": True} if via_departure else {}
    if stage_target in CLOSURES:
        updates["closure_reason"] = reason.strip()
        left = _members_leave_camp(claimed, stage_target, day)
        if left:
            detail["persons_left_camp"] = left
    return _apply_move(
        actor=actor,
        household=claimed,
        target=stage_target,
        reason=reason,
        now=timezone.now(),
        updates=updates,
        detail=detail or None,
    )


#: Household closures after which its members are no longer in the camp. A withdrawn
#: household stays (it left the relocation, not the camp); a death is recorded per person
#: (incidents), since a household closed as deceased may have survivors.
_CLOSURE_PERSON_STATUS = {
    Stage.DISAPPEARED: PersonStatus.DISAPPEARED,
    Stage.RETURNED: PersonStatus.RETURNED,
}


def _members_leave_camp(household: Household, closure: Stage, day: date) -> int:
    """The members still present leave the present count (stats, sitrep, forecast)."""
    status = _CLOSURE_PERSON_STATUS.get(closure)
    if status is None:
        return 0
    members = Membership.objects.filter(household=household, active=True).values("person_id")
    return Person.objects.filter(pk__in=members, status=PersonStatus.PRESENT).update(
        status=status, left_camp=day, version=F("version") + 1, updated_at=timezone.now()
    )


def close_household(
    *, actor: Any, household: Any, closure: Stage | str, reason: str, expected_version: int | None
) -> StageChange:
    """Close a case (withdrawn, deceased, disappeared, returned) with its reason."""
    if Stage(closure) not in CLOSURES:
        raise CaseworkError(f"{Stage(closure).label} is not a closure.")
    return transition_household(
        actor=actor,
        household=household,
        target=Stage(closure),
        expected_version=expected_version,
        reason=reason,
    )


@transaction.atomic
def submit_household(
    *,
    actor: Any,
    household: Any,
    destination: Destination,
    expected_version: int | None,
    reason: str = "",
    today: date | None = None,
) -> Submission:
    """Put an allocated household's file to ``destination`` if it has pledged room left."""
    day = _today(today)
    # one submission at a time per destination, so two cannot both take the last places
    Destination.objects.select_for_update().filter(pk=destination.pk).first()
    claimed = _claim(household, expected_version)
    facts = gather_facts(claimed, today=day, destination=destination)
    refusals = check_transition(facts, Stage.SUBMITTED)
    if refusals:
        raise CaseworkError(refusal_message(Stage.SUBMITTED, refusals), refusals)
    now = timezone.now()
    _apply_move(
        actor=actor,
        household=claimed,
        target=Stage.SUBMITTED,
        reason=reason or f"Submitted to {destination.name}",
        now=now,
        updates={"destination": destination},
        detail={"destination": destination.code},
    )
    submission = Submission.objects.create(
        household=claimed, destination=destination, submitted_at=now,
        submitted_by=_user(actor), status=SubmissionStatus.PENDING,
    )
    record(actor=actor, action="submission.created", obj=submission,
           detail={"household": str(claimed.pk), "destination": destination.code})
    return submission


def _may_decide_for(actor: Any, destination_id: Any) -> bool:
    if actor is None:
        return True
    from resettle.accounts.selectors import scope_for

    scope = scope_for(actor)
    return scope.operation_wide or str(destination_id) in scope.liaison_destination_ids


@transaction.atomic
def record_decision(
    *,
    actor: Any,
    household: Any,
    expected_version: int | None,
    decision: Decision | str,
    accepted_members: Iterable[Any] = (),
    notes: str = "",
    today: date | None = None,
) -> Submission:
    """Record the destination's decision on the pending submission and move accordingly.

    accepted -> decided; split (``accepted_members`` names who is accepted) -> decided,
    going on only after ``confirm_split``; rejected -> back to allocated, the submission
    and its decision kept as history; deferred -> stays submitted.
    """
    verdict = Decision(decision)
    day = _today(today)
    claimed = _claim(household, expected_version)
    if claimed.stage != Stage.SUBMITTED:
        raise CaseworkError("A decision can be recorded only for a submitted household.")
    submission = (
        Submission.objects.select_for_update()
        .filter(household=claimed, status=SubmissionStatus.PENDING)
        .order_by("-submitted_at")
        .first()
    )
    if submission is None:
        raise CaseworkError("The household has no submission waiting for a decision.")
    if not _may_decide_for(actor, submission.destination_id):
        raise CaseworkError("You may record decisions only for your own destination.")
    members = list(Membership.objects.filter(household=claimed, active=True))
    member_ids = {str(m.person_id) for m in members}
    accepted = {str(p) for p in accepted_members}
    if verdict == Decision.SPLIT:
        if not accepted <= member_ids:
            raise CaseworkError("A split decision names someone who is not in the household.")
        if not accepted or accepted == member_ids:
            raise CaseworkError(
                "A split decision must accept some members and not others; otherwise "
                "record it as accepted or rejected."
            )
    elif verdict == Decision.ACCEPTED:
        accepted = member_ids
    else:
        accepted = set()
    now = timezone.now()
    submission.decision = verdict.value
    submission.decision_notes = notes
    submission.decided_at = now
    submission.decided_by = _user(actor)
    submission.version += 1
    if verdict != Decision.DEFERRED:
        submission.status = SubmissionStatus.DECIDED
        MemberDecision.objects.filter(submission=submission).delete()
        MemberDecision.objects.bulk_create(
            MemberDecision(submission=submission, person_id=m.person_id,
                           accepted=str(m.person_id) in accepted)
            for m in members
        )
    submission.save()
    record(actor=actor, action="submission.decided", obj=submission,
           detail={"household": str(claimed.pk), "decision": verdict.value,
                   "accepted": len(accepted), "members": len(members)})
    label = submission.destination.name
    if verdict == Decision.DEFERRED:
        return submission
    if verdict == Decision.REJECTED:
        target = Stage.ALLOCATED
        reason = f"Rejected by {label}; back to allocation for another destination"
    else:
        target = Stage.DECIDED
        reason = f"{verdict.value.capitalize()} by {label}"
    facts = gather_facts(claimed, today=day)
    refusals = check_transition(facts, target)
    if refusals:
        raise CaseworkError(refusal_message(target, refusals), refusals)
    updates = {"destination": None} if target == Stage.ALLOCATED else {}
    _apply_move(actor=actor, household=claimed, target=target, reason=reason, now=now,
                updates=updates, detail={"decision": verdict.value})
    return submission


@transaction.atomic
def confirm_split(
    *, actor: Any, household: Any, expected_version: int | None, staying: Iterable[Any]
) -> Submission:
    """Name who stays behind after a split decision; only then may the others go on.

    Every member the destination did not accept must stay; an accepted member may also
    choose to stay. At least one member must travel.
    """
    claimed = _claim(household, expected_version)
    submission = current_submission(claimed)
    if (
        claimed.stage != Stage.DECIDED
        or submission is None
        or submission.decision != Decision.SPLIT
    ):
        raise CaseworkError("Only a household with a split decision needs a confirmation.")
    if submission.split_confirmed_at is not None:
        raise CaseworkError("The split is already confirmed.")
    members = {str(m.person_id): m for m in Membership.objects.filter(household=claimed,
                                                                      active=True)}
    stays = {str(p) for p in staying}
    if not stays <= set(members):
        raise CaseworkError("Someone named as staying is not in the household.")
    not_accepted = {
        str(pid)
        for pid in MemberDecision.objects.filter(submission=submission, accepted=False)
        .values_list("person_id", flat=True)
    }
    missing = not_accepted - stays
    if missing:
        raise CaseworkError(
            f"{len(missing)} member(s) the destination did not accept must be named as "
            "staying."
        )
    if stays == set(members):
        raise CaseworkError("At least one member must travel.")
    stay_ids = [uuid.UUID(s) for s in stays]
    active = Membership.objects.filter(household=claimed, active=True)
    active.filter(person_id__in=stay_ids).update(travelling=False, version=F("version") + 1)
    active.exclude(person_id__in=stay_ids).update(travelling=True, version=F("version") + 1)
    now = timezone.now()
    submission.split_confirmed_at = now
    submission.split_confirmed_by = _user(actor)
    submission.version += 1
    submission.save(update_fields=["split_confirmed_at", "split_confirmed_by", "version",
                                   "updated_at"])
    record(actor=actor, action="household.split_confirmed", obj=claimed,
           detail={"staying": sorted(stays), "travelling": len(members) - len(stays)})
    return submission


# --------------------------------------------------------------------------- holds


@dataclass(frozen=True)
class HoldInput:
    """What a user types to place a hold (validated by ``place_hold``)."""

    hold_type: HoldType
    reason: str
    start_date: date
    review_date: date | None = None
    authority: str = ""
    reference: str = ""
    notes: str = ""


@transaction.atomic
def place_hold(
    *, actor: Any, person: Person, hold: HoldInput, status: str = HoldStatus.ACTIVE
) -> Hold:
    """Place a hold on a person. ``status="proposed"`` records one that blocks nothing
    until someone confirms it (for holds suggested by other services, e.g. incidents)."""
    hold_type = HoldType(hold.hold_type)
    if status not in (HoldStatus.ACTIVE, HoldStatus.PROPOSED):
        raise CaseworkError("A new hold is either active or proposed.")
    if hold.reason not in HoldReason.values:
        raise CaseworkError(f"Unknown hold reason: {hold.reason}.")
    if hold.reason != HoldReason.OTHER and hold.reason not in HOLD_REASONS[hold_type]:
        raise CaseworkError(
            f"{HoldReason(hold.reason).label} is not a {hold_type.value} reason."
        )
    if hold.review_date is not None and hold.review_date < hold.start_date:
        raise CaseworkError("The review date is before the start date.")
    _touch_households_of([person.pk])
    created = Hold.objects.create(
        person=person, hold_type=hold_type.value, reason=hold.reason, status=status,
        authority=hold.authority.strip(), reference=hold.reference.strip(),
        notes=hold.notes.strip(), start_date=hold.start_date, review_date=hold.review_date,
        placed_by=_user(actor),
        confirmed_at=timezone.now() if status == HoldStatus.ACTIVE else None,
        confirmed_by=_user(actor) if status == HoldStatus.ACTIVE else None,
    )
    action = "hold.placed" if status == HoldStatus.ACTIVE else "hold.proposed"
    record(actor=actor, action=action, obj=created,
           detail={"type": hold_type.value, "reason": hold.reason,
                   "person": str(person.pk)})
    return created


def _claim_hold(hold: Any, expected_version: int | None) -> Hold:
    hold_id = _as_id(hold)
    query = Hold.objects.filter(pk=hold_id)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    if query.update(version=F("version") + 1, updated_at=timezone.now()) == 0:
        raise ConflictError(
            "Someone else changed this hold since you opened it. Nothing was saved: reload "
            "the page and try again."
        )
    return Hold.objects.get(pk=hold_id)


@transaction.atomic
def confirm_hold(*, actor: Any, hold: Any, expected_version: int | None) -> Hold:
    """Turn a proposed hold into an active (blocking) one."""
    claimed = _claim_hold(hold, expected_version)
    if claimed.status != HoldStatus.PROPOSED:
        raise CaseworkError("Only a proposed hold can be confirmed.")
    _touch_households_of([claimed.person_id])
    claimed.status = HoldStatus.ACTIVE
    claimed.confirmed_at = timezone.now()
    claimed.confirmed_by = _user(actor)
    claimed.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
    record(actor=actor, action="hold.confirmed", obj=claimed,
           detail={"type": claimed.hold_type, "person": str(claimed.person_id)})
    return claimed


@transaction.atomic
def lift_hold(*, actor: Any, hold: Any, expected_version: int | None, reason: str) -> Hold:
    """Lift a hold (or dismiss a proposed one), saying why."""
    if not reason.strip():
        raise CaseworkError("Lifting a hold needs a reason.")
    claimed = _claim_hold(hold, expected_version)
    if claimed.status == HoldStatus.LIFTED:
        raise CaseworkError("The hold is already lifted.")
    _touch_households_of([claimed.person_id])
    claimed.status = HoldStatus.LIFTED
    claimed.lifted_at = timezone.now()
    claimed.lifted_by = _user(actor)
    claimed.lift_reason = reason.strip()[:500]
    claimed.save(update_fields=["status", "lifted_at", "lifted_by", "lift_reason",
                                "updated_at"])
    record(actor=actor, action="hold.lifted", obj=claimed,
           detail={"type": claimed.hold_type, "person": str(claimed.person_id)})
    return claimed


def overdue_review(hold: Hold, *, today: date) -> bool:
    """An active or proposed hold whose review date has passed."""
    return (
        hold.status != HoldStatus.LIFTED
        and hold.review_date is not None
        and hold.review_date < today
    )


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class DocumentInput:
    kind: DocumentKind
    valid_from: date | None = None
    valid_until: date | None = None
    number: str = ""
    issuing_country: str = ""


@transaction.atomic
def add_document(*, actor: Any, person: Person, document: DocumentInput) -> Document:
    """Record a document for a person (its validity window is what the guards check)."""
    kind = DocumentKind(document.kind)
    if (
        document.valid_from is not None
        and document.valid_until is not None
        and document.valid_until < document.valid_from
    ):
        raise CaseworkError("The document expires before it becomes valid.")
    country = document.issuing_country.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise CaseworkError("The issuing country must be a two-letter ISO code.")
    _touch_households_of([person.pk])
    created = Document.objects.create(
        person=person, kind=kind.value, number=document.number.strip(),
        issuing_country=country, valid_from=document.valid_from,
        valid_until=document.valid_until, added_by=_user(actor),
    )
    record(actor=actor, action="document.added", obj=created,
           detail={"kind": kind.value, "person": str(person.pk)})
    return created


@transaction.atomic
def revoke_document(*, actor: Any, document: Any, expected_version: int | None) -> Document:
    """Mark a document as no longer valid (lost, withdrawn by the issuer, superseded)."""
    doc_id = _as_id(document)
    query = Document.objects.filter(pk=doc_id, revoked=False)
    if expected_version is not None:
        query = query.filter(version=expected_version)
    if query.update(revoked=True, version=F("version") + 1, updated_at=timezone.now()) == 0:
        raise ConflictError("The document was changed or revoked meanwhile: reload the page.")
    revoked = Document.objects.get(pk=doc_id)
    _touch_households_of([revoked.person_id])
    record(actor=actor, action="document.revoked", obj=revoked,
           detail={"kind": revoked.kind, "person": str(revoked.person_id)})
    return revoked
