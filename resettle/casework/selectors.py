"""Casework reads for the household page and the work queues, always through a Scope.

Hidden field groups are left out, not blanked: a role without HOLDS never learns a hold's
type, a role without HOLD_REFERENCES never sees a warrant number.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import Scope
from resettle.casework import services
from resettle.casework.models import (
    Document,
    Hold,
    HoldStatus,
    MemberDecision,
    StageChange,
    Submission,
    SubmissionStatus,
)
from resettle.core.stages import (
    CLOSURE_ORDER,
    CLOSURES,
    DEPARTURE_ONLY,
    FINAL,
    HOLD_BLOCKS,
    HOLD_TYPE_LABELS,
    IN_CAMP,
    PIPELINE,
    Decision,
    HoldType,
    HouseholdFacts,
    Stage,
    allowed_targets,
    check_transition,
    next_stage,
)
from resettle.registry.models import Household, Membership

#: Days a household may stay in a stage before its queue row turns amber (75%) and red.
#: One place to tune the operation's service levels.
STAGE_SLA_DAYS: dict[Stage, int] = {
    Stage.REGISTERED: 14,
    Stage.ASSESSED: 30,
    Stage.ALLOCATED: 21,
    Stage.SUBMITTED: 90,
    Stage.DECIDED: 14,
    Stage.PRE_DEPARTURE: 60,
    Stage.READY: 30,
    Stage.BOOKED: 14,
    Stage.DEPARTED: 3,
}
SLA_WARN_FRACTION = 0.75
#: Targets a bulk action may move households to: moves that need no per-household input.
BULK_TARGETS: tuple[Stage, ...] = (
    Stage.ASSESSED,
    Stage.ALLOCATED,
    Stage.SUBMITTED,
    Stage.PRE_DEPARTURE,
    Stage.READY,
)


def sla_class(stage: Stage, days: int) -> str:
    """CSS class for a row's days-in-stage: sla-ok, sla-warn or sla-late."""
    limit = STAGE_SLA_DAYS.get(stage)
    if limit is None:
        return ""
    if days > limit:
        return "sla-late"
    if days >= limit * SLA_WARN_FRACTION:
        return "sla-warn"
    return "sla-ok"


def days_in_stage(household: Household, *, today: date) -> int:
    return max(0, (today - timezone.localdate(household.stage_changed_at)).days)


def _who(user: Any) -> str:
    return user.get_username() if user is not None else "system"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # stage, decision, hold, document, incident, departure
    text: str
    who: str = ""


