"""``resettle serve``: gunicorn for the configured database, static files by WhiteNoise."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from resettle.web.server import run_server


class Command(BaseCommand):
    help = "Serve the web UI with gunicorn (put a TLS-terminating proxy in front)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        run_server(host=options["host"], port=options["port"], workers=options["workers"])
