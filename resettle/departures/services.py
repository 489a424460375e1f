"""Every departures write: departures, bookings, manifests, boarding, arrival, planning runs.

Each service is one transaction that claims the departure (optimistic locking on its
``version``, or a row lock for system callers), validates, writes, and records its audit
event. Households move between ready, booked, departed and arrived only through
``resettle.casework.services.transition_household(via_departure=True)``, which checks
holds and documents with the same guards as everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from resettle.audit.services import record
from resettle.casework import services as casework
from resettle.core.stages import Stage, check_transition
from resettle.departures.models import (
    Departure,
    DepartureStatus,
    ManifestEntry,
    ManifestStatus,
    PlanningRun,
    PlanPurpose,
    RunStatus,
)
from resettle.departures.planning import (
    PLACE_KINDS,
    WEB_TIME_LIMIT,
    is_stale,
    special_needs_of,
    start_in_thread,
)
from resettle.departures.selectors import SEAT_HOLDING, seats_used
from resettle.destinations.models import Destination
from resettle.modelbase import MissingRecord, StaleVersion, claim_version
from resettle.registry.models import Household, Membership, Person, PersonStatus, Site


class DepartureError(Exception):
    """A departures action was refused; the message says why in plain words."""


class ConflictError(DepartureError):
    """Someone else changed the departure since the user loaded it."""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _claim(departure: Any, expected_version: int | None) -> Departure:
    """Bump the departure's version if it is still ``expected_version`` (None: whatever it
    is now, under a row lock, so bookings and check-ins on one departure serialise)."""
    departure_id = departure.pk if hasattr(departure, "pk") else departure
    try:
        claim_version(Departure, departure_id, expected_version)
    except MissingRecord as exc:
        raise DepartureError("No such departure.") from exc
    except StaleVersion as exc:
        raise ConflictError(
            "Someone else changed this departure since you opened it. Nothing was saved: "
            "reload the page to see the current state, then try again."
        ) from exc
    return Departure.objects.select_related("destination", "origin").get(pk=departure_id)


def _casework(call: Any) -> Any:
    """Run a casework service, turning its refusal into a departures error."""
    try:
        return call()
    except casework.CaseworkError as exc:
        raise DepartureError(str(exc)) from exc


# --------------------------------------------------------------------------- departures


@dataclass(frozen=True)
class DepartureInput:
    code: str
    date: date
    origin: Site
    destination: Destination
    seats: int
    carrier: str = ""
    flight_number: str = ""
    transit_points: list[str] = field(default_factory=list)
    special_places: Mapping[str, int] = field(default_factory=dict)
    escort_seats: int = 0

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise DepartureError("A departure needs a code.")
        if self.seats < 1:
            raise DepartureError("A departure needs at least one seat.")
        if self.escort_seats < 0:
            raise DepartureError("Escort seats cannot be negative.")
        for kind, count in self.special_places.items():
            if kind not in PLACE_KINDS:
                raise DepartureError(f"Unknown special place {kind!r}.")
            if count < 0:
                raise DepartureError(f"Special places ({kind}) cannot be negative.")
        if not self.destination.active:
            raise DepartureError(f"{self.destination.name} is not an active destination.")

    def values(self) -> dict[str, Any]:
        return {
            "code": self.code.strip(),
            "date": self.date,
            "origin": self.origin,
            "destination": self.destination,
            "seats": self.seats,
            "carrier": self.carrier.strip(),
            "flight_number": self.flight_number.strip(),
            "transit_points": [t.strip() for t in self.transit_points if t.strip()],
            "special_places": {k: int(v) for k, v in self.special_places.items() if v},
            "escort_seats": self.escort_seats,
        }


@transaction.atomic
def create_departure(*, actor: Any, data: DepartureInput) -> Departure:
    if Departure.objects.filter(code=data.code.strip()).exists():
        raise DepartureError(f"A departure with code {data.code.strip()} already exists.")
    departure = Departure.objects.create(**data.values())
    record(actor=actor, action="departure.created", obj=departure,
           detail={"code": departure.code, "date": departure.date.isoformat(),
                   "destination": departure.destination.code, "seats": departure.seats})
    return departure


@transaction.atomic
def update_departure(
    *, actor: Any, departure: Any, expected_version: int | None, data: DepartureInput
) -> Departure:
    """Change a planned departure; a confirmed one is frozen (cancel it instead)."""
    claimed = _claim(departure, expected_version)
    if claimed.status != DepartureStatus.PLANNED:
        raise DepartureError(
            f"Only a planned departure can be changed; this one is {claimed.status}.")
    if Departure.objects.filter(code=data.code.strip()).exclude(pk=claimed.pk).exists():
        raise DepartureError(f"A departure with code {data.code.strip()} already exists.")
    seats, special = seats_used(claimed)
    if data.seats < seats:
        raise DepartureError(f"{seats} seats are booked already; seats cannot go below that.")
    for kind, used in special.items():
        if kind in PLACE_KINDS and data.special_places.get(kind, 0) < used:
            raise DepartureError(f"{used} {kind} places are booked already.")
    if seats and data.destination.pk != claimed.destination_id:
        raise DepartureError("Households are booked: the destination cannot change.")
    values = data.values()
    changed = sorted(k for k, v in values.items() if getattr(claimed, k) != v)
    Departure.objects.filter(pk=claimed.pk).update(**values)
    claimed.refresh_from_db()
    record(actor=actor, action="departure.updated", obj=claimed, detail={"fields": changed})
    return claimed


@transaction.atomic
def confirm_departure(*, actor: Any, departure: Any, expected_version: int | None) -> Departure:
    """Planned -> confirmed: the manifest is final from now on (no more adding or removing)."""
    claimed = _claim(departure, expected_version)
    if claimed.status != DepartureStatus.PLANNED:
        raise DepartureError(f"Only a planned departure can be confirmed ({claimed.status}).")
    if not ManifestEntry.objects.filter(departure=claimed, status__in=SEAT_HOLDING).exists():
        raise DepartureError("Nobody is booked on this departure: there is nothing to confirm.")
    Departure.objects.filter(pk=claimed.pk).update(status=DepartureStatus.CONFIRMED)
    claimed.status = DepartureStatus.CONFIRMED
    record(actor=actor, action="departure.confirmed", obj=claimed)
    return claimed


@transaction.atomic
def cancel_departure(
    *, actor: Any, departure: Any, expected_version: int | None, reason: str
) -> list[Household]:
    """Cancel a planned or confirmed departure: every booked household goes back to ready."""
    reason = reason.strip()
    if not reason:
        raise DepartureError("A cancellation needs a reason.")
    claimed = _claim(departure, expected_version)
    if claimed.status not in (DepartureStatus.PLANNED, DepartureStatus.CONFIRMED):
        raise DepartureError(f"A {claimed.status} departure cannot be cancelled.")
    returned = _release_all(actor, claimed, f"Departure {claimed.code} cancelled: {reason}")
    Departure.objects.filter(pk=claimed.pk).update(
        status=DepartureStatus.CANCELLED, cancel_reason=reason[:500])
    claimed.status = DepartureStatus.CANCELLED
    record(actor=actor, action="departure.cancelled", obj=claimed,
           detail={"households_returned": len(returned)})
    return returned


def _release_all(actor: Any, departure: Departure, reason: str) -> list[Household]:
    household_ids = list(
        ManifestEntry.objects.filter(departure=departure, status=ManifestStatus.PLANNED)
        .values_list("household_id", flat=True).distinct()
    )
    now = timezone.now()
    ManifestEntry.objects.filter(departure=departure, status=ManifestStatus.PLANNED).update(
        status=ManifestStatus.REMOVED, reason=reason[:500], removed_at=now,
        removed_by=_user(actor), version=F("version") + 1)
    returned = []
    for household in Household.objects.filter(pk__in=household_ids).order_by("reference"):
        if household.stage == Stage.BOOKED:
            _casework(lambda h=household: casework.transition_household(
                actor=actor, household=h, target=Stage.READY, expected_version=None,
                reason=reason, via_departure=True))
            returned.append(household)
    return returned


# --------------------------------------------------------------------------- manifest


def _travelling(household: Household) -> list[Membership]:
    return list(
        Membership.objects.filter(household=household, active=True, travelling=True)
        .select_related("person").order_by("person__date_of_birth")
    )


def _refuse_if_full(departure: Departure, reference: str, needs: list[list[str]]) -> None:
    """Refuse a household whose passengers (their special needs listed) would oversell
    the departure's seats or special places."""
    seats, special = seats_used(departure)
    if seats + len(needs) > departure.seats:
        raise DepartureError(
            f"{departure.code} has {departure.seats - seats} seats left; {reference} needs "
            f"{len(needs)}.")
    for kind in PLACE_KINDS:
        wanted = sum(1 for n in needs if kind in n)
        have = int((departure.special_places or {}).get(kind, 0)) - special.get(kind, 0)
        if wanted > have:
            raise DepartureError(
                f"{reference} needs {wanted} {kind} place(s); {departure.code} has "
                f"{max(have, 0)} left.")


