"""Checking the audit chain, and signed checkpoints that pin its head.

The chain alone detects a changed, deleted, inserted or reordered event: every event's
hash covers its own fields and its predecessor's hash, and sequence numbers are
contiguous. It cannot detect a cut tail (the shorter chain is still valid) nor a chain
rewritten from scratch by someone who recomputed every hash. A **checkpoint** closes
both gaps: the last sequence number and hash, signed with an Ed25519 key that lives
outside the database (RESETTLE_AUDIT_SIGNING_KEY_FILE, or ``audit-signing.key`` generated
in the data dir with mode 0600). Keep checkpoints off the machine (print them, mail them):
``verify --checkpoint`` then proves the chain still contains that exact head.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils import timezone

from resettle.audit.chain import CHAINED_FIELDS, GENESIS_HASH, event_hash

CHECKPOINT_FORMAT = "resettle-audit-checkpoint/1"
SIGNING_KEY_FILE = "audit-signing.key"


class CheckpointError(Exception):
    """A checkpoint file is unreadable, malformed or not signed by our key."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    last_seq: int
    last_hash: str
    #: sequence number of the first broken event (None when ok)
    broken_seq: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} events, head #{self.last_seq}"
        return f"audit chain broken at event #{self.broken_seq}: {self.reason}"


def chain_rows(using: str = "default") -> Iterator[dict[str, Any]]:
    from resettle.audit.models import AuditEvent

    fields = [*CHAINED_FIELDS, "hash"]
    yield from (AuditEvent.objects.using(using).order_by("seq").values(*fields)
                .iterator(chunk_size=5000))


def verify_rows(rows: Iterable[dict[str, Any]]) -> Verdict:
    """Walk the chain in seq order; the first problem found names its event."""
    expected = 1
    prev = GENESIS_HASH
    count = 0
    for row in rows:
        seq = int(row["seq"])
        if seq != expected:
            if seq > expected:
                gone = f"#{expected}" if seq == expected + 1 else f"#{expected}..#{seq - 1}"
                return Verdict(False, count, expected - 1, prev, expected,
                               f"event {gone} is missing (deleted)")
            return Verdict(False, count, expected - 1, prev, seq, "sequence out of order")
        if row["hash"] != event_hash(row):
            return Verdict(False, count, expected - 1, prev, seq,
                           "its content does not match its hash (changed or reordered)")
        if row["prev_hash"] != prev:
            return Verdict(False, count, expected - 1, prev, seq,
                           f"it does not chain to event #{seq - 1} (an event was inserted, "
                           "deleted, reordered or rewritten before it)")
        prev = row["hash"]
        expected += 1
        count += 1
    return Verdict(True, count, expected - 1, prev)


# --- checkpoints --------------------------------------------------------------------------


def _key_path() -> Path:
    configured = str(getattr(settings, "RESETTLE_AUDIT_SIGNING_KEY_FILE", "") or "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / SIGNING_KEY_FILE


def signing_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 private key")
    return key


def _public_b64(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _signed_part(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def make_checkpoint(verdict: Verdict, *, now: datetime | None = None) -> dict[str, Any]:
    """A signed statement that the chain had ``verdict.last_seq`` events ending in that hash."""
    if not verdict.ok:
        raise CheckpointError("refusing to checkpoint a broken chain: " + verdict.message())
    key = signing_key()
    body = {
        "format": CHECKPOINT_FORMAT,
        "seq": verdict.last_seq,
        "hash": verdict.last_hash,
        "signed_at": (now or timezone.now()).isoformat(),
        "public_key": _public_b64(key.public_key()),
    }
    signature = key.sign(_signed_part(body))
    return {**body, "signature": base64.b64encode(signature).decode("ascii")}


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint and check its signature against *our* signing key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a resettle audit checkpoint")
    try:
        signature = base64.b64decode(str(data.pop("signature")))
        seq = int(data["seq"])
        str(data["hash"])
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: malformed checkpoint") from exc
    public = signing_key().public_key()
    if data.get("public_key") != _public_b64(public):
        raise CheckpointError(f"{path} was signed by another key than this installation's")
    try:
        public.verify(signature, _signed_part(data))
    except InvalidSignature as exc:
        raise CheckpointError(f"{path}: the signature does not match (edited checkpoint)") from exc
    data["seq"] = seq
    return data


def verify_against(verdict: Verdict, checkpoint: dict[str, Any],
                   hash_at: dict[int, str]) -> Verdict:
    """Does the (intact) chain still contain the checkpoint's head?

    ``hash_at`` maps the checkpoint's seq to the hash stored there now (empty if absent).
    """
    if not verdict.ok:
        return verdict
    seq = int(checkpoint["seq"])
    if seq > verdict.last_seq:
        return Verdict(False, verdict.events, verdict.last_seq, verdict.last_hash,
                       verdict.last_seq + 1,
                       f"the chain ends at #{verdict.last_seq} but the checkpoint signed "
                       f"#{seq} (events were cut from the tail)")
    expected = checkpoint["hash"] if seq else GENESIS_HASH
    if seq and hash_at.get(seq) != expected:
        return Verdict(False, verdict.events, verdict.last_seq, verdict.last_hash, seq,
                       "it differs from the signed checkpoint (the chain was rewritten)")
    return verdict


def verify_database(*, checkpoint: Path | None = None, using: str = "default") -> Verdict:
    from resettle.audit.models import AuditEvent

    verdict = verify_rows(chain_rows(using))
    if checkpoint is None:
        return verdict
    data = read_checkpoint(checkpoint)
    seq = int(data["seq"])
    stored = (AuditEvent.objects.using(using).filter(seq=seq)
              .values_list("hash", flat=True).first())
    return verify_against(verdict, data, {seq: stored} if stored else {})
