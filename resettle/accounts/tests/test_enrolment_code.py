"""First enrolment needs a one-time code from an administrator (outside demo mode).

Without it, whoever learnt a user's password could enrol their own authenticator first.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resettle.accounts import services
from resettle.accounts.models import EnrolmentCode, SealedTOTPDevice
from resettle.audit.models import AuditEvent
from resettle.testing.fixtures import PASSWORD, SmallCamp
from resettle.testing.objects import confirmed_authenticator, current_code, login_verified


@pytest.fixture(autouse=True)
def _production_like(settings: Any) -> None:
    settings.RESETTLE_REQUIRE_2FA = True
    settings.DEMO_MODE = False


def signed_in(username: str) -> Client:
    client = Client()
    answer = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def enter_code(client: Client, code: str) -> Any:
    return client.post(reverse("accounts:enrol"), {"enrolment_code": code})


def shown_key(page: Any) -> str:
    found = re.search(rb'<code class="key">([A-Z2-7 ]+)</code>', page.content)
    assert found, "the enrolment page shows no key"
    return found.group(1).decode().replace(" ", "")


def test_password_alone_cannot_enrol(camp: SmallCamp) -> None:
    user = camp.users["registrar"]
    attacker = signed_in("registrar")
    page = attacker.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    assert b"enrolment code" in page.content.lower()
    assert b'class="key"' not in page.content and b"enrol/qr.svg" not in page.content
    assert not SealedTOTPDevice.objects.filter(user=user).exists()  # no secret was made
    # a pending authenticator (however it came to exist) is not served without the code
    services.start_enrolment(user=user)
    assert attacker.get(reverse("accounts:enrol_qr")).status_code == 404
    device = SealedTOTPDevice.objects.get(user=user)
    refused = attacker.post(reverse("accounts:enrol"), {"code": current_code(device)})
    assert refused.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    # guessing is refused and audited (the code never appears in the trail)
    wrong = enter_code(attacker, "AAAAA-BBBBB-CCCCC-DDDDD")
    assert b"not valid" in wrong.content
    assert AuditEvent.objects.filter(action="account.enrolment_code_rejected",
                                     object_id=str(user.pk)).count() == 1
    assert attacker.get(reverse("web:home"))["Location"] == reverse("accounts:enrol")


def test_too_many_wrong_codes_revoke_the_open_code(camp: SmallCamp) -> None:
    user = camp.users["registrar"]
    issued = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    client = signed_in("registrar")
    for _ in range(services.ENROLMENT_CODE_ATTEMPTS - 1):
        assert b"not valid" in enter_code(client, "AAAAA-BBBBB-CCCCC-DDDDD").content
    assert services.open_enrolment_code(user) is not None  # still usable after 4 mistakes
    last = enter_code(client, "AAAAA-BBBBB-CCCCC-DDDDD")
    assert b"Too many wrong enrolment codes" in last.content
    assert services.open_enrolment_code(user) is None
    assert AuditEvent.objects.filter(action="account.enrolment_code_revoked",
                                     object_id=str(user.pk)).count() == 1
    # the right code no longer helps; a new code from an administrator does
    assert b"not valid" in enter_code(client, issued.code).content
    fresh = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    assert enter_code(client, fresh.code)["Location"] == reverse("accounts:enrol")


def test_code_enrols_once_with_a_fresh_secret(camp: SmallCamp) -> None:
    user = camp.users["registrar"]
    issued = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    # a secret that existed before the code was entered (an attacker may have seen it)
    stale = services.start_enrolment(user=user)
    client = signed_in("registrar")
    assert enter_code(client, issued.code.lower().replace("-", " "))["Location"] == reverse(
        "accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    device = SealedTOTPDevice.objects.get(user=user, confirmed=False)
    assert device.pk != stale.pk
    assert shown_key(page) == device.base32_key
    assert client.get(reverse("accounts:enrol_qr")).status_code == 200
    done = client.post(reverse("accounts:enrol"), {"code": current_code(device)})
    assert done.status_code == 200 and b"recovery-codes" in done.content
    assert client.get(reverse("web:home")).status_code == 200
    row = EnrolmentCode.objects.get(user=user)
    assert row.used_at is not None
    # spent: the same code opens nothing any more (e.g. after the authenticator is removed)
    SealedTOTPDevice.objects.filter(user=user).delete()
    again = signed_in("registrar")
    assert b"not valid" in enter_code(again, issued.code).content


def test_code_is_stored_only_as_a_keyed_digest(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    issued = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    assert re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){3}", issued.code)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_enrolmentcode")
        stored = " ".join(str(v) for v in cursor.fetchone())
    plain = issued.code.replace("-", "")
    assert plain not in stored and issued.code not in stored
    assert hashlib.sha256(plain.encode()).hexdigest() not in stored  # keyed, not a plain hash
    event = AuditEvent.objects.get(action="account.enrolment_code_issued")
    assert event.object_id == str(user.pk) and event.actor_username == "admin"
    assert plain not in str(event.detail)
    expected = timezone.now() + timedelta(hours=services.ENROLMENT_CODE_HOURS)
    assert abs((issued.expires_at - expected).total_seconds()) < 60


def test_expired_and_replaced_codes_are_refused(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    old = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    EnrolmentCode.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(1))
    client = signed_in("caseworker")
    assert b"not valid" in enter_code(client, old.code).content
    first = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    second = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    assert EnrolmentCode.objects.filter(user=user, used_at__isnull=True).count() == 1
    assert b"not valid" in enter_code(client, first.code).content
    assert enter_code(client, second.code).status_code == 302


def test_reissuing_mid_enrolment_voids_the_started_one(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    issued = services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    client = signed_in("caseworker")
    enter_code(client, issued.code)
    device = SealedTOTPDevice.objects.get(user=user, confirmed=False)
    services.issue_enrolment_code(actor=camp.users["admin"], user=user)
    answer = client.post(reverse("accounts:enrol"), {"code": current_code(device)})
    device.refresh_from_db()
    assert not device.confirmed
    assert b'name="enrolment_code"' in answer.content
    assert client.get(reverse("accounts:enrol_qr")).status_code == 404


def test_no_code_for_an_enrolled_account(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    confirmed_authenticator(user)
    with pytest.raises(services.AccountError, match="already has an authenticator"):
        services.issue_enrolment_code(actor=camp.users["admin"], user=user)


def test_resetting_the_second_factor_issues_a_new_code(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    confirmed_authenticator(user)
    issued = services.reset_second_factor(actor=camp.users["admin"], user=user)
    assert issued is not None
    client = signed_in("caseworker")
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:enrol")
    assert enter_code(client, issued.code)["Location"] == reverse("accounts:enrol")
    actions = list(AuditEvent.objects.filter(object_id=str(user.pk)).order_by("seq")
                   .values_list("action", flat=True))
    assert actions[-3:] == ["account.sessions_ended", "account.2fa_reset",
                            "account.enrolment_code_issued"]


def test_users_page_shows_an_issued_code_once(camp: SmallCamp) -> None:
    user = camp.users["registrar"]
    admin = login_verified(Client(), camp.users["admin"])
    answer = admin.post(reverse("accounts:users"), {"user_id": user.pk, "action": "issue_code"})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    shown = re.search(rb'id="issued-code".*?<code class="key">([A-Z0-9-]+)</code>',
                      answer.content, re.S)
    assert shown
    code = shown.group(1).decode()
    listing = admin.get(reverse("accounts:users"))
    assert code.encode() not in listing.content
    assert b"enrolment code valid until" in listing.content
    client = signed_in("registrar")
    assert enter_code(client, code).status_code == 302
    # reset from the page hands over a new code too
    confirmed_authenticator(camp.users["caseworker"])
    reset = admin.post(reverse("accounts:users"),
                       {"user_id": camp.users["caseworker"].pk, "action": "reset_2fa"})
    assert b'id="issued-code"' in reset.content
    assert not SealedTOTPDevice.objects.filter(user=camp.users["caseworker"]).exists()
    # and an enrolled user gets no code (an error message instead)
    confirmed_authenticator(camp.users["manager"])
    refused = admin.post(reverse("accounts:users"),
                         {"user_id": camp.users["manager"].pk, "action": "issue_code"})
    assert refused.status_code == 302
    assert not EnrolmentCode.objects.filter(user=camp.users["manager"]).exists()


def test_demo_mode_enrols_without_a_code(camp: SmallCamp, settings: Any) -> None:
    settings.DEMO_MODE = True
    client = signed_in("registrar")
    page = client.get(reverse("accounts:enrol"))
    device = SealedTOTPDevice.objects.get(user=camp.users["registrar"], confirmed=False)
    assert shown_key(page) == device.base32_key
    assert client.post(reverse("accounts:enrol"),
                       {"code": current_code(device)}).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
