"""Backups: encrypted, no canary in the database file or the backup, restore into an empty
database only, and the restored copy has the same counts and an intact audit chain."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from resettle.encryption.tests.canaries import CANARIES, found_in

TABLES = ("registry_person", "casework_hold", "casework_document", "incidents_incident",
          "incidents_casualty", "audit_auditevent", "encryption_datakey")

CHILD = """
import django
django.setup()
from resettle.testing.fixtures import build_camp
from resettle.encryption.tests.canaries import write_canaries
camp = build_camp()
write_canaries(camp.site)
"""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _counts_sqlite(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in TABLES}
    finally:
        conn.close()


@pytest.mark.slow
def test_sqlite_file_backup_and_restore(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(RESETTLE_DATA_DIR=str(tmp_path / "data"), RESETTLE_HTTPS="0",
               RESETTLE_DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
               DJANGO_SETTINGS_MODULE="resettle.settings")
    env.pop("RESETTLE_MASTER_KEY", None)
    env.pop("RESETTLE_MASTER_KEY_FILE", None)
    migrated = _run(env, "-m", "resettle", "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    made = _run(env, "-c", CHILD)
    assert made.returncode == 0, made.stderr
    # a raw read of the database file (and its write-ahead log) shows no canary
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("live.sqlite3*"))
    assert b"CANARY-1" in raw  # the registration id is not encrypted: the read is real
    assert found_in(raw) == []
    before = _counts_sqlite(tmp_path / "live.sqlite3")
    out = tmp_path / "backup.rsx"
    done = _run(env, "-m", "resettle", "backup", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert found_in(out.read_bytes()) == [] and b"CANARY-1" not in out.read_bytes()
    # restore into an empty database: same counts, intact chain
    env_restore = dict(env, RESETTLE_DATABASE_URL=f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    restored = _run(env_restore, "-m", "resettle", "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout
    after = _counts_sqlite(tmp_path / "restored.sqlite3")
    assert after == before and before["registry_person"] >= 2 and before["audit_auditevent"] >= 1
    verified = _run(env_restore, "-m", "resettle", "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # the canaries decrypt in the restored copy (same master key)
    check = _run(env_restore, "-c", "import django; django.setup(); "
                 "from resettle.registry.models import Person; "
                 "print(Person.objects.get(registration_id='CANARY-1').phone)")
    assert check.stdout.strip() == CANARIES["phone"], check.stderr
    # refuse a database that is not empty
    again = _run(env_restore, "-m", "resettle", "restore", str(out))
    assert again.returncode == 1 and "not empty" in again.stderr
    # a cut or altered backup is refused
    cut = tmp_path / "cut.rsx"
    cut.write_bytes(out.read_bytes()[:-100])
    env_cut = dict(env, RESETTLE_DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")
    refused = _run(env_cut, "-m", "resettle", "restore", str(cut))
    assert refused.returncode == 1 and ("cut" in refused.stderr or "altered" in refused.stderr)


def _pg_params(name: str) -> dict[str, Any]:
    db = connection.settings_dict
    params = {"dbname": name, "host": db.get("HOST") or None, "port": db.get("PORT") or None,
              "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    return {k: v for k, v in params.items() if v}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_postgresql_dump_backup_and_restore(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the SQLite path is tested on a real file above)")
    import psycopg
    from django.core.management import call_command
    from psycopg.rows import dict_row

    from resettle.audit.integrity import chain_rows, verify_rows
    from resettle.encryption.backup import BackupError, restore
    from resettle.encryption.tests.canaries import write_canaries
    from resettle.testing.fixtures import build_camp

    camp = build_camp()
    write_canaries(camp.site)
    db = connection.settings_dict
    # pg_dump of the live database (plain SQL) holds none of the canaries
    env = dict(os.environ, PGPASSWORD=str(db.get("PASSWORD") or ""))
    plain = subprocess.run(
        ["pg_dump", "--data-only", "--host", str(db.get("HOST") or "127.0.0.1"),
         "--port", str(db.get("PORT") or 5432), "--username", str(db.get("USER") or "postgres"),
         str(db["NAME"])], env=env, capture_output=True, check=True, timeout=60).stdout
    assert b"CANARY-1" in plain and found_in(plain) == []
    out = tmp_path / "backup.rsx"
    call_command("backup", "--out", str(out))
    assert found_in(out.read_bytes()) == []
    target = f"{db['NAME']}_restore"
    with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        restore({**db, "NAME": target}, out)
        with psycopg.connect(**_pg_params(target), row_factory=dict_row) as conn:
            counts = {t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]  # type: ignore[index]  # noqa: S608
                      for t in TABLES}
            rows = conn.execute("SELECT * FROM audit_auditevent ORDER BY seq").fetchall()
        source_rows = list(chain_rows())
        live = {t: _count(t) for t in TABLES}
        live["audit_auditevent"] -= 1  # the backup's own event is written after the dump
        assert counts == live
        verdict = verify_rows(rows)
        assert verdict.ok and verdict.events == len(source_rows) - 1
        with pytest.raises(BackupError, match="not empty"):
            restore({**db, "NAME": target}, out)
    finally:
        with psycopg.connect(**_pg_params("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}"')


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        return int(cursor.fetchone()[0])
