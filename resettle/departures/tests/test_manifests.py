"""Manifests: exactly the boarded households, the right columns per variant and role,
formula-injection guards, and an audit row per generation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from resettle.audit.models import AuditEvent
from resettle.casework.models import Document
from resettle.casework.tests.helpers import members
from resettle.departures import manifests, services
from resettle.departures.models import Departure
from resettle.departures.tests.helpers import book, confirm, departure, ready
from resettle.registry.models import Person
from resettle.testing.fixtures import SmallCamp

pytestmark = pytest.mark.django_db

CARRIER = ["Family name", "Given name", "Date of birth", "Sex", "Nationality",
           "Travel document", "Special needs"]


def _flown(camp: SmallCamp) -> Departure:
    """H00001 (2 persons) boarded; H00002 (1 person, to Norway) is on another departure;
    on this one a third household was a no-show. Then the departure left."""
    officer, admin = camp.users["movement"], camp.users["admin"]
    dep = departure(camp.site, camp.de, days=0)
    de = ready(admin, camp.household_de)
    # a second household to Germany that will not show up
    from resettle.testing.fixtures import make_household, make_person

    p = make_person(camp.site, "R-0009", "Sara", "Nouri", sex="F")
    late = make_household(camp.site, "H00009", [(p, "principal")], "submitted", camp.de)
    from resettle.casework.models import Submission
    from resettle.casework.tests.helpers import TODAY
    Submission.objects.create(household=late, destination=camp.de, submitted_at=datetime(
        TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC))
    late = ready(admin, late)
    book(officer, dep, de)
    book(officer, dep, late)
    dep = confirm(officer, dep)
    for person in members(de):
        services.board(actor=officer, departure=dep, person=person)
    services.no_show(actor=officer, departure=dep, person=p, reason="did not come")
    dep.refresh_from_db()
    services.close_departure(actor=officer, departure=dep, expected_version=dep.version)
    dep.refresh_from_db()
    return dep


def _csv(client: Client, dep: Departure, variant: str) -> list[list[str]]:
    response = client.get(reverse("departures:manifest", args=[dep.pk]),
                          {"variant": variant, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_manifest_holds_exactly_the_boarded_households(client: Client, camp: SmallCamp) -> None:
    dep = _flown(camp)
    for person in members(camp.household_de):
        for doc in Document.objects.filter(person=person, kind="travel_document"):
            doc.number = f"P{person.registration_id[-4:]}"
            doc.save(update_fields=["number"])
    client.force_login(camp.users["movement"])
    rows = _csv(client, dep, "carrier")
    assert rows[0] == CARRIER  # the carrier's variant: nothing more
    names = sorted((r[0], r[1]) for r in rows[1:])
    assert names == [("Karimi", "Hossein"), ("Karimi", "Maryam")]
    assert {r[5] for r in rows[1:]} == {"P0001", "P0002"}
    assert "Nouri" not in str(rows)
    assert _csv(client, dep, "destination")[0] == [
        "Household", "Relationship", *CARRIER, "Specific needs (codes)"]  # no PROFILE
    client.force_login(camp.users["admin"])  # sees every field group, languages too
    dest = _csv(client, dep, "destination")
    assert dest[0] == ["Household", "Relationship", *CARRIER, "Languages",
                       "Specific needs (codes)"]
    assert sorted((r[0], r[1]) for r in dest[1:]) == [("H00001", "principal"),
                                                      ("H00001", "spouse")]


def test_columns_follow_the_roles_field_groups(camp: SmallCamp) -> None:
    from resettle.accounts.selectors import scope_for

    manager = scope_for(camp.users["manager"])  # no DOCUMENTS field group
    keys = [c.key for c in manifests.columns_for(manifests.Variant.CARRIER, manager)]
    assert "document_number" not in keys and "family_name" in keys
    movement = scope_for(camp.users["movement"])
    keys = [c.key for c in manifests.columns_for(manifests.Variant.DESTINATION, movement)]
    assert "languages" not in keys  # movement officers do not see the PROFILE group
    assert "document_number" in keys


def test_every_generation_is_audited(client: Client, camp: SmallCamp) -> None:
    dep = _flown(camp)
    client.force_login(camp.users["movement"])
    before = AuditEvent.objects.filter(action="departure.manifest").count()
    for variant, fmt in (("carrier", "pdf"), ("destination", "xlsx"), ("carrier", "csv")):
        response = client.get(reverse("departures:manifest", args=[dep.pk]),
                              {"variant": variant, "format": fmt})
        assert response.status_code == 200
    events = list(AuditEvent.objects.filter(action="departure.manifest").order_by("seq"))
    assert len(events) == before + 3
    last = events[-1]
    assert last.object_id == str(dep.pk) and last.actor_username == "movement"
    assert last.detail["variant"] == "carrier" and last.detail["passengers"] == 2
    assert events[-3].detail["format"] == "pdf"


def test_pdf_and_xlsx_render(client: Client, camp: SmallCamp) -> None:
    dep = _flown(camp)
    client.force_login(camp.users["movement"])
    pdf = client.get(reverse("departures:manifest", args=[dep.pk]),
                     {"variant": "destination", "format": "pdf"})
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    xlsx = client.get(reverse("departures:manifest", args=[dep.pk]),
                      {"variant": "carrier", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == CARRIER and len(values) == 3
    bad = client.get(reverse("departures:manifest", args=[dep.pk]), {"format": "doc"})
    assert bad.status_code == 400


def test_text_cells_are_guarded_against_formulas(client: Client, camp: SmallCamp) -> None:
    dep = _flown(camp)
    person: Any = members(camp.household_de)[0]
    Person.objects.filter(pk=person.pk).update(family_name="=HYPERLINK(\"x\")",
                                               given_name=" +cmd")
    client.force_login(camp.users["movement"])
    rows = _csv(client, dep, "carrier")
    cells = [c for r in rows[1:] for c in r]
    assert "'=HYPERLINK(\"x\")" in cells and "' +cmd" in cells
    assert not any(c.lstrip().startswith(("=", "+", "@")) for c in cells)
    xlsx = client.get(reverse("departures:manifest", args=[dep.pk]),
                      {"variant": "carrier", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    texts = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value]
    assert "'=HYPERLINK(\"x\")" in texts
    assert not any(t.startswith("=") for t in texts)
