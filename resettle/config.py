"""Reading the environment into a validated configuration.

Kept apart from settings.py so that a bad value stops the CLI with one clear line
(exit status 2) instead of a traceback from deep inside Django.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

#: Commands that answer web requests and so need a real, shared RESETTLE_SECRET_KEY.
SERVING_COMMANDS = frozenset({"serve", "runserver"})


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names it."""


@dataclass(frozen=True)
class DatabaseConfig:
    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    def as_django(self) -> dict[str, object]:
        if self.engine == "sqlite":
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": self.name,
                "OPTIONS": {
                    # WAL so readers never block the writer; FULL so a crash loses nothing
                    # that was committed; IMMEDIATE so writers queue instead of failing.
                    "init_command": (
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                    ),
                    "transaction_mode": "IMMEDIATE",
                },
                "TEST": {"NAME": None},
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
            "CONN_MAX_AGE": 60,
            "ATOMIC_REQUESTS": False,
        }


def parse_database_url(url: str | None, data_dir: Path) -> DatabaseConfig:
    """Accept sqlite:///path and postgresql://user:pass@host:port/name; refuse the rest."""
    if not url:
        return DatabaseConfig(engine="sqlite", name=str(data_dir / "resettle.sqlite3"))
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parsed.path)
        if parsed.netloc or not path or path == "/":
            raise ConfigError(
                "RESETTLE_DATABASE_URL: a SQLite URL needs a file path, e.g. "
                "sqlite:///var/lib/resettle/db.sqlite3"
            )
        return DatabaseConfig(engine="sqlite", name=path)
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ConfigError("RESETTLE_DATABASE_URL: the PostgreSQL URL names no database")
        try:
            port = str(parsed.port or "")
        except ValueError as exc:
            raise ConfigError("RESETTLE_DATABASE_URL: the port is not a number") from exc
        return DatabaseConfig(
            engine="postgresql",
            name=name,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            host=parsed.hostname or "",
            port=port,
        )
    shown = scheme or "(none)"
    raise ConfigError(
        f"RESETTLE_DATABASE_URL: unsupported database '{shown}'; use sqlite:///PATH "
        "or postgresql://USER@HOST:PORT/NAME"
    )


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected 1/0, true/false, yes/no or on/off, got '{value}'")


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database: DatabaseConfig
    secret_key: str
    debug: bool
    demo_mode: bool
    allowed_hosts: tuple[str, ...]
    master_key: str
    #: TLS terminated by a proxy in front: HTTPS redirect, HSTS, secure cookies
    https: bool
    #: Ed25519 key that signs audit checkpoints ("" = generated in the data dir, mode 0600)
    audit_signing_key_file: str = ""


def load(environ: dict[str, str] | None = None) -> Config:
    """Build the configuration from the environment, raising ConfigError on bad values."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("RESETTLE_DATA_DIR") or "./resettle-data").expanduser().resolve()
    database = parse_database_url(env.get("RESETTLE_DATABASE_URL"), data_dir)
    demo_mode = parse_bool("RESETTLE_DEMO", env.get("RESETTLE_DEMO"), False)
    debug = parse_bool("RESETTLE_DEBUG", env.get("RESETTLE_DEBUG"), False)
    secret_key = env.get("RESETTLE_SECRET_KEY", "")
    serving = env.get("RESETTLE_CLI_COMMAND", "") in SERVING_COMMANDS
    if not secret_key:
        if serving and not demo_mode:
            raise ConfigError(
                "RESETTLE_SECRET_KEY is required to serve outside demo mode "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')"
            )
        # Offline commands (stats, import, audit verify...) and the demo sign nothing
        # that leaves the machine: a random key kept in the data dir is enough.
        secret_key = _local_secret(data_dir)
    elif len(secret_key) < 50:
        raise ConfigError("RESETTLE_SECRET_KEY must be at least 50 characters long")
    hosts_raw = env.get("RESETTLE_ALLOWED_HOSTS", "")
    allowed_hosts = tuple(h.strip() for h in hosts_raw.split(",") if h.strip())
    if not allowed_hosts:
        allowed_hosts = ("127.0.0.1", "localhost")
    master_key = env.get("RESETTLE_MASTER_KEY", "")
    master_key_file = env.get("RESETTLE_MASTER_KEY_FILE", "")
    if not master_key and master_key_file:
        try:
            master_key = Path(master_key_file).read_text(encoding="ascii").strip()
        except OSError as exc:
            raise ConfigError(
                f"RESETTLE_MASTER_KEY_FILE: cannot read {master_key_file}: {exc.strerror}"
            ) from exc
    https = parse_bool("RESETTLE_HTTPS", env.get("RESETTLE_HTTPS"), not (debug or demo_mode))
    audit_signing_key_file = env.get("RESETTLE_AUDIT_SIGNING_KEY_FILE", "")
    if audit_signing_key_file and not Path(audit_signing_key_file).is_file():
        raise ConfigError(
            f"RESETTLE_AUDIT_SIGNING_KEY_FILE: no such file {audit_signing_key_file}"
        )
    return Config(
        https=https,
        data_dir=data_dir,
        database=database,
        secret_key=secret_key,
        debug=debug,
        demo_mode=demo_mode,
        allowed_hosts=allowed_hosts,
        master_key=master_key,
        audit_signing_key_file=audit_signing_key_file,
    )


def _local_secret(data_dir: Path) -> str:
    """A random per-installation key kept in the data dir (mode 0600), never a constant."""
    import secrets

    path = data_dir / "local-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key
