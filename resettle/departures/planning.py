"""From the database to the core departure planner and back.

``build_input`` reads households and departures into a ``resettle.core.departures``
problem (plain dataclasses, days counted from ``today`` = day 0), keeping aside the
households that cannot be planned at all with the reason in words; ``problem_from_db``
is what ``resettle plan-departures --from-db`` calls. ``execute_run`` runs the planner
for a stored ``PlanningRun`` (outside any request: a thread started after commit), and
``apply_run`` books a finished plan, each household in its own transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from resettle.casework.models import Document, Hold, HoldStatus
from resettle.core.departures import Case, Problem, first_come_first_served, plan
from resettle.core.departures import Departure as PlanDeparture
from resettle.core.stages import HOLD_BLOCKS, IN_CAMP, DocumentKind, HoldType, Stage
from resettle.departures.models import (
    Departure,
    DepartureStatus,
    ManifestEntry,
    PlanningRun,
    PlanPurpose,
    RunStatus,
)
from resettle.departures.selectors import SEAT_HOLDING
from resettle.jobs import log_failure, retry_when_locked, start_after_commit
from resettle.registry.models import Household, HouseholdLink, Membership

log = logging.getLogger(__name__)

#: specific-needs codes (UNHCR style, ``CODE`` or ``CODE-SUB``) -> the special place or
#: service a passenger needs on board. Wheelchair and stretcher use the departure's
#: special places (the planner respects them); escort is listed on the manifest for the
#: carrier and counted against the departure's escort seats on the page.
NEED_PLACES: dict[str, str] = {
    "DS": "wheelchair",  # disability (physical)
    "DS-PM": "wheelchair",
    "DS-PS": "wheelchair",
    "SM-ST": "stretcher",  # serious medical condition, travels lying down
    "SM": "escort",  # serious medical condition: medical escort
    "SC": "escort",  # separated or unaccompanied child
}
#: kinds the planner treats as places on the departure (the others are information)
PLACE_KINDS: frozenset[str] = frozenset({"wheelchair", "stretcher"})
#: documents whose validity limits the departure day (fit-to-travel is renewed 24-72 h
#: before a flight, so only bookings made now need it valid on the day)
LIMITING_DOCUMENTS: tuple[DocumentKind, ...] = (
    DocumentKind.TRAVEL_DOCUMENT,
    DocumentKind.ENTRY_VISA,
    DocumentKind.EXIT_PERMIT,
)
#: expected days until a household is ready, by stage (pre-departure formalities:
#: visas, exit permits, medical checks). An estimate, shown as such on the page.
READY_IN_DAYS: dict[Stage, int] = {Stage.READY: 0, Stage.PRE_DEPARTURE: 14, Stage.DECIDED: 28}
#: hold types that stop a booking (read from the one hold-blocking table)
BOOKING_HOLDS: frozenset[str] = frozenset(
    h.value for h in HoldType if Stage.BOOKED in HOLD_BLOCKS[h]
)
DEFAULT_HORIZON_DAYS = 365
#: planner time limits (seconds) for runs started from the web page
WEB_TIME_LIMIT = {PlanPurpose.CLEAR: 20.0, PlanPurpose.BOOK: 10.0}
#: a run still "running" after this long is shown as stopped (the server restarted)
STALE_AFTER = timedelta(minutes=15)


def special_needs_of(codes: list[str] | None) -> list[str]:
    """The special places or services a person's specific-needs codes call for."""
    found: list[str] = []
    for raw in codes or []:
        code = str(raw).upper()
        kind = NEED_PLACES.get(code) or NEED_PLACES.get(code.split("-")[0])
        if code.startswith("SM-") and code not in NEED_PLACES:
            kind = "escort"
        if kind and kind not in found:
            found.append(kind)
    return found


@dataclass
class PlanningInput:
    """A planner problem plus what it takes to read its answer back into the database."""

    problem: Problem
    today: date
    #: case id (household reference) -> household id
    household_ids: dict[str, Any]
    #: departure id (code) -> departure id (uuid)
    departure_ids: dict[str, Any]
    #: households that cannot be planned at all: household id -> reason in words
    excluded: dict[Any, str] = field(default_factory=dict)
    #: household id -> id of the departure it is already booked on
    booked: dict[Any, Any] = field(default_factory=dict)
    #: household id -> reason category (hold, document, no pledge, ...)
    categories: dict[Any, str] = field(default_factory=dict)