def timeline(scope: Scope, household: Household) -> list[TimelineEntry]:
    """Everything that happened to the household, newest first, as the scope may see it."""
    entries: list[TimelineEntry] = []
    member_rows = list(
        Membership.objects.filter(household=household).select_related("person")
    )
    names = {m.person_id: m.person.full_name for m in member_rows}
    person_ids = list(names)
    for change in StageChange.objects.filter(household=household).select_related("actor"):
        source = Stage(change.from_stage).label if change.from_stage else "(new)"
        text = f"{source} → {Stage(change.to_stage).label}"
        if change.reason:
            text += f": {change.reason}"
        entries.append(TimelineEntry(change.at, "stage", text, _who(change.actor)))
    submissions = Submission.objects.filter(household=household).select_related(
        "destination", "decided_by", "split_confirmed_by", "submitted_by"
    )
    for sub in submissions:
        if sub.status == SubmissionStatus.WITHDRAWN:
            entries.append(TimelineEntry(sub.updated_at, "decision",
                                         f"Submission to {sub.destination.name} withdrawn"))
        if sub.decision and sub.decided_at:
            decisions = list(MemberDecision.objects.filter(submission=sub))
            taken = sum(1 for d in decisions if d.accepted)
            text = f"Decision from {sub.destination.name}: {sub.decision}"
            if decisions:
                text += f" ({taken} of {len(decisions)} members accepted)"
            if sub.decision_notes:
                text += f". {sub.decision_notes}"
            entries.append(TimelineEntry(sub.decided_at, "decision", text, _who(sub.decided_by)))
        if sub.split_confirmed_at:
            staying = [names.get(m.person_id, "?") for m in member_rows if not m.travelling]
            entries.append(TimelineEntry(
                sub.split_confirmed_at, "decision",
                "Split confirmed; staying behind: " + (", ".join(staying) or "nobody"),
                _who(sub.split_confirmed_by)))
    if scope.sees(FieldGroup.HOLDS):
        holds = Hold.objects.filter(person_id__in=person_ids).select_related(
            "placed_by", "lifted_by", "confirmed_by")
        for h in holds:
            what = (f"{h.hold_type.capitalize()} hold ({h.get_reason_display()}) on "
                    f"{names[h.person_id]}")
            if h.authority:
                what += f", by {h.authority}"
            if scope.sees(FieldGroup.HOLD_REFERENCES) and h.reference:
                what += f", ref. {h.reference}"
            placed_active = h.confirmed_at is not None and (
                h.confirmed_at - h.created_at < timedelta(seconds=5))
            verb = "placed" if placed_active else "proposed"
            entries.append(TimelineEntry(h.created_at, "hold", f"{what} {verb}",
                                         _who(h.placed_by)))
            if h.confirmed_at and not placed_active:
                entries.append(TimelineEntry(h.confirmed_at, "hold",
                                             f"{what} confirmed", _who(h.confirmed_by)))
            if h.lifted_at:
                entries.append(TimelineEntry(h.lifted_at, "hold",
                                             f"{what} lifted: {h.lift_reason}",
                                             _who(h.lifted_by)))
    for doc in Document.objects.filter(person_id__in=person_ids).select_related("added_by"):
        text = f"{doc.get_kind_display()} for {names[doc.person_id]}"
        if scope.sees(FieldGroup.DOCUMENTS) and doc.number:
            text += f" no. {doc.number}"
        if doc.valid_until:
            text += f", valid until {doc.valid_until:%Y-%m-%d}"
        if doc.revoked:
            text += " (revoked)"
        entries.append(TimelineEntry(doc.created_at, "document", text, _who(doc.added_by)))
    if scope.can(Action.VIEW_INCIDENTS):
        from resettle.incidents.models import Casualty

        for casualty in Casualty.objects.filter(person_id__in=person_ids).select_related(
            "incident", "incident__site"
        ):
            incident = casualty.incident
            entries.append(TimelineEntry(
                incident.occurred_at, "incident",
                f"{names[casualty.person_id]} {casualty.get_outcome_display().lower()} in "
                f"{incident.get_incident_type_display().lower()} at {incident.site.name}"))
    if scope.can(Action.VIEW_DEPARTURES):
        from resettle.departures.models import ManifestEntry

        by_departure: dict[Any, list[Any]] = defaultdict(list)
        for entry in ManifestEntry.objects.filter(household=household).select_related(
            "departure", "departure__destination"
        ):
            by_departure[entry.departure_id].append(entry)
        for lines in by_departure.values():
            dep = lines[0].departure
            statuses = sorted({line.get_status_display().lower() for line in lines})
            entries.append(TimelineEntry(
                _at(dep.date), "departure",
                f"Departure {dep.code} to {dep.destination.name} on {dep.date:%Y-%m-%d}: "
                f"{len(lines)} on the manifest ({', '.join(statuses)})"))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


@dataclass
class HoldRow:
    hold: Hold
    person_name: str
    overdue: bool
    blocks: list[str]
    travelling: bool


@dataclass
class Blockers:
    """What stands between the household and its next step, in plain words."""

    next_stage: Stage | None
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    departure_only: bool = False


@dataclass
class CasePanel:
    """Everything the household page needs from casework, already cut to the scope."""

    facts: HouseholdFacts
    blockers: Blockers
    timeline: list[TimelineEntry]
    holds: list[HoldRow]
    documents: list[Any]
    move_targets: list[Stage]
    closures: list[Stage]
    can_submit: bool
    can_decide: bool
    can_confirm_split: bool
    decision_members: list[tuple[str, str, bool]]  # (person id, name, accepted)
    submission: Submission | None
    members: list[tuple[str, str]]
    destinations: list[Any]


def _refusal_text(scope: Scope, code: str, message: str) -> str:
    if code.startswith("hold_") and not scope.sees(FieldGroup.HOLDS):
        return "A hold on a member blocks this step (your role does not show hold details)."
    return message


