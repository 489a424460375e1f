"""``resettle users``: operators manage accounts from the console, every change audited."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from resettle.accounts.models import EnrolmentCode, RoleAssignment, SealedTOTPDevice
from resettle.audit.models import AuditEvent
from resettle.testing.fixtures import PASSWORD, SmallCamp
from resettle.testing.objects import confirmed_authenticator

NEW_PASSWORD = "a-long-unusual-passphrase-42"


@pytest.fixture(autouse=True)
def _production_like(settings: Any) -> None:
    settings.RESETTLE_REQUIRE_2FA = True
    settings.DEMO_MODE = False


def users(*args: str, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("users", *args, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return out.getvalue(), err.getvalue()


def refused(*args: str, stdin: str = "") -> str:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("users", *args, stdout=io.StringIO(), stderr=err, stdin=io.StringIO(stdin))
    assert exc.value.code == 2
    message = err.getvalue().strip()
    assert "\n" not in message and "Traceback" not in message
    return message


def code_in(text: str) -> str:
    found = re.search(r"Enrolment code: ([A-Z0-9-]+)", text)
    assert found, text
    return found.group(1)


def test_add_a_user_who_then_signs_in_and_enrols(camp: SmallCamp) -> None:
    out, _ = users("add", "amira", "--role", "caseworker", "--role", "security",
                   "--site", "Camp A", stdin=NEW_PASSWORD + "\n")
    user = get_user_model().objects.get(username="amira")
    assert user.check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in out
    assigned = {(a.role, a.site_id) for a in RoleAssignment.objects.filter(user=user)}
    assert assigned == {("caseworker", camp.site.pk), ("security", camp.site.pk)}
    code = code_in(out)
    row = EnrolmentCode.objects.get(user=user)
    assert code.replace("-", "") not in row.digest
    events = AuditEvent.objects.filter(object_id=str(user.pk)).order_by("seq")
    assert [e.action for e in events] == ["account.user_created",
                                          "account.enrolment_code_issued"]
    assert all(e.actor_username.startswith("console") and e.roles == "admin" for e in events)
    client = Client()
    client.post(reverse("accounts:login"), {"username": "amira", "password": NEW_PASSWORD})
    assert client.post(reverse("accounts:enrol"),
                       {"enrolment_code": code})["Location"] == reverse("accounts:enrol")


def test_add_a_liaison_with_a_generated_password(camp: SmallCamp) -> None:
    out, _ = users("add", "lars", "--role", "liaison", "--destination", "no",
                   "--generate-password")
    password = re.search(r"Password: (\S+)", out)
    assert password
    user = get_user_model().objects.get(username="lars")
    assert user.check_password(password.group(1))
    assignment = RoleAssignment.objects.get(user=user)
    assert (assignment.role, assignment.destination_id) == ("liaison", camp.no.pk)
    assert "liaison:NO" in out


@pytest.mark.parametrize(("args", "field"), [
    (["add", "x1", "--role", "chief"], "role: unknown role 'chief'"),
    (["add", "x1", "--role", "liaison"], "destination: a liaison needs"),
    (["add", "x1", "--role", "caseworker", "--destination", "DE"], "destination: only a liaison"),
    (["add", "x1", "--role", "liaison", "--destination", "DE", "--site", "Camp A"], "site:"),
    (["add", "x1", "--role", "caseworker", "--site", "Nowhere"], "site: no site named"),
    (["add", "x1", "--role", "liaison", "--destination", "FR"], "destination: no destination"),
    (["add", "x1"], "role: give at least one"),
    (["add", "caseworker", "--role", "caseworker"], "username: 'caseworker' is taken"),
    (["roles", "ghost", "--add", "auditor"], "username: no user named 'ghost'"),
    (["roles", "caseworker"], "roles: give --add"),
    (["roles", "caseworker", "--remove", "auditor"], "holds no such 'auditor'"),
    (["reset-2fa", "ghost"], "username: no user named"),
])
def test_bad_input_exits_2_naming_the_field(camp: SmallCamp, args: list[str],
                                            field: str) -> None:
    before = AuditEvent.objects.count()
    assert field in refused(*args, stdin=NEW_PASSWORD + "\n")
    assert AuditEvent.objects.count() == before
    assert not get_user_model().objects.filter(username="x1").exists()


def test_weak_or_missing_password_is_refused(camp: SmallCamp) -> None:
    assert "password:" in refused("add", "x2", "--role", "auditor", stdin="short\n")
    assert "password: none given" in refused("add", "x2", "--role", "auditor", stdin="")
    assert not get_user_model().objects.filter(username="x2").exists()


def test_roles_add_and_remove(camp: SmallCamp) -> None:
    user = camp.users["registrar"]
    users("roles", "registrar", "--add", "liaison", "--destination", "DE")
    users("roles", "registrar", "--add", "auditor", "--remove", "registrar")
    roles = {(a.role, a.destination_id) for a in RoleAssignment.objects.filter(user=user)}
    assert roles == {("liaison", camp.de.pk), ("auditor", None)}
    actions = list(AuditEvent.objects.filter(object_id=str(user.pk)).order_by("seq")
                   .values_list("action", "detail"))
    assert actions == [("account.role_added", {"role": "liaison", "destination": "DE"}),
                       ("account.role_added", {"role": "auditor"}),
                       ("account.role_removed", {"role": "registrar"})]


def test_list_shows_roles_and_second_factor_state(camp: SmallCamp) -> None:
    confirmed_authenticator(camp.users["admin"])
    users("enrolment-code", "manager")
    out, _ = users("list")
    lines = {line.split("\t")[0]: line for line in out.splitlines()}
    assert "2fa set up" in lines["admin"]
    assert "enrolment code until" in lines["manager"]
    assert "2fa not set up" in lines["auditor"]
    assert "liaison:DE" in lines["liaison-de"]
    assert "caseworker@Camp B" in lines["caseworker-b"]


def test_end_sessions_reset_and_deactivate(camp: SmallCamp) -> None:
    user = camp.users["caseworker"]
    confirmed_authenticator(user)
    laptop = Client()
    laptop.force_login(user)
    out, _ = users("end-sessions", "caseworker")
    assert "Ended 1 session(s)" in out
    out, _ = users("reset-2fa", "caseworker")
    assert not SealedTOTPDevice.objects.filter(user=user).exists()
    code_in(out)
    assert EnrolmentCode.objects.filter(user=user, used_at__isnull=True).count() == 1
    laptop.force_login(user)
    users("deactivate", "caseworker")
    user.refresh_from_db()
    assert not user.is_active
    assert not EnrolmentCode.objects.filter(user=user).exists()
    assert laptop.get(reverse("web:home")).status_code == 302
    signed = Client()
    answer = signed.post(reverse("accounts:login"),
                         {"username": "caseworker", "password": PASSWORD})
    assert answer.status_code == 200  # the sign-in form again: refused
    assert "already deactivated" in refused("deactivate", "caseworker")
    actions = set(AuditEvent.objects.filter(object_id=str(user.pk))
                  .values_list("action", flat=True))
    assert {"account.sessions_ended", "account.2fa_reset", "account.enrolment_code_issued",
            "account.user_deactivated"} <= actions


def test_password_keeps_the_second_factor(camp: SmallCamp) -> None:
    user = camp.users["auditor"]
    device = confirmed_authenticator(user)
    users("password", "auditor", stdin=NEW_PASSWORD + "\n")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert SealedTOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    assert AuditEvent.objects.filter(action="account.password_set",
                                     object_id=str(user.pk)).exists()
