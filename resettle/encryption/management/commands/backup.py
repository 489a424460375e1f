"""``resettle backup --out FILE``: an encrypted, consistent backup of the whole database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Write an encrypted backup (SQLite online backup or pg_dump) to FILE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="file to write (mode 0600)")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        from resettle.audit.services import record
        from resettle.encryption.backup import BackupError, backup

        out = Path(options["out"])
        if not out.parent.is_dir():
            self.stderr.write(f"--out: directory '{out.parent}' does not exist")
            raise SystemExit(2)
        try:
            digest = backup(connection.settings_dict, out)
        except BackupError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from None
        from django.db import transaction

        with transaction.atomic():
            record(actor=None, action="backup.written", object_type="backup",
                   detail={"sha256": digest})
        self.stdout.write(f"encrypted backup written to {out} (sha256 {digest})")