@transaction.atomic
def book_household(
    *, actor: Any, departure: Any, household: Any, reason: str = "",
    today: date | None = None,
) -> list[ManifestEntry]:
    """Put a ready household on a planned departure: one manifest line per travelling
    member, and the household moves to booked (guards: holds, documents valid on the
    departure day). Refused if seats or special places would be oversold."""
    day = _today(today)
    claimed = _claim(departure, None)
    if claimed.status != DepartureStatus.PLANNED:
        raise DepartureError(
            f"{claimed.code} is {claimed.status}: households are added only while it is "
            "planned.")
    if claimed.date < day:
        raise DepartureError(f"{claimed.code} left on {claimed.date}: it takes no bookings.")
    household_id = household.pk if hasattr(household, "pk") else household
    locked = Household.objects.select_related("destination").get(pk=household_id)
    if locked.destination_id != claimed.destination_id:
        where = locked.destination.name if locked.destination else "no destination"
        raise DepartureError(
            f"{locked.reference} goes to {where}, not to {claimed.destination.name}.")
    if ManifestEntry.objects.filter(household=locked, status__in=SEAT_HOLDING,
                                    departure__status__in=(DepartureStatus.PLANNED,
                                                           DepartureStatus.CONFIRMED)).exists():
        raise DepartureError(f"{locked.reference} is already booked on a departure.")
    members = _travelling(locked)
    if not members:
        raise DepartureError(f"Nobody in {locked.reference} is travelling.")
    needs = {m.person_id: special_needs_of(m.person.specific_needs) for m in members}
    _refuse_if_full(claimed, locked.reference, list(needs.values()))
    _casework(lambda: casework.transition_household(
        actor=actor, household=locked, target=Stage.BOOKED, expected_version=None,
        reason=reason or f"Booked on {claimed.code}", via_departure=True,
        departure_date=claimed.date, today=day))
    entries = []
    for m in members:
        entry, _created = ManifestEntry.objects.update_or_create(
            departure=claimed, person=m.person,
            defaults={"household": locked, "status": ManifestStatus.PLANNED, "reason": "",
                      "special_needs": needs[m.person_id], "removed_at": None,
                      "removed_by": None, "checked_in_at": None, "checked_in_by": None},
        )
        entries.append(entry)
    record(actor=actor, action="departure.booked", obj=claimed,
           detail={"household": str(locked.pk), "passengers": len(entries)})
    return entries


