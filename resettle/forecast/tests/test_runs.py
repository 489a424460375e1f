"""Forecast runs: lifecycle (run inline), lever effects, one run at a time, stale runs,
who may run and see them, and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from resettle.audit.models import AuditEvent
from resettle.destinations.models import Pledge
from resettle.forecast import runner, services
from resettle.forecast.models import ForecastRun, RunStatus
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db


def _tight(camp: SmallCamp) -> None:
    """Pledges exactly used up by the committed households: the new one has no place."""
    Pledge.objects.filter(destination=camp.de).update(places=2)
    Pledge.objects.filter(destination=camp.no).update(places=1)


def _run(camp: SmallCamp, levers: list[dict[str, Any]] | None = None, **kw: Any
         ) -> ForecastRun:
    run = services.start_run(actor=camp.users["manager"], replications=kw.pop("reps", 30),
                             seed=3, levers=levers or [], in_thread=False, **kw)
    runner.execute_run(run.pk)
    run.refresh_from_db()
    return run


def test_run_lifecycle_inline(camp: SmallCamp) -> None:
    today = timezone.localdate()
    run = services.start_run(actor=camp.users["resettlement"], replications=20, seed=2,
                             clear_by=today + timedelta(days=700), in_thread=False)
    assert (run.status, run.progress) == (RunStatus.QUEUED, "Waiting to start")
    runner.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.progress
    assert run.started_at is not None and run.finished_at is not None
    assert run.steps_done == run.steps_total == 20
    base = run.result["baseline"]
    assert base["residents"] == 4 and base["replications"] == 20 and base["seed"] == 2
    assert base["clear_by"][0]["date"] == (today + timedelta(days=700)).isoformat()
    assert [r["label"] for r in run.result["rows"]] == ["current forecast"]
    assert run.calibration["households"]["households"] == 3
    assert '"households"' in run.scenario  # the snapshot that was simulated
    event = AuditEvent.objects.get(action="forecast.started")
    assert event.object_id == str(run.pk)
    assert event.actor_username == "resettlement"
    assert event.detail["replications"] == 20


def test_more_places_clear_the_camp_not_later(camp: SmallCamp) -> None:
    _tight(camp)
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    run = _run(camp, [
        {"kind": "pledge", "destination": "NO", "places": 5, "date": soon,
         "label": "Norway takes 5 more"},
    ])
    base, lever = run.result["rows"]
    # without a place the registered household leaves only if it withdraws or
    # disappears (the reference closure rates): mostly not cleared in ten years
    assert base["cleared_fraction"] < 0.3 and base["p50_clear_day"] is None
    assert lever["label"] == "Norway takes 5 more" and lever["ok"]
    assert lever["cleared_fraction"] == 1.0
    assert lever["p50_clear_day"] is not None and lever["p50_clear_day"] >= 30
    assert lever["person_days_mean"] < base["person_days_mean"]


def test_levers_that_do_not_fit_are_reported_and_others_combined(camp: SmallCamp) -> None:
    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    run = _run(camp, [
        # no history: the calibration sets no quota at assessment, nothing to add to
        {"kind": "capacity", "stage": "assessed", "add": 2, "label": "two more teams"},
        {"kind": "departure", "seats": 50, "date": soon, "every_days": 14, "destination": "",
         "label": "fortnightly charter"},
        {"kind": "policy", "policy": "risk-first", "label": "risk first"},
    ])
    rows = {r["label"]: r for r in run.result["rows"]}
    assert not rows["two more teams"]["ok"]
    assert "no servers or quota" in rows["two more teams"]["error"]
    assert rows["fortnightly charter"]["ok"] and rows["risk first"]["ok"]
    assert rows["fortnightly charter"]["delta_p50_days"] <= 0
    assert rows["all levers together"]["ok"]
    assert run.steps_total == 30 * 4


def test_one_run_at_a_time_and_stale_runs_fail(camp: SmallCamp) -> None:
    first = services.start_run(actor=camp.users["manager"], replications=10, in_thread=False)
    with pytest.raises(services.ForecastError, match="already"):
        services.start_run(actor=camp.users["manager"], replications=10, in_thread=False)
    assert services.mark_stale() == 0
    ForecastRun.objects.filter(pk=first.pk).update(
        status=RunStatus.RUNNING, created_at=timezone.now() - runner.STALE_AFTER * 2)
    assert services.mark_stale() == 1
    first.refresh_from_db()
    assert first.status == RunStatus.FAILED and "start it again" in first.progress
    assert AuditEvent.objects.filter(action="forecast.stale", object_id=str(first.pk)).exists()
    services.start_run(actor=camp.users["manager"], replications=10, in_thread=False)


def test_a_failure_is_stored_not_raised(camp: SmallCamp, monkeypatch: Any) -> None:
    def boom(**_kw: Any) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(runner, "calibrate", boom)
    run = _run(camp)
    assert run.status == RunStatus.FAILED
    assert run.progress == "Failed: RuntimeError"  # the message itself stays in the log


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replications": 0}, "between 1"),
    ({"replications": 10, "levers": [{"kind": "magic"}]}, "Unknown lever"),
    ({"replications": 10, "clear_by": timezone.localdate()}, "after today"),
])
def test_bad_runs_are_refused(camp: SmallCamp, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(services.ForecastError, match=message):
        services.start_run(actor=camp.users["manager"], in_thread=False, **kwargs)
    assert not ForecastRun.objects.exists()


@pytest.mark.parametrize("role", ["caseworker", "security", "auditor", "liaison-de", "nobody"])
def test_roles_without_the_action_cannot_start(camp: SmallCamp, role: str) -> None:
    with pytest.raises(services.ForecastError, match="role"):
        services.start_run(actor=camp.users[role], replications=10, in_thread=False)


def test_a_site_narrowed_run_is_seen_only_by_its_sites(camp: SmallCamp) -> None:
    from resettle.accounts.models import RoleAssignment
    from resettle.accounts.policy import Role
    from resettle.forecast import selectors
    from resettle.testing.fixtures import make_user

    narrowed = make_user("manager-b", Role.MANAGER, site=camp.other_site)
    run = services.start_run(actor=narrowed, replications=10, in_thread=False)
    runner.execute_run(run.pk)
    run.refresh_from_db()
    # calibrated over its site only: the one registered household there
    assert run.calibration["households"]["households"] == 1
    assert run.scope_key == str(camp.other_site.pk)
    assert list(selectors.runs_for(narrowed)) == [run]
    assert list(selectors.runs_for(camp.users["manager"])) == []
    assert RoleAssignment.objects.filter(user=narrowed).count() == 1
