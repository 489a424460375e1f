"""Password step: Argon2, one answer for unknown users and wrong passwords, throttling per
(user name, address), sessions that end, and an administrator ending them."""

from __future__ import annotations

import re
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.urls import reverse

from resettle.accounts import services
from resettle.testing.fixtures import PASSWORD, SmallCamp

CSRF = re.compile(rb'value="[^"]*"')


def attempt(username: str, password: str, address: str = "10.0.0.1") -> Any:
    client = Client(REMOTE_ADDR=address)
    return client, client.post(reverse("accounts:login"),
                               {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(camp: SmallCamp, settings: Any) -> None:
    from django.conf import settings as live

    assert live.PASSWORD_HASHERS[-2].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    user = get_user_model().objects.create_user("fresh", password=PASSWORD)
    assert identify_hasher(user.password).algorithm == "argon2"


def test_unknown_user_and_wrong_password_get_the_same_answer(camp: SmallCamp) -> None:
    _c, unknown = attempt("no-such-user", "whatever-password-1")
    _c, wrong = attempt("caseworker", "whatever-password-1")
    assert unknown.status_code == wrong.status_code == 200
    assert CSRF.sub(b"", unknown.content).replace(b"no-such-user", b"X") == CSRF.sub(
        b"", wrong.content).replace(b"caseworker", b"X")
    assert b"Unknown user name or wrong password." in wrong.content


def test_throttling_is_per_user_name_and_address(camp: SmallCamp) -> None:
    for _ in range(5):
        attempt("caseworker", "wrong-password-xx", "10.6.6.6")
    _c, locked = attempt("caseworker", PASSWORD, "10.6.6.6")
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.content
    # the real user, from their own address, is not locked out
    client, fine = attempt("caseworker", PASSWORD, "10.1.2.3")
    assert fine.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
    # and an unknown name is throttled exactly like a real one
    for _ in range(5):
        attempt("ghost", "wrong-password-xx", "10.6.6.6")
    _c, ghost = attempt("ghost", PASSWORD, "10.6.6.6")
    assert ghost.status_code == 429
    assert CSRF.sub(b"", ghost.content) == CSRF.sub(b"", locked.content)


def test_behind_the_proxy_only_the_last_forwarded_hop_counts(settings: Any) -> None:
    from django.test import RequestFactory

    from resettle.accounts.throttle import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1",
                                   HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    settings.RESETTLE_BEHIND_PROXY = True
    assert client_address(request) == "203.0.113.9"
    settings.RESETTLE_BEHIND_PROXY = False
    assert client_address(request) == "127.0.0.1"


def test_idle_and_absolute_session_limits(client: Client, camp: SmallCamp,
                                          settings: Any) -> None:
    from resettle.accounts import middleware

    client.force_login(camp.users["caseworker"])
    assert client.get(reverse("web:home")).status_code == 200
    session = client.session
    session[middleware._LAST_SEEN] = time.time() - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    assert client.get(reverse("web:home")).status_code == 302
    client.force_login(camp.users["caseworker"])
    client.get(reverse("web:home"))
    session = client.session
    session[middleware._SIGNED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    assert client.get(reverse("web:home")).status_code == 302
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_an_administrator_ends_all_sessions_of_a_user(camp: SmallCamp) -> None:
    from resettle.audit.models import AuditEvent

    target = camp.users["caseworker"]
    laptops = [Client(), Client()]
    for laptop in laptops:
        laptop.force_login(target)
        assert laptop.get(reverse("web:home")).status_code == 200
    bystander = Client()
    bystander.force_login(camp.users["registrar"])
    admin = Client()
    admin.force_login(camp.users["admin"])
    page = admin.get(reverse("accounts:users"))
    assert page.status_code == 200 and b"caseworker" in page.content
    done = admin.post(reverse("accounts:users"), {"user_id": target.pk,
                                                  "action": "end_sessions"})
    assert done.status_code == 302
    for laptop in laptops:
        assert laptop.get(reverse("web:home")).status_code == 302
    assert bystander.get(reverse("web:home")).status_code == 200
    assert AuditEvent.objects.filter(action="account.sessions_ended",
                                     object_id=str(target.pk)).count() == 1
    assert services.active_session_count(target) == 0


def test_only_administrators_manage_users(client: Client, camp: SmallCamp) -> None:
    client.force_login(camp.users["manager"])
    assert client.get(reverse("accounts:users")).status_code == 403
    response = client.post(reverse("accounts:users"),
                           {"user_id": camp.users["admin"].pk, "action": "end_sessions"})
    assert response.status_code == 403


def test_resetting_the_second_factor_forces_a_new_enrolment(
    camp: SmallCamp, settings: Any
) -> None:
    from resettle.accounts.models import SealedTOTPDevice
    from resettle.testing.objects import confirmed_authenticator

    settings.RESETTLE_REQUIRE_2FA = True
    target = camp.users["caseworker"]
    confirmed_authenticator(target)
    services.reset_second_factor(actor=camp.users["admin"], user=target)
    assert not SealedTOTPDevice.objects.filter(user=target).exists()
    client = Client()
    client.post(reverse("accounts:login"), {"username": "caseworker", "password": PASSWORD})
    assert client.get(reverse("web:home"))["Location"] == reverse("accounts:enrol")
