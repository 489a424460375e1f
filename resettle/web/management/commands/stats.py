"""``resettle stats --json``: the headline numbers, zeros on an empty database."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.web.stats import empty_stats, operation_stats, schema_ready


class Command(BaseCommand):
    help = "Print the camp's headline numbers (aggregates only, no personal data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON (the default)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not schema_ready():
            self.stderr.write("The database is empty (not initialised yet: run `resettle "
                              "migrate` or `resettle demo`); all numbers are zero.")
            self.stdout.write(json.dumps(empty_stats(), indent=2, sort_keys=True))
            return
        self.stdout.write(json.dumps(operation_stats(), indent=2, sort_keys=True))
