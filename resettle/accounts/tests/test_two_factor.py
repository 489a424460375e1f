"""Signing in takes a password and then a TOTP code; secrets are sealed; codes are single-use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from resettle.accounts.crypto import SealError, seal, unseal
from resettle.accounts.models import RecoveryCode, SealedTOTPDevice
from resettle.accounts.services import issue_enrolment_code
from resettle.testing.fixtures import PASSWORD, SmallCamp
from resettle.testing.objects import confirmed_authenticator, current_code

#: a <script> element without a src attribute (inline code, which the CSP forbids anyway)
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>")


@pytest.fixture(autouse=True)
def _require_2fa(settings: Any) -> None:
    settings.RESETTLE_REQUIRE_2FA = True


def password_step(client: Client, username: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def test_password_alone_reaches_only_the_second_factor_pages(
    client: Client, camp: SmallCamp
) -> None:
    confirmed_authenticator(camp.users["caseworker"])
    password_step(client, "caseworker")
    for name in ("web:home", "web:households"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:verify")
    detail = client.get(reverse("web:household", args=[camp.household_de.id]))
    assert detail["Location"] == reverse("accounts:verify")
    assert client.post(reverse("web:households"), {"q": "Karimi"})["Location"] == reverse(
        "accounts:verify")


def test_verify_with_totp_then_the_code_cannot_be_reused(camp: SmallCamp) -> None:
    device = confirmed_authenticator(camp.users["caseworker"])
    first, second = Client(), Client()
    password_step(first, "caseworker")
    first.get(reverse("web:households"))  # remembered as the page to go to
    code = current_code(device)
    response = first.post(reverse("accounts:verify"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("web:households")
    assert first.get(reverse("web:households")).status_code == 200
    # an eavesdropper replays the same code within its window from another browser
    password_step(second, "caseworker")
    replay = second.post(reverse("accounts:verify"), {"code": code})
    assert replay.status_code == 200
    assert b"not valid" in replay.content
    assert second.get(reverse("web:home")).status_code == 302


def test_wrong_codes_are_throttled(client: Client, camp: SmallCamp) -> None:
    device = confirmed_authenticator(camp.users["caseworker"])
    password_step(client, "caseworker")
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("accounts:verify"), {"code": wrong})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # even the right code is refused while the delay runs
    response = client.post(reverse("accounts:verify"), {"code": current_code(device)})
    assert b"Too many wrong codes" in response.content
    assert client.get(reverse("web:home")).status_code == 302


def test_enrolment_qr_recovery_codes_and_sealed_secret(client: Client, camp: SmallCamp) -> None:
    issued = issue_enrolment_code(actor=camp.users["admin"], user=camp.users["registrar"])
    password_step(client, "registrar")
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:enrol")
    assert client.post(reverse("accounts:enrol"),
                       {"enrolment_code": issued.code})["Location"] == reverse("accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    assert not INLINE_SCRIPT.search(page.content) and b"style=" not in page.content
    qr = client.get(reverse("accounts:enrol_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg") and b"<script" not in qr.content
    device = SealedTOTPDevice.objects.get(user=camp.users["registrar"])
    assert not device.confirmed
    # the secret is shown as base32 on the page and is nowhere in the database in clear
    assert device.base32_key[:4].encode() in page.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_key FROM accounts_sealedtotpdevice")
        stored = cursor.fetchone()[0]
    assert device.bin_key.hex() not in stored and device.base32_key not in stored
    done = client.post(reverse("accounts:enrol"), {"code": current_code(device)})
    assert done.status_code == 200
    codes = [c.decode() for c in re.findall(rb"<code>([A-Z0-9-]{11})</code>", done.content)]
    assert len(codes) == 10
    stored_digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert not any(c.replace("-", "") in d for c in codes for d in stored_digests)
    assert client.get(reverse("web:home")).status_code == 200
    # later, from a new browser, a recovery code stands in for the phone - once
    other = Client()
    password_step(other, "registrar")
    assert other.post(reverse("accounts:verify"), {"code": codes[0].lower()}).status_code == 302
    assert other.get(reverse("web:home")).status_code == 200
    third = Client()
    password_step(third, "registrar")
    assert third.post(reverse("accounts:verify"), {"code": codes[0]}).status_code == 200
    assert third.get(reverse("web:home")).status_code == 302


def test_sealed_secrets_are_bound_to_their_owner(camp: SmallCamp) -> None:
    a = confirmed_authenticator(camp.users["caseworker"])
    b = confirmed_authenticator(camp.users["registrar"])
    a.sealed_key, b.sealed_key = b.sealed_key, a.sealed_key
    with pytest.raises(SealError):
        _ = a.bin_key
    token = seal(b"secret", context="x")
    assert unseal(token, context="x") == b"secret"
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(SealError):
        unseal(tampered, context="x")


def test_demo_mode_needs_no_second_factor(client: Client, camp: SmallCamp, settings) -> None:
    settings.RESETTLE_REQUIRE_2FA = False
    settings.DEMO_MODE = True
    login_page = client.get(reverse("accounts:login"))
    assert b"without two-factor authentication" in login_page.content
    password_step(client, "caseworker")
    assert client.get(reverse("web:households")).status_code == 200
