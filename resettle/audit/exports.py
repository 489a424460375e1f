"""Governed exports: request, second-person approval, encrypted file, audited hash.

Flow: someone with Action.EXPORT requests (purpose, recipient, field list, reason);
someone else with Action.APPROVE_EXPORT approves or rejects (never the requester); the
requester then produces the file once, encrypted with a password they choose at that
moment (scrypt + AES-GCM, resettle.encryption.container; never stored). The SHA-256 of the
encrypted file is kept on the request and in the audit event, so a file found later can be
traced to its request. Field groups are checked again at production time.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from resettle.accounts.policy import Action, FieldGroup
from resettle.accounts.selectors import Scope, scope_for
from resettle.audit.models import AuditEvent, ExportKind, ExportRequest, ExportStatus
from resettle.audit.services import record
from resettle.encryption import container


class ExportError(Exception):
    """A request that the rules refuse; the message says which rule."""


def _columns() -> dict[str, FieldGroup]:
    from resettle.registry.exporting import COLUMN_GROUPS

    return COLUMN_GROUPS


def allowed_fields(scope: Scope) -> list[str]:
    return [name for name, group in _columns().items() if scope.sees(group)]


def _require(actor: Any, action: Action) -> Scope:
    scope = scope_for(actor)
    if not scope.can(action):
        raise ExportError(f"Your role does not allow: {action.value.replace('_', ' ')}.")
    return scope


@transaction.atomic
def request_export(*, actor: Any, kind: str, purpose: str, recipient: str, reason: str,
                   fields: list[str], destination: Any = None,
                   subject_id: Any = None) -> ExportRequest:
    scope = _require(actor, Action.EXPORT)
    if kind not in ExportKind.values:
        raise ExportError("Choose a dataset or a subject-access export.")
    for label, value in (("purpose", purpose), ("recipient", recipient), ("reason", reason)):
        if not value.strip():
            raise ExportError(f"The {label} is required.")
    subject = None
    if kind == ExportKind.SUBJECT:
        from django.http import Http404

        from resettle.registry.selectors import get_person

        try:
            subject = get_person(actor, subject_id)
        except (Http404, ValueError) as exc:
            raise ExportError("No person with that id in your scope.") from exc
        fields = []
    else:
        unknown = sorted(set(fields) - set(_columns()))
        if unknown:
            raise ExportError(f"Unknown fields: {', '.join(unknown)}.")
        hidden = sorted(set(fields) - set(allowed_fields(scope)))
        if hidden:
            raise ExportError(f"Your role may not see: {', '.join(hidden)}.")
        if not fields:
            raise ExportError("Choose at least one field.")
    created = ExportRequest.objects.create(
        kind=kind, requested_by=actor, purpose=purpose.strip()[:255],
        recipient=recipient.strip()[:255], reason=reason.strip(),
        fields=[f for f in _columns() if f in fields], destination=destination, subject=subject)
    record(actor=actor, action="export.requested", obj=created,
           detail={"kind": kind, "fields": created.fields,
                   "subject": str(subject.pk) if subject else ""})
    return created


def _claim(request_id: Any, status: str) -> ExportRequest:
    found = ExportRequest.objects.select_for_update().filter(pk=request_id).first()
    if found is None:
        raise ExportError("No such export request.")
    if found.status != status:
        raise ExportError(f"This request is {found.get_status_display().lower()}.")
    return found


@transaction.atomic
def decide_export(*, actor: Any, request_id: Any, approve: bool, note: str = "") -> ExportRequest:
    _require(actor, Action.APPROVE_EXPORT)
    found = _claim(request_id, ExportStatus.REQUESTED)
    if found.requested_by_id == actor.pk:
        raise ExportError("The requester cannot approve or reject their own export request.")
    found.status = ExportStatus.APPROVED if approve else ExportStatus.REJECTED
    found.decided_by = actor
    found.decided_at = timezone.now()
    found.decision_note = note.strip()[:500]
    found.version += 1
    found.save(update_fields=["status", "decided_by", "decided_at", "decision_note",
                              "version", "updated_at"])
    record(actor=actor, action="export.approved" if approve else "export.rejected", obj=found)
    return found


@dataclass(frozen=True)
class ProducedExport:
    filename: str
    data: bytes
    sha256: str
    rows: int


def _dataset(found: ExportRequest, actor: Any, scope: Scope) -> tuple[bytes, int]:
    from resettle.registry.exporting import rows
    from resettle.registry.selectors import persons_for
    from resettle.registry.tabular import write_csv

    columns = [f for f in found.fields if f in allowed_fields(scope)]
    if columns != found.fields:
        raise ExportError("Your role no longer sees every requested field.")
    persons = persons_for(actor)
    if found.destination_id:
        persons = persons.filter(memberships__active=True,
                                 memberships__household__destination_id=found.destination_id)
    text = io.StringIO()
    count = write_csv(text, columns, rows(persons, columns))
    return text.getvalue().encode("utf-8"), count


def subject_access(person: Any, scope: Scope) -> dict[str, Any]:
    """Everything held about one person, limited to the field groups the producer sees."""
    from resettle.casework.models import Document, Hold
    from resettle.incidents.models import Casualty
    from resettle.registry.models import Membership, PersonChange
    from resettle.web.presenters import person_fields

    sees = scope.sees
    data: dict[str, Any] = {
        "person": {name: str(value) for name, _label, value in person_fields(person, scope)},
        "households": [
            {"reference": m.household.reference, "relationship": m.relationship,
             "active": m.active, **({"stage": m.household.stage} if sees(FieldGroup.CASE) else {})}
            for m in Membership.objects.filter(person=person).select_related("household")
        ],
        "history": [
            {"at": c.at.isoformat(), "source": c.source, "fields": sorted(c.changes)}
            for c in PersonChange.objects.filter(person=person).order_by("at")
        ],
        # who accessed or changed the record: roles and actions, not staff names
        "access_log": [
            {"at": e["at"].isoformat(), "action": e["action"], "roles": e["roles"]}
            for e in AuditEvent.objects.filter(object_id=str(person.pk)).order_by("seq")
            .values("at", "action", "roles")
        ],
    }
    if sees(FieldGroup.DOCUMENTS):
        data["documents"] = [
            {"kind": d.kind, "number": d.number, "issuing_country": d.issuing_country,
             "valid_from": str(d.valid_from or ""), "valid_until": str(d.valid_until or ""),
             "revoked": d.revoked}
            for d in Document.objects.filter(person=person)
        ]
    if sees(FieldGroup.HOLDS):
        data["holds"] = [
            {"type": h.hold_type, "reason": h.reason, "status": h.status,
             "start_date": str(h.start_date), "review_date": str(h.review_date or ""),
             **({"authority": h.authority, "reference": h.reference, "notes": h.notes}
                if sees(FieldGroup.HOLD_REFERENCES) else {})}
            for h in Hold.objects.filter(person=person)
        ]
    data["casualties"] = [
        {"incident_type": c.incident.incident_type,
         "occurred_at": c.incident.occurred_at.isoformat(), "outcome": c.outcome,
         **({"details": c.details} if sees(FieldGroup.INCIDENT_DETAILS) else {})}
        for c in Casualty.objects.filter(person=person).select_related("incident")
    ]
    return data


@transaction.atomic
def produce_export(*, actor: Any, request_id: Any, password: str) -> ProducedExport:
    """Build and encrypt the approved export (once, by its requester); audit its hash."""
    scope = _require(actor, Action.EXPORT)
    found = _claim(request_id, ExportStatus.APPROVED)
    if found.requested_by_id != actor.pk:
        raise ExportError("Only the requester can produce an approved export.")
    if found.kind == ExportKind.SUBJECT:
        from django.http import Http404

        from resettle.registry.selectors import get_person

        try:
            person = get_person(actor, found.subject_id)
        except Http404 as exc:
            raise ExportError("The person is no longer in your scope.") from exc
        content = subject_access(person, scope)
        plain = json.dumps({"export": str(found.pk), "kind": "subject_access",
                            "data": content}, ensure_ascii=False, indent=2).encode("utf-8")
        count, inner = 1, "subject-access.json"
    else:
        plain, count = _dataset(found, actor, scope)
        inner = "persons.csv"
    try:
        header, key = container.password_header(
            password, kind="export", export=str(found.pk), content=inner)
    except container.ContainerError as exc:
        raise ExportError(str(exc)) from exc
    out = io.BytesIO()
    digest = container.encrypt_stream(io.BytesIO(plain), out, key=key, header=header)
    found.status = ExportStatus.PRODUCED
    found.produced_at = timezone.now()
    found.file_sha256 = digest
    found.rows = count
    found.version += 1
    found.save(update_fields=["status", "produced_at", "file_sha256", "rows", "version",
                              "updated_at"])
    record(actor=actor, action="export.produced", obj=found,
           detail={"sha256": digest, "rows": count, "kind": found.kind})
    return ProducedExport(filename=f"export-{found.pk}.rsx", data=out.getvalue(),
                          sha256=digest, rows=count)
