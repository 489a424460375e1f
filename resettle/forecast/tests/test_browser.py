"""A manager in a real browser asks "what if Norway takes 280 more next month?"."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_whatif_page_runs_a_pledge_lever(live_server: Any, page: Any, camp: SmallCamp) -> None:
    sign_in(page, live_server.url, "manager", PASSWORD)
    page.click("nav a:has-text('Forecast')")
    page.wait_for_selector("#whatif-form")
    assert "No forecast has been computed yet" in page.inner_text("#forecast-run")
    page.select_option("#id_pledge_destination", "NO")
    page.fill("#id_pledge_places", "280")
    next_month = timezone.localdate() + timedelta(days=30)
    page.fill("#id_pledge_date", next_month.isoformat())
    page.select_option("#id_replications", "200")
    page.click("#whatif-form button:has-text('Run the forecast')")
    # the run page polls (htmx, every second) until the table is there
    page.wait_for_selector("#lever-table", timeout=30000)
    table = page.inner_text("#lever-table")
    assert "current forecast" in table
    assert f"Norway (NO) takes 280 more from {next_month.isoformat()}" in table
    assert "200 replications" in page.inner_text("#run-summary")
    assert page.locator("#forecast-run svg polygon").count() == 1
    # the worker thread closes its database connection as it ends: let it, before the
    # test database is dropped
    for thread in threading.enumerate():
        if thread.name.startswith("forecast-"):
            thread.join(timeout=10)
