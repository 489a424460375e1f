"""The household page, the casework actions behind it, the work queues and the stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resettle.casework import services
from resettle.casework.models import Hold, StageChange
from resettle.casework.tests.helpers import fresh, give_documents, hold, members
from resettle.core.stages import HoldType
from resettle.registry.models import Household
from resettle.testing.fixtures import SmallCamp, make_household, make_person
from resettle.web.stats import operation_stats

pytestmark = pytest.mark.django_db


def login(client: Client, camp: SmallCamp, username: str) -> Client:
    client.force_login(camp.users[username])
    return client


def page(client: Client, household: Household) -> str:
    response = client.get(reverse("web:household", args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_blocker_box_says_what_blocks_in_plain_words(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "caseworker")
    html = page(client, camp.household_de)
    assert "What blocks the next step (Decided)" in html
    assert "No decision from the destination is recorded." in html
    assert "Submitted to Germany" in html
    hold(camp.users["security"], members(camp.household_de)[0], HoldType.SECURITY,
         reference="SEC-77")
    html = page(client, camp.household_de)
    assert "An active security hold on a travelling member blocks decided." in html
    assert "SEC-77" in html  # caseworkers see hold references
    assert "will also block pre-departure, ready, booked, departed until it is lifted" in html


def test_roles_without_hold_fields_see_no_hold_details(client: Client, camp: SmallCamp) -> None:
    hold(camp.users["security"], members(camp.household_de)[0], HoldType.LEGAL,
         reference="W-SECRET-1", authority="Investigating judge")
    give_documents(camp.household_de)
    services.record_decision(actor=None, household=camp.household_de,
                             expected_version=fresh(camp.household_de).version,
                             decision="accepted")
    hh = fresh(camp.household_de)
    services.transition_household(actor=None, household=hh, target="pre_departure",
                                  expected_version=hh.version)
    login(client, camp, "registrar")  # sees CASE, not HOLDS
    html = page(client, camp.household_de)
    assert "A hold on a member blocks this step" in html
    assert "legal hold" not in html and "W-SECRET-1" not in html
    assert 'id="holds"' not in html
    login(client, camp, "resettlement")  # sees HOLDS, not HOLD_REFERENCES
    html = page(client, camp.household_de)
    assert "An active legal hold on a travelling member blocks ready." in html
    assert 'id="holds"' in html and "Investigating judge" in html
    assert "W-SECRET-1" not in html
    login(client, camp, "liaison-de")  # neither case nor holds
    html = page(client, camp.household_de)
    assert 'id="blockers"' not in html and 'id="timeline"' not in html
    assert "Investigating judge" not in html


def test_only_allowed_actions_are_offered(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "caseworker")
    html = page(client, camp.household_new)  # registered
    assert 'value="assessed"' in html
    assert 'name="move" value="allocated"' not in html
    assert "Close the case" in html
    login(client, camp, "registrar")  # no TRANSITION
    html = page(client, camp.household_new)
    assert 'id="actions"' not in html
    login(client, camp, "liaison-de")
    html = page(client, camp.household_de)
    assert 'id="decision-form"' in html
    login(client, camp, "liaison-no")
    assert client.get(reverse("web:household", args=[camp.household_de.pk])).status_code == 404


def test_move_through_the_page_and_stale_form_conflicts(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "caseworker")
    household = camp.household_new
    url = reverse("casework:move", args=[household.pk])
    form = {"version": household.version, "target": "assessed", "reason": "interviewed"}
    response = client.post(url, form, follow=True)
    assert "Moved to assessed." in response.content.decode()
    assert fresh(household).stage == "assessed"
    html = client.post(url, {**form, "target": "allocated"}, follow=True).content.decode()
    assert "Someone else changed this household since you opened it" in html
    assert fresh(household).stage == "assessed"
    html = page(client, household)
    assert "Registered → Assessed: interviewed" in html  # the timeline


def test_departure_only_target_refused_from_the_page(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "admin")
    household = camp.household_de
    Household.objects.filter(pk=household.pk).update(stage="ready")
    url = reverse("casework:move", args=[household.pk])
    html = client.post(url, {"version": fresh(household).version, "target": "booked"},
                       follow=True).content.decode()
    assert "is set only through a departure" in html
    assert fresh(household).stage == "ready"


def test_hold_forms_place_and_lift(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "security")
    household = camp.household_de
    person = members(household)[0]
    client.post(reverse("casework:place_hold", args=[household.pk]), {
        "person": person.pk, "hold_type": "legal", "reason": "travel_ban",
        "authority": "Ministry", "reference": "TB-1", "start_date": "2026-03-01",
        "review_date": "2026-03-05"})
    placed = Hold.objects.get(person=person)
    assert (placed.hold_type, placed.reference, placed.placed_by) == (
        "legal", "TB-1", camp.users["security"])
    html = page(client, household)
    assert "review overdue" in html  # review date in the past
    assert "Ready, Booked, Departed" in html  # what it blocks
    client.post(reverse("casework:lift_hold", args=[household.pk]), {
        "hold": placed.pk, "hold_version": placed.version, "reason": "ban revoked"})
    assert Hold.objects.get(pk=placed.pk).status == "lifted"
    assert "lifted: ban revoked" in page(client, household)


def test_hold_of_another_household_is_404(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "security")
    other = hold(None, members(camp.household_no)[0], HoldType.LEGAL)
    response = client.post(reverse("casework:lift_hold", args=[camp.household_de.pk]), {
        "hold": other.pk, "hold_version": other.version, "reason": "x"})
    assert response.status_code == 404
    assert Hold.objects.get(pk=other.pk).status == "active"


def test_decision_and_split_through_the_page(client: Client, camp: SmallCamp) -> None:
    household = camp.household_de
    principal, spouse = sorted(members(household), key=lambda p: p.registration_id)
    login(client, camp, "liaison-de")
    client.post(reverse("casework:decide", args=[household.pk]), {
        "version": household.version, "decision": "split", "accepted": [principal.pk]})
    assert fresh(household).stage == "decided"
    login(client, camp, "caseworker")
    html = page(client, household)
    assert 'id="split-form"' in html
    assert "confirm who stays before the others go on" in html
    client.post(reverse("casework:confirm_split", args=[household.pk]), {
        "version": fresh(household).version, "staying": [spouse.pk]})
    assert 'id="split-form"' not in page(client, household)
    assert "staying behind: " + spouse.full_name in page(client, household)


def test_holds_help_lists_every_type(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "registrar")
    html = client.get(reverse("casework:holds_help")).content.decode()
    for label in ("Legal", "Medical", "Security", "Administrative"):
        assert label in html
    assert html.count(">blocked<") == 3 + 2 + 6 + 4


def _aged(camp: SmallCamp, n: int, stage: str, days: int) -> list[Household]:
    out = []
    for i in range(n):
        person = make_person(camp.site, f"R-Q{stage[:3]}{days}{i}", "Q", f"P{i}")
        household = make_household(camp.site, f"Q{stage[:3]}{days}{i}",
                                   [(person, "principal")], stage)
        Household.objects.filter(pk=household.pk).update(
            stage_changed_at=timezone.now() - timedelta(days=days))
        out.append(fresh(household))
    return out


def test_queue_shows_days_in_stage_with_sla_colour(client: Client, camp: SmallCamp) -> None:
    _aged(camp, 1, "registered", 2)
    _aged(camp, 1, "registered", 12)
    _aged(camp, 1, "registered", 40)
    login(client, camp, "caseworker")
    html = client.get(reverse("casework:queues"), {"stage": "registered"}).content.decode()
    assert 'class="n sla-ok">2<' in html
    assert 'class="n sla-warn">12<' in html
    assert 'class="n sla-late">40<' in html
    assert reverse("casework:queues") in client.get(reverse("web:home")).content.decode()


def test_queue_filters_by_hold_type_and_risk(client: Client, camp: SmallCamp) -> None:
    held, free = _aged(camp, 2, "allocated", 3)
    hold(None, members(held)[0], HoldType.MEDICAL)
    Household.objects.filter(pk=free.pk).update(risk=0.9)
    login(client, camp, "caseworker")
    url = reverse("casework:queues")
    html = client.get(url, {"stage": "allocated", "hold_type": "medical"}).content.decode()
    assert held.reference in html and free.reference not in html
    html = client.get(url, {"stage": "allocated", "risk": "high"}).content.decode()
    assert free.reference in html and held.reference not in html


def test_bulk_move_reports_per_household_and_half_does_nothing(
    client: Client, camp: SmallCamp
) -> None:
    ok1, ok2, blocked, stale = _aged(camp, 4, "pre_departure", 5)
    for household in (ok1, ok2, blocked, stale):
        give_documents(household)
    hold(None, members(blocked)[0], HoldType.LEGAL)
    blocked = fresh(blocked)
    stale_version = stale.version
    services.transition_household(actor=None, household=stale, target="withdrawn",
                                  reason="left", expected_version=stale.version)
    login(client, camp, "caseworker")
    before = StageChange.objects.count()
    response = client.post(reverse("casework:bulk"), {
        "target": "ready", "reason": "documents complete",
        "selected": [f"{h.pk}:{v}" for h, v in ((ok1, ok1.version), (ok2, ok2.version),
                                                (blocked, blocked.version),
                                                (stale, stale_version))]})
    html = response.content.decode()
    assert "2 moved, 2 not moved" in html
    assert "An active legal hold on a travelling member blocks ready." in html
    assert "Someone else changed this household" in html
    assert [fresh(h).stage for h in (ok1, ok2, blocked, stale)] == [
        "ready", "ready", "pre_departure", "withdrawn"]
    assert StageChange.objects.count() == before + 2


def test_bulk_refuses_targets_that_need_individual_input(client: Client,
                                                         camp: SmallCamp) -> None:
    login(client, camp, "caseworker")
    response = client.post(reverse("casework:bulk"), {
        "target": "booked", "selected": [f"{camp.household_de.pk}:1"]}, follow=True)
    assert "cannot be set in bulk" in response.content.decode()
    assert fresh(camp.household_de).stage == "submitted"


def test_bulk_cannot_reach_out_of_scope_households(client: Client, camp: SmallCamp) -> None:
    login(client, camp, "caseworker-b")  # narrowed to the other site
    html = client.post(reverse("casework:bulk"), {
        "target": "allocated",
        "selected": [f"{camp.household_de.pk}:{camp.household_de.version}"]}).content.decode()
    assert "No such household." in html
    assert fresh(camp.household_de).stage == "submitted"


def test_stats_blocked_by_hold_type_and_days_in_stage(camp: SmallCamp) -> None:
    stats: dict[str, Any] = operation_stats()
    assert stats["blocked_by_hold_type"] == {
        "legal": 0, "medical": 0, "security": 0, "administrative": 0}
    # the fixture's households changed stage on 2026-01-01
    expected = (timezone.localdate() - datetime(2026, 1, 1, tzinfo=UTC).date()).days
    assert stats["days_in_stage"] == {"registered": expected, "submitted": expected}
    person = members(camp.household_de)[0]
    hold(None, person, HoldType.LEGAL)
    hold(None, person, HoldType.MEDICAL)
    hold(None, members(camp.household_no)[0], HoldType.LEGAL)
    lifted = hold(None, members(camp.household_new)[0], HoldType.SECURITY)
    services.lift_hold(actor=None, hold=lifted, expected_version=None, reason="cleared")
    _aged(camp, 3, "allocated", 10)
    _aged(camp, 2, "allocated", 30)
    stats = operation_stats()
    assert stats["blocked_by_hold_type"] == {
        "legal": 2, "medical": 1, "security": 0, "administrative": 0}
    assert stats["days_in_stage"]["allocated"] == 10
