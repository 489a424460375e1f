"""Auditor pages, an audit row for every sensitive route, and the admin's missing actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from resettle.audit.models import AuditEvent


@pytest.mark.django_db
def test_auditor_sees_who_saw_a_household(client: Any, camp: Any) -> None:
    household = camp.household_de
    member = household.memberships.first().person
    client.force_login(camp.users["caseworker"])
    assert client.get(reverse("web:household", args=[household.pk])).status_code == 200
    assert client.get(reverse("web:person", args=[member.pk])).status_code == 200
    client.force_login(camp.users["auditor"])
    page = client.get(reverse("audit:events"), {"object": str(household.pk)})
    text = page.content.decode()
    assert page.status_code == 200
    assert "household.view" in text and "person.view" in text and "caseworker" in text
    only_person = client.get(reverse("audit:events"),
                             {"object": str(household.pk), "action": "person."}).content.decode()
    assert "household.view" not in only_person and "person.view" in only_person
    by_user = client.get(reverse("audit:events"), {"user": "registrar"}).content.decode()
    assert "household.view" not in by_user
    future = client.get(reverse("audit:events"), {"since": "2999-01-01"}).content.decode()
    assert "No event matches" in future
    assert AuditEvent.objects.filter(action="audit.viewed", actor_username="auditor").exists()


@pytest.mark.django_db
def test_audit_pages_need_their_action(client: Any, camp: Any) -> None:
    client.force_login(camp.users["caseworker"])
    assert client.get(reverse("audit:events")).status_code == 403
    assert client.get(reverse("audit:exports")).status_code == 403


#: detail routes of other apps that show a record without an audit event (reported to their
#: owners); pinned so a new one fails this test, and so does fixing one without updating it
KNOWN_UNAUDITED: tuple[str, ...] = ()

SENSITIVE_ROUTES = (
    ("web:household", "household", "household.view"),
    ("web:person", "person", "person.view"),
)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "kind", "action"), SENSITIVE_ROUTES)
def test_every_sensitive_read_writes_an_audit_row(client: Any, camp: Any, route: str,
                                                  kind: str, action: str) -> None:
    from resettle.audit.integrity import verify_database

    record = camp.household_de if kind == "household" else \
        camp.household_de.memberships.first().person
    client.force_login(camp.users["caseworker"])
    before = AuditEvent.objects.count()
    assert client.get(reverse(route, args=[record.pk])).status_code == 200
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == action and event.object_id == str(record.pk)
    assert event.actor_username == "caseworker" and event.request_id
    assert verify_database().ok


@pytest.mark.django_db
def test_sensitive_routes_with_ids_are_all_audited(client: Any, camp: Any) -> None:
    """Every detail route of a sensitive kind (household, person, incident) writes an event."""
    from resettle.accounts.tests.test_matrix import OURS
    from resettle.testing import objects

    client.force_login(camp.users["admin"])
    checked = []
    unaudited = []
    for route in OURS:
        rule = route.rule
        if rule is None or rule.object_kind not in {"household", "person", "incident"} \
                or "GET" not in rule.methods:
            continue
        record = objects.kind(rule.object_kind).in_scope(camp, camp.users["admin"])
        if record is None:
            continue
        before = AuditEvent.objects.count()
        answer = client.get(reverse(route.name, kwargs={route.params[0]: record.pk}))
        if answer.status_code != 200:
            continue
        if AuditEvent.objects.count() == before:
            unaudited.append(route.name)
        checked.append(route.name)
    assert "web:household" in checked and "web:person" in checked
    assert sorted(unaudited) == sorted(KNOWN_UNAUDITED), (
        "sensitive routes that show a record without writing an audit event: "
        f"{sorted(unaudited)} (pinned: {sorted(KNOWN_UNAUDITED)})")


@pytest.mark.django_db
def test_admin_has_no_bulk_actions_and_hides_encrypted_fields(camp: Any) -> None:
    request = RequestFactory().get("/admin/")
    request.user = camp.users["admin"]
    assert admin.site._registry, "the admin registers models"
    for model, model_admin in admin.site._registry.items():
        actions = model_admin.get_actions(request)
        if model.__module__.startswith("resettle."):
            assert actions == {}, f"{model.__name__} has bulk actions"
        # third-party admins (django-axes' attempts cleanup) keep only non-exporting actions
        assert not [a for a in actions if "export" in a or "delete" in a], model.__name__
    from resettle.registry.models import Person

    person_admin = admin.site._registry[Person]
    fields = person_admin.get_fields(request)
    assert "phone" not in fields and "given_name_original" not in fields
    assert "registration_id" in fields
    assert not person_admin.has_change_permission(request)
    assert not person_admin.has_delete_permission(request)
    request.user = camp.users["registrar"]
    assert not person_admin.has_view_permission(request)
