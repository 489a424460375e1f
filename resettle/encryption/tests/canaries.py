"""Unique values in every encrypted field, written through every write path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

CANARIES = {
    "given_name_original": "CNRY-GIVEN-7a1",
    "family_name_original": "CNRY-FAMILY-7a2",
    "phone": "CNRY-PHONE-7a3",
    "bulk_phone": "CNRY-BULKPHONE-7a4",
    "hold_reference": "CNRY-WARRANT-7a5",
    "hold_notes": "CNRY-HOLDNOTE-7a6",
    "document_number": "CNRY-DOCNUM-7a7",
    "incident_description": "CNRY-INCIDENT-7a8",
    "casualty_details": "CNRY-CASUALTY-7a9",
}


def write_canaries(site: Any) -> None:
    """One value per encrypted column, via save(), create() and bulk_create()."""
    from django.db import transaction

    from resettle.audit.services import record
    from resettle.casework.models import Document, Hold
    from resettle.incidents.models import Casualty, Incident
    from resettle.registry.models import Person

    c = CANARIES
    person = Person(site=site, registration_id="CANARY-1", given_name="Can", family_name="Ary",
                    sex="F", date_of_birth=date(1980, 1, 1), nationality="IR",
                    given_name_original=c["given_name_original"],
                    family_name_original=c["family_name_original"], phone=c["phone"])
    person.save()
    Person.objects.bulk_create([
        Person(site=site, registration_id="CANARY-2", given_name="Bulk", family_name="Ary",
               sex="M", date_of_birth=date(1981, 1, 1), nationality="IR", phone=c["bulk_phone"])
    ])
    Hold.objects.create(person=person, hold_type="legal", reason="arrest_warrant",
                        reference=c["hold_reference"], notes=c["hold_notes"],
                        start_date=date(2026, 1, 1))
    Document.objects.bulk_create([Document(person=person, kind="passport",
                                           number=c["document_number"])])
    incident = Incident.objects.create(site=site, incident_type="shelling",
                                       occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
                                       description=c["incident_description"])
    Casualty.objects.create(incident=incident, person=person, outcome="injured",
                            injury_severity=2, details=c["casualty_details"])
    with transaction.atomic():
        record(actor=None, action="canaries.written", obj=person)


def found_in(data: bytes) -> list[str]:
    """Canary values (or their UTF-16 forms) present in raw bytes."""
    hits = []
    for value in CANARIES.values():
        for encoded in (value.encode("utf-8"), value.encode("utf-16-le")):
            if encoded in data:
                hits.append(value)
    return hits