def _day(value: date, today: date) -> int:
    return (value - today).days


def _documents_until(
    person_ids: list[Any], kinds: tuple[DocumentKind, ...], today: date
) -> dict[Any, date | None]:
    """Per person: the last day all of ``kinds`` are held (None = no end), using the best
    document of each kind; a kind the person has no document of is ignored (a household
    still in pre-departure is expected to get it)."""
    best: dict[tuple[Any, str], date | None] = {}
    documents = Document.objects.filter(
        person_id__in=person_ids, revoked=False, kind__in=[k.value for k in kinds]
    ).values_list("person_id", "kind", "valid_until")
    for person_id, kind, until in documents:
        key = (person_id, kind)
        if key not in best:
            best[key] = until
        else:
            current = best[key]
            if current is not None and (until is None or until > current):
                best[key] = until
    out: dict[Any, date | None] = {}
    for (person_id, _kind), until in best.items():
        if until is None:
            out.setdefault(person_id, None)
            continue
        current = out.get(person_id)
        out[person_id] = until if current is None else min(current, until)
    return out


def _departure_row(departure: Departure, today: date, used: dict[Any, tuple[int, dict[str, int]]]
                   ) -> PlanDeparture:
    seats_taken, special_taken = used.get(departure.pk, (0, {}))
    special = {
        str(kind): max(0, int(count) - special_taken.get(str(kind), 0))
        for kind, count in (departure.special_places or {}).items()
        if str(kind) in PLACE_KINDS
    }
    return PlanDeparture(
        id=departure.code,
        destination=departure.destination.code,
        day=_day(departure.date, today),
        seats=max(0, departure.seats - seats_taken),
        special=special,
    )


def _usage(departure_ids: list[Any]) -> dict[Any, tuple[int, dict[str, int]]]:
    seats: dict[Any, int] = defaultdict(int)
    special: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lines = ManifestEntry.objects.filter(
        departure_id__in=departure_ids, status__in=SEAT_HOLDING
    ).values_list("departure_id", "special_needs")
    for departure_id, needs in lines:
        seats[departure_id] += 1
        for need in needs or []:
            special[departure_id][str(need)] += 1
    return {d: (seats[d], dict(special[d])) for d in departure_ids}