@transaction.atomic
def remove_household(
    *, actor: Any, departure: Any, household: Any, expected_version: int | None, reason: str
) -> None:
    """Take a household off a planned departure (whole, with a reason); back to ready."""
    reason = reason.strip()
    if not reason:
        raise DepartureError("Taking a household off a manifest needs a reason.")
    claimed = _claim(departure, expected_version)
    if claimed.status != DepartureStatus.PLANNED:
        raise DepartureError(
            f"{claimed.code} is {claimed.status}: its manifest can no longer be changed "
            "(cancel the departure, or record a no-show on the day).")
    household_id = household.pk if hasattr(household, "pk") else household
    lines = ManifestEntry.objects.filter(
        departure=claimed, household_id=household_id, status=ManifestStatus.PLANNED)
    if not lines.exists():
        raise DepartureError("That household is not on this manifest.")
    lines.update(status=ManifestStatus.REMOVED, reason=reason[:500], removed_at=timezone.now(),
                 removed_by=_user(actor), version=F("version") + 1)
    target = Household.objects.get(pk=household_id)
    if target.stage == Stage.BOOKED:
        _casework(lambda: casework.transition_household(
            actor=actor, household=target, target=Stage.READY, expected_version=None,
            reason=f"Taken off {claimed.code}: {reason}", via_departure=True))
    record(actor=actor, action="departure.household_removed", obj=claimed,
           detail={"household": str(household_id)})


