"""The allocation pages: who may use them, audited reads, polling, adjusting, accepting."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from resettle.accounts.policy import Role
from resettle.allocation import services
from resettle.allocation.models import AllocationRun, Placement, RunStatus
from resettle.allocation.tests.conftest import AllocationCamp
from resettle.audit.models import AuditEvent
from resettle.testing.fixtures import make_user


def _start(client: Client, **data: Any) -> AllocationRun:
    response = client.post(reverse("allocation:create"), {"time_limit": 5, "seed": 0, **data})
    assert response.status_code == 302
    return AllocationRun.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def officer(client: Client, alloc: AllocationCamp) -> Client:
    client.force_login(alloc.camp.users["resettlement"])
    return client


@pytest.mark.usefixtures("inline_runs")
def test_officer_runs_reviews_and_the_read_is_audited(officer: Client,
                                                      alloc: AllocationCamp) -> None:
    page = officer.get(reverse("allocation:runs"))
    assert page.status_code == 200
    assert b"5 households (13 persons)" in page.content
    run = _start(officer)
    assert run.status == RunStatus.DONE
    before = AuditEvent.objects.filter(action="allocation_run.view").count()
    page = officer.get(reverse("allocation:run", args=[run.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "H00104" in text and "Load per destination" in text
    assert "Placed together with H00104." in text
    assert "Not compatible: Finland has no medical capacity; Norway has no medical" in text
    assert 'hx-trigger="every 1s"' not in text
    event = AuditEvent.objects.filter(action="allocation_run.view").last()
    assert AuditEvent.objects.filter(action="allocation_run.view").count() == before + 1
    assert event is not None and event.object_id == str(run.pk)
    assert event.actor_username == "resettlement"


@pytest.mark.parametrize("username", ["caseworker", "registrar", "movement", "security",
                                      "manager", "auditor", "liaison-de", "nobody"])
def test_other_roles_may_not_allocate(client: Client, alloc: AllocationCamp,
                                      username: str) -> None:
    client.force_login(alloc.camp.users[username])
    assert client.get(reverse("allocation:runs")).status_code == 403
    assert client.post(reverse("allocation:create"),
                       {"time_limit": 5, "seed": 0}).status_code == 403
    assert not AllocationRun.objects.exists()


@pytest.mark.usefixtures("inline_runs")
def test_a_site_narrowed_officer_sees_only_runs_of_their_site(
        client: Client, officer: Client, alloc: AllocationCamp) -> None:
    wide = _start(officer)
    narrowed = make_user("resettlement-a", Role.RESETTLEMENT, site=alloc.camp.site)
    other = Client()
    other.force_login(narrowed)
    assert other.get(reverse("allocation:run", args=[wide.pk])).status_code == 404
    assert other.post(reverse("allocation:accept", args=[wide.pk]),
                      {"version": wide.version}).status_code == 404
    own = _start(other)
    assert not own.all_sites
    assert other.get(reverse("allocation:run", args=[own.pk])).status_code == 200
    assert officer.get(reverse("allocation:run", args=[own.pk])).status_code == 200


def test_the_run_page_polls_until_the_run_is_done(officer: Client,
                                                  alloc: AllocationCamp) -> None:
    run = _start(officer)  # not inline: the worker waits for a commit that never comes
    assert run.status == RunStatus.QUEUED
    page = officer.get(reverse("allocation:run", args=[run.pk])).content.decode()
    assert f'hx-get="{reverse("allocation:progress", args=[run.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page
    assert "<script" not in page.split("</head>", 1)[1]
    fragment = officer.get(reverse("allocation:progress", args=[run.pk]))
    assert "HX-Refresh" not in fragment and b"every 1s" in fragment.content
    services.execute_run(run.pk)
    fragment = officer.get(reverse("allocation:progress", args=[run.pk]))
    assert fragment["HX-Refresh"] == "true"
    assert b"every 1s" not in fragment.content


@pytest.mark.usefixtures("inline_runs")
def test_move_lock_and_accept_through_the_pages(officer: Client,
                                                alloc: AllocationCamp) -> None:
    run = _start(officer)
    large = Placement.objects.get(run=run, household=alloc.large)
    target = "DE" if large.destination == alloc.camp.no else "NO"
    url = reverse("allocation:placement", args=[run.pk])
    answer = officer.post(url, {"placement": large.pk, "version": large.version,
                                "action": "change", "destination": target})
    assert answer.status_code == 302 and answer["Location"].endswith(f"#p-{large.pk}")
    large.refresh_from_db()
    assert large.destination is not None and large.destination.code == target and large.locked
    medical = Placement.objects.get(run=run, household=alloc.medical)
    officer.post(url, {"placement": medical.pk, "version": medical.version,
                       "action": "change", "destination": "FI"})
    medical.refresh_from_db()
    assert medical.destination == alloc.camp.de and not medical.locked  # FI not compatible
    page = officer.get(reverse("allocation:run", args=[run.pk])).content.decode()
    assert "by an officer (the solver proposed" in page
    run.refresh_from_db()
    answer = officer.post(reverse("allocation:accept", args=[run.pk]), {"version": run.version})
    assert answer.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED
    alloc.large.refresh_from_db()
    assert alloc.large.stage == "submitted"
    assert alloc.large.destination is not None and alloc.large.destination.code == target
    page = officer.get(reverse("allocation:run", args=[run.pk])).content.decode()
    assert "Submitted" in page and "Accept: submit" not in page


def test_an_empty_start_form_is_refused(officer: Client) -> None:
    answer = officer.post(reverse("allocation:create"), {"time_limit": "", "seed": 0})
    assert answer.status_code == 400
    assert not AllocationRun.objects.exists()
