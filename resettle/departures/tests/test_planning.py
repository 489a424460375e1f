"""From the database to the planner and back: the problem, a run, and booking a plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from resettle.casework.models import Document
from resettle.casework.tests.helpers import fresh, hold, members
from resettle.core.departures import check_plan
from resettle.core.stages import HoldType
from resettle.departures import planning, services
from resettle.departures.models import PlanningRun, PlanPurpose, RunStatus
from resettle.departures.tests.helpers import book, departure, ready, today
from resettle.registry.models import HouseholdLink, Person
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db


def test_problem_from_db_reads_the_rules(camp: SmallCamp) -> None:
    admin = camp.users["admin"]
    de = ready(admin, camp.household_de)
    no = ready(admin, camp.household_no)
    first = members(de)[0]
    Person.objects.filter(pk=first.pk).update(specific_needs=["DS", "SM"])
    hold(camp.users["security"], members(no)[0], HoldType.LEGAL)
    until = today() + timedelta(days=40)
    Document.objects.filter(person=members(de)[1], kind="entry_visa").update(valid_until=until)
    dep = departure(camp.site, camp.de, days=20, seats=30, special_places={"wheelchair": 2})
    data = planning.build_input(purpose=PlanPurpose.CLEAR)
    cases = data.problem.case_by_id
    assert set(cases) == {"H00001", "H00002"}
    assert cases["H00001"].size == 2 and cases["H00001"].destination == "DE"
    assert cases["H00001"].needs == {"wheelchair": 1}  # SM means an escort, not a place
    assert cases["H00001"].documents_valid_until == 40
    assert cases["H00001"].ready_day == 0 and not cases["H00001"].blocked
    assert cases["H00002"].blocked
    (row,) = data.problem.departures
    assert (row.id, row.day, row.seats, dict(row.special)) == ("RS001", 20, 30, {"wheelchair": 2})
    # the household still registered at the other site has no pledge
    assert data.excluded[camp.household_new.pk].startswith("no pledge")
    # booking takes seats off the departure the planner sees
    book(admin, dep, de)
    data = planning.build_input(purpose=PlanPurpose.CLEAR)
    assert data.problem.departures[0].seats == 28
    assert data.problem.departures[0].special == {"wheelchair": 1}
    assert data.booked == {de.pk: dep.pk}
    assert planning.problem_from_db().cases == data.problem.cases


def test_linked_households_travel_together_or_wait(camp: SmallCamp) -> None:
    admin = camp.users["admin"]
    de = ready(admin, camp.household_de)
    HouseholdLink.objects.create(first=de, second=camp.household_new)
    data = planning.build_input()
    assert "H00001" not in data.problem.case_by_id
    assert "linked household H00003" in data.excluded[de.pk]
    no = ready(admin, camp.household_no)
    HouseholdLink.objects.all().delete()
    HouseholdLink.objects.create(first=de, second=no)
    data = planning.build_input()
    assert data.problem.together == (("H00001", "H00002"),)


def test_run_stores_a_valid_plan_and_the_page_shows_it(client: Client, camp: SmallCamp) -> None:
    admin = camp.users["admin"]
    ready(admin, camp.household_de)
    no = ready(admin, camp.household_no)
    dep = departure(camp.site, camp.de, code="RS-DE", days=12, seats=5)
    hold(camp.users["security"], members(no)[0], HoldType.MEDICAL)
    run = services.start_planning_run(actor=camp.users["movement"], purpose="clear",
                                      time_limit=5, in_thread=False)
    planning.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.progress
    assert run.result["assignments"] == {str(camp.household_de.pk): str(dep.pk)}
    assert run.result["unassigned"][str(no.pk)] == "blocked by a hold"
    data = planning.build_input()
    assert check_plan(data.problem, {"H00001": "RS-DE"}) == []
    client.force_login(camp.users["movement"])
    page = client.get(reverse("departures:clear")).content.decode()
    assert "RS-DE" in page and "blocked by a hold" in page
    assert "cannot leave on the scheduled departures" in page  # H00002, H00003 stay
    with pytest.raises(services.DepartureError, match="finished booking plan"):
        services.apply_run(actor=camp.users["movement"], run=run)


def test_booking_plan_is_applied_household_by_household(client: Client, camp: SmallCamp) -> None:
    admin = camp.users["admin"]
    de = ready(admin, camp.household_de)
    no = ready(admin, camp.household_no)
    dep_de = departure(camp.site, camp.de, code="RS-DE", days=12)
    departure(camp.site, camp.no, code="RS-NO", days=14)
    run = services.start_planning_run(actor=camp.users["movement"], purpose="book",
                                      time_limit=5, in_thread=False)
    planning.execute_run(run.pk)
    run.refresh_from_db()
    assert len(run.result["assignments"]) == 2
    # between planning and booking, a hold appears on H00002
    hold(camp.users["security"], members(no)[0], HoldType.SECURITY)
    client.force_login(camp.users["movement"])
    response = client.post(reverse("departures:plan_apply"))
    page = response.content.decode()
    assert "1 household booked, 1 refused" in page and "security hold" in page
    assert fresh(de).stage == "booked" and fresh(no).stage == "ready"
    assert dep_de.manifest.count() == 2
    # a plan is booked at most once
    response = client.post(reverse("departures:plan_apply"))
    assert response.status_code == 302
    assert PlanningRun.objects.get(pk=run.pk).applied_at is not None


def test_one_run_at_a_time(camp: SmallCamp) -> None:
    services.start_planning_run(actor=camp.users["movement"], purpose="clear", in_thread=False)
    with pytest.raises(services.DepartureError, match="being computed already"):
        services.start_planning_run(actor=camp.users["movement"], purpose="book",
                                    in_thread=False)


def test_special_needs_codes() -> None:
    assert planning.special_needs_of(["DS"]) == ["wheelchair"]
    assert planning.special_needs_of(["DS-PS", "SM-XY", "ER"]) == ["wheelchair", "escort"]
    assert planning.special_needs_of(["SM-ST"]) == ["stretcher"]
    assert planning.special_needs_of([]) == []
