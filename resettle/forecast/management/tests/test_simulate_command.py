"""`resettle simulate`: scenario mode, errors with exit status 2, the --from-db hook."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from resettle.core.simulation import DEMO_SCENARIO


def run(*args: str) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("simulate", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return out.getvalue(), err.getvalue(), code


def test_scenario_run_writes_the_report(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    out, _, code = run(
        "--scenario",
        str(DEMO_SCENARIO),
        "--replications",
        "20",
        "--seed",
        "3",
        "--out",
        str(target),
        "--workers",
        "1",
        "--lever",
        "pledge:AL:100:2013-01-01",
        "--clear-by",
        "2015-01-01",
    )
    assert code == 0
    report = json.loads(target.read_text())
    assert report["replications"] == 20 and report["seed"] == 3
    assert report["levers_applied"] == ["pledge AL +100 from day 335"]
    assert set(report["clear_day"]) >= {"p10", "p50", "p90", "cleared_fraction"}
    assert "camp empty" in out
    assert report["clear_by"][-1]["date"] == "2015-01-01"
    assert report["clear_by"][-1]["probability"] == 0.0


def test_compare_policies_prints_a_table(tmp_path: Path) -> None:
    out, _, code = run(
        "--scenario",
        str(DEMO_SCENARIO),
        "--replications",
        "5",
        "--compare-policies",
        "--workers",
        "1",
    )
    assert code == 0
    assert "risk-first" in out and "fcfs" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-db", "--today", "soon", "--out", "x.json"], "--today: expected a date"),
        (["--scenario", str(DEMO_SCENARIO), "--today", "2026-01-01", "--out", "x.json"],
         "--today: only with --from-db"),
        (["--scenario", "/nonexistent.toml", "--out", "x.json"], "cannot read"),
        (
            ["--scenario", str(DEMO_SCENARIO), "--out", "x.json", "--lever", "bogus:1"],
            "--lever bogus:1",
        ),
        (
            ["--scenario", str(DEMO_SCENARIO), "--replications", "0", "--out", "x.json"],
            "--replications",
        ),
        (["--scenario", str(DEMO_SCENARIO)], "--out: required"),
        (["--scenario", str(DEMO_SCENARIO), "--out", "x.json", "--clear-by", "soon"], "--clear-by"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args: list[str], message: str) -> None:
    _, err, code = run(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
