"""``resettle audit verify [--checkpoint FILE]`` and ``resettle audit checkpoint --out FILE``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Check the audit hash chain, or write a signed checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="exit 1 naming the first broken event")
        verify.add_argument("--checkpoint", help="a checkpoint file written earlier: also "
                            "detects a cut tail or a rewritten chain")
        checkpoint = sub.add_parser("checkpoint", help="sign the chain's current head")
        checkpoint.add_argument("--out", required=True, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.audit import integrity

        if options["action"] == "verify":
            path = Path(options["checkpoint"]) if options.get("checkpoint") else None
            if path is not None and not path.is_file():
                self._fail(f"--checkpoint: no such file {path}")
            try:
                verdict = integrity.verify_database(checkpoint=path)
            except integrity.CheckpointError as exc:
                self._fail(f"--checkpoint: {exc}")
            if not verdict.ok:
                self.stderr.write(verdict.message())
                raise SystemExit(1)
            suffix = f"; contains checkpoint #{self._seq(path)}" if path else ""
            self.stdout.write(verdict.message() + suffix)
            return
        out = Path(options["out"])
        if not out.parent.is_dir():
            self._fail(f"--out: directory '{out.parent}' does not exist")
        verdict = integrity.verify_database()
        if not verdict.ok:
            self.stderr.write(verdict.message())
            raise SystemExit(1)
        checkpoint = integrity.make_checkpoint(verdict)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(checkpoint, handle, indent=2, sort_keys=True)
            handle.write("\n")
        self.stdout.write(f"checkpoint of event #{verdict.last_seq} written to {out}")

    @staticmethod
    def _seq(path: Path | None) -> str:
        if path is None:
            return ""
        return str(json.loads(path.read_text(encoding="utf-8")).get("seq"))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)