@transaction.atomic
def record_manifest(*, actor: Any, departure: Departure, variant: str, fmt: str,
                    passengers: int, columns: list[str]) -> None:
    """Audit one manifest generation (who, which departure, which variant and columns)."""
    record(actor=actor, action="departure.manifest", obj=departure,
           detail={"variant": variant, "format": fmt, "passengers": passengers,
                   "columns": columns})


# --------------------------------------------------------------------------- departure day

#: the rule shown on the boarding page
NO_SHOW_RULE = (
    "Households travel whole. A no-show takes the whole household off this departure: "
    "every member's line is marked as not travelling and the household goes back to ready, "
    "to be planned again. If the family decides the others should go without that member, "
    "record that split decision in casework first, then book them again. A no-show "
    "recorded by mistake can be undone while boarding is open."
)
#: check-in opens this many days before the departure date (transit centre, 24 h before)
CHECK_IN_OPENS_DAYS = 1


def _check_in_open(departure: Departure, day: date) -> None:
    from django.conf import settings

    if departure.status != DepartureStatus.CONFIRMED:
        raise DepartureError(
            f"Check-in is for confirmed departures; {departure.code} is {departure.status}.")
    if not getattr(settings, "DEMO_MODE", False) and (
        departure.date - day).days > CHECK_IN_OPENS_DAYS:
        raise DepartureError(
            f"Check-in for {departure.code} opens on the day before it leaves "
            f"({departure.date}).")


@transaction.atomic
def board(*, actor: Any, departure: Any, person: Any, today: date | None = None
          ) -> ManifestEntry:
    """Check a passenger in as boarded, if the guards would let the household depart."""
    day = _today(today)
    claimed = _claim(departure, None)
    _check_in_open(claimed, day)
    person_id = person.pk if hasattr(person, "pk") else person
    entry = ManifestEntry.objects.select_related("household", "person").filter(
        departure=claimed, person_id=person_id).first()
    if entry is None:
        raise DepartureError("That person is not on this manifest.")
    if entry.status != ManifestStatus.PLANNED:
        raise DepartureError(
            f"{entry.person.full_name} is already {entry.get_status_display().lower()}.")
    facts = casework.gather_facts(entry.household, today=claimed.date, via_departure=True)
    refusals = check_transition(facts, Stage.DEPARTED)
    if refusals:
        raise DepartureError(
            f"{entry.person.full_name} cannot board: " + " ".join(r.message for r in refusals))
    ManifestEntry.objects.filter(pk=entry.pk).update(
        status=ManifestStatus.BOARDED, checked_in_at=timezone.now(),
        checked_in_by=_user(actor), version=F("version") + 1)
    entry.refresh_from_db()
    record(actor=actor, action="departure.boarded", obj=claimed,
           detail={"person": str(person_id)})
    return entry


@transaction.atomic
def no_show(*, actor: Any, departure: Any, person: Any, reason: str,
            today: date | None = None) -> Household:
    """Record a no-show: the whole household is off this departure and back to ready."""
    reason = reason.strip()
    if not reason:
        raise DepartureError("A no-show needs a reason.")
    day = _today(today)
    claimed = _claim(departure, None)
    _check_in_open(claimed, day)
    person_id = person.pk if hasattr(person, "pk") else person
    entry = ManifestEntry.objects.select_related("household", "person").filter(
        departure=claimed, person_id=person_id).first()
    if entry is None:
        raise DepartureError("That person is not on this manifest.")
    if entry.status not in (ManifestStatus.PLANNED, ManifestStatus.BOARDED):
        raise DepartureError(
            f"{entry.person.full_name} is already {entry.get_status_display().lower()}.")
    now = timezone.now()
    household = entry.household
    ManifestEntry.objects.filter(pk=entry.pk).update(
        status=ManifestStatus.NO_SHOW, reason=reason[:500], checked_in_at=now,
        checked_in_by=_user(actor), version=F("version") + 1)
    ManifestEntry.objects.filter(
        departure=claimed, household=household,
        status__in=(ManifestStatus.PLANNED, ManifestStatus.BOARDED),
    ).update(status=ManifestStatus.NO_SHOW,
             reason="Household did not travel: a member was a no-show",
             checked_in_at=now, checked_in_by=_user(actor), version=F("version") + 1)
    if Household.objects.filter(pk=household.pk, stage=Stage.BOOKED).exists():
        _casework(lambda: casework.transition_household(
            actor=actor, household=household, target=Stage.READY, expected_version=None,
            reason=f"No-show on {claimed.code}: {reason}", via_departure=True, today=day))
    record(actor=actor, action="departure.no_show", obj=claimed,
           detail={"person": str(person_id), "household": str(household.pk)})
    return household


