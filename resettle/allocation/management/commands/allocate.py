"""``resettle allocate`` under Django (``manage.py allocate``, ``call_command``).

The console script runs the same command without Django (resettle.core.allocation.cli);
this keeps it listed in ``resettle help`` and callable from Django code.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.core.allocation import cli


class Command(BaseCommand):
    help = cli.HELP

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        status = cli.run(
            options["problem"], options["out"], time_limit=options["time_limit"],
            seed=options["seed"], explain=options["explain"],
            stdout=self.stdout, stderr=self.stderr,
        )
        if status:
            raise SystemExit(status)
