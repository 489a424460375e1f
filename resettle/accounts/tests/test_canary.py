"""No personal data in logs or URLs: canary values in every personal field, main journeys
run with every logger at DEBUG, then every log record and access-log line is searched."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse

from resettle.accounts.tests.test_matrix import OURS
from resettle.registry.models import Person
from resettle.testing.fixtures import PASSWORD, SmallCamp, make_household, make_person
from resettle.testing.objects import confirmed_authenticator, current_code

#: gunicorn's access-log format as configured in resettle/web/server.py
ACCESS_LOG = '{h} "{m} {U}" {s} {b}'


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {text}")


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


def _canary_person(camp: SmallCamp) -> tuple[Person, list[str]]:
    canaries: list[str] = []

    def canary(field: str) -> str:
        value = f"Qx{len(canaries):02d}canary{field.replace('_', '')}"
        canaries.append(value)
        return value

    person = make_person(camp.site, canary("registration_id"), canary("given_name"),
                         canary("family_name"), given_original=canary("given_name_original"),
                         family_original=canary("family_name_original"))
    for field in Person._meta.fields:
        if isinstance(field, (models.CharField, models.TextField)) and not field.choices and (
            field.name not in {"registration_id", "given_name", "family_name", "search_name",
                               "nationality", "given_name_original", "family_name_original"}
        ):
            setattr(person, field.name, canary(field.name)[: field.max_length or 200])
    person.ties = [canary("ties")]
    person.save()
    return person, canaries


def test_no_canary_in_any_log_or_url(camp: SmallCamp, captured: Capture, settings: Any) -> None:
    settings.RESETTLE_REQUIRE_2FA = True
    person, canaries = _canary_person(camp)
    household = make_household(camp.site, "H07777", [(person, "principal")])
    access: list[str] = []

    def log_access(response: Any) -> Any:
        req = response.request
        path = req["PATH_INFO"] + ("?" + req["QUERY_STRING"] if req.get("QUERY_STRING") else "")
        access.append(ACCESS_LOG.format(h="127.0.0.1", m=req["REQUEST_METHOD"], U=path,
                                        s=response.status_code, b=len(response.content)))
        if response.has_header("Location"):
            access.append("Location: " + response["Location"])
        return response

    client = Client()
    device = confirmed_authenticator(camp.users["caseworker"])
    log_access(client.post(reverse("accounts:login"),
                           {"username": "caseworker", "password": PASSWORD}))
    log_access(client.post(reverse("accounts:verify"), {"code": current_code(device)}))
    log_access(client.post(reverse("accounts:login"),  # a failed login, too
                           {"username": canaries[1], "password": canaries[2]}))
    for list_name in ("web:households", "web:persons"):
        for term in (canaries[1], f"{canaries[1]} {canaries[2]}", canaries[0], canaries[3]):
            answer = log_access(client.post(reverse(list_name), {"q": term}))
            log_access(client.get(answer["Location"]))
    for route in OURS:
        rule = route.rule
        if rule is None or "GET" not in rule.methods:
            continue
        if not route.params:
            log_access(client.get(reverse(route.name)))
        elif rule.object_kind in ("household", "person"):
            record = household if rule.object_kind == "household" else person
            log_access(client.get(reverse(route.name, args=[record.id])))
    # out-of-scope and missing records log their 404s
    liaison = Client()
    liaison.force_login(camp.users["liaison-de"])
    log_access(liaison.get(reverse("web:person", args=[person.id])))
    log_access(liaison.get(reverse("web:household", args=[household.id])))

    assert len(access) > 20 and captured.lines, "the journeys ran and something was logged"
    pattern = re.compile("|".join(re.escape(c.lower()) for c in canaries))
    leaks = [line for line in captured.lines + access if pattern.search(line.lower())]
    assert not leaks, "personal data in logs or URLs:\n" + "\n".join(leaks[:10])


def test_the_canary_check_would_see_a_leak(camp: SmallCamp, captured: Capture) -> None:
    person, canaries = _canary_person(camp)
    logging.getLogger("resettle.somewhere").debug("looked at %s", person.given_name)
    assert any(canaries[1] in line for line in captured.lines)
