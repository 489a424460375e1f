"""``resettle allocate``: solve an allocation problem file and write the result file.

Thin on purpose: parse arguments, read and validate the problem, call the core solver,
write the result.  Malformed input: one line on stderr naming the field, exit status 2.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from resettle.core.allocation import ProblemFormatError, read_problem, solve, write_result


class Command(BaseCommand):
    help = (
        "Assign households to destinations (most persons placed, then highest score) "
        "and write the result with its proven bound."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--problem", required=True, help="problem file (JSON)")
        parser.add_argument("--out", required=True, help="result file to write (JSON)")
        parser.add_argument(
            "--time-limit", type=float, default=60.0, help="seconds (default 60)"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument(
            "--explain", action="store_true", help="add per-household explanations"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["time_limit"] <= 0:
            self.stderr.write("--time-limit: must be a positive number of seconds")
            raise SystemExit(2)
        try:
            problem = read_problem(options["problem"])
        except ProblemFormatError as exc:
            field = exc.field or "problem"
            self.stderr.write(f"{options['problem']}: {field}: {exc.message}")
            raise SystemExit(2) from None
        except (OSError, UnicodeDecodeError) as exc:
            self.stderr.write(f"{options['problem']}: cannot read: {exc}")
            raise SystemExit(2) from None
        result = solve(
            problem,
            time_limit=options["time_limit"],
            seed=options["seed"],
            explain=options["explain"],
        )
        try:
            write_result(result, options["out"])
        except OSError as exc:
            self.stderr.write(f"{options['out']}: cannot write: {exc}")
            raise SystemExit(2) from None
        summary = {
            "status": result.status,
            "persons_placed": result.persons_placed,
            "score": round(result.score, 6),
            "bound": round(result.bound_score, 6),
            "gap": f"{result.gap:.2e}",
            "unassigned": len(result.unassigned),
            "seconds": result.solve_seconds,
        }
        self.stdout.write(json.dumps(summary))
