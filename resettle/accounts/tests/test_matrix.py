"""The authorization matrix, generated from the URL configuration.

Every route of every namespace must carry a RouteRule (its app's ``route_rules``). For
each route x user (anonymous, one per role, two liaisons, a site-narrowed caseworker, a
user without roles) x record (in scope, out of scope, missing) the answer must be:

* anonymous: a redirect to the sign-in page, unless the route is public;
* a user whose roles lack the route's action: 403, with the same body whatever record;
* a record outside the user's scope: 404 with exactly the body of a missing record;
* otherwise 200 or 302 (400 allowed for an empty POST to a form).

The expected reach comes from the policy table and the role assignments (see
resettle/testing/objects.py), not from the selectors under test. Data is built once per
module; each route's test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from resettle.accounts.policy import Role, allowed_actions
from resettle.accounts.routes import EXTERNAL_NAMESPACES, RouteRule
from resettle.testing import objects
from resettle.testing.fixtures import SmallCamp, build_camp


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:url_name"
    module: str
    params: tuple[str, ...]
    rule: RouteRule | None


def walk(patterns: list[Any], namespace: str = "", module: str = "",
         params: tuple[str, ...] = ()) -> Iterator[Route]:
    for entry in patterns:
        found = tuple(getattr(entry.pattern, "converters", {}).keys())
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            sub_module = getattr(entry.urlconf_module, "__name__", module)
            yield from walk(entry.url_patterns, full, sub_module, params + found)
        elif isinstance(entry, URLPattern):
            rules = getattr(__import__(module, fromlist=["_"]), "route_rules", {}) if module else {}
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield Route(name, module, params + found, rules.get(entry.name))


ALL_ROUTES = list(walk(get_resolver().url_patterns))
EXTERNAL = [r for r in ALL_ROUTES if r.name.split(":")[0] in EXTERNAL_NAMESPACES]
OURS = [r for r in ALL_ROUTES if r not in EXTERNAL]
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def test_every_route_has_a_rule() -> None:
    missing = [f"{r.name} ({r.module})" for r in OURS if r.rule is None]
    assert not missing, (
        "routes without a RouteRule in their app's route_rules: " + ", ".join(missing))
    unnamed = [r.module for r in OURS if r.name.endswith(":None") or r.name == "None"]
    assert not unnamed, f"unnamed routes cannot be checked: {unnamed}"


def test_routes_with_url_parameters_name_their_record_kind() -> None:
    for route in OURS:
        assert route.rule is not None
        if route.params:
            assert route.rule.object_kind, f"{route.name} takes {route.params} but no object_kind"
            assert len(route.params) == 1, f"{route.name}: one id per URL, got {route.params}"
        if route.rule.object_kind:
            objects.kind(route.rule.object_kind)  # a factory is registered


# --- one data set for the module --------------------------------------------------------

USERS = [r.value for r in Role if r != Role.LIAISON] + [
    "liaison-de", "liaison-no", "caseworker-b", "nobody"]


@dataclass
class World:
    camp: SmallCamp
    #: each client keeps its signed-in cookies as ``initial_cookies``, restored before every
    #: call (a route such as logout clears them; the savepoints roll back the database)
    clients: dict[str, Client]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            camp = build_camp()
            clients = {"anonymous": Client()}
            for username in USERS:
                clients[username] = objects.login_verified(Client(), camp.users[username])
            for client in clients.values():
                client.initial_cookies = copy.deepcopy(client.cookies)  # type: ignore[attr-defined]
            yield World(camp, clients)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _two_factor_on(settings: Any) -> None:
    settings.RESETTLE_REQUIRE_2FA = True


def _call(client: Client, route: Route, record_id: Any = None) -> Any:
    assert route.rule is not None
    client.cookies = copy.deepcopy(client.initial_cookies)  # type: ignore[attr-defined]
    kwargs = {route.params[0]: record_id} if route.params else {}
    url = reverse(route.name, kwargs=kwargs)
    if "GET" in route.rule.methods:
        return client.get(url)
    return client.post(url, {})


def _roles(user: Any) -> frozenset[Role]:
    from resettle.accounts.models import RoleAssignment

    return frozenset(Role(a.role) for a in RoleAssignment.objects.filter(user=user))


def _ok(route: Route, status: int) -> bool:
    assert route.rule is not None
    allowed = {200, 302} if "GET" in route.rule.methods else {200, 302, 400}
    return status in allowed


def _same(a: Any, b: Any) -> bool:
    return a.status_code == b.status_code and CSRF.sub(b"", a.content) == CSRF.sub(b"", b.content)


@pytest.mark.django_db
@pytest.mark.parametrize("route", OURS, ids=[r.name for r in OURS])
def test_route(route: Route, world: World) -> None:
    rule = route.rule
    if rule is None:
        pytest.fail(f"{route.name} has no RouteRule")
    kind = objects.kind(rule.object_kind) if rule.object_kind else None
    problems: list[str] = []
    camp = world.camp
    login_url = reverse("accounts:login")

    # anonymous
    anon = world.clients["anonymous"]
    answer = _call(anon, route, objects.MISSING_ID if route.params else None)
    if rule.public:
        if answer.status_code not in (200, 302):
            problems.append(f"anonymous: public route answered {answer.status_code}")
    elif answer.status_code != 302 or not answer["Location"].startswith(login_url):
        problems.append(f"anonymous: expected redirect to sign-in, got {answer.status_code}")

    for username in USERS:
        client = world.clients[username]
        user = camp.users[username]
        may = rule.action is None or rule.action in allowed_actions(_roles(user))
        with transaction.atomic():  # undo whatever one user's call changes
            inside = kind.in_scope(camp, user) if kind else None
            grant = objects.SESSION_GRANTS.get(kind.name) if kind else None
            if grant is not None and inside is not None:
                client.cookies = copy.deepcopy(client.initial_cookies)  # type: ignore[attr-defined]
                grant(client, user, inside)
            outside = kind.out_of_scope(camp, user) if kind and kind.url_id else None
            if kind is not None and kind.url_id:
                got_in = _call(client, route, inside.pk) if inside is not None else None
                got_out = _call(client, route, outside.pk) if outside is not None else None
                got_missing = _call(client, route, objects.MISSING_ID)
            else:
                got_in = _call(client, route)
                got_out = None
                if kind is not None:
                    assert kind.clear is not None
                    kind.clear(camp, user)
                    got_missing = _call(client, route)
                else:
                    got_missing = None
            transaction.set_rollback(True)
        if not may:
            for label, got in (("in scope", got_in), ("out of scope", got_out),
                               ("missing", got_missing)):
                if got is not None and got.status_code != 403:
                    problems.append(f"{username} ({label}): lacks {rule.action}, got "
                                    f"{got.status_code} instead of 403")
            if got_out is not None and got_missing is not None and not _same(got_out, got_missing):
                problems.append(f"{username}: 403 for out-of-scope differs from missing")
            continue
        if got_in is not None and not _ok(route, got_in.status_code):
            problems.append(f"{username} (in scope): got {got_in.status_code}")
        if got_missing is not None and got_missing.status_code != 404:
            problems.append(f"{username} (missing): got {got_missing.status_code}, expected 404")
        if got_out is not None:
            if got_out.status_code != 404:
                problems.append(f"{username} (out of scope): got {got_out.status_code}, "
                                "expected 404")
            elif got_missing is not None and not _same(got_out, got_missing):
                problems.append(f"{username}: out-of-scope answer differs from a missing one")
    assert not problems, f"{route.name}:\n  " + "\n  ".join(problems)


@pytest.mark.django_db
def test_external_namespaces(world: World) -> None:
    """The admin site: anonymous and non-staff users never get past its sign-in."""
    assert EXTERNAL, "the admin site is expected to be mounted"
    url = reverse("admin:index")
    for username, client in world.clients.items():
        answer = client.get(url)
        assert answer.status_code == 302, username
        assert "/admin/login/" in answer["Location"] or reverse(
            "accounts:login") in answer["Location"], username


# --- methods a route does not list are refused ---------------------------------------------

#: methods checked against each rule (OPTIONS and HEAD are left to the framework)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _unlisted_call(client: Client, url: str, method: str) -> Any:
    client.cookies = copy.deepcopy(client.initial_cookies)  # type: ignore[attr-defined]
    return client.generic(method, url, b"", content_type="application/x-www-form-urlencoded")


@pytest.mark.django_db
@pytest.mark.parametrize("route", OURS, ids=[r.name for r in OURS])
def test_unlisted_methods_are_refused(route: Route, world: World) -> None:
    """A signed-in user whose roles allow the route's action gets 405 for any method the
    route's rule does not list (so the rule, and the matrix above, say what the view does)."""
    rule = route.rule
    if rule is None:
        pytest.fail(f"{route.name} has no RouteRule")
    username = "admin"  # every action, every site
    client, user = world.clients[username], world.camp.users[username]
    kind = objects.kind(rule.object_kind) if rule.object_kind else None
    problems = []
    for method in METHODS:
        if method in rule.methods:
            continue
        with transaction.atomic():
            record = kind.in_scope(world.camp, user) if kind else None
            grant = objects.SESSION_GRANTS.get(kind.name) if kind else None
            if grant is not None and record is not None:
                client.cookies = copy.deepcopy(client.initial_cookies)  # type: ignore[attr-defined]
                grant(client, user, record)
            kwargs = {route.params[0]: record.pk} if route.params and record is not None else {}
            if route.params and not kwargs:
                kwargs = {route.params[0]: objects.MISSING_ID}
            answer = _unlisted_call(client, reverse(route.name, kwargs=kwargs), method)
            transaction.set_rollback(True)
        if answer.status_code != 405:
            problems.append(f"{method} answered {answer.status_code}")
    assert not problems, (f"{route.name} ({route.module}) accepts methods its rule "
                          f"{rule.methods} does not list: " + ", ".join(problems))
