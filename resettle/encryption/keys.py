"""The key hierarchy: master key (outside the database) -> wrapped data keys (inside).

* The **master key** comes from ``RESETTLE_MASTER_KEY`` or ``RESETTLE_MASTER_KEY_FILE``
  (settings.RESETTLE_MASTER_KEY). When neither is set, a random one is generated on first
  use in ``<data dir>/master.key`` (mode 0600): convenient for a laptop or the demo, wrong
  for production, where it must live elsewhere (a mounted secret), never beside the data.
* From it HKDF-SHA256 derives separate keys, one per purpose: the key-encryption key that
  wraps data keys, the blind-index key, the backup key. Knowing one reveals no other.
* **Data keys** (random AES-256) encrypt field values. They are stored only wrapped
  (AES-GCM under the key-encryption key, bound to their key id) in the ``encryption``
  tables, so a database dump without the master key decrypts nothing.

Values are sealed as ``e1$<key id>$<base64url(nonce | ciphertext | tag)>`` with an AAD
that names table, column and row, so a ciphertext moved to another row or column fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

PREFIX = "e1$"
MASTER_KEY_FILE = "master.key"
NONCE_BYTES = 12
#: how long a process trusts its cached idea of the active data key (a rotation run in
#: another process is picked up within this delay; ``keys rotate`` sweeps stragglers)
ACTIVE_KEY_TTL_SECONDS = 60.0


class EncryptionError(Exception):
    """A value cannot be encrypted or decrypted (wrong key, wrong row, tampered, unbound)."""


# --- master key and derived keys ----------------------------------------------------------


def _data_dir_master_key(data_dir: Path) -> bytes:
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
            logger.warning(
                "no RESETTLE_MASTER_KEY(_FILE) configured: generated %s; in production keep "
                "the master key outside the data directory (e.g. a mounted secret)", path
            )
    return path.read_text(encoding="ascii").strip().encode("ascii")


def master_key_material() -> bytes:
    """The master key's bytes: configured, or the generated key file in the data dir."""
    configured = str(getattr(settings, "RESETTLE_MASTER_KEY", "") or "")
    if configured:
        return configured.encode("utf-8")
    return _data_dir_master_key(Path(settings.DATA_DIR))


def derive(purpose: str, material: bytes | None = None) -> bytes:
    """A 32-byte key for one purpose (``kek``, ``blind-index``, ``backup``...)."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"resettle.encryption",
        info=f"resettle/{purpose}/v1".encode("ascii"),
    )
    return hkdf.derive(master_key_material() if material is None else material)


def master_fingerprint(material: bytes | None = None) -> str:
    """A short, non-secret name of the master key (shown in ``keys status``)."""
    return hashlib.sha256(derive("fingerprint", material)).hexdigest()[:16]


# --- wrapping data keys -------------------------------------------------------------------


def wrap(data_key: bytes, key_id: str, material: bytes | None = None) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(derive("kek", material)).encrypt(
        nonce, data_key, f"resettle.datakey|{key_id}".encode("ascii"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unwrap(wrapped: str, key_id: str, material: bytes | None = None) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(derive("kek", material)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"resettle.datakey|{key_id}".encode("ascii"))
    except InvalidTag as exc:
        raise EncryptionError(
            f"data key {key_id} does not unwrap under this master key (wrong "
            "RESETTLE_MASTER_KEY?)") from exc


@dataclass
class _Cache:
    keys: dict[tuple[str, str], AESGCM]
    active: tuple[str, float] | None = None


_cache = _Cache(keys={})
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget unwrapped keys and the active key id (tests; after a rotation)."""
    with _lock:
        _cache.keys.clear()
        _cache.active = None


def _cipher(key_id: str) -> AESGCM:
    from resettle.encryption.models import DataKey

    cache_key = (master_fingerprint(), key_id)
    with _lock:
        found = _cache.keys.get(cache_key)
    if found is not None:
        return found
    row = DataKey.objects.filter(key_id=key_id).values("wrapped").first()
    if row is None:
        raise EncryptionError(f"unknown data key {key_id}")
    cipher = AESGCM(unwrap(row["wrapped"], key_id))
    with _lock:
        _cache.keys[cache_key] = cipher
    return cipher


def create_data_key(*, retire_current: bool) -> str:
    """Make a new active data key (retiring the current one if asked); its id."""
    from resettle.encryption.models import DataKey, KeyState

    key_id = secrets.token_hex(4)
    now = timezone.now()
    with transaction.atomic():
        if retire_current:
            DataKey.objects.filter(state=KeyState.ACTIVE).update(
                state=KeyState.RETIRED, retired_at=now)
        DataKey.objects.create(key_id=key_id, wrapped=wrap(secrets.token_bytes(32), key_id),
                               state=KeyState.ACTIVE, created_at=now)
    with _lock:
        _cache.active = (key_id, time.monotonic())
    return key_id


def active_key_id() -> str:
    """The id of the key that encrypts new values, created on first use."""
    from resettle.encryption.models import DataKey, KeyState

    with _lock:
        cached = _cache.active
    if cached is not None and time.monotonic() - cached[1] < ACTIVE_KEY_TTL_SECONDS:
        return cached[0]
    key_id = (DataKey.objects.filter(state=KeyState.ACTIVE)
              .values_list("key_id", flat=True).first())
    if key_id is None:
        try:
            key_id = create_data_key(retire_current=False)
        except IntegrityError:  # another process created the active key first
            key_id = DataKey.objects.get(state=KeyState.ACTIVE).key_id
    with _lock:
        _cache.active = (key_id, time.monotonic())
    return key_id


# --- sealing values -----------------------------------------------------------------------


def seal(plaintext: str, *, aad: str, key_id: str | None = None) -> str:
    """Encrypt ``plaintext`` under the active (or given) data key, bound to ``aad``."""
    kid = key_id or active_key_id()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _cipher(kid).encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
    return f"{PREFIX}{kid}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def key_id_of(token: str) -> str:
    if not token.startswith(PREFIX):
        raise EncryptionError("value is not sealed")
    kid, sep, _ = token[len(PREFIX):].partition("$")
    if not sep or not kid:
        raise EncryptionError("sealed value has no key id")
    return kid


def unseal(token: str, *, aad: str) -> str:
    """The plaintext of ``token`` if it was sealed for exactly ``aad``; EncryptionError else."""
    kid = key_id_of(token)
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) + len(kid) + 1:].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise EncryptionError("sealed value is not valid base64") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise EncryptionError("sealed value is too short")
    try:
        plain = _cipher(kid).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
    except InvalidTag as exc:
        # the AAD names table|column|row: a swapped or edited value lands here
        raise EncryptionError(f"value does not decrypt for {aad.rsplit('|', 1)[0]} "
                              "(tampered, swapped between rows, or wrong key)") from exc
    return plain.decode("utf-8")


# --- blind index --------------------------------------------------------------------------


def normalise_for_index(value: str) -> str:
    """Exact-match form: NFKC, case-folded, without spaces, dashes, dots or slashes."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def blind_index(value: str, *, context: str = "document.number") -> str:
    """Keyed HMAC-SHA256 (hex) of the normalised value: equal values match, nothing leaks.

    The key is derived from the master key for this purpose only, so the index cannot be
    brute-forced from a database dump (unlike a plain hash of a short document number).
    """
    normalised = normalise_for_index(value)
    if not normalised:
        return ""
    mac = hmac.new(derive("blind-index"), context.encode("utf-8") + b"\x00", hashlib.sha256)
    mac.update(normalised.encode("utf-8"))
    return mac.hexdigest()