@transaction.atomic
def undo_no_show(*, actor: Any, departure: Any, person: Any, today: date | None = None
                 ) -> Household:
    """A no-show recorded by mistake (the family is at the gate after all): the whole
    household is back on this departure, if it still can be (seats, holds, documents)."""
    day = _today(today)
    claimed = _claim(departure, None)
    _check_in_open(claimed, day)
    person_id = person.pk if hasattr(person, "pk") else person
    entry = ManifestEntry.objects.select_related("person").filter(
        departure=claimed, person_id=person_id).first()
    if entry is None:
        raise DepartureError("That person is not on this manifest.")
    if entry.status != ManifestStatus.NO_SHOW:
        raise DepartureError(f"{entry.person.full_name} is not recorded as a no-show.")
    household = Household.objects.get(pk=entry.household_id)
    if household.stage != Stage.READY:
        raise DepartureError(
            f"{household.reference} is {Stage(household.stage).label.lower()} now; it cannot "
            "go back on this departure.")
    if ManifestEntry.objects.filter(household=household, status__in=SEAT_HOLDING,
                                    departure__status__in=(DepartureStatus.PLANNED,
                                                           DepartureStatus.CONFIRMED)).exists():
        raise DepartureError(f"{household.reference} is booked on another departure.")
    lines = ManifestEntry.objects.filter(departure=claimed, household=household,
                                         status=ManifestStatus.NO_SHOW)
    _refuse_if_full(claimed, household.reference,
                    [list(n or []) for n in lines.values_list("special_needs", flat=True)])
    _casework(lambda: casework.transition_household(
        actor=actor, household=household, target=Stage.BOOKED, expected_version=None,
        reason=f"No-show on {claimed.code} undone", via_departure=True,
        departure_date=claimed.date, today=day))
    passengers = lines.update(status=ManifestStatus.PLANNED, reason="", checked_in_at=None,
                              checked_in_by=None, version=F("version") + 1)
    record(actor=actor, action="departure.no_show_undone", obj=claimed,
           detail={"household": str(household.pk), "passengers": passengers})
    return household


@transaction.atomic
def close_departure(*, actor: Any, departure: Any, expected_version: int | None
                    ) -> list[Household]:
    """Confirmed -> departed once every passenger is checked in: boarded households move to
    departed (guards checked on the departure day), their members leave the camp."""
    claimed = _claim(departure, expected_version)
    if claimed.status != DepartureStatus.CONFIRMED:
        raise DepartureError(f"Only a confirmed departure can depart ({claimed.status}).")
    waiting = ManifestEntry.objects.filter(departure=claimed, status=ManifestStatus.PLANNED)
    if waiting.exists():
        raise DepartureError(
            f"{waiting.count()} passenger(s) are not checked in yet: mark each as boarded or "
            "no-show first.")
    boarded = ManifestEntry.objects.filter(departure=claimed, status=ManifestStatus.BOARDED)
    household_ids = list(boarded.values_list("household_id", flat=True).distinct())
    moved = []
    for household in Household.objects.filter(pk__in=household_ids).order_by("reference"):
        _casework(lambda h=household: casework.transition_household(
            actor=actor, household=h, target=Stage.DEPARTED, expected_version=None,
            reason=f"Departed on {claimed.code}", via_departure=True, today=claimed.date))
        moved.append(household)
    person_ids = list(boarded.values_list("person_id", flat=True))
    Person.objects.filter(pk__in=person_ids).update(
        status=PersonStatus.DEPARTED, left_camp=claimed.date, version=F("version") + 1,
        updated_at=timezone.now())
    Departure.objects.filter(pk=claimed.pk).update(
        status=DepartureStatus.DEPARTED, departed_at=timezone.now())
    claimed.status = DepartureStatus.DEPARTED
    record(actor=actor, action="departure.departed", obj=claimed,
           detail={"households": len(moved), "passengers": len(person_ids)})
    return moved


