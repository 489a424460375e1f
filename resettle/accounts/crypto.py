"""Sealing second-factor secrets so a database dump alone does not reveal them.

AES-GCM under a key derived for this purpose from the master key by
``resettle.encryption.keys.derive`` (the one key hierarchy of the application: the
master key comes from RESETTLE_MASTER_KEY(_FILE), or a generated file in the data
directory, never from the database). Each ciphertext is bound to its purpose and owner
(the AAD), so swapping two users' sealed secrets makes decryption fail.

Format ``v2:<base64url(nonce | ciphertext | tag)>``. Values sealed by earlier versions
(``v1:``, under a key of this module's own, from RESETTLE_MASTER_KEY or the data
directory's ``accounts-secret.key``) stay readable; migration 0004 re-seals them as v2,
and recovery-code digests of that version are still matched (see ``digests``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from resettle.encryption.keys import derive, master_key_material

_PREFIX = "v2:"
_NONCE_BYTES = 12
#: purposes under the shared key hierarchy (HKDF info ``resettle/accounts/<purpose>/v1``)
_SEAL_PURPOSE = "accounts/otp-secrets"
_DIGEST_PURPOSE = "accounts/digests"

#: version 1 (before the shared key hierarchy): prefix, key file, HKDF infos
LEGACY_PREFIX = "v1:"
LEGACY_KEY_FILE = "accounts-secret.key"
_LEGACY_SEAL_INFO = b"otp-secrets-v1"
_LEGACY_DIGEST_INFO = b"digests-v1"


class SealError(Exception):
    """A sealed value is malformed, tampered with, or sealed under another key or owner."""


@functools.lru_cache(maxsize=8)
def _derived(material: bytes, purpose: str) -> bytes:
    return derive(purpose, material)


def _key(purpose: str) -> bytes:
    return _derived(master_key_material(), purpose)


def _legacy_key(info: bytes) -> bytes | None:
    """The version-1 key, or None when its material is gone (no master key, no key file)."""
    master = str(getattr(settings, "RESETTLE_MASTER_KEY", "") or "")
    if master:
        material = master.encode("utf-8")
    else:
        path = Path(settings.DATA_DIR) / LEGACY_KEY_FILE
        if not path.exists():
            return None
        material = base64.b64decode(path.read_text(encoding="ascii").strip())
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"resettle.accounts", info=info)
    return hkdf.derive(material)


def _mac(key: bytes, value: str, context: str) -> str:
    prefix = b"digest\x00" + context.encode("utf-8") + b"\x00"
    mac = hmac.new(key, prefix, hashlib.sha256)
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()


def digest(value: str, *, context: str) -> str:
    """A keyed one-way digest (HMAC-SHA256) for values only ever compared, never shown."""
    return _mac(_key(_DIGEST_PURPOSE), value, context)


def digests(value: str, *, context: str) -> list[str]:
    """Every digest ``value`` may be stored under: the current one, then version 1's
    (for one-time codes issued before the shared key hierarchy)."""
    found = [digest(value, context=context)]
    legacy = _legacy_key(_LEGACY_DIGEST_INFO)
    if legacy is not None:
        found.append(_mac(legacy, value, context))
    return found


def seal(plaintext: bytes, *, context: str) -> str:
    """Encrypt ``plaintext`` for storage; ``context`` names purpose and owner."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key(_SEAL_PURPOSE)).encrypt(nonce, plaintext, context.encode("utf-8"))
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def is_current(token: str) -> bool:
    """True when ``token`` is sealed in the current format (no re-sealing needed)."""
    return token.startswith(_PREFIX)


def unseal(token: str, *, context: str) -> bytes:
    """The plaintext sealed by :func:`seal` under the same ``context``; SealError otherwise."""
    if token.startswith(_PREFIX):
        key = _key(_SEAL_PURPOSE)
        body = token[len(_PREFIX):]
    elif token.startswith(LEGACY_PREFIX):
        legacy = _legacy_key(_LEGACY_SEAL_INFO)
        if legacy is None:
            raise SealError(f"sealed value is version 1, but neither RESETTLE_MASTER_KEY nor "
                            f"{LEGACY_KEY_FILE} in the data directory is there to open it")
        key = legacy
        body = token[len(LEGACY_PREFIX):]
    else:
        raise SealError("sealed value has an unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SealError("sealed value is not valid base64") from exc
    if len(raw) <= _NONCE_BYTES + 16:
        raise SealError("sealed value is too short")
    try:
        return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                   context.encode("utf-8"))
    except InvalidTag as exc:
        raise SealError("sealed value does not decrypt under this key and context") from exc


def reseal(token: str, *, context: str) -> str:
    """``token`` in the current format (unchanged when it already is)."""
    if is_current(token):
        return token
    return seal(unseal(token, context=context), context=context)
