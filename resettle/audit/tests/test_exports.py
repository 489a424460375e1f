"""Governed exports: second-person approval, encrypted file, audited hash, subject access."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from resettle.audit import exports
from resettle.audit.models import AuditEvent, ExportRequest, ExportStatus
from resettle.encryption import container

PASSWORD = "a long export password"


def _decrypt(data: bytes, password: str = PASSWORD) -> bytes:
    out = io.BytesIO()
    container.decrypt_stream(io.BytesIO(data), out,
                             key_for=lambda h: container.password_key(password, h))
    return out.getvalue()


def _dataset(user: Any) -> Any:
    return exports.request_export(actor=user, kind="dataset", purpose="resettlement file",
                                  recipient="Germany (BAMF)", reason="submission",
                                  fields=["registration_id", "given_name", "family_name"])


@pytest.mark.django_db
def test_requester_cannot_approve_own_request(camp: Any) -> None:
    manager = camp.users["manager"]  # may both request and approve
    own = _dataset(manager)
    with pytest.raises(exports.ExportError, match="own export request"):
        exports.decide_export(actor=manager, request_id=own.pk, approve=True)
    own.refresh_from_db()
    assert own.status == ExportStatus.REQUESTED
    # and nobody may produce an unapproved request
    with pytest.raises(exports.ExportError, match="awaiting approval"):
        exports.produce_export(actor=manager, request_id=own.pk, password=PASSWORD)


@pytest.mark.django_db
def test_approval_flow_produces_an_encrypted_file_with_an_audited_hash(camp: Any) -> None:
    registrar, manager = camp.users["registrar"], camp.users["manager"]
    req = _dataset(registrar)
    with pytest.raises(exports.ExportError, match="approve export"):
        exports.decide_export(actor=registrar, request_id=req.pk, approve=True)
    exports.decide_export(actor=manager, request_id=req.pk, approve=True, note="ok")
    with pytest.raises(exports.ExportError, match="Only the requester"):
        exports.produce_export(actor=manager, request_id=req.pk, password=PASSWORD)
    with pytest.raises(exports.ExportError, match="at least 12"):
        exports.produce_export(actor=registrar, request_id=req.pk, password="short")
    produced = exports.produce_export(actor=registrar, request_id=req.pk, password=PASSWORD)
    assert hashlib.sha256(produced.data).hexdigest() == produced.sha256
    assert b"registration_id" not in produced.data  # encrypted
    content = _decrypt(produced.data).decode("utf-8-sig")
    assert content.splitlines()[0] == "registration_id,given_name,family_name"
    assert produced.rows >= 3 and "phone" not in content
    with pytest.raises(container.ContainerError):
        _decrypt(produced.data, "the wrong password!")
    event = AuditEvent.objects.get(action="export.produced", object_id=str(req.pk))
    assert event.detail["sha256"] == produced.sha256
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(req.pk))] == [
        "export.requested", "export.approved", "export.produced"]
    with pytest.raises(exports.ExportError, match="produced"):
        exports.produce_export(actor=registrar, request_id=req.pk, password=PASSWORD)


@pytest.mark.django_db
def test_fields_outside_the_requesters_groups_are_refused(camp: Any) -> None:
    with pytest.raises(exports.ExportError, match="may not see: phone"):
        exports.request_export(actor=camp.users["manager"], kind="dataset", purpose="p",
                               recipient="r", reason="x", fields=["phone"])
    with pytest.raises(exports.ExportError, match="does not allow"):
        _dataset(camp.users["caseworker"])


@pytest.mark.django_db
def test_subject_access_export_and_decrypt_command(camp: Any, tmp_path: Path) -> None:
    from resettle.casework.models import Document
    from resettle.registry.models import Person

    person = Person.objects.order_by("registration_id").first()
    assert person is not None
    person.phone = "+000 SUBJECT PHONE"
    person.save()
    Document.objects.create(person=person, kind="passport", number="SUBJ-DOC-1")
    admin, manager = camp.users["admin"], camp.users["manager"]
    req = exports.request_export(actor=admin, kind="subject", purpose="subject access",
                                 recipient="the person", reason="their request", fields=[],
                                 subject_id=person.pk)
    exports.decide_export(actor=manager, request_id=req.pk, approve=True)
    produced = exports.produce_export(actor=admin, request_id=req.pk, password=PASSWORD)
    (tmp_path / "export.rsx").write_bytes(produced.data)
    (tmp_path / "pw").write_text(PASSWORD)
    call_command("export-decrypt", str(tmp_path / "export.rsx"), "--out",
                 str(tmp_path / "out.json"), "--password-file", str(tmp_path / "pw"))
    data = json.loads((tmp_path / "out.json").read_text())["data"]
    assert data["person"]["phone"] == "+000 SUBJECT PHONE"
    assert data["documents"][0]["number"] == "SUBJ-DOC-1"
    assert data["households"]  # the person's household membership
    assert all("actor" not in e for e in data["access_log"])  # roles, not staff names


@pytest.mark.django_db
def test_export_pages(client: Any, camp: Any) -> None:
    registrar, manager = camp.users["registrar"], camp.users["manager"]
    client.force_login(registrar)
    url = reverse("audit:exports")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "dataset", "purpose": "", "recipient": "r", "reason": "x"})
    assert bad.status_code == 400
    made = client.post(url, {"kind": "dataset", "purpose": "file", "recipient": "DE",
                             "reason": "submission", "fields": ["registration_id"]})
    assert made.status_code == 302
    req = ExportRequest.objects.get()
    # the requester sees no approve button and cannot approve through the endpoint either
    assert client.post(reverse("audit:export_decide"),
                       {"request": str(req.pk), "decision": "approve"}).status_code == 403
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert "Approve" in page
    client.post(reverse("audit:export_decide"), {"request": str(req.pk), "decision": "approve"})
    req.refresh_from_db()
    assert req.status == ExportStatus.APPROVED
    # only the requester downloads; others get the same 404 as for a missing request
    assert client.post(reverse("audit:export_download"),
                       {"request": str(req.pk), "password": PASSWORD}).status_code == 404
    client.force_login(registrar)
    got = client.post(reverse("audit:export_download"),
                      {"request": str(req.pk), "password": PASSWORD})
    assert got.status_code == 200 and got["Cache-Control"] == "no-store"
    assert _decrypt(got.content).decode("utf-8-sig").startswith("registration_id")
