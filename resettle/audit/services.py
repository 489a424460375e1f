"""Writing audit events. Every service calls ``record`` inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from resettle.audit import context
from resettle.audit.chain import GENESIS_HASH, event_hash
from resettle.audit.models import AuditEvent

#: arbitrary constant naming the PostgreSQL advisory lock that serialises the chain
_CHAIN_LOCK_ID = 7_311_994_201


def _lock_chain() -> None:
    """Serialise appends so two transactions never chain onto the same predecessor.

    SQLite transactions here are IMMEDIATE (one writer at a time); PostgreSQL needs a lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


#: the longest string an audit detail keeps: ids, codes, dates and timestamps fit; a
#: free-text reason or note mostly does not. The trail is append-only and cannot forget a
#: person, so what people typed stays in the records it belongs to, not in the trail; a
#: longer string is withheld (replaced by its length) rather than failing the action.
DETAIL_STRING_MAX = 64


def _withhold_free_text(value: Any) -> Any:
    """The detail with every string longer than DETAIL_STRING_MAX replaced by a marker."""
    if isinstance(value, str):
        if len(value) > DETAIL_STRING_MAX:
            return f"<withheld: {len(value)} characters>"
        return value
    if isinstance(value, dict):
        return {key: _withhold_free_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_withhold_free_text(item) for item in value]
    return value


def _roles_of(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    from resettle.accounts.selectors import role_names

    return ",".join(role_names(actor))


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must be called inside a transaction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    ctx = context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
    values: dict[str, Any] = {
        "seq": (last["seq"] + 1) if last else 1,
        "at": timezone.now(),
        "actor_id": actor.pk if authenticated else None,
        "actor_username": actor.get_username() if authenticated else "",
        "roles": _roles_of(actor),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "request_id": ctx.request_id,
        "client_address": ctx.client_address,
        "detail": _withhold_free_text(detail or {}),
        "prev_hash": last["hash"] if last else GENESIS_HASH,
    }
    return AuditEvent.objects.create(hash=event_hash(values), **values)


@transaction.atomic
def record_read(*, actor: Any, action: str, obj: models.Model) -> AuditEvent:
    """Record that ``actor`` saw a sensitive record (its own short transaction)."""
    return record(actor=actor, action=action, obj=obj)
