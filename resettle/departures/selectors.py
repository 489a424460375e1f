"""Every read of departures, manifests and planning runs, always scoped to the user.

A departure belongs to its origin site: operation-wide roles narrowed to sites see the
departures leaving from those sites; liaisons (and anyone without VIEW_DEPARTURES) see
none. Out of scope answers exactly like missing (404).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from resettle.accounts.policy import Action
from resettle.accounts.selectors import Scope, scope_for
from resettle.departures.models import (
    Departure,
    DepartureStatus,
    ManifestEntry,
    ManifestStatus,
    PlanningRun,
)
from resettle.registry.models import Household, Membership

#: manifest lines that hold a seat (removed and no-show lines free it)
SEAT_HOLDING: tuple[str, ...] = (
    ManifestStatus.PLANNED,
    ManifestStatus.BOARDED,
    ManifestStatus.ARRIVED,
)
#: departures whose seats the planner may still fill
OPEN_STATUSES: tuple[str, ...] = (DepartureStatus.PLANNED, DepartureStatus.CONFIRMED)


def departure_scope_q(scope: Scope) -> Q:
    if not scope.can(Action.VIEW_DEPARTURES) or not scope.operation_wide:
        return Q(pk__in=[])
    if scope.site_ids is None:
        return Q()
    return Q(origin_id__in=list(scope.site_ids))


def departures_for(user: Any) -> QuerySet[Departure]:
    scope = scope_for(user)
    return Departure.objects.filter(departure_scope_q(scope)).select_related(
        "origin", "destination"
    )


def _parse_id(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise Http404("No such record.") from exc


def get_departure(user: Any, departure_id: object) -> Departure:
    try:
        return departures_for(user).get(pk=_parse_id(departure_id))
    except Departure.DoesNotExist as exc:
        raise Http404("No such record.") from exc


def with_counts(qs: QuerySet[Departure]) -> QuerySet[Departure]:
    """Add ``booked`` (seat-holding lines), ``boarded`` and ``households`` counts."""
    return qs.annotate(
        booked=Count("manifest", filter=Q(manifest__status__in=SEAT_HOLDING), distinct=True),
        boarded=Count(
            "manifest",
            filter=Q(manifest__status__in=(ManifestStatus.BOARDED, ManifestStatus.ARRIVED)),
            distinct=True,
        ),
        households=Count(
            "manifest__household",
            filter=Q(manifest__status__in=SEAT_HOLDING),
            distinct=True,
        ),
    )


def seats_used(departure: Departure) -> tuple[int, dict[str, int]]:
    """Seats and special places taken by lines that hold a seat."""
    lines = ManifestEntry.objects.filter(departure=departure, status__in=SEAT_HOLDING)
    seats = 0
    special: dict[str, int] = defaultdict(int)
    for needs in lines.values_list("special_needs", flat=True):
        seats += 1
        for need in needs or []:
            special[str(need)] += 1
    return seats, dict(special)


@dataclass
class ManifestHousehold:
    """One household's lines on one departure, in the order the page and files show."""

    household: Household
    lines: list[ManifestEntry] = field(default_factory=list)
    relationships: dict[Any, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """The household's state on this departure, from its lines."""
        states = {line.status for line in self.lines}
        if states == {ManifestStatus.REMOVED}:
            return "removed"
        if ManifestStatus.NO_SHOW in states:
            return "no_show"
        if states <= {ManifestStatus.BOARDED}:
            return "boarded"
        if states <= {ManifestStatus.ARRIVED}:
            return "arrived"
        return "planned"

    @property
    def seat_count(self) -> int:
        return sum(1 for line in self.lines if line.status in SEAT_HOLDING)


def manifest_of(departure: Departure, *, statuses: tuple[str, ...] | None = None,
                ) -> list[ManifestHousehold]:
    """The departure's lines grouped by household (households in reference order).

    The departure must come from ``get_departure`` (already scoped); its manifest is
    part of it.
    """
    lines = ManifestEntry.objects.filter(departure=departure).select_related(
        "household", "person"
    )
    if statuses is not None:
        lines = lines.filter(status__in=statuses)
    grouped: dict[Any, ManifestHousehold] = {}
    for line in lines.order_by("household__reference", "person__date_of_birth", "person_id"):
        group = grouped.get(line.household_id)
        if group is None:
            group = grouped[line.household_id] = ManifestHousehold(line.household)
        group.lines.append(line)
    relationships = dict(
        Membership.objects.filter(household_id__in=list(grouped), active=True).values_list(
            "person_id", "relationship"
        )
    )
    order = {"principal": 0, "spouse": 1}
    for group in grouped.values():
        group.relationships = {
            line.person_id: relationships.get(line.person_id, "") for line in group.lines
        }
        for line in group.lines:  # for templates: the line's relationship in words
            line.relationship_label = group.relationships[line.person_id].replace("_", " ")
        group.lines.sort(key=lambda ln: (order.get(group.relationships[ln.person_id], 2),
                                         ln.person.date_of_birth))
    return sorted(grouped.values(), key=lambda g: g.household.reference)


def latest_run(user: Any, purpose: str | None = None) -> PlanningRun | None:
    """The newest planning run (any user's): runs are operation-wide, like the plan."""
    if not scope_for(user).can(Action.VIEW_DEPARTURES):
        return None
    runs = PlanningRun.objects.all()
    if purpose is not None:
        runs = runs.filter(purpose=purpose)
    return runs.order_by("-created_at").first()
