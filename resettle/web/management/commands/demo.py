"""``resettle demo``: migrate, load the synthetic camp, print the users, serve on localhost."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from resettle.demo.loader import CREDENTIALS_FILE, load_demo
from resettle.web.server import run_server


class Command(BaseCommand):
    help = (
        "Create (or reuse) the embedded database, load a synthetic demo camp of about 2,300 "
        "residents, print the demo users and serve the web UI on 127.0.0.1 until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="demo generator seed (default 1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--no-serve", action="store_true", help="stop after loading, do not serve"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        result = load_demo(seed=options["seed"], data_dir=settings.DATA_DIR)
        state = "Loaded the demo camp" if result.loaded else "The demo camp is already loaded"
        self.stdout.write(f"{state} (database: {settings.DATABASES['default']['NAME']}).")
        self.stdout.write("Demo users (synthetic data only):")
        width = max(len(u) for u, _p, _r in result.credentials)
        for username, password, role in result.credentials:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {role}")
        self.stdout.write(f"Also written to {settings.DATA_DIR / CREDENTIALS_FILE} (mode 0600).")
        if options["no_serve"]:
            return
        self.stdout.write(f"Serving on http://127.0.0.1:{options['port']}/ - Ctrl-C to stop.")
        run_server(host="127.0.0.1", port=options["port"], workers=2)