def blockers_for(scope: Scope, household: Household, facts: HouseholdFacts,
                 *, today: date) -> Blockers:
    stage = Stage(household.stage)
    nxt = next_stage(stage)
    box = Blockers(next_stage=nxt)
    if stage in FINAL:
        box.notes.append(
            "The case is closed: " + (household.closure_reason or stage.label.lower())
            if stage in CLOSURES else "The household has arrived.")
        return box
    if nxt is None:
        return box
    box.departure_only = (stage, nxt) in DEPARTURE_ONLY
    probe = HouseholdFacts(**{**facts.__dict__, "via_departure": True})
    seen: set[str] = set()
    for refusal in check_transition(probe, nxt):
        text = _refusal_text(scope, refusal.code, refusal.message)
        if text not in seen:
            seen.add(text)
            box.messages.append(text)
    if box.departure_only:
        box.notes.append(f"{nxt.label} is set by the movement team through a departure.")
    sub = services.current_submission(household)
    if stage == Stage.SUBMITTED and sub is not None:
        waited = (today - timezone.localdate(sub.submitted_at)).days
        box.notes.append(f"Submitted to {sub.destination.name} {waited} days ago.")
    if scope.sees(FieldGroup.HOLDS):
        for h in Hold.objects.filter(
            person__memberships__household=household, person__memberships__active=True,
        ).exclude(status=HoldStatus.LIFTED).select_related("person"):
            if services.overdue_review(h, today=today):
                box.notes.append(
                    f"The {h.hold_type} hold on {h.person.full_name} was due for review on "
                    f"{h.review_date:%Y-%m-%d}.")
            travelling = h.person.memberships.filter(
                household=household, active=True, travelling=True).exists()
            later = [st for st in PIPELINE if st in HOLD_BLOCKS[HoldType(h.hold_type)]
                     and PIPELINE.index(st) > PIPELINE.index(nxt)]
            if h.status == HoldStatus.ACTIVE and travelling and later:
                box.notes.append(
                    f"The {h.hold_type} hold on {h.person.full_name} will also block "
                    + ", ".join(st.label.lower() for st in later) + " until it is lifted.")
            if h.status == HoldStatus.PROPOSED:
                box.notes.append(
                    f"A proposed {h.hold_type} hold on {h.person.full_name} awaits "
                    "confirmation (it blocks nothing yet).")
    days = days_in_stage(household, today=today)
    limit = STAGE_SLA_DAYS.get(stage)
    if limit is not None and days > limit:
        box.notes.append(f"{days} days in {stage.label.lower()} (service level: {limit}).")
    return box


def case_panel(scope: Scope, household: Household, *, today: date | None = None) -> CasePanel:
    from resettle.destinations.models import Destination

    day = today or timezone.localdate()
    facts = services.gather_facts(household, today=day)
    memberships = list(
        Membership.objects.filter(household=household, active=True).select_related("person")
    )
    member_names = {m.person_id: m.person.full_name for m in memberships}
    stage = Stage(household.stage)
    hold_rows: list[HoldRow] = []
    if scope.sees(FieldGroup.HOLDS):
        travelling = {m.person_id: m.travelling for m in memberships}
        for h in Hold.objects.filter(person_id__in=list(member_names)).select_related(
            "placed_by", "lifted_by"
        ).order_by("status", "-start_date"):
            hold_rows.append(HoldRow(
                hold=h, person_name=member_names[h.person_id],
                overdue=services.overdue_review(h, today=day),
                blocks=[s.label for s in PIPELINE if s in HOLD_BLOCKS[HoldType(h.hold_type)]],
                travelling=travelling.get(h.person_id, True)))
    documents = list(
        Document.objects.filter(person_id__in=list(member_names)).order_by(
            "person__family_name", "person__given_name", "kind", "-valid_until")
    )
    for doc in documents:
        doc.person_name = member_names[doc.person_id]  # type: ignore[attr-defined]
        doc.valid_today = (  # type: ignore[attr-defined]
            not doc.revoked
            and (doc.valid_from is None or doc.valid_from <= day)
            and (doc.valid_until is None or day <= doc.valid_until)
        )
    can_move = scope.can(Action.TRANSITION) and stage not in FINAL
    with_reason = HouseholdFacts(**{**facts.__dict__, "closure_reason": "given in the form"})
    allowed = allowed_targets(with_reason) if can_move else []
    sub = services.current_submission(household)
    pending = sub if sub is not None and sub.status == SubmissionStatus.PENDING else None
    can_decide = bool(
        pending is not None and stage == Stage.SUBMITTED and scope.can(Action.RECORD_DECISION)
        and (scope.operation_wide or str(pending.destination_id) in scope.liaison_destination_ids)
    )
    split_pending = bool(
        stage == Stage.DECIDED and sub is not None and sub.decision == Decision.SPLIT
        and sub.split_confirmed_at is None
    )
    accepted = {}
    if split_pending and sub is not None:
        accepted = dict(MemberDecision.objects.filter(submission=sub)
                        .values_list("person_id", "accepted"))
    return CasePanel(
        facts=facts,
        blockers=blockers_for(scope, household, facts, today=day),
        timeline=timeline(scope, household) if scope.sees(FieldGroup.CASE) else [],
        holds=hold_rows,
        documents=documents,
        move_targets=[t for t in allowed if t not in CLOSURES and t != Stage.SUBMITTED],
        closures=[t for t in CLOSURE_ORDER if t in allowed],
        can_submit=can_move and stage == Stage.ALLOCATED,
        can_decide=can_decide,
        can_confirm_split=split_pending and scope.can(Action.TRANSITION),
        decision_members=[
            (str(m.person_id), m.person.full_name, bool(accepted.get(m.person_id, False)))
            for m in memberships
        ],
        submission=sub,
        members=[(str(m.person_id), m.person.full_name) for m in memberships],
        destinations=list(Destination.objects.filter(active=True)) if can_move else [],
    )


