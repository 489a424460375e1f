"""The what-if page, a run's page (polled while it runs) and the dashboard's fan chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from resettle.audit.models import AuditEvent
from resettle.forecast import runner, services
from resettle.forecast.models import ForecastRun, RunStatus
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db


def _finished(camp: SmallCamp, **kw: Any) -> ForecastRun:
    run = services.start_run(actor=camp.users["manager"], replications=20, in_thread=False,
                             **kw)
    runner.execute_run(run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(("role", "status"), [
    ("manager", 200), ("resettlement", 200), ("admin", 200),
    ("caseworker", 403), ("security", 403), ("auditor", 403), ("liaison-de", 403),
])
def test_who_may_open_the_whatif_page(client: Any, camp: SmallCamp, role: str,
                                      status: int) -> None:
    client.force_login(camp.users[role])
    response = client.get(reverse("forecast:whatif"))
    assert response.status_code == status
    if status == 200:
        assert b'id="whatif-form"' in response.content
        assert b"No forecast has been computed yet" in response.content


def test_start_from_the_form_then_poll_then_results(client: Any, camp: SmallCamp) -> None:
    client.force_login(camp.users["manager"])
    today = timezone.localdate()
    response = client.post(reverse("forecast:start"), {
        "replications": "200", "seed": "4",
        "clear_by": (today + timedelta(days=900)).isoformat(),
        "pledge_destination": "NO", "pledge_places": "280",
        "pledge_date": (today + timedelta(days=30)).isoformat(),
        "charter_every_days": "30",  # the form's default: not a lever on its own
        "risk_first": "on",
    })
    run = ForecastRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("forecast:run", args=[run.pk])
    assert run.replications == 200 and run.seed == 4
    assert [lever["kind"] for lever in run.levers] == ["pledge", "policy"]
    assert run.levers[0]["label"] == f"Norway (NO) takes 280 more from {today + timedelta(30)}"
    # while it waits, the partial polls itself every second
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in partial.content
    assert b"<html" not in partial.content
    assert not AuditEvent.objects.filter(action="forecast.view").exists()
    runner.execute_run(run.pk)
    page = client.get(response["Location"], HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert "every 1s" not in body
    assert 'id="lever-table"' in body and "highest-risk households board first" in body
    assert "Norway (NO) takes 280 more" in body and "200 replications" in body
    assert 'id="p50-date"' in body and "<svg" in body and "<polygon" in body
    assert 'id="clear-by-probability"' in body
    viewed = AuditEvent.objects.get(action="forecast.view")
    assert (viewed.object_id, viewed.detail, viewed.actor_username) == (
        str(run.pk), {"page": "whatif"}, "manager")


def test_a_half_filled_lever_is_refused_with_the_field_named(client: Any,
                                                             camp: SmallCamp) -> None:
    client.force_login(camp.users["manager"])
    response = client.post(reverse("forecast:start"), {
        "replications": "200", "seed": "1", "pledge_destination": "DE",
    })
    assert response.status_code == 400
    assert b"Needed for this lever" in response.content
    assert not ForecastRun.objects.exists()
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.post(reverse("forecast:start"), {
        "replications": "200", "seed": "1", "charter_seats": "100", "charter_first": past,
    })
    assert response.status_code == 400 and b"Pick today or a later date" in response.content


def test_a_failed_or_stale_run_says_start_again(client: Any, camp: SmallCamp) -> None:
    run = services.start_run(actor=camp.users["manager"], replications=10, in_thread=False)
    ForecastRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - runner.STALE_AFTER - timedelta(minutes=1))
    client.force_login(camp.users["manager"])
    body = client.get(reverse("forecast:run", args=[run.pk])).content.decode()
    assert "did not finish" in body and "every 1s" not in body
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_dashboard_shows_the_latest_fan_chart(client: Any, camp: SmallCamp) -> None:
    client.force_login(camp.users["security"])  # sees the dashboard, may not run forecasts
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="forecast-summary"' not in body
    run = _finished(camp)
    body = client.get(reverse("reports:dashboard")).content.decode()
    section = body[body.index('<section id="forecast">'):]
    assert 'id="forecast-summary"' in section and "Camp empty:" in section
    assert "<polygon" in section and "P50 residents present" in section
    assert "try what-if levers" not in section  # no link to a page it may not open
    assert AuditEvent.objects.filter(action="forecast.view", object_id=str(run.pk),
                                     detail={"page": "dashboard"}).count() == 1
    client.force_login(camp.users["manager"])
    assert "try what-if levers" in client.get(reverse("reports:dashboard")).content.decode()


def test_a_narrowed_user_does_not_see_the_operation_wide_forecast(client: Any,
                                                                   camp: SmallCamp) -> None:
    from resettle.accounts.policy import Role
    from resettle.testing.fixtures import make_user

    run = _finished(camp)
    narrowed = make_user("manager-b", Role.MANAGER, site=camp.other_site)
    client.force_login(narrowed)
    assert client.get(reverse("forecast:run", args=[run.pk])).status_code == 404
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert 'id="forecast-summary"' not in body


def test_the_page_says_who_is_on_a_hold_today(client: Any, camp: SmallCamp) -> None:
    from resettle.casework.models import Hold, HoldStatus

    today = timezone.localdate()
    person = camp.household_de.memberships.order_by("created_at")[0].person
    Hold.objects.create(person=person, hold_type="legal", reason="arrest_warrant",
                        status=HoldStatus.ACTIVE, start_date=today - timedelta(days=5),
                        review_date=today + timedelta(days=60))
    run = _finished(camp)
    assert run.status == RunStatus.DONE
    assert run.calibration["households"]["on_hold_today"] == 1
    # the simulated scenario carries the hold: the DE household lifts on day 60
    assert '"holds":{"legal":60.0}' in run.scenario
    client.force_login(camp.users["manager"])
    body = client.get(reverse("forecast:run", args=[run.pk])).content.decode()
    assert 'id="on-hold"' in body
    assert "1 household on a hold today" in body
    assert "without a review date" not in body
    # the what-if page still renders with the run
    page = client.get(reverse("forecast:whatif"))
    assert page.status_code == 200 and b'id="whatif-form"' in page.content
