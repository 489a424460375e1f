"""The series behind the dashboard, the situation report and the HXL aggregates.

All aggregates, computed from records the user may see. Monthly buckets keep the charts
readable over a multi-year operation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q

from resettle.casework.models import Hold, HoldStatus, StageChange
from resettle.core.stages import PIPELINE, HoldType
from resettle.departures.models import ManifestEntry, ManifestStatus
from resettle.incidents.selectors import casualty_counts, incidents_for
from resettle.registry.models import Membership
from resettle.registry.selectors import households_for, persons_for


def month_starts(first: date, last: date) -> list[date]:
    months = []
    current = first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


@dataclass
class Dashboard:
    months: list[date]
    present: list[int]
    departures_by_destination: dict[str, Sequence[float]]
    funnel: list[tuple[str, int]]
    holds: list[tuple[str, int]]
    incidents: list[tuple[date, str, int, int]]
    exposure: list[float]
    totals: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [m.strftime("%Y-%m") for m in self.months]


def build_dashboard(user: Any, *, today: date | None = None) -> Dashboard:
    today = today or date.today()
    persons = persons_for(user)
    rows = list(persons.values_list("pk", "arrived_in_camp", "left_camp", "status"))
    # the operation starts with its first registration (arrivals may be years earlier)
    started = (
        StageChange.objects.filter(household__in=households_for(user))
        .order_by("at").values_list("at", flat=True).first()
    )
    first = started.date() if started else min(
        (r[1] for r in rows if r[1]), default=today - timedelta(days=365))
    first = min(max(first, today - timedelta(days=6 * 365)), today)
    months = month_starts(first, today)
    risk_of = _person_risk(user)
    present, exposure = [], []
    for month in months:
        end = min(_next_month(month), today + timedelta(days=1))
        count = 0
        person_days = 0.0
        for pk, arrived, left, _status in rows:
            if arrived is None or arrived >= end or (left is not None and left < month):
                continue
            if left is None or left >= end:
                count += 1
            start_day = max(arrived, month)
            stop_day = min(left, end) if left is not None else end
            person_days += risk_of.get(pk, 0.0) * max((stop_day - start_day).days, 0)
        present.append(count)
        exposure.append(round(person_days, 1))
    departures: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    index = {m: i for i, m in enumerate(months)}
    for entry in (
        ManifestEntry.objects.filter(
            person__in=persons, status__in=[ManifestStatus.BOARDED, ManifestStatus.ARRIVED]
        )
        .values("departure__date", "departure__destination__code")
        .annotate(n=Count("id"))
    ):
        month = entry["departure__date"].replace(day=1)
        if month in index:
            departures[entry["departure__destination__code"]][index[month]] += entry["n"]
    by_stage = dict(
        households_for(user).values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    funnel = [(stage.label, int(by_stage.get(stage.value, 0))) for stage in PIPELINE]
    holds = dict(
        Hold.objects.filter(status=HoldStatus.ACTIVE, person__in=persons)
        .values_list("hold_type")
        .annotate(n=Count("id"))
        .values_list("hold_type", "n")
    )
    incident_rows = [
        (i.occurred_at.date(), i.get_incident_type_display(), *casualty_counts(i))
        for i in incidents_for(user).order_by("occurred_at")
    ]
    return Dashboard(
        months=months,
        present=present,
        departures_by_destination=dict(sorted(departures.items())),
        funnel=funnel,
        holds=[(h.value, int(holds.get(h.value, 0))) for h in HoldType],
        incidents=incident_rows,
        exposure=exposure,
    )


def _person_risk(user: Any) -> dict[Any, float]:
    """Each visible person's household risk (the latest score, used for every month)."""
    return {
        pk: risk
        for pk, risk in Membership.objects.filter(
            active=True, household__in=households_for(user)
        ).values_list("person_id", "household__risk")
    }


def aggregate_rows(user: Any, *, on: date) -> list[dict[str, Any]]:
    """Counts by site, stage and destination for partners: no individual rows."""
    households = households_for(user)
    members = Membership.objects.filter(active=True, household__in=households)
    rows: list[dict[str, Any]] = []
    grouped = (
        members.values("household__site__name", "household__stage", "household__destination__code")
        .annotate(
            in_camp=Count("person", filter=Q(person__status="present")),
            departed=Count("person", filter=Q(person__status="departed")),
        )
        .order_by("household__site__name", "household__stage", "household__destination__code")
    )
    for g in grouped:
        rows.append(
            {
                "date": on.isoformat(),
                "site": g["household__site__name"],
                "stage": g["household__stage"],
                "destination": g["household__destination__code"] or "",
                "in_camp": g["in_camp"],
                "departed": g["departed"],
                "event_type": "",
                "killed": "",
                "injured": "",
            }
        )
    for incident in incidents_for(user).order_by("occurred_at"):
        killed, injured = casualty_counts(incident)
        rows.append(
            {
                "date": incident.occurred_at.date().isoformat(),
                "site": incident.site.name,
                "stage": "",
                "destination": "",
                "in_camp": "",
                "departed": "",
                "event_type": incident.incident_type,
                "killed": killed,
                "injured": injured,
            }
        )
    return rows
