"""``resettle restore FILE``: load an encrypted backup into an EMPTY database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Restore an encrypted backup into the configured database, which must be empty."
    requires_system_checks: list[str] = []  # the database is empty: nothing to check yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file written by `resettle backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        from resettle.audit import integrity
        from resettle.encryption.backup import BackupError, restore
        from resettle.encryption.container import ContainerError

        source = Path(options["file"])
        if not source.is_file():
            self.stderr.write(f"file: no such file {source}")
            raise SystemExit(2)
        connection.close()
        try:
            restore(connection.settings_dict, source)
        except (BackupError, ContainerError) as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from None
        verdict = integrity.verify_database()
        self.stdout.write(f"restored {source}; {verdict.message()}")
        if not verdict.ok:
            raise SystemExit(1)
