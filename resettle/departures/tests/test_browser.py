"""A movement officer boards a departure in a real browser, then closes it."""

from __future__ import annotations

from typing import Any

import pytest

from resettle.casework.tests.helpers import fresh, members
from resettle.departures.models import Departure
from resettle.departures.tests.helpers import book, confirm, departure, ready
from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_boarding_no_show_and_departure(live_server: Any, page: Any, camp: SmallCamp) -> None:
    officer = camp.users["movement"]
    dep = departure(camp.site, camp.de, days=0)
    household = book(officer, dep, ready(camp.users["admin"], camp.household_de))
    dep = confirm(officer, dep)
    first, second = members(household)
    sign_in(page, live_server.url, "movement", PASSWORD)
    page.goto(f"{live_server.url}/departures/{dep.pk}/boarding/")
    assert "Households travel whole." in page.locator("#no-show-rule").inner_text()
    row = page.locator(f"tr:has-text('{first.given_name} {first.family_name}')")
    row.locator("button:has-text('Boarded')").click()
    page.wait_for_selector("text=Boarded.")
    assert "Boarded" in page.locator(
        f"tr:has-text('{first.given_name} {first.family_name}') .line-status").inner_text()
    row = page.locator(f"tr:has-text('{second.given_name} {second.family_name}')")
    row.locator("input[name=reason]").fill("stayed with a sick relative")
    row.locator("button:has-text('No-show')").click()
    page.wait_for_selector("text=No-show recorded")
    text = page.locator("#boarding").inner_text()
    assert "stayed with a sick relative" in text
    assert "a member was a no-show" in text  # the boarded spouse is off too
    assert fresh(household).stage == "ready"
    page.click("#close-departure button")
    page.wait_for_selector("text=Departed: the passengers have left the camp.")
    assert Departure.objects.get(pk=dep.pk).status == "departed"
