"""The camp's headline numbers, for the home page and ``resettle stats``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum

from resettle.core.stages import HoldType, Stage
from resettle.registry.models import Household, Person, PersonStatus


def _numbers(persons: QuerySet[Person], households: QuerySet[Household]) -> dict[str, Any]:
    from resettle.casework.models import Hold, HoldStatus
    from resettle.departures.models import ManifestEntry, ManifestStatus
    from resettle.incidents.models import Incident

    by_stage = {stage.value: 0 for stage in Stage}
    for row in households.values("stage").annotate(n=Count("id")):
        by_stage[row["stage"]] = row["n"]
    departed_by_destination: dict[str, int] = {}
    destination_rows = (
        ManifestEntry.objects.filter(
            status__in=[ManifestStatus.BOARDED, ManifestStatus.ARRIVED], person__in=persons
        )
        .values("departure__destination__code")
        .annotate(n=Count("person", distinct=True))
        .order_by("departure__destination__code")
    )
    for dest_row in destination_rows:
        departed_by_destination[dest_row["departure__destination__code"]] = dest_row["n"]
    holds_active = {h.value: 0 for h in HoldType}
    for hold_row in (
        Hold.objects.filter(status=HoldStatus.ACTIVE, person__in=persons)
        .values("hold_type")
        .annotate(n=Count("id"))
    ):
        holds_active[hold_row["hold_type"]] = hold_row["n"]
    return {
        "persons_total": persons.count(),
        "residents_present": persons.filter(status=PersonStatus.PRESENT).count(),
        "departed": persons.filter(status=PersonStatus.DEPARTED).count(),
        "deceased": persons.filter(status=PersonStatus.DECEASED).count(),
        "households_total": households.count(),
        "by_stage": by_stage,
        "departed_by_destination": departed_by_destination,
        "holds_active": holds_active,
        "incidents": Incident.objects.count(),
        "casualties_killed": Incident.objects.aggregate(
            n=Count("casualties", filter=_killed())
        )["n"],
        "places_pledged": _pledged(),
        **_casework(households),
    }


def _casework(households: QuerySet[Household]) -> dict[str, Any]:
    """What holds the operation back: households per blocking hold type, median days per
    stage (households now in each open stage; stages with none are absent)."""
    from django.utils import timezone

    from resettle.casework.selectors import blocked_by_hold_type, median_days_in_stage

    return {
        "blocked_by_hold_type": blocked_by_hold_type(households),
        "days_in_stage": median_days_in_stage(households, today=timezone.localdate()),
    }


def _killed() -> Any:
    from django.db.models import Q

    return Q(casualties__outcome="killed")


def _pledged() -> int:
    from resettle.destinations.models import Pledge

    return int(Pledge.objects.aggregate(n=Sum("places"))["n"] or 0)


def schema_ready() -> bool:
    """False on a database that was never migrated (e.g. a data dir not yet used)."""
    from django.db import connection

    return Household._meta.db_table in connection.introspection.table_names()


def empty_stats() -> dict[str, Any]:
    """The numbers of an operation with nothing in it, without touching the database."""
    return {
        "persons_total": 0,
        "residents_present": 0,
        "departed": 0,
        "deceased": 0,
        "households_total": 0,
        "by_stage": {stage.value: 0 for stage in Stage},
        "departed_by_destination": {},
        "holds_active": {h.value: 0 for h in HoldType},
        "incidents": 0,
        "casualties_killed": 0,
        "places_pledged": 0,
        "blocked_by_hold_type": {h.value: 0 for h in HoldType},
        "days_in_stage": {},
    }


def operation_stats() -> dict[str, Any]:
    """Whole-operation aggregates (no personal data) for the CLI and partners."""
    return _numbers(Person.objects.all(), Household.objects.all())


def headline_numbers(user: Any) -> dict[str, Any]:
    """The same numbers restricted to what ``user`` may see: counts about records outside
    the scope, or about fields the role may not see, are left out entirely."""
    from resettle.accounts.policy import Action, FieldGroup
    from resettle.accounts.selectors import scope_for
    from resettle.destinations.models import Destination
    from resettle.incidents.selectors import casualty_counts, incidents_for
    from resettle.registry.selectors import households_for, persons_for

    scope = scope_for(user)
    numbers = _numbers(persons_for(user), households_for(user))
    if scope.can(Action.VIEW_INCIDENTS) and scope.operation_wide:
        visible = list(incidents_for(user))
        numbers["incidents"] = len(visible)
        numbers["casualties_killed"] = sum(casualty_counts(i)[0] for i in visible)
    else:
        del numbers["incidents"], numbers["casualties_killed"]
    if not scope.operation_wide:
        del numbers["places_pledged"]
        own = set(
            Destination.objects.filter(pk__in=list(scope.liaison_destination_ids))
            .values_list("code", flat=True)
        )
        numbers["departed_by_destination"] = {
            code: n for code, n in numbers["departed_by_destination"].items() if code in own
        }
    if not scope.sees(FieldGroup.HOLDS):
        numbers.pop("holds_active", None)
        numbers.pop("blocked_by_hold_type", None)
    if not scope.sees(FieldGroup.CASE):
        numbers.pop("by_stage", None)
        numbers.pop("days_in_stage", None)
    return numbers
