"""Encrypted backups and restores of the whole database.

* SQLite: the online backup API copies a consistent snapshot while the application runs.
* PostgreSQL: ``pg_dump --format=custom`` (one consistent transaction snapshot).

The dump is then encrypted into an RSXENC1 container (resettle.encryption.container) under
a key derived from the master key (HKDF purpose ``backup``): a backup is useless without
the master key, which is never in it. Restore needs the same master key (the wrapped data
keys inside the backup are wrapped by it), and goes into an *empty* database only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from resettle.encryption import container, keys


class BackupError(Exception):
    """The backup or restore cannot proceed; the message says why."""


def _backup_key(header: dict[str, Any]) -> bytes:
    if header.get("kdf") != "master":
        raise BackupError("this file is not a resettle backup")
    if header.get("master") != keys.master_fingerprint():
        raise BackupError("this backup was made under another master key "
                          f"(fingerprint {header.get('master')})")
    return keys.derive("backup")


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _engine(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"unsupported database engine {engine}")


def backup(db: dict[str, Any], out: Path) -> str:
    """Write an encrypted backup of database ``db`` to ``out`` (mode 0600); its SHA-256."""
    engine = _engine(db)
    with tempfile.TemporaryDirectory(prefix="resettle-backup-") as tmp:
        dump = Path(tmp) / "dump"
        if engine == "sqlite":
            if not Path(db["NAME"]).is_file():
                raise BackupError(f"no database file at {db['NAME']}")
            source = sqlite3.connect(db["NAME"])
            target = sqlite3.connect(dump)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 *_pg_args(db), "--file", str(dump), str(db["NAME"])],
                env=_pg_env(db), capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
        header = {"kdf": "master", "master": keys.master_fingerprint(), "kind": "backup",
                  "engine": engine}
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with dump.open("rb") as src, os.fdopen(fd, "wb") as dst:
            return container.encrypt_stream(src, dst, key=keys.derive("backup"), header=header)


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return bool(row[0] == 0)
    finally:
        conn.close()


def _pg_is_empty(db: dict[str, Any]) -> bool:
    import psycopg

    params = {"dbname": db["NAME"], "host": db.get("HOST") or None,
              "port": db.get("PORT") or None, "user": db.get("USER") or None,
              "password": db.get("PASSWORD") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                           ).fetchone()
    return row is not None and row[0] == 0


def restore(db: dict[str, Any], source: Path) -> dict[str, Any]:
    """Decrypt ``source`` and load it into database ``db``, which must be empty."""
    engine = _engine(db)
    with source.open("rb") as probe:
        header, _ = container.read_header(probe)
    if header.get("kind") != "backup":
        raise BackupError(f"{source} is not a resettle backup")
    if header.get("engine") != engine:
        raise BackupError(f"{source} is a {header.get('engine')} backup; the configured "
                          f"database is {engine}")
    if engine == "sqlite" and not _sqlite_is_empty(Path(db["NAME"])):
        raise BackupError(f"refusing to restore: {db['NAME']} is not empty")
    if engine == "postgresql" and not _pg_is_empty(db):
        raise BackupError(f"refusing to restore: database {db['NAME']} is not empty")
    with tempfile.TemporaryDirectory(prefix="resettle-restore-") as tmp:
        dump = Path(tmp) / "dump"
        with source.open("rb") as src, dump.open("wb") as dst:
            try:
                container.decrypt_stream(src, dst, key_for=_backup_key)
            except container.ContainerError as exc:
                raise BackupError(f"{source}: {exc}") from exc
        if engine == "sqlite":
            target_path = Path(db["NAME"])
            target_path.parent.mkdir(parents=True, exist_ok=True)
            loaded = sqlite3.connect(dump)
            target = sqlite3.connect(target_path)
            try:
                loaded.backup(target)
            finally:
                target.close()
                loaded.close()
        else:
            if shutil.which("pg_restore") is None:
                raise BackupError("pg_restore is not installed")
            result = subprocess.run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", *_pg_args(db), "--dbname", str(db["NAME"]),
                 str(dump)],
                env=_pg_env(db), capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
    return header
