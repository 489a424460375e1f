"""In a real browser: password, then a TOTP code computed from the stored (sealed) key."""

from __future__ import annotations

from typing import Any

import pytest

from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp
from resettle.testing.objects import confirmed_authenticator, current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_password_and_totp(
    live_server: Any, page: Any, camp: SmallCamp, settings: Any
) -> None:
    settings.RESETTLE_REQUIRE_2FA = True
    device = confirmed_authenticator(camp.users["caseworker"])
    sign_in(page, live_server.url, "caseworker", PASSWORD)
    page.wait_for_selector("h1:has-text('Two-factor check')")
    page.goto(f"{live_server.url}/households/")
    assert "/accounts/verify/" in page.url  # nothing else before the second factor
    page.fill("#id_code", current_code(device))
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1")
    assert "/accounts/" not in page.url
    assert page.locator("nav >> text=Households").count() == 1
