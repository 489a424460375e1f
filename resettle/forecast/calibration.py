"""The live operation as a forecast scenario (``resettle simulate --from-db``, the web UI).

Reads the database once and builds a ``resettle.core.simulation.Scenario`` (day 0 =
``today``) plus a JSON-ready summary of where each number came from, so a planner can
see which parts are observed and which are assumptions:

- households still in the camp, with their stage, travelling size, risk and destination;
- stage durations from the ``StageChange`` history: resampled when there are enough
  observations, a fitted lognormal when there are a few, the reference scenario's
  value (``demo_camp.toml``) when there are almost none;
- demonstrated capacity: the most moves into a stage (and decisions per destination)
  seen in any 30 days of the last year, as a quota (what the team has shown it can do);
- places left per destination exactly as casework counts them (pledges not ended minus
  travelling members of households submitted there or further);
- holds: rates and durations from their history, and the holds active today on each
  household's travelling members (lifting on their review date when it is still ahead,
  else after a remaining duration drawn from the type's duration); scheduled departures
  (planned and confirmed) continued at the pace of the last year, attacks and their
  death rate, withdrawals and disappearances.

Numbers only: nothing personal leaves this module (no names, no references).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from resettle.casework.models import Hold, HoldStatus, StageChange, Submission, SubmissionStatus
from resettle.core.simulation import DEMO_SCENARIO, Distribution, Scenario, load_scenario
from resettle.core.simulation.scenario import (
    QUOTA_STAGES,
    START_STAGES,
    TIMED_STAGES,
    CurrentHold,
    DepartureSpec,
    DestinationSpec,
    HoldSpec,
    HouseholdGroup,
    IncidentSpec,
    Pledge,
    StageSpec,
)
from resettle.core.stages import CLOSURES, IN_CAMP, PIPELINE, Decision, HoldType, Stage
from resettle.departures.models import Departure, DepartureStatus
from resettle.destinations.models import Destination
from resettle.destinations.models import Pledge as PledgeRow
from resettle.incidents.models import Casualty, CasualtyOutcome, Exposure, Incident
from resettle.registry.models import Household, Membership, PersonStatus

#: at least this many observed durations: resample them (empirical distribution)
EMPIRICAL_MIN = 30
#: at least this many: fit a lognormal (mean, coefficient of variation); fewer: default
FIT_MIN = 5
#: an empirical distribution keeps at most this many values (its quantiles), so the
#: scenario snapshot stored with a run stays small
EMPIRICAL_POINTS = 200
#: demonstrated capacity: the most moves in any window of this many days ...
CAPACITY_WINDOW_DAYS = 30
#: ... within this many days before today
CAPACITY_LOOKBACK_DAYS = 365
#: departures after the last scheduled one keep the pace of this many past days
DEPARTURE_LOOKBACK_DAYS = 365
#: a destination without a past departure gets one of this many seats every ... days
FALLBACK_DEPARTURE_SEATS = 60
FALLBACK_DEPARTURE_EVERY_DAYS = 60.0
#: rates per household-year need at least this much observed time; less: the defaults
MIN_HOUSEHOLD_YEARS = 1.0
HORIZON_DAYS = 3650.0
REPORT_STEP_DAYS = 7.0
#: stages counted as "committed" to a destination (casework.services.COMMITTED_STAGES)
COMMITTED: tuple[Stage, ...] = PIPELINE[PIPELINE.index(Stage.SUBMITTED) :]
ACCEPTING = frozenset({Decision.ACCEPTED.value, Decision.SPLIT.value})


class CalibrationError(ValueError):
    """The database cannot make a scenario (e.g. no destination at all)."""


@dataclass
class Calibration:
    """The scenario and, for the page and the report, where each number came from."""

    scenario: Scenario
    summary: dict[str, Any] = field(default_factory=dict)


def _days(later: datetime | date, earlier: datetime | date) -> float:
    if isinstance(later, datetime) and isinstance(earlier, datetime):
        return (later - earlier).total_seconds() / 86400.0
    return float((_as_date(later) - _as_date(earlier)).days)


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def fit_duration(
    values: Sequence[float], fallback: Distribution
) -> tuple[Distribution, str]:
    """A distribution for observed durations (days) and how it was obtained."""
    clean = sorted(max(0.0, float(v)) for v in values if math.isfinite(v))
    n = len(clean)
    if n >= EMPIRICAL_MIN:
        if n > EMPIRICAL_POINTS:
            # quantiles at the midpoints of EMPIRICAL_POINTS equal slices: same shape
            clean = [
                clean[min(n - 1, int((i + 0.5) * n / EMPIRICAL_POINTS))]
                for i in range(EMPIRICAL_POINTS)
            ]
        return Distribution.empirical([round(v, 3) for v in clean]), "empirical"
    if n >= FIT_MIN:
        mean = sum(clean) / n
        if mean <= 0:
            return Distribution.fixed(0.0), "fitted"
        var = sum((v - mean) ** 2 for v in clean) / (n - 1)
        cv = min(3.0, max(0.1, math.sqrt(var) / mean))
        return Distribution.lognormal(round(mean, 3), round(cv, 3)), "fitted"
    return fallback, "default"


def _describe(dist: Distribution, method: str, n: int) -> dict[str, Any]:
    return {"observations": n, "method": method, "mean_days": round(dist.expected, 1),
            "distribution": dist.kind}


def _max_in_window(days: Iterable[float], window: float) -> int:
    """The most events within any ``window`` days (sliding, event-anchored)."""
    ordered = sorted(days)
    best = 0
    lo = 0
    for hi, day in enumerate(ordered):
        while day - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class _History:
    """Stage changes of the households in scope, by household, in time order."""

    changes: dict[Any, list[tuple[str, str, datetime]]]

    def forward_moves(self) -> Iterable[tuple[Any, Stage, float, datetime]]:
        """(household, stage entered, days since entering the previous stage, when)
        for every move one step forward in the pipeline."""
        for household_id, rows in self.changes.items():
            for (_f0, to0, at0), (_f1, to1, at1) in itertools.pairwise(rows):
                if to0 not in _NEXT or _NEXT[to0] != to1:
                    continue
                yield household_id, Stage(to1), max(0.0, _days(at1, at0)), at1

    def household_years(self, today: date) -> float:
        """Household-years spent in the camp (registration to departure or closure)."""
        total = 0.0
        for rows in self.changes.values():
            if not rows:
                continue
            start = rows[0][2]
            end: datetime | date = today
            for _f, to, at in rows:
                if to == Stage.DEPARTED.value or to in _CLOSURE_VALUES:
                    end = at
                    break
            total += max(0.0, _days(_as_date(end), _as_date(start)))
        return total / 365.0

    def first_day(self) -> date | None:
        firsts = [rows[0][2] for rows in self.changes.values() if rows]
        return _as_date(min(firsts)) if firsts else None


_NEXT: dict[str, str] = {a.value: b.value for a, b in itertools.pairwise(PIPELINE)}
_CLOSURE_VALUES = frozenset(s.value for s in CLOSURES)


def _load_history(household_ids: Sequence[Any] | None) -> _History:
    rows = StageChange.objects.all()
    if household_ids is not None:
        rows = rows.filter(household_id__in=household_ids)
    changes: dict[Any, list[tuple[str, str, datetime]]] = defaultdict(list)
    for household_id, from_stage, to_stage, at in rows.order_by(
        "household_id", "at", "created_at"
    ).values_list("household_id", "from_stage", "to_stage", "at"):
        changes[household_id].append((from_stage, to_stage, at))
    return _History(dict(changes))


def _reference() -> Scenario:
    """The documented reference scenario: the source of every default."""
    return load_scenario(DEMO_SCENARIO)


def calibrate(
    *,
    today: date | None = None,
    site_ids: Iterable[Any] | None = None,
    horizon_days: float = HORIZON_DAYS,
    extrapolate_departures: bool = True,
    observed_capacity: bool = True,
    decision_capacity: bool = False,
    clear_by: Sequence[date] = (),
    name: str | None = None,
) -> Calibration:
    """Build the live operation's scenario (day 0 = ``today``).

    ``observed_capacity``: the camp's own teams (assessment, submissions, pre-departure,
    travel documents) get the most moves seen in 30 days of the last year as a quota.
    ``decision_capacity``: the same for each destination's decisions; off by default,
    because a destination decides at the pace files reach it (its speed is already in
    the decision durations), so its past maximum says little about its capacity.
    ``site_ids``: only households, departures and incidents at these sites (None: all);
    places left stay operation-wide (pledges are not per site), so households elsewhere
    still use them up.
    """
    day0 = today if today is not None else timezone.localdate()
    now = datetime.combine(day0, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    sites: list[Any] | None = None if site_ids is None else [str(s) for s in site_ids]
    ref = _reference()
    summary: dict[str, Any] = {"today": day0.isoformat(), "sites": sites}

    # ---- households in the camp
    households = Household.objects.filter(stage__in=sorted(s.value for s in IN_CAMP))
    all_scope = Household.objects.all()
    if sites is not None:
        households = households.filter(site_id__in=sites)
        all_scope = all_scope.filter(site_id__in=sites)
    rows = list(households.values_list("pk", "stage", "risk", "destination__code"))
    sizes = Counter(
        Membership.objects.filter(
            household__in=[r[0] for r in rows], active=True, travelling=True,
            person__status=PersonStatus.PRESENT,
        ).values_list("household_id", flat=True)
    )
    destinations = {d.code: d for d in Destination.objects.all()}
    if not destinations:
        raise CalibrationError("no destination is recorded; add destinations and pledges first")
    current = current_holds(households, day0)
    groups: Counter[tuple[Stage, int, float, str | None, tuple[CurrentHold, ...]]] = Counter()
    skipped_empty = 0
    moved_back = 0
    for _pk, stage_value, risk, code in rows:
        size = sizes.get(_pk, 0)
        if size == 0:
            skipped_empty += 1
            continue
        stage = Stage(stage_value)
        if stage == Stage.BOOKED:
            stage = Stage.READY  # booked: ready, and takes a seat again in the simulation
        if stage not in START_STAGES:
            continue
        needs_destination = PIPELINE.index(stage) >= PIPELINE.index(Stage.SUBMITTED)
        if needs_destination and code is None:
            stage, moved_back = Stage.ALLOCATED, moved_back + 1
        risk_ = round(min(1.0, max(0.0, float(risk or 0.0))), 2)
        groups[(stage, size, risk_, code, current.get(_pk, ()))] += 1
    household_groups = tuple(
        HouseholdGroup(count=n, size=size, risk=risk, stage=stage, destination=code, holds=held)
        for (stage, size, risk, code, held), n in sorted(
            groups.items(), key=lambda kv: (PIPELINE.index(kv[0][0]), kv[0][1], kv[0][2],
                                            kv[0][3] or "", _hold_key(kv[0][4]))
        )
    )
    by_stage: Counter[str] = Counter()
    persons_by_stage: Counter[str] = Counter()
    for g in household_groups:
        by_stage[g.stage.value] += g.count
        persons_by_stage[g.stage.value] += g.count * g.size
    summary["households"] = {
        "households": sum(g.count for g in household_groups),
        "persons": sum(g.count * g.size for g in household_groups),
        "by_stage": {s.value: by_stage[s.value] for s in START_STAGES},
        "persons_by_stage": {s.value: persons_by_stage[s.value] for s in START_STAGES},
        "booked_as_ready": sum(1 for r in rows if r[1] == Stage.BOOKED.value),
        "without_travelling_members": skipped_empty,
        "without_destination_moved_to_allocated": moved_back,
        "on_hold_today": sum(g.count for g in household_groups if g.holds),
        "on_hold_today_lift_unknown": sum(
            g.count for g in household_groups if any(h.lift_day is None for h in g.holds)
        ),
    }

    # ---- stage durations and demonstrated capacity
    history = _load_history(None if sites is None else list(all_scope.values_list("pk", flat=True)))
    observed: dict[Stage, list[float]] = defaultdict(list)
    entries: dict[Stage, list[float]] = defaultdict(list)
    decided_by_household: dict[Any, list[float]] = defaultdict(list)
    for household_id, stage, days, at in history.forward_moves():
        observed[stage].append(days)
        age = _days(now, at)
        if 0 <= age <= CAPACITY_LOOKBACK_DAYS:
            entries[stage].append(-age)
        if stage == Stage.DECIDED:
            decided_by_household[household_id].append(days)
    stages: dict[Stage, StageSpec] = {}
    stage_summary: dict[str, Any] = {}
    for stage in TIMED_STAGES:
        dist, method = fit_duration(observed[stage], ref.stage(stage).duration)
        quota = None
        if observed_capacity and stage in QUOTA_STAGES and len(entries[stage]) >= FIT_MIN:
            quota = max(1, _max_in_window(entries[stage], CAPACITY_WINDOW_DAYS))
        stages[stage] = StageSpec(
            stage=stage, duration=dist, quota=quota,
            quota_period_days=float(CAPACITY_WINDOW_DAYS),
        )
        stage_summary[stage.value] = {
            **_describe(dist, method, len(observed[stage])),
            "quota_per_30_days": quota,
        }
    summary["stages"] = stage_summary

    # ---- destinations: decisions (speed, acceptance, monthly capacity)
    household_dest = dict(all_scope.values_list("pk", "destination__code"))
    decided_days: dict[str, list[float]] = defaultdict(list)
    for household_id, values in decided_by_household.items():
        dest_code = household_dest.get(household_id)
        if dest_code:
            decided_days[dest_code].extend(values)
    submissions = Submission.objects.filter(
        status=SubmissionStatus.DECIDED, household__in=all_scope
    ).values_list("destination__code", "decision", "decided_at")
    outcomes: dict[str, list[bool]] = defaultdict(list)
    decision_days: dict[str, list[float]] = defaultdict(list)
    for code, decision, decided_at in submissions:
        if decision == Decision.DEFERRED.value:
            continue
        outcomes[code].append(decision in ACCEPTING)
        if decided_at is not None:
            age = _days(now, decided_at)
            if 0 <= age <= CAPACITY_LOOKBACK_DAYS:
                decision_days[code].append(-age)
    pooled = [ok for values in outcomes.values() for ok in values]
    pooled_rate = sum(pooled) / len(pooled) if len(pooled) >= FIT_MIN else 1.0
    all_decided = [v for values in decided_days.values() for v in values]
    overall_mean = sum(all_decided) / len(all_decided) if all_decided else 0.0
    in_scenario_codes = {g.destination for g in household_groups if g.destination}
    codes = sorted(
        c for c, d in destinations.items() if d.active or c in in_scenario_codes
    )
    if not codes:
        raise CalibrationError("no active destination; a forecast needs at least one")
    dest_specs: list[DestinationSpec] = []
    dest_summary: dict[str, Any] = {}
    for code in codes:
        seen = outcomes.get(code, [])
        rate = sum(seen) / len(seen) if len(seen) >= FIT_MIN else pooled_rate
        scale = 1.0
        took = decided_days.get(code, [])
        if len(took) >= FIT_MIN and overall_mean > 0:
            scale = min(5.0, max(0.2, (sum(took) / len(took)) / overall_mean))
        quota = None
        if decision_capacity and len(decision_days.get(code, [])) >= FIT_MIN:
            quota = max(1, _max_in_window(decision_days[code], CAPACITY_WINDOW_DAYS))
        dest_specs.append(DestinationSpec(
            code=code, accept_rate=round(rate, 4), decision_scale=round(scale, 4),
            decisions_per_period=quota, decision_period_days=float(CAPACITY_WINDOW_DAYS),
        ))
        dest_summary[code] = {
            "decisions_observed": len(seen), "accept_rate": round(rate, 4),
            "decision_scale": round(scale, 4), "decisions_per_30_days": quota,
        }

    # ---- places left (as casework counts them), opening on the pledges' dates
    pledges, places_summary = _pledges(codes, destinations, household_groups, day0)
    for code in codes:
        dest_summary[code].update(places_summary[code])
    summary["destinations"] = dest_summary

    # ---- departures: scheduled, then the pace of the last year
    departures, dep_summary = _departures(
        codes, sites, day0, horizon_days, extrapolate=extrapolate_departures
    )
    summary["departures"] = dep_summary

    # ---- holds, incidents, closures
    years = history.household_years(day0)
    holds, hold_summary = _holds(all_scope, households, years, ref, day0, household_groups)
    summary["holds"] = hold_summary
    incidents, incident_summary = _incidents(sites, history.first_day() or day0, day0)
    summary["incidents"] = incident_summary
    closures: Counter[str] = Counter()
    for rows_ in history.changes.values():
        for _f, to, _at in rows_:
            if to in (Stage.WITHDRAWN.value, Stage.DISAPPEARED.value):
                closures[to] += 1
    if years >= MIN_HOUSEHOLD_YEARS:
        withdrawn = closures[Stage.WITHDRAWN.value] / years
        disappeared = closures[Stage.DISAPPEARED.value] / years
    else:
        withdrawn, disappeared = ref.withdrawn_per_year, ref.disappeared_per_year
    summary["closures"] = {
        "method": "observed" if years >= MIN_HOUSEHOLD_YEARS else "default",
        "household_years_observed": round(years, 1),
        "withdrawn": closures[Stage.WITHDRAWN.value],
        "disappeared": closures[Stage.DISAPPEARED.value],
        "withdrawn_per_year": round(withdrawn, 5),
        "disappeared_per_year": round(disappeared, 5),
    }

    scenario = Scenario(
        name=name or f"Live operation on {day0.isoformat()}",
        households=household_groups,
        destinations=tuple(dest_specs),
        pledges=pledges,
        stages=stages,
        departures=departures,
        booking_lead_days=0.0,
        max_attempts=ref.max_attempts,
        resubmission_delay=ref.resubmission_delay,
        holds=holds,
        incidents=incidents,
        withdrawn_per_year=round(withdrawn, 5),
        disappeared_per_year=round(disappeared, 5),
        horizon_days=horizon_days,
        report_step_days=REPORT_STEP_DAYS,
        start_date=day0,
        clear_by_days=tuple(float(max(0, (d - day0).days)) for d in clear_by),
        policy="fcfs",
    )
    return Calibration(scenario=scenario, summary=summary)


def scenario_from_db(
    *,
    today: date | None = None,
    site_ids: Iterable[Any] | None = None,
    horizon_days: float = HORIZON_DAYS,
    extrapolate_departures: bool = True,
    observed_capacity: bool = True,
) -> Scenario:
    """The live operation as a scenario (what ``resettle simulate --from-db`` runs)."""
    return calibrate(
        today=today, site_ids=site_ids, horizon_days=horizon_days,
        extrapolate_departures=extrapolate_departures, observed_capacity=observed_capacity,
    ).scenario


def places_left(code_or_destination: Any, *, today: date) -> int:
    """Places pledged (pledges not ended) minus persons committed there: the casework
    count (``casework.services.pledged_room``), kept here as the calibration's oracle."""
    pledged = (
        PledgeRow.objects.filter(destination__code=str(code_or_destination))
        .filter(Q(period_end__isnull=True) | Q(period_end__gte=today))
        .aggregate(n=Sum("places"))["n"] or 0
    )
    committed = Membership.objects.filter(
        active=True, travelling=True, household__destination__code=str(code_or_destination),
        household__stage__in=[s.value for s in COMMITTED],
    ).count()
    return int(pledged) - committed