def build_input(
    *,
    purpose: str = PlanPurpose.CLEAR,
    today: date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> PlanningInput:
    """Read the camp into a planner problem.

    ``clear``: every household still in the camp; ready, pre-departure and decided ones
    are planned from their expected ready day over the planned departures (a confirmed
    manifest is final; households booked on one are reported as booked), the others
    are kept aside with their reason. ``book``: only ready households, and the
    fit-to-travel certificate must also be valid on the day (the booking guard checks it).
    """
    day0 = today if today is not None else timezone.localdate()
    book = purpose == PlanPurpose.BOOK
    plannable = (Stage.READY,) if book else (Stage.READY, Stage.PRE_DEPARTURE, Stage.DECIDED)
    # a confirmed manifest is final, so only planned departures have seats to give
    departures = list(
        Departure.objects.filter(status=DepartureStatus.PLANNED, date__gte=day0)
        .select_related("destination")
        .order_by("date", "code")
    )
    usage = _usage([d.pk for d in departures])
    plan_departures = [_departure_row(d, day0, usage) for d in departures]
    horizon = max([horizon_days] + [d.day for d in plan_departures])

    in_camp = sorted(s.value for s in IN_CAMP)
    households = list(
        Household.objects.filter(stage__in=in_camp)
        .select_related("destination")
        .order_by("reference")
    )
    memberships = list(
        Membership.objects.filter(household__in=[h.pk for h in households], active=True)
        .select_related("person")
    )
    members: dict[Any, list[Membership]] = defaultdict(list)
    for m in memberships:
        members[m.household_id].append(m)
    travelling_ids = [m.person_id for m in memberships if m.travelling]
    blocking = set(
        Hold.objects.filter(
            person_id__in=travelling_ids, status=HoldStatus.ACTIVE,
            hold_type__in=sorted(BOOKING_HOLDS),
        ).values_list("person_id", flat=True)
    )
    kinds = LIMITING_DOCUMENTS + ((DocumentKind.FIT_TO_TRAVEL,) if book else ())
    until = _documents_until(travelling_ids, kinds, day0)
    booked: dict[Any, Any] = dict(
        ManifestEntry.objects.filter(
            household__in=[h.pk for h in households if h.stage == Stage.BOOKED],
            status__in=SEAT_HOLDING,
            departure__status__in=(DepartureStatus.PLANNED, DepartureStatus.CONFIRMED),
        ).values_list("household_id", "departure_id")
    )

    cases: list[Case] = []
    household_ids: dict[str, Any] = {}
    excluded: dict[Any, str] = {}
    categories: dict[Any, str] = {}
    for h in households:
        stage = Stage(h.stage)
        travelling = [m for m in members[h.pk] if m.travelling]
        if stage == Stage.BOOKED:
            if h.pk not in booked:
                excluded[h.pk] = "booked, but on no open departure"
                categories[h.pk] = "other"
            continue
        if stage not in plannable:
            if book:
                continue
            excluded[h.pk] = (
                f"no pledge yet: not accepted by a destination (stage {stage.label.lower()})"
            )
            categories[h.pk] = "no pledge"
            continue
        if h.destination is None:
            excluded[h.pk] = "no pledge: no destination recorded"
            categories[h.pk] = "no pledge"
            continue
        if not travelling:
            excluded[h.pk] = "nobody in the household is travelling"
            categories[h.pk] = "other"
            continue
        ends = [until.get(m.person_id) for m in travelling if m.person_id in until]
        ends_known = [e for e in ends if e is not None]
        valid_until = min(ends_known) if ends_known else None
        needs: dict[str, int] = defaultdict(int)
        for m in travelling:
            for kind in special_needs_of(m.person.specific_needs):
                if kind in PLACE_KINDS:
                    needs[kind] += 1
        cases.append(
            Case(
                id=h.reference,
                size=len(travelling),
                destination=h.destination.code,
                risk=max(0.0, float(h.risk or 0.0)),
                ready_day=READY_IN_DAYS.get(stage, 0),
                documents_valid_until=(
                    _day(valid_until, day0) if valid_until is not None else None
                ),
                blocked=any(m.person_id in blocking for m in travelling),
                needs=dict(needs),
            )
        )
        household_ids[h.reference] = h.pk

    together = _together(household_ids, excluded, categories, households)
    # households linked to one that cannot be planned leave the problem too
    kept = [c for c in cases if household_ids[c.id] not in excluded]
    for c in cases:
        if household_ids[c.id] in excluded:
            household_ids.pop(c.id)
    problem = Problem(
        cases=tuple(kept),
        departures=tuple(plan_departures),
        together=tuple(g for g in together if all(cid in household_ids for cid in g)),
        horizon_day=horizon,
    )
    return PlanningInput(
        problem=problem,
        today=day0,
        household_ids=household_ids,
        departure_ids={d.code: d.pk for d in departures},
        excluded=excluded,
        booked=booked,
        categories=categories,
    )


def _together(
    household_ids: dict[str, Any],
    excluded: dict[Any, str],
    categories: dict[Any, str],
    households: list[Household],
) -> list[tuple[str, ...]]:
    """Linked households as together groups; a plannable household linked to one still
    in the camp but not plannable waits for it (so a family is never split)."""
    reference = {h.pk: h.reference for h in households}
    planned = {pk: ref for ref, pk in household_ids.items()}
    groups: list[tuple[str, ...]] = []
    links = HouseholdLink.objects.filter(
        first__in=list(reference), second__in=list(reference)
    ).values_list("first_id", "second_id")
    waiting = True
    pairs = list(links)
    while waiting:  # waiting spreads along chains of links
        waiting = False
        for first, second in pairs:
            for a, b in ((first, second), (second, first)):
                if a in planned and a not in excluded and b not in planned:
                    excluded[a] = (
                        f"must travel with linked household {reference[b]}, which cannot "
                        "travel yet"
                    )
                    categories[a] = "linked household"
                    waiting = True
                elif a in planned and a not in excluded and b in excluded:
                    excluded[a] = (
                        f"must travel with linked household {reference[b]}, which cannot "
                        "travel yet"
                    )
                    categories[a] = categories.get(b, "linked household")
                    waiting = True
    for first, second in pairs:
        if first in planned and second in planned and first not in excluded:
            groups.append((planned[first], planned[second]))
    return groups


def problem_from_db(
    *, purpose: str = PlanPurpose.CLEAR, today: date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Problem:
    """The planner problem for the current database (``plan-departures --from-db``)."""
    return build_input(purpose=purpose, today=today, horizon_days=horizon_days).problem


def categorise(reason: str) -> str:
    """The page's reason column: hold, document, no pledge, no seat, not ready, other."""
    text = reason.lower()
    if "hold" in text:
        return "hold"
    if "document" in text:
        return "document"
    if "no pledge" in text:
        return "no pledge"
    if "no seat" in text or "no departure to" in text or "larger than any departure" in text:
        return "no seat"
    if "special place" in text or "wheelchair" in text or "stretcher" in text:
        return "no seat"
    if "not ready" in text or "ready day" in text:
        return "not ready in time"
    return "other"


# --------------------------------------------------------------------------- runs


def _set(run_id: Any, **values: Any) -> None:
    retry_when_locked(lambda: PlanningRun.objects.filter(pk=run_id).update(**values))


def execute_run(run_id: Any) -> None:
    """Run the planner for one stored run and store its plan (no request involved).

    Never raises: a failure is stored on the run as a short message (no personal data).
    """
    run = PlanningRun.objects.get(pk=run_id)
    _set(run_id, status=RunStatus.RUNNING, started_at=timezone.now(),
         progress="Reading households and departures")
    try:
        data = build_input(purpose=run.purpose)
        _set(run_id, progress=(
            f"Planning {len(data.problem.cases)} households over "
            f"{len(data.problem.departures)} departures (up to {run.time_limit:.0f} s)"))
        result = plan(data.problem, time_limit=run.time_limit, seed=run.seed)
        baseline = first_come_first_served(data.problem)
        stored = {
            "today": data.today.isoformat(),
            "status": result.status,
            "person_days_at_risk": round(result.person_days_at_risk, 3),
            "bound": round(result.bound, 3),
            "gap": result.gap,
            "fcfs_person_days_at_risk": round(baseline.person_days_at_risk, 3),
            "solve_seconds": round(result.solve_seconds, 3),
            "horizon_day": data.problem.horizon_day,
            "assignments": {
                str(data.household_ids[c]): str(data.departure_ids[d])
                for c, d in result.assignments.items()
            },
            "unassigned": {
                str(data.household_ids[c]): why for c, why in result.unassigned.items()
            },
            "excluded": {str(k): v for k, v in data.excluded.items()},
            "categories": {str(k): v for k, v in data.categories.items()},
            "booked": {str(k): str(v) for k, v in data.booked.items()},
            "ready_day": {
                str(data.household_ids[c.id]): c.ready_day for c in data.problem.cases
            },
        }
        _set(run_id, status=RunStatus.DONE, finished_at=timezone.now(), result=stored,
             progress=f"Done in {result.solve_seconds:.1f} s")
    except Exception as exc:  # stored for the page; the log keeps the type only
        log_failure(log, f"planning run {run_id}", exc)
        _set(run_id, status=RunStatus.FAILED, finished_at=timezone.now(),
             progress=f"Failed: {type(exc).__name__}")


def start_in_thread(run_id: Any) -> None:
    """Start the run on a daemon thread once the transaction that created it commits."""
    start_after_commit(execute_run, run_id, name="plan")


def is_stale(run: PlanningRun, *, now: Any = None) -> bool:
    now = now or timezone.now()
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return False
    return bool(run.created_at < now - STALE_AFTER)
