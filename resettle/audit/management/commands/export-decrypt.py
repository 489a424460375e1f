"""``resettle export-decrypt FILE --out OUT [--password-file F]``: open an export file.

The format is RSXENC1 (resettle.encryption.container): scrypt-derived key, chunked
AES-256-GCM. Without --password-file the password is asked for on the terminal.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Decrypt a governed export file with its password."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--out", required=True, help="where to write the content (0600)")
        parser.add_argument("--password-file", help="read the password from this file")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.encryption import container

        source = Path(options["file"])
        if not source.is_file():
            self._fail(f"file: no such file {source}")
        out = Path(options["out"])
        if not out.parent.is_dir():
            self._fail(f"--out: directory '{out.parent}' does not exist")
        if options.get("password_file"):
            try:
                password = Path(options["password_file"]).read_text(encoding="utf-8").strip()
            except OSError as exc:
                self._fail(f"--password-file: {exc.strerror}")
        else:
            password = getpass.getpass("Export password: ")
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with source.open("rb") as src, os.fdopen(fd, "wb") as dst:
                header = container.decrypt_stream(
                    src, dst, key_for=lambda h: container.password_key(password, h))
        except container.ContainerError as exc:
            out.unlink(missing_ok=True)
            self.stderr.write(f"{source}: {exc}")
            raise SystemExit(1) from None
        self.stdout.write(f"{header.get('content', 'content')} of export "
                          f"{header.get('export', '?')} written to {out}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)
