"""One encrypted file format for exports and backups ("RSXENC1").

Layout (all integers big-endian)::

    b"RSXENC1\\n"                      8-byte magic
    u32 header length, header          UTF-8 JSON, authenticated but not secret
    repeated: u32 length, chunk        AES-256-GCM of up to 1 MiB of plaintext

Chunk ``i`` uses nonce ``nonce_prefix (8 bytes, random per file) || u32 i`` and AAD
``SHA-256(header) || u64 i || final flag``, so chunks cannot be reordered, dropped,
moved to another file, and a cut file is refused (the last chunk must carry the flag).

The key is either derived from a password with scrypt (exports: the header holds the salt
and cost parameters, never the password) or from the master key (backups: HKDF purpose
``backup``). Decrypt with ``resettle export decrypt`` (exports) or ``resettle restore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"RSXENC1\n"
CHUNK = 1024 * 1024
#: scrypt cost: ~64 MiB and a fraction of a second per attempt, to slow password guessing
SCRYPT_N = 2**16
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD = 12


class ContainerError(Exception):
    """The file is not ours, was altered or cut, or the key/password is wrong."""


def password_header(password: str, **extra: Any) -> tuple[dict[str, Any], bytes]:
    """A header for a password-protected file, and the key derived for it."""
    if len(password) < MIN_PASSWORD:
        raise ContainerError(f"the password must have at least {MIN_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    header = {"kdf": "scrypt", "salt": base64.b64encode(salt).decode("ascii"),
              "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, **extra}
    return header, password_key(password, header)


def password_key(password: str, header: dict[str, Any]) -> bytes:
    if header.get("kdf") != "scrypt":
        raise ContainerError("this file is not password-protected")
    try:
        salt = base64.b64decode(str(header["salt"]))
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
    except (KeyError, ValueError) as exc:
        raise ContainerError("malformed scrypt parameters") from exc
    if not (2**14 <= n <= 2**20 and 1 <= r <= 16 and 1 <= p <= 4):
        raise ContainerError("scrypt parameters out of range")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if final else 0)


def encrypt_stream(src: BinaryIO, dst: BinaryIO, *, key: bytes, header: dict[str, Any]) -> str:
    """Write ``src`` encrypted to ``dst``; returns the SHA-256 (hex) of what was written."""
    prefix = secrets.token_bytes(8)
    full = {**header, "format": "RSXENC1", "chunk": CHUNK,
            "nonce_prefix": base64.b64encode(prefix).decode("ascii")}
    header_bytes = json.dumps(full, sort_keys=True, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256(header_bytes).digest()
    written = hashlib.sha256()

    def put(data: bytes) -> None:
        written.update(data)
        dst.write(data)

    put(MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes)
    aes = AESGCM(key)
    index = 0
    current = src.read(CHUNK)
    while True:
        following = src.read(CHUNK) if current else b""
        final = not following
        nonce = prefix + struct.pack(">I", index)
        sealed = aes.encrypt(nonce, current, _aad(digest, index, final))
        put(struct.pack(">I", len(sealed)) + sealed)
        if final:
            break
        current = following
        index += 1
    return written.hexdigest()


def _read_exact(src: BinaryIO, size: int, what: str) -> bytes:
    data = src.read(size)
    if len(data) != size:
        raise ContainerError(f"file ends inside the {what} (cut short?)")
    return data


def read_header(src: BinaryIO) -> tuple[dict[str, Any], bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise ContainerError("not a resettle encrypted file (bad magic)")
    (length,) = struct.unpack(">I", _read_exact(src, 4, "header length"))
    if length > 64 * 1024:
        raise ContainerError("header too large")
    header_bytes = _read_exact(src, length, "header")
    try:
        header = json.loads(header_bytes)
    except ValueError as exc:
        raise ContainerError("malformed header") from exc
    if not isinstance(header, dict) or header.get("format") != "RSXENC1":
        raise ContainerError("unknown container format")
    return header, header_bytes


def decrypt_stream(src: BinaryIO, dst: BinaryIO, *,
                   key_for: Callable[[dict[str, Any]], bytes]) -> dict[str, Any]:
    """Decrypt ``src`` into ``dst``; returns the header. Raises ContainerError on any doubt."""
    header, header_bytes = read_header(src)
    digest = hashlib.sha256(header_bytes).digest()
    try:
        prefix = base64.b64decode(str(header["nonce_prefix"]))
    except (KeyError, ValueError) as exc:
        raise ContainerError("malformed header (nonce)") from exc
    aes = AESGCM(key_for(header))
    index = 0
    while True:
        raw_len = src.read(4)
        if not raw_len:
            raise ContainerError("file ends before its final chunk (cut short?)")
        if len(raw_len) < 4:
            raise ContainerError("file ends inside a chunk length (cut short?)")
        (length,) = struct.unpack(">I", raw_len)
        if length > CHUNK + 16:
            raise ContainerError("chunk too large")
        sealed = _read_exact(src, length, "chunk")
        nonce = prefix + struct.pack(">I", index)
        for final in (False, True):
            try:
                plain = aes.decrypt(nonce, sealed, _aad(digest, index, final))
            except InvalidTag:
                continue
            break
        else:
            raise ContainerError("wrong password or key, or the file was altered")
        dst.write(plain)
        if final:
            if src.read(1):
                raise ContainerError("data after the final chunk")
            return header
        index += 1
