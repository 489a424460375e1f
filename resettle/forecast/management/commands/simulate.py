"""``resettle simulate``: Monte Carlo forecast of when the camp will be empty.

Thin on purpose: parse arguments, load the scenario (a TOML file, or calibrated from
the live database), apply levers, call the core simulator, write the JSON report.
Malformed input: one line on stderr naming the field, exit status 2.

``--from-db`` reads the live operation, so it acts as someone (``--user``, else the
console operator), covers that user's sites, and writes a ``forecast.cli`` audit event
(counts and settings, nothing personal) once the database has been read.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from resettle.core.simulation import (
    Scenario,
    ScenarioError,
    apply_lever,
    compare_levers,
    compare_policies,
    load_scenario,
    parse_lever,
    render_report,
    render_table,
    simulate,
)
from resettle.core.simulation.levers import parse_day
from resettle.core.simulation.scenario import POLICIES


class Command(BaseCommand):
    help = (
        "Forecast the day the camp is empty (P10/P50/P90), residents present, departures "
        "by destination, person-days at risk and the bottleneck; compare policies and "
        "what-if levers."
    )

    #: with --from-db: who reads the live operation, and which sites (None: all)
    actor: Any = None
    site_ids: Any = None

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--scenario", help="scenario file (TOML, see docs/simulation.md)")
        source.add_argument(
            "--from-db", action="store_true", help="calibrate the scenario from the live database"
        )
        parser.add_argument(
            "--user",
            help="with --from-db: act as this user (their sites; default: the console operator)",
        )
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="with --from-db: day 0 of the calibrated scenario (default: today)",
        )
        parser.add_argument(
            "--replications", type=int, default=1000, help="replications (default 1000)"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--out", help="report file to write (JSON)")
        parser.add_argument(
            "--policy", choices=POLICIES, help="boarding policy (default: the scenario's)"
        )
        parser.add_argument(
            "--lever",
            action="append",
            default=[],
            metavar="SPEC",
            help="what-if change, repeatable: capacity:STAGE:+N | capacity:decided:DEST:+N | "
            "pledge:DEST:PLACES:DAY_OR_DATE | duration:STAGE:FACTOR | "
            "departure:SEATS:FIRST[:EVERY_DAYS:UNTIL[:DEST,DEST]] | accept:DEST:RATE",
        )
        parser.add_argument(
            "--compare-levers",
            action="store_true",
            help="table: baseline against each lever (scenario's and --lever)",
        )
        parser.add_argument(
            "--compare-policies",
            action="store_true",
            help="table: first-come-first-served against risk-first boarding",
        )
        parser.add_argument(
            "--clear-by",
            action="append",
            default=[],
            metavar="DAY_OR_DATE",
            help="also report P(camp empty by this day or date); repeatable",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="worker processes (default 2; results do not depend on it)",
        )

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)

    def load(self, options: dict[str, Any]) -> Scenario:
        if options["from_db"]:
            try:
                calibration = importlib.import_module("resettle.forecast.calibration")
            except ImportError:
                self.fail(
                    "--from-db: calibration from the database is not available "
                    "(resettle.forecast.calibration is missing); use --scenario"
                )
            today = None
            if options.get("today"):
                try:
                    today = dt.date.fromisoformat(options["today"])
                except ValueError:
                    self.fail(f"--today: expected a date YYYY-MM-DD, not {options['today']!r}")
            from resettle.accounts.operator import acting_user
            from resettle.accounts.policy import Action
            from resettle.accounts.selectors import scope_for

            try:
                self.actor = acting_user(options.get("user"))
            except CommandError as exc:
                self.fail(f"--user: {exc}")
            scope = scope_for(self.actor)
            if not scope.can(Action.RUN_FORECAST):
                self.fail(f"--user: {options['user']!r} may not run the forecast")
            self.site_ids = scope.site_ids
            try:
                sc = calibration.scenario_from_db(today=today, site_ids=self.site_ids)
            except (ScenarioError, ValueError) as exc:
                self.fail(f"--from-db: {exc}")
            if not isinstance(sc, Scenario):
                self.fail("--from-db: scenario_from_db() did not return a Scenario")
            scenario: Scenario = sc
            return scenario
        if options.get("today"):
            self.fail("--today: only with --from-db")
        if options.get("user"):
            self.fail("--user: only with --from-db")
        try:
            return load_scenario(options["scenario"])
        except ScenarioError as exc:
            self.fail(f"{options['scenario']}: {exc}")

    def audit(self, sc: Scenario, options: dict[str, Any], levers: list[str]) -> None:
        """Record the read of the live operation (its own short transaction)."""
        from resettle.forecast.services import record_cli_run

        mode = (
            "compare-levers" if options["compare_levers"]
            else "compare-policies" if options["compare_policies"] else "report"
        )
        record_cli_run(
            actor=self.actor,
            today=sc.start_date,
            site_ids=self.site_ids,
            households=sc.household_count,
            residents=sc.resident_count,
            on_hold=sum(g.count for g in sc.households if g.holds),
            replications=options["replications"],
            seed=options["seed"],
            mode=mode,
            levers=levers,
            policy=sc.policy,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["replications"] < 1:
            self.fail("--replications: must be at least 1")
        if options["seed"] < 0:
            self.fail("--seed: must be >= 0")
        if options["workers"] < 1:
            self.fail("--workers: must be at least 1")
        if options["compare_levers"] and options["compare_policies"]:
            self.fail("--compare-levers: give it or --compare-policies, not both")
        if not (options["compare_levers"] or options["compare_policies"]) and not options["out"]:
            self.fail("--out: required (the JSON report file)")
        sc = self.load(options)
        if options["policy"]:
            sc = sc.with_policy(options["policy"])
        try:
            levers = [parse_lever(text, sc.start_date) for text in options["lever"]]
        except ScenarioError as exc:
            self.fail(str(exc))
        if options["clear_by"]:
            try:
                extra = [
                    parse_day(text, sc.start_date, "--clear-by") for text in options["clear_by"]
                ]
            except ScenarioError as exc:
                self.fail(str(exc))
            sc = replace(sc, clear_by_days=(*sc.clear_by_days, *extra))
        if options["from_db"]:
            self.audit(sc, options, [lever.label for lever in levers])
        reps, seed, workers = options["replications"], options["seed"], options["workers"]
        started = time.perf_counter()
        try:
            if options["compare_levers"] or options["compare_policies"]:
                if options["compare_levers"]:
                    all_levers = [*sc.levers, *levers]
                    if not all_levers:
                        self.fail(
                            "--compare-levers: no levers in the scenario or on the command line"
                        )
                    rows = compare_levers(
                        sc, all_levers, replications=reps, seed=seed, workers=workers
                    )
                    title = f"{sc.name}: levers ({reps} replications, seed {seed})"
                else:
                    for lever in levers:
                        sc = apply_lever(sc, lever)
                    rows = compare_policies(sc, replications=reps, seed=seed, workers=workers)
                    title = f"{sc.name}: boarding policies ({reps} replications, seed {seed})"
                self.stdout.write(render_table(rows, title=title))
                payload: dict[str, Any] = {
                    "scenario": sc.name,
                    "replications": reps,
                    "seed": seed,
                    "rows": [r.to_dict() for r in rows],
                }
            else:
                for lever in levers:
                    sc = apply_lever(sc, lever)
                payload = simulate(sc, replications=reps, seed=seed, workers=workers)
                payload["levers_applied"] = [lever.label for lever in levers]
                self.stdout.write(render_report(payload))
        except ValueError as exc:
            self.fail(f"--lever: {exc}")
        self.stderr.write(f"{reps} replications in {time.perf_counter() - started:.1f} s")
        if options["out"]:
            try:
                Path(options["out"]).write_text(
                    json.dumps(payload, indent=1) + "\n", encoding="utf-8"
                )
            except OSError as exc:
                self.fail(f"--out: cannot write {options['out']}: {exc.strerror}")
