"""``resettle plan-departures``: plan who takes which departure, write the result file.

Thin on purpose: parse arguments, read and validate the problem (from a file, or
from the database through ``resettle.departures.planning.problem_from_db``), call
the core planner, write the result. Malformed input: one line on stderr naming the
field, exit status 2.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from resettle.core.departures import Problem, ProblemError, load_problem, plan, save_result


class Command(BaseCommand):
    help = (
        "Assign ready households to departures (whole households, together groups, no "
        "holds, valid documents, seats and special places) so that person-days at risk "
        "are least; write the plan, its proven bound and why each other household stays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--problem", help="problem file (JSON, see docs/departures.md)")
        source.add_argument(
            "--from-db", action="store_true", help="build the problem from the database"
        )
        parser.add_argument("--out", required=True, help="result file to write (JSON)")
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)

    def _from_db(self) -> Problem:
        # HOOK (lead): the database adapter lives in resettle.departures.planning and
        # is imported only when asked for, so file mode works without it.
        try:
            planning = importlib.import_module("resettle.departures.planning")
        except ModuleNotFoundError as exc:
            if exc.name != "resettle.departures.planning":
                raise
            self._fail(
                "--from-db: not available yet (resettle.departures.planning."
                "problem_from_db is missing); use --problem FILE"
            )
        problem_from_db = getattr(planning, "problem_from_db", None)
        if problem_from_db is None:
            self._fail("--from-db: resettle.departures.planning has no problem_from_db()")
        problem = problem_from_db()
        if not isinstance(problem, Problem):
            self._fail("--from-db: problem_from_db() did not return a Problem")
        return problem

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["time_limit"] > 0:
            self._fail("--time-limit: must be a positive number of seconds")
        if options["from_db"]:
            from django.db import DatabaseError

            try:
                problem = self._from_db()
            except ProblemError as exc:
                self._fail(f"database: {exc}")
            except DatabaseError as exc:
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._fail(
                    f"--from-db: database not usable ({first_line}); run `resettle migrate`?"
                )
        else:
            path = options["problem"]
            try:
                problem = load_problem(path)
            except ProblemError as exc:
                self._fail(f"{path}: {exc}")
            except (OSError, UnicodeDecodeError) as exc:
                self._fail(f"{path}: cannot read: {exc}")
        result = plan(problem, time_limit=options["time_limit"], seed=options["seed"])
        try:
            save_result(result, options["out"])
        except OSError as exc:
            self._fail(f"{options['out']}: cannot write: {exc}")
        summary = {
            "status": result.status,
            "households_assigned": len(result.assignments),
            "households_unassigned": len(result.unassigned),
            "person_days_at_risk": round(result.person_days_at_risk, 3),
            "bound": round(result.bound, 3),
            "gap": f"{result.gap:.2e}",
            "seconds": round(result.solve_seconds, 3),
        }
        self.stdout.write(json.dumps(summary))
