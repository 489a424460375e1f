"""An officer in a real browser: start a run, watch it finish, read a placement, accept."""

from __future__ import annotations

from typing import Any

import pytest

from resettle.allocation.tests.conftest import build_allocation_camp
from resettle.registry.models import Household
from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_runs_reviews_and_accepts(live_server: Any, page: Any, camp: SmallCamp) -> None:
    alloc = build_allocation_camp(camp)
    sign_in(page, live_server.url, "resettlement", PASSWORD)
    page.click("nav >> text=Allocation")
    page.fill("#id_time_limit", "3")
    page.click("button:has-text('Start a run')")
    # the worker thread solves; the page polls with htmx and reloads when it is done
    page.wait_for_selector("h2:has-text('Load per destination')")
    row = page.locator("tr", has=page.locator("a:has-text('H00105')"))
    row.locator("summary").click()
    assert "Placed together with H00104." in row.inner_text()
    page.click("button:has-text('Accept: submit every placed household')")
    page.wait_for_selector("text=Accepted: 5 households submitted.")
    assert Household.objects.filter(pk__in=[h.pk for h in alloc.waiting],
                                    stage="submitted").count() == 5
