"""Sealing second-factor secrets so a database dump alone does not reveal them.

AES-GCM under a key derived (HKDF-SHA256) from RESETTLE_MASTER_KEY, or, when no master
key is configured, from a random key file kept in the data directory (mode 0600) and so
outside the database and its dumps. Each ciphertext is bound to its purpose and owner
(the AAD), so swapping two users' sealed secrets makes decryption fail.
"""

from __future__ import annotations

import base64
import functools
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v1:"
_NONCE_BYTES = 12
KEY_FILE = "accounts-secret.key"


class SealError(Exception):
    """A sealed value is malformed, tampered with, or sealed under another key or owner."""


def _data_dir_key(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
    return base64.b64decode(path.read_text(encoding="ascii").strip())


@functools.lru_cache(maxsize=4)
def _derive(master_key: str, data_dir: str, info: bytes) -> bytes:
    material = master_key.encode("utf-8") if master_key else _data_dir_key(Path(data_dir))
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"resettle.accounts", info=info
    )
    return hkdf.derive(material)


def _key(info: bytes = b"otp-secrets-v1") -> bytes:
    master = str(getattr(settings, "RESETTLE_MASTER_KEY", "") or "")
    return _derive(master, str(settings.DATA_DIR), info)


def digest(value: str, *, context: str) -> str:
    """A keyed one-way digest (HMAC-SHA256) for values only ever compared, never shown."""
    import hashlib
    import hmac

    prefix = b"digest\x00" + context.encode("utf-8") + b"\x00"
    mac = hmac.new(_key(b"digests-v1"), prefix, hashlib.sha256)
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()


def seal(plaintext: bytes, *, context: str) -> str:
    """Encrypt ``plaintext`` for storage; ``context`` names purpose and owner."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext, context.encode("utf-8"))
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(token: str, *, context: str) -> bytes:
    """The plaintext sealed by :func:`seal` under the same ``context``; SealError otherwise."""
    if not token.startswith(_PREFIX):
        raise SealError("sealed value has an unknown format")
    try:
        raw = base64.urlsafe_b64decode(token[len(_PREFIX):].encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SealError("sealed value is not valid base64") from exc
    if len(raw) <= _NONCE_BYTES + 16:
        raise SealError("sealed value is too short")
    try:
        return AESGCM(_key()).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                      context.encode("utf-8"))
    except InvalidTag as exc:
        raise SealError("sealed value does not decrypt under this key and context") from exc