def _pledges(
    codes: Sequence[str],
    destinations: dict[str, Destination],
    groups: Sequence[HouseholdGroup],
    day0: date,
) -> tuple[tuple[Pledge, ...], dict[str, dict[str, Any]]]:
    """Scenario pledges per destination: the persons the scenario's own committed
    households hold (the engine counts them against the destination at day 0) plus the
    places left, opening when their pledge does (earliest pledges used up first)."""
    committed_rows = Counter(
        Membership.objects.filter(
            active=True, travelling=True,
            household__stage__in=[s.value for s in COMMITTED],
            household__destination__isnull=False,
        ).values_list("household__destination__code", flat=True)
    )
    in_scenario: Counter[str] = Counter()
    for g in groups:
        if g.destination and PIPELINE.index(g.stage) >= PIPELINE.index(Stage.SUBMITTED):
            in_scenario[g.destination] += g.count * g.size
    out: list[Pledge] = []
    info: dict[str, dict[str, Any]] = {}
    for code in codes:
        rows = list(
            PledgeRow.objects.filter(destination__code=code)
            .filter(Q(period_end__isnull=True) | Q(period_end__gte=day0))
            .order_by("period_start").values_list("places", "period_start")
        )
        pledged = sum(p for p, _s in rows)
        used = committed_rows.get(code, 0)
        left = pledged - used
        if in_scenario[code]:
            out.append(Pledge(code, in_scenario[code], 0.0))
        to_consume = used
        opening: list[dict[str, Any]] = []
        for places, start in rows:
            take = min(places, to_consume)
            to_consume -= take
            rest = places - take
            if rest > 0 and destinations[code].active:
                open_day = float(max(0, (start - day0).days))
                out.append(Pledge(code, rest, open_day))
                opening.append({"places": rest, "opens": max(start, day0).isoformat()})
        info[code] = {
            "places_pledged": pledged, "persons_committed": used, "places_left": left,
            "committed_in_camp": in_scenario[code], "opening": opening,
        }
    return tuple(out), info


