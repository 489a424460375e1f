"""The API's authorization matrix, generated from its URL configuration.

For every API route x token of each role (plus two liaisons, a site-narrowed caseworker,
a user without roles) x record (in scope, out of scope, missing): no token is 401 unless
the route is public; a role without the route's action gets 403 whatever the record; a
record outside the token's scope answers 404 with exactly the body of a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from resettle.accounts.models import RoleAssignment
from resettle.accounts.policy import FieldGroup, Role, allowed_actions, visible_fields
from resettle.accounts.routes import RouteRule
from resettle.api import urls as api_urls
from resettle.api.tokens import create_token
from resettle.casework.models import Submission
from resettle.departures.models import Departure
from resettle.testing import objects
from resettle.testing.fixtures import SmallCamp, build_camp

USERS = [r.value for r in Role if r != Role.LIAISON] + [
    "liaison-de", "liaison-no", "caseworker-b", "nobody"]


def _api_routes() -> list[tuple[str, tuple[str, ...]]]:
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(patterns: list[Any], namespace: str, params: tuple[str, ...]) -> None:
        for entry in patterns:
            here = params + tuple(getattr(entry.pattern, "converters", {}).keys())
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace, here)
            elif isinstance(entry, URLPattern) and namespace == "api":
                found.append((str(entry.name), here))

    walk(get_resolver().url_patterns, "", ())
    return found


ROUTES = _api_routes()


def test_every_api_route_has_a_rule() -> None:
    assert len(ROUTES) >= 15
    missing = [name for name, _params in ROUTES if name not in api_urls.route_rules]
    assert not missing, f"API routes without a RouteRule: {missing}"


# --- records per kind, from the role assignments (an oracle, not the selectors) ----------


def _submission(camp: SmallCamp, user: Any, inside: bool) -> Any:
    reach = objects.reach_of(user)
    for sub in Submission.objects.filter(household__in=[camp.household_de, camp.household_no]):
        visible = (reach.all_sites or sub.household.site_id in reach.site_ids) \
            if not reach.destination_ids else sub.destination_id in reach.destination_ids
        if visible == inside:
            return sub
    return None


def _departure(camp: SmallCamp, user: Any, inside: bool) -> Any:
    reach = objects.reach_of(user)
    for site in (camp.site, camp.other_site):
        visible = reach.all_sites or site.pk in reach.site_ids
        if visible == inside:
            return Departure.objects.create(
                code=f"T-{site.name[-1]}-{inside}", date=date(2026, 12, 1), origin=site,
                destination=camp.de, seats=50)
    return None


FINDERS = {
    "household": lambda camp, user, inside: (
        objects.kind("household").in_scope if inside else objects.kind("household").out_of_scope
    )(camp, user),
    "person": lambda camp, user, inside: (
        objects.kind("person").in_scope if inside else objects.kind("person").out_of_scope
    )(camp, user),
    "submission": _submission,
    "departure": _departure,
}


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any
) -> Iterator[tuple[SmallCamp, dict[str, str]]]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            camp = build_camp()
            tokens = {
                name: create_token(actor=camp.users[name], user=camp.users[name],
                                   name="matrix").secret
                for name in USERS
            }
            yield camp, tokens
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


#: a valid body per POST route, so the matrix tests authorization rather than validation
BODIES: dict[str, dict[str, Any]] = {
    "search_households": {"q": "Karimi"},
    "transition": {"to": "assessed"},
    "post_decision": {"decision": "deferred"},
}
#: routes that also need a field group (holds are shown only to roles that see them)
FIELD_GROUP_NEEDED: dict[str, FieldGroup] = {"list_holds": FieldGroup.HOLDS}


def _call(route: str, params: tuple[str, ...], rule: RouteRule, record_id: Any,
          token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {params[0]: str(record_id)} if params else {}
    url = reverse(f"api:{route}", kwargs=kwargs)
    if "GET" in rule.methods:
        return Client().get(url, headers=headers)
    return Client().post(url, json.dumps(BODIES.get(route, {})),
                         content_type="application/json", headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "params"), ROUTES, ids=[r for r, _p in ROUTES])
def test_api_route(
    route: str, params: tuple[str, ...], world: tuple[SmallCamp, dict[str, str]]
) -> None:
    camp, tokens = world
    rule = api_urls.route_rules[route]
    problems: list[str] = []
    anonymous = _call(route, params, rule, objects.MISSING_ID, None)
    expected_anonymous = {200, 404} if rule.public else {401}
    if anonymous.status_code not in expected_anonymous:
        problems.append(f"no token: got {anonymous.status_code}")
    if rule.public:
        assert not problems, problems
        return
    for username in USERS:
        user = camp.users[username]
        roles = frozenset(Role(a.role) for a in RoleAssignment.objects.filter(user=user))
        may = rule.action is None or rule.action in allowed_actions(roles)
        if route in FIELD_GROUP_NEEDED:
            may = may and FIELD_GROUP_NEEDED[route] in visible_fields(roles)
        with transaction.atomic():
            finder = FINDERS.get(rule.object_kind or "")
            inside = finder(camp, user, True) if finder else None
            outside = finder(camp, user, False) if finder else None
            got_in = _call(route, params, rule, inside.pk if inside else None, tokens[username]) \
                if (inside is not None or not params) else None
            got_out = _call(route, params, rule, outside.pk, tokens[username]) \
                if outside is not None else None
            got_missing = _call(route, params, rule, objects.MISSING_ID, tokens[username]) \
                if params else None
            transaction.set_rollback(True)
        answers = [("in scope", got_in), ("out of scope", got_out), ("missing", got_missing)]
        if not may:
            problems += [f"{username} ({label}): lacks {rule.action}, got {got.status_code}"
                         for label, got in answers if got is not None and got.status_code != 403]
            continue
        if got_in is not None and got_in.status_code not in (200, 409, 412, 422, 428):
            problems.append(f"{username} (in scope): got {got_in.status_code}")
        if got_missing is not None and got_missing.status_code != 404:
            problems.append(f"{username} (missing): got {got_missing.status_code}")
        if got_out is not None and (got_out.status_code, got_out.content) != (
                404, got_missing.content if got_missing is not None else b""):
            problems.append(f"{username} (out of scope): got {got_out.status_code}, "
                            "not identical to a missing record")
    assert not problems, f"{route}:\n  " + "\n  ".join(problems)
