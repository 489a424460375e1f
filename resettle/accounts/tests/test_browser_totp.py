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


def test_first_enrolment_with_an_enrolment_code(
    live_server: Any, page: Any, camp: SmallCamp, settings: Any
) -> None:
    from resettle.accounts.models import SealedTOTPDevice
    from resettle.accounts.services import issue_enrolment_code

    settings.RESETTLE_REQUIRE_2FA = True
    settings.DEMO_MODE = False
    user = camp.users["registrar"]
    issued = issue_enrolment_code(actor=camp.users["admin"], user=user)
    sign_in(page, live_server.url, "registrar", PASSWORD)
    page.wait_for_selector("#id_enrolment_code")
    assert page.locator("img.qr").count() == 0  # no secret before the code
    page.fill("#id_enrolment_code", issued.code)
    page.click("button:has-text('Continue')")
    page.wait_for_selector("img.qr")
    qr = page.request.get(f"{live_server.url}/accounts/enrol/qr.svg")  # this session's QR
    assert qr.status == 200 and qr.headers["content-type"] == "image/svg+xml"
    page.wait_for_function("() => { const i = document.querySelector('img.qr');"
                           " return i.complete && i.naturalWidth > 0; }", timeout=5000)
    device = SealedTOTPDevice.objects.get(user=user, confirmed=False)
    assert page.text_content("code.key").replace(" ", "") == device.base32_key
    page.fill("#id_code", current_code(device))
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    device.refresh_from_db()
    assert device.confirmed
