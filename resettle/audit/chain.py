"""The hash of one audit event, computed the same way when writing and verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

GENESIS_HASH = "0" * 64
CHAINED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "roles",
    "action",
    "object_type",
    "object_id",
    "request_id",
    "client_address",
    "detail",
    "prev_hash",
)


def event_hash(values: dict[str, Any]) -> str:
    """SHA-256 over a canonical JSON of the chained fields (prev_hash included)."""
    canonical = {name: values[name] for name in CHAINED_FIELDS}
    # datetimes are hashed in UTC ISO form so a database round trip gives the same text
    canonical["at"] = values["at"].astimezone(UTC).isoformat()
    payload = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
