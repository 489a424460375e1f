"""The ``resettle`` console script: Django's manage.py with the settings preset.

Configuration is validated before Django starts, so a bad value prints one line on
stderr and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import os
import sys

from resettle import config


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command == "allocate":
        # needs neither the database nor the configuration: solving a problem file
        # without starting Django saves about 1.3 s per call
        from resettle.core.allocation.cli import main as allocate

        raise SystemExit(allocate(args[1:]))
    os.environ["RESETTLE_CLI_COMMAND"] = command
    if command == "demo":
        os.environ["RESETTLE_DEMO"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")
    try:
        config.load()
    except config.ConfigError as exc:
        print(f"resettle: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(["resettle", *args])


if __name__ == "__main__":
    main()