@transaction.atomic
def confirm_arrival(*, actor: Any, departure: Any, expected_version: int | None,
                    today: date | None = None) -> list[Household]:
    """Departed -> arrived: the households on board move to arrived."""
    claimed = _claim(departure, expected_version)
    if claimed.status != DepartureStatus.DEPARTED:
        raise DepartureError(f"Only a departed departure can arrive ({claimed.status}).")
    boarded = ManifestEntry.objects.filter(departure=claimed, status=ManifestStatus.BOARDED)
    household_ids = list(boarded.values_list("household_id", flat=True).distinct())
    moved = []
    for household in Household.objects.filter(pk__in=household_ids).order_by("reference"):
        if household.stage != Stage.DEPARTED:
            continue  # e.g. returned: nothing to confirm for it
        _casework(lambda h=household: casework.transition_household(
            actor=actor, household=h, target=Stage.ARRIVED, expected_version=None,
            reason=f"Arrived with {claimed.code}", via_departure=True, today=today))
        moved.append(household)
    boarded.update(status=ManifestStatus.ARRIVED, version=F("version") + 1)
    Departure.objects.filter(pk=claimed.pk).update(
        status=DepartureStatus.ARRIVED, arrived_at=timezone.now())
    claimed.status = DepartureStatus.ARRIVED
    record(actor=actor, action="departure.arrived", obj=claimed,
           detail={"households": len(moved)})
    return moved


# --------------------------------------------------------------------------- planning runs


@transaction.atomic
def start_planning_run(*, actor: Any, purpose: str, time_limit: float | None = None,
                       seed: int = 0, in_thread: bool = True) -> PlanningRun:
    """Store a run and start the planner on a thread after commit (one run at a time)."""
    if purpose not in PlanPurpose.values:
        raise DepartureError(f"Unknown planning purpose {purpose!r}.")
    for run in PlanningRun.objects.select_for_update().filter(
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING)):
        if not is_stale(run):
            raise DepartureError("A plan is being computed already; wait for it to finish.")
        PlanningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, progress="Stopped (the server restarted)")
    limit = time_limit if time_limit is not None else WEB_TIME_LIMIT[PlanPurpose(purpose)]
    run = PlanningRun.objects.create(purpose=purpose, requested_by=_user(actor),
                                     time_limit=limit, seed=seed,
                                     progress="Waiting to start")
    record(actor=actor, action="departure.plan_started", obj=run,
           detail={"purpose": purpose, "time_limit": limit})
    if in_thread:
        start_in_thread(run.pk)
    return run


@dataclass(frozen=True)
class BookingOutcome:
    household: Household
    departure: Departure | None
    ok: bool
    message: str


def apply_run(*, actor: Any, run: PlanningRun, today: date | None = None
              ) -> list[BookingOutcome]:
    """Book a finished "book" plan: each household in its own transaction, so one refusal
    (a hold placed since, a document revoked) leaves the others booked."""
    with transaction.atomic():
        claimed = PlanningRun.objects.filter(
            pk=run.pk, status=RunStatus.DONE, purpose=PlanPurpose.BOOK, applied_at__isnull=True,
        ).update(applied_at=timezone.now())
        if not claimed:
            raise DepartureError(
                "Only a finished booking plan that was not applied yet can be booked.")
        record(actor=actor, action="departure.plan_applied", obj=run,
               detail={"households": len(run.result.get("assignments", {}))})
    assignments: dict[str, str] = dict(run.result.get("assignments", {}))
    departures = {str(d.pk): d for d in Departure.objects.filter(
        pk__in=list(set(assignments.values()))).select_related("destination")}
    households = {str(h.pk): h for h in Household.objects.filter(pk__in=list(assignments))}
    outcomes: list[BookingOutcome] = []
    for household_id, departure_id in sorted(
            assignments.items(), key=lambda kv: households[kv[0]].reference
            if kv[0] in households else kv[0]):
        household = households.get(household_id)
        departure = departures.get(departure_id)
        if household is None or departure is None:
            continue
        try:
            book_household(actor=actor, departure=departure, household=household,
                           reason="Booked from the plan", today=today)
        except DepartureError as exc:
            outcomes.append(BookingOutcome(household, departure, False, str(exc)))
        else:
            outcomes.append(BookingOutcome(household, departure, True,
                                           f"Booked on {departure.code}"))
    return outcomes
