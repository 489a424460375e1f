"""A person in a real browser: sign in as a demo user, find a family, open its page."""

from __future__ import annotations

from typing import Any

import pytest

from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_signs_in_searches_and_opens_a_household(
    live_server: Any, page: Any, camp: SmallCamp
) -> None:
    sign_in(page, live_server.url, "caseworker", PASSWORD)
    page.click("nav >> text=Households")
    page.fill("#q", "Hosein")  # another spelling of the registered "Hossein"
    page.click("button:has-text('Search')")
    assert "Hosein" not in page.url
    page.click("text=H00001")
    page.wait_for_selector("h1:has-text('Case H00001')")
    assert page.locator("bdi[dir=rtl]").first.inner_text() == "حسین کریمی"
    assert page.locator("#members tbody tr").count() == 2
