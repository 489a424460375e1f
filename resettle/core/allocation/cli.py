"""``resettle allocate``: solve an allocation problem file and write the result file.

Runs without Django: the console script hands this command over before Django starts,
since loading the web application (its apps, URLs and PDF library) cost about 1.3 s
per call, more than the whole solve on the reference camp and a large share of the
time a caller gives a 3,000-household problem.  Malformed input: one line on stderr
naming the field, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Protocol

_MIN_SOLVE_SECONDS = 0.05
"""The solver always gets this much, even when reading the file used up the limit."""

HELP = (
    "Assign households to destinations (most persons placed, then highest score) "
    "and write the result with its proven bound."
)


class Writer(Protocol):
    """A text stream: ``sys.stdout`` here, Django's ``OutputWrapper`` in the command."""

    def write(self, text: str, /) -> object: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problem", required=True, help="problem file (JSON)")
    parser.add_argument("--out", required=True, help="result file to write (JSON)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds for the whole command: reading, solving, writing (default 60)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--explain", action="store_true", help="add per-household explanations"
    )


def run(
    problem_path: str,
    out_path: str,
    *,
    time_limit: float,
    seed: int,
    explain: bool,
    stdout: Writer,
    stderr: Writer,
    started: float | None = None,
) -> int:
    """Solve ``problem_path`` into ``out_path``; the exit status (0, or 2 on bad input).

    ``time_limit`` counts from ``started`` (a ``time.perf_counter()`` reading; now if
    not given): whoever calls ``resettle allocate --time-limit 5`` expects the command,
    not only the solver, to be done in 5 s.  Reading, the imports and the writing of the
    result are taken off the solver's share.
    """
    started = time.perf_counter() if started is None else started
    from resettle.core.allocation import ProblemFormatError, read_problem, solve, write_result

    if time_limit <= 0:
        stderr.write("--time-limit: must be a positive number of seconds\n")
        return 2
    try:
        problem = read_problem(problem_path)
    except ProblemFormatError as exc:
        stderr.write(f"{problem_path}: {exc.field or 'problem'}: {exc.message}\n")
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        stderr.write(f"{problem_path}: cannot read: {exc}\n")
        return 2
    # writing the result (0.07 s for 3,000 households with explanations, 0.003 s
    # without) and the interpreter's exit (about 0.03 s)
    writing = 0.04 + (3e-5 if explain else 2e-6) * len(problem.cases)
    left = time_limit - (time.perf_counter() - started) - writing
    result = solve(
        problem, time_limit=max(left, _MIN_SOLVE_SECONDS), seed=seed, explain=explain
    )
    try:
        write_result(result, out_path)
    except OSError as exc:
        stderr.write(f"{out_path}: cannot write: {exc}\n")
        return 2
    summary = {
        "status": result.status,
        "persons_placed": result.persons_placed,
        "score": round(result.score, 6),
        "bound": round(result.bound_score, 6),
        "gap": f"{result.gap:.2e}",
        "unassigned": len(result.unassigned),
        "seconds": result.solve_seconds,
        "command_seconds": round(time.perf_counter() - started, 4),
    }
    stdout.write(json.dumps(summary) + "\n")
    return 0


def main(argv: list[str], started: float | None = None) -> int:
    parser = argparse.ArgumentParser(prog="resettle allocate", description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    status = run(
        args.problem, args.out, time_limit=args.time_limit, seed=args.seed,
        explain=args.explain, stdout=sys.stdout, stderr=sys.stderr, started=started,
    )
    from resettle.core.allocation.solver import runs_left_behind

    if runs_left_behind():
        # the result file is written; a MIP the solver gave up on would hold the exit
        # for seconds (HiGHS ends it only at its next interrupt check), and whoever set
        # --time-limit waits for the command, not for the file
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status
