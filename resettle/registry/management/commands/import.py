"""``resettle import persons FILE [--dry-run]``: all-or-nothing import of a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.registry.management.commands._common import acting_user, fail


class Command(BaseCommand):
    help = "Import persons from a CSV or XLSX file (columns: docs/import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["persons"])
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true",
                            help="validate and show what would change; write nothing")
        parser.add_argument("--user", help="the user the import is recorded for (audit)")
        parser.add_argument("--no-duplicate-check", action="store_true",
                            help="skip comparing the rows with the registry for duplicates")

    def handle(self, *args: Any, **options: Any) -> None:
        from resettle.registry.services import RegistryError, import_persons
        from resettle.registry.tabular import TableError, read_table

        path = Path(options["file"])
        if not path.is_file():
            fail(self, f"file: '{path}' does not exist or is not a file")
        user = acting_user(self, options.get("user"))
        try:
            table = read_table(path.read_bytes(), path.name)
        except TableError as exc:
            fail(self, f"file: {exc}", status=1)
        try:
            plan = import_persons(
                actor=user, table=table, dry_run=options["dry_run"],
                check_duplicates=not options["no_duplicate_check"], via="cli",
            )
        except RegistryError as exc:
            fail(self, str(exc), status=1)
        if plan.issues:
            for issue in plan.issues:
                self.stderr.write(str(issue))
            self.stderr.write(
                f"{len(plan.issues)} problem(s) in {path.name}; nothing was imported."
            )
            raise SystemExit(1)
        counts = plan.counts()
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{counts['rows']} rows: {counts['created']} persons {verb} created, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged; "
            f"{counts['households_created']} households {verb} created."
        )
        for pair in plan.duplicates:
            where = (f"line {pair['other_line']}" if pair["other_line"]
                     else "the registry")
            self.stdout.write(
                f"line {pair['line']}: {pair['registration_id']} may be the same person as "
                f"{pair['other']} ({where}), score {pair['score']:.2f}: "
                + "; ".join(pair["reasons"])
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
