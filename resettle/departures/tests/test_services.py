"""Departures services: booking, taking off, cancellation, boarding, no-show, departure and
arrival, always through the casework guards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from resettle.audit.models import AuditEvent
from resettle.casework.models import StageChange
from resettle.casework.tests.helpers import fresh, hold, members
from resettle.core.stages import HoldType
from resettle.departures import services
from resettle.departures.models import (
    Departure,
    DepartureStatus,
    ManifestEntry,
    ManifestStatus,
)
from resettle.departures.tests.helpers import book, confirm, departure, ready, today
from resettle.registry.models import Person, PersonStatus
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db


def test_booking_writes_one_line_per_member_moves_to_booked_and_audits(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    household = ready(camp.users["admin"], camp.household_de)
    dep = departure(camp.site, camp.de)
    household = book(officer, dep, household)
    assert household.stage == "booked"
    lines = ManifestEntry.objects.filter(departure=dep)
    assert sorted(ln.person_id for ln in lines) == sorted(p.pk for p in members(household))
    assert {ln.status for ln in lines} == {ManifestStatus.PLANNED}
    assert AuditEvent.objects.filter(action="departure.booked", object_id=str(dep.pk)).count() == 1
    change = StageChange.objects.filter(household=household).latest("at")
    assert (change.from_stage, change.to_stage) == ("ready", "booked")


def test_booking_refusals_say_why(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    household = ready(camp.users["admin"], camp.household_de)
    to_norway = departure(camp.site, camp.no, code="RS-NO")
    with pytest.raises(services.DepartureError, match="goes to Germany, not to Norway"):
        book(officer, to_norway, household)
    small = departure(camp.site, camp.de, code="RS-SMALL", seats=1)
    with pytest.raises(services.DepartureError, match="1 seats left; H00001 needs 2"):
        book(officer, small, household)
    hold(camp.users["security"], members(household)[0], HoldType.MEDICAL)
    ok = departure(camp.site, camp.de, code="RS-OK")
    with pytest.raises(services.DepartureError, match="medical hold"):
        book(officer, ok, household)
    assert fresh(household).stage == "ready"
    assert not ManifestEntry.objects.filter(household=household).exists()


def test_wheelchair_places_are_not_oversold(camp: SmallCamp) -> None:
    household = ready(camp.users["admin"], camp.household_de)
    person = members(household)[0]
    Person.objects.filter(pk=person.pk).update(specific_needs=["DS"])
    dep = departure(camp.site, camp.de, special_places={"wheelchair": 0})
    with pytest.raises(services.DepartureError, match="1 wheelchair place"):
        book(camp.users["movement"], dep, household)
    dep.special_places = {"wheelchair": 1}
    dep.save()
    book(camp.users["movement"], dep, household)
    line = ManifestEntry.objects.get(departure=dep, person=person)
    assert line.special_needs == ["wheelchair"]


def test_remove_needs_a_reason_and_returns_the_household_to_ready(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep.refresh_from_db()
    with pytest.raises(services.DepartureError, match="needs a reason"):
        services.remove_household(actor=officer, departure=dep, household=household,
                                  expected_version=dep.version, reason=" ")
    services.remove_household(actor=officer, departure=dep, household=household,
                              expected_version=dep.version, reason="family asked to wait")
    assert fresh(household).stage == "ready"
    lines = ManifestEntry.objects.filter(departure=dep)
    assert {ln.status for ln in lines} == {ManifestStatus.REMOVED}
    assert {ln.removed_by_id for ln in lines} == {officer.pk}
    assert {ln.reason for ln in lines} == {"family asked to wait"}
    # seats are free again, and the household can be booked again
    book(officer, dep, household)
    assert ManifestEntry.objects.filter(departure=dep, status="planned").count() == 2


def test_confirmed_manifest_is_frozen(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    other = ready(camp.users["admin"], camp.household_no)
    dep = confirm(officer, dep)
    assert dep.status == DepartureStatus.CONFIRMED
    with pytest.raises(services.DepartureError, match="only while it is planned"):
        book(officer, dep, other)
    dep.refresh_from_db()
    with pytest.raises(services.DepartureError, match="can no longer be changed"):
        services.remove_household(actor=officer, departure=dep, household=household,
                                  expected_version=dep.version, reason="x")


def test_stale_version_is_a_conflict(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de)
    book(officer, dep, ready(camp.users["admin"], camp.household_de))
    with pytest.raises(services.ConflictError):
        services.confirm_departure(actor=officer, departure=dep, expected_version=1)


def test_cancellation_returns_every_household_to_ready_with_the_reason(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep = confirm(officer, dep)
    returned = services.cancel_departure(actor=officer, departure=dep,
                                         expected_version=dep.version,
                                         reason="airport closed")
    assert [h.pk for h in returned] == [household.pk]
    assert fresh(household).stage == "ready"
    dep.refresh_from_db()
    assert dep.status == "cancelled" and dep.cancel_reason == "airport closed"
    change = StageChange.objects.filter(household=household).latest("at")
    assert change.to_stage == "ready" and "airport closed" in change.reason
    assert {ln.status for ln in ManifestEntry.objects.filter(departure=dep)} == {"removed"}


def _boarding_with_one_boarded(camp: SmallCamp) -> tuple[Any, Any, Any, Any, Any]:
    """A confirmed departure today with a household of two, the first already boarded."""
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de, days=0)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep = confirm(officer, dep)
    first, second = members(household)
    services.board(actor=officer, departure=dep, person=first)
    return officer, dep, household, first, second


def test_no_show_takes_the_whole_household_off_and_back_to_ready(camp: SmallCamp) -> None:
    officer, dep, household, first, second = _boarding_with_one_boarded(camp)
    with pytest.raises(services.DepartureError, match="needs a reason"):
        services.no_show(actor=officer, departure=dep, person=second, reason="")
    services.no_show(actor=officer, departure=dep, person=second, reason="in hospital")
    lines = {ln.person_id: ln for ln in ManifestEntry.objects.filter(departure=dep)}
    assert lines[second.pk].status == "no_show" and lines[second.pk].reason == "in hospital"
    assert lines[first.pk].status == "no_show"
    assert "a member was a no-show" in lines[first.pk].reason
    assert fresh(household).stage == "ready"
    # the reason stays on the manifest line; the append-only audit trail never holds it
    event = AuditEvent.objects.filter(action="departure.no_show").latest("seq")
    assert "in hospital" not in str(event.detail)
    # nobody left to check in: the departure can close, but nobody departs
    dep.refresh_from_db()
    assert services.close_departure(actor=officer, departure=dep,
                                    expected_version=dep.version) == []
    assert Person.objects.get(pk=first.pk).status == PersonStatus.PRESENT


def test_a_mistaken_no_show_can_be_undone_while_boarding_is_open(camp: SmallCamp) -> None:
    officer, dep, household, first, second = _boarding_with_one_boarded(camp)
    with pytest.raises(services.DepartureError, match="not recorded as a no-show"):
        services.undo_no_show(actor=officer, departure=dep, person=first)
    services.no_show(actor=officer, departure=dep, person=second, reason="not at the gate")
    services.undo_no_show(actor=officer, departure=dep, person=second)
    # the whole household is back (both lines to check in again), booked, and audited
    assert {ln.status for ln in ManifestEntry.objects.filter(departure=dep)} == {"planned"}
    assert fresh(household).stage == "booked"
    undone = AuditEvent.objects.filter(action="departure.no_show_undone").latest("seq")
    assert undone.detail == {"household": str(household.pk), "passengers": 2}
    # a household that meanwhile took another path does not come back silently: its seats
    # went to others, or a hold was placed
    services.no_show(actor=officer, departure=dep, person=second, reason="not at the gate")
    Departure.objects.filter(pk=dep.pk).update(seats=1)
    with pytest.raises(services.DepartureError, match=r"1 seats left; \S+ needs 2"):
        services.undo_no_show(actor=officer, departure=dep, person=second)
    Departure.objects.filter(pk=dep.pk).update(seats=10)
    hold(None, first, HoldType.SECURITY)
    with pytest.raises(services.DepartureError, match="security"):
        services.undo_no_show(actor=officer, departure=dep, person=second)
    assert fresh(household).stage == "ready"
    assert {ln.status for ln in ManifestEntry.objects.filter(departure=dep)} == {"no_show"}


def test_departure_and_arrival_move_households_and_empty_the_camp(camp: SmallCamp) -> None:
    officer, dep, household, first, second = _boarding_with_one_boarded(camp)
    dep.refresh_from_db()
    with pytest.raises(services.DepartureError, match="1 passenger"):
        services.close_departure(actor=officer, departure=dep, expected_version=dep.version)
    services.board(actor=officer, departure=dep, person=second)
    dep.refresh_from_db()
    moved = services.close_departure(actor=officer, departure=dep, expected_version=dep.version)
    assert [h.pk for h in moved] == [household.pk]
    assert fresh(household).stage == "departed"
    for person in (first, second):
        person.refresh_from_db()
        assert person.status == PersonStatus.DEPARTED and person.left_camp == dep.date
    dep.refresh_from_db()
    assert dep.status == "departed"
    services.confirm_arrival(actor=officer, departure=dep, expected_version=dep.version)
    assert fresh(household).stage == "arrived"
    assert {ln.status for ln in ManifestEntry.objects.filter(departure=dep)} == {"arrived"}
    assert AuditEvent.objects.filter(action="departure.arrived").count() == 1


def test_boarding_refused_when_a_hold_was_placed_after_booking(camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de, days=0)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep = confirm(officer, dep)
    first = members(household)[0]
    hold(camp.users["security"], first, HoldType.LEGAL)
    with pytest.raises(services.DepartureError, match="cannot board: An active legal hold"):
        services.board(actor=officer, departure=dep, person=first)
    assert ManifestEntry.objects.get(departure=dep, person=first).status == "planned"


def test_check_in_opens_the_day_before(camp: SmallCamp, settings: object) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de, days=5)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep = confirm(officer, dep)
    with pytest.raises(services.DepartureError, match="opens on the day before"):
        services.board(actor=officer, departure=dep, person=members(household)[0])
    services.board(actor=officer, departure=dep, person=members(household)[0],
                   today=dep.date - timedelta(days=1))
    assert today() < dep.date
