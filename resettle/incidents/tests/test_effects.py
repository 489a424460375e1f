"""An attack with casualties changes every affected household, in one audited step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from resettle.audit.models import AuditEvent
from resettle.casework.models import Hold, HoldStatus
from resettle.departures.models import Departure, ManifestEntry, ManifestStatus
from resettle.incidents import services
from resettle.incidents.models import Exposure, PrincipalReview
from resettle.registry.models import Household, Membership, Person, PersonStatus
from resettle.testing.fixtures import SmallCamp, make_household, make_person

WHEN = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)


def attack(camp: SmallCamp, casualties: list[services.CasualtyInput]) -> services.IncidentOutcome:
    return services.record_incident(
        actor=camp.users["security"], site=camp.site, incident_type="missile_attack",
        occurred_at=WHEN, severity=4, description="Rockets hit block C.",
        casualties=casualties,
    )


def test_killed_principal_becomes_deceased_and_household_gets_a_proposed_successor(
    camp: SmallCamp,
) -> None:
    principal = Person.objects.get(registration_id="R-0001")
    outcome = attack(camp, [services.CasualtyInput(principal, "killed")])
    principal.refresh_from_db()
    assert principal.status == PersonStatus.DECEASED
    assert not Membership.objects.filter(person=principal, active=True).exists()
    review = PrincipalReview.objects.get(household=camp.household_de)
    assert review.proposed_principal.registration_id == "R-0002"  # the spouse
    assert outcome.principal_reviews == 1 and outcome.deceased == 1
    services.confirm_principal(
        actor=camp.users["caseworker"], review=review, person=review.proposed_principal
    )
    assert Membership.objects.get(
        household=camp.household_de, active=True, relationship="principal"
    ).person.registration_id == "R-0002"


def test_household_of_one_killed_is_closed_and_leaves_every_plan(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0003")
    departure = Departure.objects.create(
        code="F1", date=date(2026, 4, 1), origin=camp.site, destination=camp.no, seats=100
    )
    ManifestEntry.objects.create(departure=departure, household=camp.household_no, person=person)
    outcome = attack(camp, [services.CasualtyInput(person, "killed")])
    household = Household.objects.get(pk=camp.household_no.pk)
    assert household.stage == "deceased"
    assert household.stage_changes.filter(to_stage="deceased").exists()
    entry = ManifestEntry.objects.get(person=person)
    assert entry.status == ManifestStatus.REMOVED
    assert outcome.households_closed == 1


def test_injured_person_gets_a_proposed_not_blocking_medical_hold(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0002")
    attack(camp, [services.CasualtyInput(person, "injured", injury_severity=3)])
    hold = Hold.objects.get(person=person)
    assert hold.hold_type == "medical"
    assert hold.status == HoldStatus.PROPOSED


def test_every_resident_present_at_the_site_is_exposed(camp: SmallCamp) -> None:
    outcome = attack(camp, [])
    exposed = set(Exposure.objects.filter(incident=outcome.incident).values_list(
        "person__registration_id", flat=True))
    assert exposed == {"R-0001", "R-0002", "R-0003"}  # R-0004 lives at the other site


def test_effects_and_audit_commit_together_or_not_at_all(camp: SmallCamp) -> None:
    before = AuditEvent.objects.count()
    outside = make_person(camp.other_site, "R-0099", "Omid", "Ahmadi")
    make_household(camp.other_site, "H00099", [(outside, "principal")])
    alive = Person.objects.get(registration_id="R-0001")
    with pytest.raises(services.IncidentError, match="not registered at Camp A"):
        attack(camp, [services.CasualtyInput(alive, "killed"),
                      services.CasualtyInput(outside, "killed")])
    alive.refresh_from_db()
    assert alive.status == PersonStatus.PRESENT
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"severity": 9}, "Severity"),
        ({"incident_type": "meteor"}, "Unknown incident type"),
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "future"),
    ],
)
def test_invalid_incidents_are_refused(
    camp: SmallCamp, kwargs: dict[str, object], message: str
) -> None:
    values = {"actor": camp.users["security"], "site": camp.site,
              "incident_type": "shelling", "occurred_at": WHEN, "severity": 2}
    values.update(kwargs)
    with pytest.raises(services.IncidentError, match=message):
        services.record_incident(**values)


def test_only_security_and_managers_see_details(client, camp: SmallCamp) -> None:
    outcome = attack(camp, [services.CasualtyInput(
        Person.objects.get(registration_id="R-0002"), "injured", injury_severity=2)])
    url = reverse("incidents:detail", args=[outcome.incident.pk])
    client.force_login(camp.users["security"])
    assert b"Rockets hit block C." in client.get(url).content
    client.force_login(camp.users["caseworker"])
    page = client.get(url)
    assert page.status_code == 200 and b"Rockets hit block C." not in page.content
    assert b"R-0002" not in page.content
    client.force_login(camp.users["liaison-de"])
    assert client.get(url).status_code == 403


def test_recording_from_the_form(client, camp: SmallCamp) -> None:
    client.force_login(camp.users["security"])
    response = client.post(reverse("incidents:create"), {
        "site": camp.site.pk, "incident_type": "missile_attack",
        "occurred_at": "2026-03-02 01:00", "severity": 4, "place": "north gate",
        "casualties": "R-0003 killed\nR-0001 injured 2\n",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(registration_id="R-0003").status == PersonStatus.DECEASED
    bad = client.post(reverse("incidents:create"), {
        "site": camp.site.pk, "incident_type": "shelling", "occurred_at": "2026-03-02 01:00",
        "severity": 2, "casualties": "R-0001 injured\nNOPE killed",
    })
    assert bad.status_code == 200
    assert b"line 1: give the injury severity" in bad.content
    assert b"line 2: no person with registration id NOPE" in bad.content
