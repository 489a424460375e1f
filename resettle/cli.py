"""The ``resettle`` console script: Django's manage.py with the settings preset.

Configuration is validated before Django starts, so a bad value prints one line on
stderr and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import os
import sys
import time

from resettle import config


def _process_started() -> float:
    """When this process started, on the ``time.perf_counter()`` clock.

    The interpreter's own start-up (and a version manager's shim before it) comes before
    any line here: 0.1 s on a 1.25 s limit.  Linux gives the start in /proc (to a clock
    tick); elsewhere, now.
    """
    now = time.perf_counter()
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # the command name may hold spaces: fields are counted after its closing ')'
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            up = float(uptime.read().split()[0])
    except (OSError, ValueError, IndexError):
        return now
    age = up - start_ticks / os.sysconf("SC_CLK_TCK")
    return now - age if 0 <= age < 60 else now


def main(argv: list[str] | None = None) -> None:
    started = _process_started()
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    if command == "allocate":
        # needs neither the database nor the configuration: solving a problem file
        # without starting Django saves about 1.3 s per call
        from resettle.core.allocation.cli import main as allocate

        raise SystemExit(allocate(args[1:], started))
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
