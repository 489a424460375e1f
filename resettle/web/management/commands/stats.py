"""``resettle stats --json``: the headline numbers, zeros on an empty database."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.web.stats import operation_stats


class Command(BaseCommand):
    help = "Print the camp's headline numbers (aggregates only, no personal data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON (the default)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(operation_stats(), indent=2, sort_keys=True))