def hold_of_household(household: Household, hold_id: Any) -> Hold:
    """A hold on an active member of ``household`` (already scoped by the caller), else 404."""
    try:
        return Hold.objects.get(
            pk=hold_id,
            person__memberships__household=household,
            person__memberships__active=True,
        )
    except (Hold.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


def person_of_household(household: Household, person_id: Any) -> Any:
    try:
        return Membership.objects.select_related("person").get(
            household=household, person_id=person_id, active=True).person
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


def hold_help_rows() -> list[tuple[str, str, list[tuple[str, bool]]]]:
    """(hold type, label, [(stage label, blocked?)]) for the holds help page."""
    stages = [s for s in PIPELINE if s != Stage.REGISTERED]
    return [
        (h.value, HOLD_TYPE_LABELS[h], [(s.label, s in HOLD_BLOCKS[h]) for s in stages])
        for h in HoldType
    ]


# --------------------------------------------------------------------------- queues


def active_hold_types(household_ids: list[Any]) -> dict[Any, list[str]]:
    """Household id -> active hold types on its travelling members."""
    found: dict[Any, set[str]] = defaultdict(set)
    for household_id, hold_type in Hold.objects.filter(
        status=HoldStatus.ACTIVE,
        person__memberships__household_id__in=household_ids,
        person__memberships__active=True,
        person__memberships__travelling=True,
    ).values_list("person__memberships__household_id", "hold_type"):
        found[household_id].add(hold_type)
    return {k: sorted(v) for k, v in found.items()}


def overdue_households(household_ids: list[Any], *, today: date) -> set[Any]:
    return set(
        Hold.objects.exclude(status=HoldStatus.LIFTED)
        .filter(review_date__lt=today, person__memberships__household_id__in=household_ids,
                person__memberships__active=True)
        .values_list("person__memberships__household_id", flat=True)
    )


def stage_counts(households: QuerySet[Household]) -> list[tuple[Stage, int]]:
    from django.db.models import Count

    counts = {row["stage"]: row["n"] for row in households.values("stage").annotate(
        n=Count("id", distinct=True)).order_by()}
    return [(s, counts.get(s.value, 0)) for s in PIPELINE if s in IN_CAMP or
            s == Stage.DEPARTED]


def blocked_by_hold_type(households: QuerySet[Household]) -> dict[str, int]:
    """Hold type -> households still in the camp with such an active hold on a travelling
    member (every hold type blocks travel, so each of them holds the household back)."""
    result: dict[str, int] = {}
    in_camp = households.filter(stage__in=[s.value for s in IN_CAMP])
    for hold_type in HoldType:
        holds = Hold.objects.filter(
            status=HoldStatus.ACTIVE, hold_type=hold_type.value,
            person__memberships__household=OuterRef("pk"),
            person__memberships__active=True, person__memberships__travelling=True,
        )
        result[hold_type.value] = in_camp.filter(Exists(holds)).count()
    return result


def median_days_in_stage(households: QuerySet[Household], *, today: date) -> dict[str, float]:
    """Stage -> median days the households now in it have spent there (open stages only)."""
    days: dict[str, list[int]] = defaultdict(list)
    for stage, changed in households.exclude(stage__in=[s.value for s in FINAL]).values_list(
        "stage", "stage_changed_at"
    ):
        days[stage].append(max(0, (today - timezone.localdate(changed)).days))
    return {
        s.value: float(statistics.median(days[s.value]))
        for s in PIPELINE
        if s not in FINAL and days.get(s.value)
    }
