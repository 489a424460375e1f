"""Every kind of tampering with the audit chain is detected; an untouched chain passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from resettle.audit.models import AuditEvent, AuditImmutableError
from resettle.audit.services import record


def _events(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            record(actor=None, action="test.event", object_type="registry.household",
                   object_id=f"obj-{i}", detail={"i": i})


def _sql(statement: str, params: list[Any] | None = None) -> None:
    """Tamper behind the application's back (the PostgreSQL trigger is bypassed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def _verify(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_untouched_chain_passes() -> None:
    assert _verify()[0] == 0
    _events(5)
    code, out, _ = _verify()
    assert code == 0 and "5 events" in out


@pytest.mark.django_db
def test_changed_field_is_detected() -> None:
    _events(5)
    _sql("UPDATE audit_auditevent SET object_id = %s WHERE seq = 3", ["someone-else"])
    code, _, err = _verify()
    assert code == 1 and "event #3" in err and "changed" in err


@pytest.mark.django_db
def test_changed_field_with_recomputed_hash_is_detected_at_the_next_event() -> None:
    from resettle.audit.chain import event_hash

    _events(5)
    row: dict[str, Any] = dict(AuditEvent.objects.filter(seq=3).values().get())
    row["action"] = "nothing.happened"
    _sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE seq = 3",
         [row["action"], event_hash(row)])
    code, _, err = _verify()
    assert code == 1 and "event #4" in err and "does not chain" in err


@pytest.mark.django_db
def test_deleted_event_is_detected() -> None:
    _events(5)
    _sql("DELETE FROM audit_auditevent WHERE seq = 2")
    code, _, err = _verify()
    assert code == 1 and "event #2" in err and "deleted" in err


@pytest.mark.django_db
def test_inserted_event_is_detected() -> None:
    from resettle.audit.chain import event_hash

    _events(4)
    # shift events 3.. up by one and slip a forged, self-consistent event in at #3
    for seq in (4, 3):
        _sql("UPDATE audit_auditevent SET seq = seq + 1 WHERE seq = %s", [seq])
    forged: dict[str, Any] = dict(AuditEvent.objects.filter(seq=2).values().get())
    forged.update(seq=3, action="forged", prev_hash=forged["hash"])
    forged["hash"] = event_hash(forged)
    columns = ", ".join(forged)
    marks = ", ".join(["%s"] * len(forged))
    values = [json.dumps(v) if k == "detail" else v for k, v in forged.items()]
    _sql(f"INSERT INTO audit_auditevent ({columns}) VALUES ({marks})", values)  # noqa: S608
    code, _, err = _verify()
    assert code == 1 and "event #4" in err


@pytest.mark.django_db
def test_reordered_events_are_detected() -> None:
    _events(5)
    _sql("UPDATE audit_auditevent SET seq = 100 WHERE seq = 2")
    _sql("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
    _sql("UPDATE audit_auditevent SET seq = 3 WHERE seq = 100")
    code, _, err = _verify()
    assert code == 1 and "event #2" in err


@pytest.mark.django_db
def test_truncation_and_rewrite_are_detected_with_a_checkpoint(tmp_path: Path) -> None:
    _events(5)
    checkpoint = tmp_path / "cp.json"
    call_command("audit", "checkpoint", "--out", str(checkpoint))
    data = json.loads(checkpoint.read_text())
    assert data["seq"] == 5 and len(data["signature"]) > 40
    assert _verify("--checkpoint", str(checkpoint))[0] == 0
    _events(2)  # later appends are fine
    assert _verify("--checkpoint", str(checkpoint))[0] == 0
    _sql("DELETE FROM audit_auditevent WHERE seq >= 5")
    assert _verify()[0] == 0  # a cut tail alone looks like a valid chain...
    code, _, err = _verify("--checkpoint", str(checkpoint))
    assert code == 1 and "cut from the tail" in err and "#5" in err  # ...not to the checkpoint


@pytest.mark.django_db
def test_rewritten_chain_is_detected_with_a_checkpoint(tmp_path: Path) -> None:
    from resettle.audit.chain import GENESIS_HASH, event_hash

    _events(3)
    checkpoint = tmp_path / "cp.json"
    call_command("audit", "checkpoint", "--out", str(checkpoint))
    # recompute the whole chain after changing event #1: internally consistent again
    rows: list[dict[str, Any]] = [dict(r) for r in AuditEvent.objects.order_by("seq").values()]
    rows[0]["action"] = "rewritten"
    prev = GENESIS_HASH
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = event_hash(row)
        prev = row["hash"]
        _sql("UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s "
             "WHERE seq = %s", [row["action"], row["prev_hash"], row["hash"], row["seq"]])
    assert _verify()[0] == 0
    code, _, err = _verify("--checkpoint", str(checkpoint))
    assert code == 1 and "rewritten" in err


@pytest.mark.django_db
def test_edited_or_foreign_checkpoint_is_refused(tmp_path: Path, settings: Any) -> None:
    _events(2)
    checkpoint = tmp_path / "cp.json"
    call_command("audit", "checkpoint", "--out", str(checkpoint))
    data = json.loads(checkpoint.read_text())
    data["seq"] = 1
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    code, _, err = _verify("--checkpoint", str(edited))
    assert code == 2 and "signature" in err
    settings.RESETTLE_AUDIT_SIGNING_KEY_FILE = str(tmp_path / "other.key")
    code, _, err = _verify("--checkpoint", str(checkpoint))
    assert code == 2 and "another key" in err
    assert (tmp_path / "other.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_application_refuses_updates_and_deletes() -> None:
    _events(2)
    event = AuditEvent.objects.get(seq=1)
    event.action = "changed"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(seq=1).action == "test.event"


@pytest.mark.django_db
def test_postgresql_trigger_refuses_raw_update_and_delete() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    from django.db import DatabaseError

    _events(1)
    for statement in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_free_text_never_enters_the_trail() -> None:
    # the trail is append-only: what a person typed (a no-show's reason, a note) would stay
    # forever, so a long string is withheld, while the action itself still goes through
    typed = "did not come: says her brother was taken at the checkpoint last night"
    household = "9b2f6a4e-2c1d-4f5e-8a7b-3c2d1e0f9a8b"
    with transaction.atomic():
        event = record(actor=None, action="test.event",
                       detail={"household": household, "passengers": 4,
                               "nested": [{"reason": typed}]})
    stored = AuditEvent.objects.get(seq=event.seq).detail
    assert stored == {"household": household, "passengers": 4,
                      "nested": [{"reason": f"<withheld: {len(typed)} characters>"}]}
    assert "checkpoint" not in json.dumps(stored)
    assert _verify()[0] == 0  # the chain hashes what was stored
