"""Calibration from the database: the counts match the records, durations come from the
stage history, places left are casework's count, on the small camp and the demo camp."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from resettle.accounts.policy import Role
from resettle.audit.models import AuditEvent
from resettle.casework.models import Hold, HoldStatus, StageChange
from resettle.casework.services import pledged_room
from resettle.core.simulation import DEMO_SCENARIO, Scenario, load_scenario, simulate
from resettle.core.simulation.scenario import CurrentHold
from resettle.core.stages import IN_CAMP, PIPELINE, HoldType, Stage
from resettle.demo.loader import load_demo
from resettle.departures.models import Departure, DepartureStatus
from resettle.destinations.models import Destination, Pledge
from resettle.forecast import snapshot
from resettle.forecast.calibration import (
    EMPIRICAL_POINTS,
    Calibration,
    _max_in_window,
    calibrate,
    fit_duration,
    scenario_from_db,
)
from resettle.incidents.models import Casualty
from resettle.registry.models import Household, Membership, Person
from resettle.testing.fixtures import SmallCamp, make_user

TODAY = date(2026, 3, 1)


# --- pure helpers -------------------------------------------------------------------------


def test_fit_duration_empirical_fitted_or_default() -> None:
    fallback = load_scenario(DEMO_SCENARIO).stage(Stage.READY).duration
    many = [float(i % 37) for i in range(500)]
    dist, method = fit_duration(many, fallback)
    assert method == "empirical"
    assert len(dist.values) == EMPIRICAL_POINTS  # quantiles, not all 500 values
    assert dist.expected == pytest.approx(sum(many) / len(many), rel=0.02)
    dist, method = fit_duration([8.0, 10.0, 12.0, 9.0, 11.0], fallback)
    assert (method, dist.kind, dist.mean) == ("fitted", "lognormal", 10.0)
    assert dist.cv == pytest.approx(math.sqrt(2.5) / 10, abs=1e-3)
    dist, method = fit_duration([3.0, 4.0], fallback)
    assert (method, dist) == ("default", fallback)


def test_max_in_window_counts_the_busiest_stretch() -> None:
    assert _max_in_window([], 30) == 0
    assert _max_in_window([0, 1, 2, 40, 41, 42, 43, 69.9], 30) == 5
    assert _max_in_window([0, 30, 60], 30) == 1


# --- the small camp -----------------------------------------------------------------------


def _at(day: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=100 - day), datetime.min.time(), tzinfo=UTC)


def _history(household: Household, moves: list[tuple[str, int]]) -> None:
    previous = ""
    for stage, day in moves:
        StageChange.objects.create(household=household, from_stage=previous, to_stage=stage,
                                   at=_at(day))
        previous = stage


def test_small_camp_counts_match_the_records(camp: SmallCamp) -> None:
    cal = calibrate(today=TODAY)
    sc = cal.scenario
    assert sc.start_date == TODAY
    groups = {(g.stage, g.size, g.destination): g.count for g in sc.households}
    assert groups == {
        (Stage.SUBMITTED, 2, "DE"): 1, (Stage.SUBMITTED, 1, "NO"): 1,
        (Stage.REGISTERED, 1, None): 1,
    }
    assert sc.resident_count == 4
    assert cal.summary["households"]["by_stage"]["submitted"] == 2
    # places left as casework counts them (100 pledged, 2 and 1 committed)
    assert cal.summary["destinations"]["DE"]["places_left"] == 98
    assert cal.summary["destinations"]["NO"]["places_left"] == 99
    for code, committed in (("DE", 2), ("NO", 1)):
        room = pledged_room(Destination.objects.get(code=code), today=TODAY, exclude=None)
        total = sum(p.places for p in sc.pledges if p.destination == code)
        # the scenario holds the room left plus the places its own committed households use
        assert total == room + committed
    # no history: every duration is the reference scenario's, and no quota is invented
    ref = load_scenario(DEMO_SCENARIO)
    for stage, spec in sc.stages.items():
        assert spec.duration == ref.stage(stage).duration
        assert spec.quota is None
        assert cal.summary["stages"][stage.value]["method"] == "default"


def test_durations_come_from_the_history(camp: SmallCamp) -> None:
    # registered -> assessed five times (moved back in between): 10, 10, 12, 8, 10 days
    _history(camp.household_new, [
        ("registered", 0), ("assessed", 10), ("registered", 12), ("assessed", 22),
        ("registered", 25), ("assessed", 37), ("registered", 40), ("assessed", 48),
        ("registered", 50), ("assessed", 60), ("registered", 61),
    ])
    # a move that skips a stage is no observation of either
    _history(camp.household_no, [("registered", 0), ("allocated", 30)])
    sc = calibrate(today=TODAY).scenario
    assessed = sc.stage(Stage.ASSESSED)
    assert assessed.duration.kind == "lognormal"
    assert assessed.duration.mean == pytest.approx(10.0)
    # demonstrated capacity: the most moves into "assessed" within any 30 days
    assert assessed.quota == _max_in_window([10, 22, 37, 48, 60], 30)
    assert sc.stage(Stage.ALLOCATED).duration == load_scenario(DEMO_SCENARIO).stage(
        Stage.ALLOCATED).duration


def test_booked_counts_as_ready_and_left_households_are_not_in_it(camp: SmallCamp) -> None:
    Household.objects.filter(pk=camp.household_de.pk).update(stage="booked")
    Household.objects.filter(pk=camp.household_no.pk).update(stage="departed")
    sc = scenario_from_db(today=TODAY)
    groups = {(g.stage, g.size, g.destination): g.count for g in sc.households}
    assert groups == {(Stage.READY, 2, "DE"): 1, (Stage.REGISTERED, 1, None): 1}
    # the departed household's place is used up: NO keeps 99, DE keeps 98 + its own 2
    places = Counter[str]()
    for p in sc.pledges:
        places[p.destination] += p.places
    assert places == {"DE": 100, "NO": 99}


def test_departures_holds_and_attacks(camp: SmallCamp) -> None:
    Departure.objects.create(code="F1", date=TODAY + timedelta(days=10), origin=camp.site,
                             destination=camp.de, seats=40, status=DepartureStatus.CONFIRMED)
    Departure.objects.create(code="F0", date=TODAY - timedelta(days=5), origin=camp.site,
                             destination=camp.no, seats=30, status=DepartureStatus.ARRIVED)
    Departure.objects.create(code="FX", date=TODAY + timedelta(days=20), origin=camp.site,
                             destination=camp.no, seats=30, status=DepartureStatus.CANCELLED)
    person = camp.household_de.memberships.first().person  # type: ignore[union-attr]
    Hold.objects.create(person=person, hold_type="medical", reason="hospitalised",
                        status=HoldStatus.ACTIVE, start_date=TODAY - timedelta(days=3))
    cal = calibrate(today=TODAY)
    sc = cal.scenario
    scheduled = [d for d in sc.departures if d.every_days == 0]
    assert [(d.first_day, d.seats, d.destinations) for d in scheduled] == [(10.0, 40, ("DE",))]
    continued = {d.destinations: d for d in sc.departures if d.every_days > 0}
    # NO flew once in the last year with 30 seats: once a year from then on
    assert continued[("NO",)].seats == 30
    assert continued[("NO",)].every_days == pytest.approx(365.0)
    # DE has no past flight: the assumed pace, after its scheduled one
    assert continued[("DE",)].first_day == pytest.approx(10.0 + 60.0)
    assert cal.summary["holds"]["medical"]["active_persons"] == 1
    assert cal.summary["holds"]["medical"]["active_households"] == 1
    # no history to count rates over (no household-years): the reference rates
    ref = load_scenario(DEMO_SCENARIO)
    assert {h.hold_type: h.rate_per_year for h in sc.holds} == {
        h.hold_type: h.rate_per_year for h in ref.holds}
    assert cal.summary["holds"]["medical"]["rate_method"] == "default"
    assert sc.incidents.rate_per_year == 0.0


def test_snapshot_round_trip(camp: SmallCamp) -> None:
    _history(camp.household_new, [("registered", 0), ("assessed", 10)])
    sc = calibrate(today=TODAY, clear_by=[TODAY + timedelta(days=400)]).scenario
    back = snapshot.loads(snapshot.dumps(sc))
    assert back == sc
    assert back.clear_by_days == (400.0,)


def test_simulate_from_db_command(camp: SmallCamp, tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    stdout, stderr = StringIO(), StringIO()
    call_command("simulate", "--from-db", "--today", TODAY.isoformat(), "--replications", "20",
                 "--workers", "1", "--out", str(out), stdout=stdout, stderr=stderr)
    import json

    report = json.loads(out.read_text())
    assert report["start_date"] == TODAY.isoformat()
    assert report["residents"] == 4
    assert report["households"] == 3


# --- holds active today -------------------------------------------------------------------


def _hold(household: Household, hold_type: str, *, review: date | None = None,
          status: str = HoldStatus.ACTIVE, index: int = 0) -> Hold:
    person = household.memberships.order_by("created_at")[index].person
    return Hold.objects.create(person=person, hold_type=hold_type, reason="other",
                               status=status, start_date=TODAY - timedelta(days=20),
                               review_date=review)


def test_active_holds_enter_the_scenario(camp: SmallCamp) -> None:
    # an arrest warrant on each member of the DE household, reviewed in 30 and 45 days:
    # the household is held until the later one
    _hold(camp.household_de, "legal", review=TODAY + timedelta(days=30), index=0)
    _hold(camp.household_de, "legal", review=TODAY + timedelta(days=45), index=1)
    # a review date already past says nothing about the lift: unknown
    _hold(camp.household_no, "medical", review=TODAY - timedelta(days=1))
    # neither a lifted nor a merely proposed hold holds anyone back
    _hold(camp.household_new, "security", status=HoldStatus.LIFTED)
    _hold(camp.household_new, "administrative", status=HoldStatus.PROPOSED)
    cal = calibrate(today=TODAY)
    sc = cal.scenario
    held = {(g.destination, g.stage): g.holds for g in sc.households}
    assert held == {
        ("DE", Stage.SUBMITTED): (CurrentHold(HoldType.LEGAL, 45.0),),
        ("NO", Stage.SUBMITTED): (CurrentHold(HoldType.MEDICAL, None),),
        (None, Stage.REGISTERED): (),
    }
    # the unknown lift day is drawn from the medical duration, which the scenario keeps
    assert HoldType.MEDICAL in {h.hold_type for h in sc.holds}
    assert cal.summary["households"]["on_hold_today"] == 2
    assert cal.summary["households"]["on_hold_today_lift_unknown"] == 1
    assert cal.summary["holds"]["legal"]["held_in_scenario"] == {
        "households": 1, "lift_day_known": 1, "lift_day_unknown": 0, "latest_lift_day": 45.0,
    }
    # the stored snapshot keeps them
    assert snapshot.loads(snapshot.dumps(sc)) == sc
    # and the forecast keeps the DE household's 2 residents in the camp until day 45
    report = simulate(sc, replications=30, seed=3)
    present = report["residents_present"]
    assert present["p10"][44 // 7] >= 2
    assert report["clear_day"]["p10"] is None or report["clear_day"]["p10"] >= 45


def test_a_hold_without_a_review_date_ahead_is_unknown_even_with_another(
        camp: SmallCamp) -> None:
    _hold(camp.household_de, "security", review=TODAY + timedelta(days=10), index=0)
    _hold(camp.household_de, "security", review=None, index=1)
    _hold(camp.household_de, "medical", review=TODAY, index=1)  # today is not ahead
    sc = calibrate(today=TODAY).scenario
    de = next(g for g in sc.households if g.destination == "DE")
    assert de.holds == (CurrentHold(HoldType.MEDICAL, None), CurrentHold(HoldType.SECURITY, None))


def test_simulate_from_db_writes_an_audit_event(camp: SmallCamp, tmp_path: Path) -> None:
    _hold(camp.household_de, "legal", review=TODAY + timedelta(days=30))
    out = tmp_path / "f.json"
    call_command("simulate", "--from-db", "--today", TODAY.isoformat(), "--replications", "5",
                 "--workers", "1", "--out", str(out), "--lever", "pledge:DE:10:30",
                 stdout=StringIO(), stderr=StringIO())
    event = AuditEvent.objects.get(action="forecast.cli")
    assert event.actor_id is None and event.actor_username.startswith("console")
    assert event.roles == "admin"
    assert event.detail == {
        "channel": "cli", "today": TODAY.isoformat(), "sites": "all", "households": 3,
        "residents": 4, "on_hold_today": 1, "replications": 5, "seed": 0, "mode": "report",
        "levers": ["pledge DE +10 from day 30"], "policy": "fcfs",
    }
    # nothing personal: no name, reference or registration number of anyone in it
    text = str(event.detail)
    for person in Person.objects.all():
        for value in (person.given_name, person.family_name, person.registration_id):
            assert value not in text
    for household in Household.objects.all():
        assert household.reference not in text and str(household.pk) not in text


def test_simulate_from_db_as_a_named_user_covers_their_sites(camp: SmallCamp,
                                                             tmp_path: Path) -> None:
    manager = camp.users["manager"]
    call_command("simulate", "--from-db", "--user", manager.username, "--today",
                 TODAY.isoformat(), "--replications", "3", "--workers", "1",
                 "--out", str(tmp_path / "f.json"), stdout=StringIO(), stderr=StringIO())
    event = AuditEvent.objects.get(action="forecast.cli")
    assert event.actor_id == manager.pk
    assert event.detail["households"] == 3
    # a site-narrowed officer's forecast covers their site only (as on the web)
    officer = make_user("officer-b", Role.RESETTLEMENT, site=camp.other_site)
    call_command("simulate", "--from-db", "--user", officer.username, "--today",
                 TODAY.isoformat(), "--replications", "3", "--workers", "1",
                 "--out", str(tmp_path / "g.json"), stdout=StringIO(), stderr=StringIO())
    event = AuditEvent.objects.filter(action="forecast.cli").order_by("-seq")[0]
    assert event.actor_id == officer.pk
    assert event.detail["sites"] == [str(camp.other_site.pk)]
    assert event.detail["households"] == 1


@pytest.mark.parametrize(("user", "message"), [
    ("ghost", "--user: No active user named 'ghost'"),
    ("nobody", "may not run the forecast"),
    ("caseworker", "may not run the forecast"),
])
def test_simulate_from_db_refuses_unknown_or_unentitled_users(
        camp: SmallCamp, tmp_path: Path, user: str, message: str) -> None:
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("simulate", "--from-db", "--user", user, "--today", TODAY.isoformat(),
                     "--out", str(tmp_path / "f.json"), stdout=StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert message in err.getvalue()
    assert not AuditEvent.objects.filter(action="forecast.cli").exists()


# --- the demo camp (loaded once for the module) -------------------------------------------


@dataclass
class Demo:
    today: date
    cal: Calibration


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_demo(seed=11, data_dir=tmp_path_factory.mktemp("demo"))
            today = timezone.localdate()
            yield Demo(today, calibrate(today=today))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.slow
def test_demo_households_and_persons_match(demo: Demo, db: Any) -> None:
    sc = demo.cal.scenario
    in_camp = Household.objects.filter(stage__in=[s.value for s in IN_CAMP])
    assert sc.household_count == in_camp.count()
    persons = Membership.objects.filter(household__in=in_camp, active=True, travelling=True,
                                        person__status="present").count()
    assert sc.resident_count == persons
    by_stage = Counter(in_camp.values_list("stage", flat=True))
    expected = {s.value: by_stage[s.value] for s in PIPELINE[:7]}
    expected["ready"] += by_stage["booked"]
    assert demo.cal.summary["households"]["by_stage"] == expected
    risk = {h.pk: h.risk for h in in_camp}
    assert sum(g.count * g.risk for g in sc.households) == pytest.approx(
        sum(round(r, 2) for r in risk.values()), abs=1e-6)


@pytest.mark.slow
def test_demo_places_left_are_casework_room(demo: Demo, db: Any) -> None:
    for code, info in demo.cal.summary["destinations"].items():
        room = pledged_room(Destination.objects.get(code=code), today=demo.today, exclude=None)
        assert info["places_left"] == room
        total = sum(p.places for p in demo.cal.scenario.pledges if p.destination == code)
        assert total == max(0, room) + info["committed_in_camp"]
    assert Pledge.objects.count() >= len(demo.cal.summary["destinations"])


@pytest.mark.slow
def test_demo_durations_are_the_observed_moves(demo: Demo, db: Any) -> None:
    moves: dict[str, list[float]] = defaultdict(list)
    rows = StageChange.objects.order_by("household_id", "at", "created_at").values_list(
        "household_id", "to_stage", "at")
    last: dict[Any, tuple[str, datetime]] = {}
    order = [s.value for s in PIPELINE]
    for household_id, stage, at in rows:
        if household_id in last:
            prev, prev_at = last[household_id]
            if prev in order[:-1] and order[order.index(prev) + 1] == stage:
                moves[stage].append((at - prev_at).total_seconds() / 86400)
        last[household_id] = (stage, at)
    for stage in ("assessed", "submitted", "ready"):
        info = demo.cal.summary["stages"][stage]
        assert info["observations"] == len(moves[stage]) >= 30
        assert info["method"] == "empirical"
        mean = sum(moves[stage]) / len(moves[stage])
        assert info["mean_days"] == pytest.approx(mean, rel=0.03, abs=0.5)


@pytest.mark.slow
def test_demo_departures_holds_attacks(demo: Demo, db: Any) -> None:
    summary = demo.cal.summary
    scheduled = Departure.objects.filter(
        status__in=("planned", "confirmed"), date__gte=demo.today)
    assert summary["departures"]["scheduled"] == scheduled.count() > 0
    assert summary["departures"]["scheduled_seats"] == sum(d.seats for d in scheduled)
    in_camp = Household.objects.filter(stage__in=[s.value for s in IN_CAMP])
    members = Membership.objects.filter(household__in=in_camp, active=True).values("person_id")
    active = Hold.objects.filter(status="active", person_id__in=members)
    for hold_type, info in summary["holds"].items():
        assert info["active_persons"] == active.filter(hold_type=hold_type).values(
            "person_id").distinct().count()
    killed = Casualty.objects.filter(outcome="killed")
    assert summary["incidents"]["killed"] == killed.count()
    assert summary["incidents"]["attacks_with_deaths"] == killed.values(
        "incident_id").distinct().count()
    assert 0 < demo.cal.scenario.incidents.fatality_per_person < 0.05


@pytest.mark.slow
def test_demo_scenario_simulates(demo: Demo, db: Any) -> None:
    sc: Scenario = demo.cal.scenario
    report = simulate(sc, replications=40, seed=1)
    assert report["residents"] == sc.resident_count
    assert report["residents_present"]["p50"][0] == sc.resident_count
    assert report["clear_day"]["cleared_fraction"] > 0.5


@pytest.mark.slow
def test_demo_what_if_levers_move_the_right_way(demo: Demo, db: Any) -> None:
    from django.contrib.auth import get_user_model

    from resettle.forecast import runner, services

    manager = get_user_model().objects.get(username="manager")
    month = (demo.today + timedelta(days=30)).isoformat()
    run = services.start_run(actor=manager, replications=100, seed=5, in_thread=False, levers=[
        {"kind": "pledge", "destination": "AL", "places": 280, "date": month,
         "label": "Albania takes 280 more next month"},
        {"kind": "departure", "seats": 150, "date": month, "every_days": 30,
         "destination": "", "label": "monthly charter"},
    ])
    runner.execute_run(run.pk)
    run.refresh_from_db()
    rows = {r["label"]: r for r in run.result["rows"]}
    base = rows["current forecast"]
    pledge, charter = rows["Albania takes 280 more next month"], rows["monthly charter"]
    # more places: never later, never more exposure (same seed, common random numbers)
    assert pledge["delta_p50_days"] <= 0 and pledge["delta_person_days"] <= 0
    # seats are the demo's bottleneck: a monthly charter empties the camp sooner
    assert "departures" in (base["bottleneck"] or "")
    assert charter["delta_p50_days"] < 0 and charter["delta_person_days"] < 0