def _departures(
    codes: Sequence[str], sites: list[Any] | None, day0: date, horizon: float, *,
    extrapolate: bool,
) -> tuple[tuple[DepartureSpec, ...], dict[str, Any]]:
    scheduled = Departure.objects.filter(
        status__in=(DepartureStatus.PLANNED, DepartureStatus.CONFIRMED), date__gte=day0,
        destination__code__in=list(codes),
    )
    past = Departure.objects.filter(
        status__in=(DepartureStatus.DEPARTED, DepartureStatus.ARRIVED),
        date__lt=day0, date__gte=day0 - timedelta(days=DEPARTURE_LOOKBACK_DAYS),
        destination__code__in=list(codes),
    )
    if sites is not None:
        scheduled = scheduled.filter(origin_id__in=sites)
        past = past.filter(origin_id__in=sites)
    specs: list[DepartureSpec] = []
    last_day: dict[str, float] = {}
    seats_scheduled = 0
    count = 0
    for code, when, seats in scheduled.order_by("date", "code").values_list(
        "destination__code", "date", "seats"
    ):
        day = float((when - day0).days)
        if day > horizon or seats < 1:
            continue
        specs.append(DepartureSpec(first_day=day, seats=int(seats), destinations=(code,)))
        last_day[code] = max(last_day.get(code, 0.0), day)
        seats_scheduled += int(seats)
        count += 1
    pace: dict[str, Any] = {}
    if extrapolate:
        history: dict[str, list[int]] = defaultdict(list)
        for code, seats in past.values_list("destination__code", "seats"):
            history[code].append(int(seats))
        all_seats = [s for values in history.values() for s in values]
        fallback_seats = (
            sorted(all_seats)[len(all_seats) // 2] if all_seats else FALLBACK_DEPARTURE_SEATS
        )
        for code in codes:
            seen = history.get(code, [])
            if seen:
                every = DEPARTURE_LOOKBACK_DAYS / len(seen)
                seats = max(1, round(sum(seen) / len(seen)))
                source = f"{len(seen)} in the last {DEPARTURE_LOOKBACK_DAYS} days"
            else:
                every, seats = FALLBACK_DEPARTURE_EVERY_DAYS, int(fallback_seats)
                source = "none in the last year: assumed"
            first = last_day.get(code, 0.0) + every
            if first <= horizon:
                specs.append(DepartureSpec(
                    first_day=round(first, 3), seats=seats, every_days=round(every, 3),
                    until_day=horizon, destinations=(code,),
                ))
            pace[code] = {"every_days": round(every, 1), "seats": seats, "source": source}
    return tuple(specs), {
        "scheduled": count, "scheduled_seats": seats_scheduled, "continued": pace,
    }


def current_holds(households: Any, day0: date) -> dict[Any, tuple[CurrentHold, ...]]:
    """The holds active on day 0, per household (of the ``households`` queryset).

    As casework's guards see them: active holds on active, travelling members. Per
    household and hold type the hold lifts on the latest review date of those holds
    when every one has a review date after ``day0``; otherwise its lift day is unknown
    (the simulator draws the remaining duration from the type's duration), since a
    review date today or past says only that nobody has looked yet.
    """
    members = Membership.objects.filter(household__in=households, active=True, travelling=True)
    households_of: dict[Any, set[Any]] = defaultdict(set)
    for person_id, household_id in members.values_list("person_id", "household_id"):
        households_of[person_id].add(household_id)
    lifts: dict[Any, dict[HoldType, list[date | None]]] = defaultdict(lambda: defaultdict(list))
    for person_id, hold_type, review in Hold.objects.filter(
        status=HoldStatus.ACTIVE, person_id__in=members.values("person_id")
    ).values_list("person_id", "hold_type", "review_date"):
        for household_id in households_of.get(person_id, ()):
            lifts[household_id][HoldType(hold_type)].append(
                review if review is not None and review > day0 else None
            )
    out: dict[Any, tuple[CurrentHold, ...]] = {}
    for household_id, by_type in lifts.items():
        held: list[CurrentHold] = []
        for hold_type in HoldType:
            reviews = by_type.get(hold_type)
            if not reviews:
                continue
            known = [r for r in reviews if r is not None]
            lift = float((max(known) - day0).days) if len(known) == len(reviews) else None
            held.append(CurrentHold(hold_type=hold_type, lift_day=lift))
        out[household_id] = tuple(held)
    return out


def _hold_key(holds: tuple[CurrentHold, ...]) -> tuple[tuple[str, float], ...]:
    """Sort key of a group's current holds (unknown lift days last)."""
    return tuple(
        (h.hold_type.value, math.inf if h.lift_day is None else h.lift_day) for h in holds
    )


def _holds(
    all_scope: Any, in_camp: Any, years: float, ref: Scenario, day0: date,
    groups: Sequence[HouseholdGroup] = (),
) -> tuple[tuple[HoldSpec, ...], dict[str, Any]]:
    """Hold arrival rates (per household-year) and durations per type, and what the
    scenario's households carry today. A type some household carries with an unknown
    lift day keeps its duration in the scenario even when its rate is 0 (the remaining
    duration is drawn from it)."""
    members = Membership.objects.filter(household__in=all_scope).values("person_id")
    holds = list(
        Hold.objects.filter(person_id__in=members)
        .exclude(status=HoldStatus.PROPOSED)
        .values_list("hold_type", "status", "start_date", "lifted_at", "review_date")
    )
    active_members = dict(
        Membership.objects.filter(household__in=in_camp, active=True)
        .values_list("person_id", "household_id")
    )
    active = Hold.objects.filter(person_id__in=list(active_members), status=HoldStatus.ACTIVE)
    ref_holds = {h.hold_type: h for h in ref.holds}
    specs: list[HoldSpec] = []
    info: dict[str, Any] = {}
    for hold_type in HoldType:
        rows = [h for h in holds if h[0] == hold_type.value]
        lifted = [
            _days(lifted_at.date(), start) for _t, status, start, lifted_at, _r in rows
            if status == HoldStatus.LIFTED and lifted_at is not None
        ]
        planned = [
            _days(review, start) for _t, status, start, _l, review in rows
            if status == HoldStatus.ACTIVE and review is not None and review >= start
        ]
        fallback = ref_holds[hold_type].duration if hold_type in ref_holds else (
            Distribution.gamma(30.0, 0.7))
        dist, method = fit_duration(lifted, fallback)
        if method == "default" and len(planned) >= FIT_MIN:
            dist, method = fit_duration(planned, fallback)
            method = f"{method} (review dates)"
        if years >= MIN_HOUSEHOLD_YEARS:
            rate, rate_method = len(rows) / years, "observed"
        else:
            rate = ref_holds[hold_type].rate_per_year if hold_type in ref_holds else 0.0
            rate_method = "default"
        carried = [(g.count, h) for g in groups for h in g.holds if h.hold_type == hold_type]
        unknown = sum(n for n, h in carried if h.lift_day is None)
        if rate > 0 or unknown:
            specs.append(HoldSpec(hold_type=hold_type, rate_per_year=round(rate, 5),
                                  duration=dist))
        active_rows = active.filter(hold_type=hold_type.value)
        known_days = [h.lift_day for n, h in carried for _ in range(n) if h.lift_day is not None]
        info[hold_type.value] = {
            "placed": len(rows), "rate_per_household_year": round(rate, 5),
            "rate_method": rate_method,
            "duration": _describe(dist, method, len(lifted)),
            "active_persons": active_rows.values("person_id").distinct().count(),
            "active_households": len({active_members[p] for p in
                                      active_rows.values_list("person_id", flat=True)}),
            "held_in_scenario": {
                "households": len(known_days) + unknown,
                "lift_day_known": len(known_days),
                "lift_day_unknown": unknown,
                "latest_lift_day": max(known_days) if known_days else None,
            },
        }
    return tuple(specs), info


def _incidents(
    sites: list[Any] | None, first_day: date, day0: date
) -> tuple[IncidentSpec, dict[str, Any]]:
    """Attacks (incidents that killed someone) per year over the operation so far, and
    the share of the residents present who died in each."""
    incidents = Incident.objects.filter(occurred_at__date__lte=day0)
    if sites is not None:
        incidents = incidents.filter(site_id__in=sites)
    killed_by = Counter(
        Casualty.objects.filter(incident__in=incidents, outcome=CasualtyOutcome.KILLED)
        .values_list("incident_id", flat=True)
    )
    attacks = list(killed_by)
    exposed = Counter(
        Exposure.objects.filter(incident_id__in=attacks).values_list("incident_id", flat=True)
    )
    first = min([first_day, *[_as_date(d) for d in incidents.values_list(
        "occurred_at", flat=True)]])
    span_years = max((day0 - first).days, 90) / 365.0
    rate = len(attacks) / span_years
    killed = sum(killed_by.values())
    at_risk = sum(exposed[i] for i in attacks)
    if at_risk == 0 and attacks:
        at_risk = len(attacks) * max(1, Membership.objects.filter(
            active=True, person__status=PersonStatus.PRESENT).count())
    fatality = min(1.0, killed / at_risk) if at_risk else 0.0
    spec = IncidentSpec(rate_per_year=round(rate, 5), fatality_per_person=round(fatality, 6))
    return spec, {
        "incidents": incidents.count(), "attacks_with_deaths": len(attacks), "killed": killed,
        "years_observed": round(span_years, 2), "rate_per_year": spec.rate_per_year,
        "fatality_per_person": spec.fatality_per_person,
    }
