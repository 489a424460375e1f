"""A caseworker in a real browser reads the blocker box and moves a household on."""

from __future__ import annotations

from typing import Any

import pytest

from resettle.casework.tests.helpers import fresh
from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_household_page_blocker_box_and_transition(
    live_server: Any, page: Any, camp: SmallCamp
) -> None:
    sign_in(page, live_server.url, "caseworker", PASSWORD)
    page.goto(f"{live_server.url}/households/{camp.household_de.pk}/")
    box = page.locator("#blockers")
    assert "What blocks the next step (Decided)" in box.inner_text()
    assert "No decision from the destination is recorded." in box.inner_text()
    # a household that can move: registered -> assessed, through the offered action
    page.goto(f"{live_server.url}/households/{camp.household_new.pk}/")
    assert "Nothing blocks the move to assessed." in page.locator("#blockers").inner_text()
    page.fill("#actions input[name=reason]", "interview done")
    page.click("#actions button:has-text('Move to assessed')")
    page.wait_for_selector("text=Moved to assessed.")
    assert fresh(camp.household_new).stage == "assessed"
    assert "Registered → Assessed: interview done" in page.locator("#timeline").inner_text()
    assert "What blocks the next step (Allocated)" in page.locator("#blockers").inner_text()
