"""Departures pages: who may see and do what, and the flows through the forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from resettle.casework.tests.helpers import fresh, members
from resettle.departures.models import Departure, ManifestEntry
from resettle.departures.tests.helpers import book, confirm, departure, ready, today
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db


def login(client: Client, camp: SmallCamp, username: str) -> Client:
    client.force_login(camp.users[username])
    return client


def test_liaison_and_registrar_cannot_see_departures(client: Client, camp: SmallCamp) -> None:
    dep = departure(camp.site, camp.de)
    for username in ("liaison-de", "registrar", "nobody"):
        login(client, camp, username)
        assert client.get(reverse("departures:list")).status_code == 403
        assert client.get(reverse("departures:detail", args=[dep.pk])).status_code == 403
        assert client.get(reverse("departures:manifest", args=[dep.pk])).status_code == 403
        assert client.get(reverse("departures:clear")).status_code == 403
        home = client.get(reverse("web:home")).content.decode()
        assert reverse("departures:list") not in home
    login(client, camp, "movement")
    assert reverse("departures:list") in client.get(reverse("web:home")).content.decode()


def test_readers_cannot_write(client: Client, camp: SmallCamp) -> None:
    dep = departure(camp.site, camp.de)
    login(client, camp, "resettlement")  # views departures, does not manage them
    assert client.get(reverse("departures:detail", args=[dep.pk])).status_code == 200
    assert client.get(reverse("departures:create")).status_code == 403
    response = client.post(reverse("departures:cancel", args=[dep.pk]),
                           {"version": dep.version, "reason": "x"})
    assert response.status_code == 403
    assert Departure.objects.get(pk=dep.pk).status == "planned"


def test_site_narrowed_user_gets_404_for_another_sites_departure(
    client: Client, camp: SmallCamp
) -> None:
    here = departure(camp.site, camp.de, code="HERE")
    there = departure(camp.other_site, camp.de, code="THERE")
    login(client, camp, "caseworker-b")  # narrowed to the other site
    assert client.get(reverse("departures:detail", args=[there.pk])).status_code == 200
    assert client.get(reverse("departures:detail", args=[here.pk])).status_code == 404
    listing = client.get(reverse("departures:list")).content.decode()
    assert "THERE" in listing and ">HERE</a>" not in listing


def test_create_add_remove_confirm_through_the_pages(client: Client, camp: SmallCamp) -> None:
    ready(camp.users["admin"], camp.household_de)
    login(client, camp, "movement")
    response = client.post(reverse("departures:create"), {
        "code": "RS100-DE", "date": (today() + timedelta(days=9)).isoformat(),
        "origin": camp.site.pk, "destination": camp.de.pk, "transit_points": "Erbil, Istanbul",
        "carrier": "Charter Air", "flight_number": "CA800", "seats": 40, "wheelchair": 2,
        "stretcher": 0, "escort_seats": 1})
    assert response.status_code == 302
    dep = Departure.objects.get(code="RS100-DE")
    assert dep.transit_points == ["Erbil", "Istanbul"] and dep.special_places == {"wheelchair": 2}
    url = reverse("departures:manifest_add", args=[dep.pk])
    client.post(url, {"reference": "H00001", "reason": "planned by hand"})
    assert fresh(camp.household_de).stage == "booked"
    page = client.get(reverse("departures:detail", args=[dep.pk])).content.decode()
    assert "Hossein Karimi" in page and "2 of 40 booked" in page
    dep.refresh_from_db()
    client.post(reverse("departures:manifest_remove", args=[dep.pk]), {
        "version": dep.version, "household": camp.household_de.pk, "reason": "sick child"})
    assert fresh(camp.household_de).stage == "ready"
    page = client.get(reverse("departures:detail", args=[dep.pk])).content.decode()
    assert "sick child" in page
    client.post(url, {"reference": "H00001", "reason": "better now"})
    dep.refresh_from_db()
    client.post(reverse("departures:confirm", args=[dep.pk]), {"version": dep.version})
    assert Departure.objects.get(pk=dep.pk).status == "confirmed"


def test_boarding_page_no_show_and_close(client: Client, camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de, days=0)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    no = ready(camp.users["admin"], camp.household_no)
    dep = confirm(officer, dep)
    login(client, camp, "movement")
    page = client.get(reverse("departures:boarding", args=[dep.pk])).content.decode()
    assert "Households travel whole." in page
    first, second = members(household)
    check_in = reverse("departures:check_in", args=[dep.pk])
    client.post(check_in, {"person": first.pk, "outcome": "boarded"})
    # a no-show without a reason is refused by the form
    client.post(check_in, {"person": second.pk, "outcome": "no_show", "reason": ""})
    assert ManifestEntry.objects.get(departure=dep, person=second).status == "planned"
    # recorded by mistake, undone from the page: the family is back, the first checks in again
    client.post(check_in, {"person": second.pk, "outcome": "no_show", "reason": "late"})
    page = client.get(reverse("departures:boarding", args=[dep.pk])).content.decode()
    assert 'value="undo_no_show"' in page
    answer = client.post(check_in, {"person": second.pk, "outcome": "undo_no_show"}, follow=True)
    assert "No-show undone" in answer.content.decode()
    assert fresh(household).stage == "booked"
    client.post(check_in, {"person": first.pk, "outcome": "boarded"})
    client.post(check_in, {"person": second.pk, "outcome": "boarded"})
    dep.refresh_from_db()
    client.post(reverse("departures:close", args=[dep.pk]), {"version": dep.version})
    assert fresh(household).stage == "departed"
    assert fresh(no).stage == "ready"
    dep.refresh_from_db()
    client.post(reverse("departures:arrive", args=[dep.pk]), {"version": dep.version})
    assert fresh(household).stage == "arrived"
