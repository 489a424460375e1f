"""``resettle plan-departures``: file mode, clear errors (exit 2), the --from-db hook."""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from resettle.core.departures import problem_to_dict
from resettle.core.departures.generate import GeneratorSettings, generate


def _run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("plan-departures", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_file_mode_writes_the_result(tmp_path: Path) -> None:
    problem = generate(GeneratorSettings(n_cases=120, n_departures=4), seed=2)
    src, dst = tmp_path / "p.json", tmp_path / "r.json"
    src.write_text(json.dumps(problem_to_dict(problem)))
    code, out, err = _run("--problem", str(src), "--out", str(dst), "--time-limit", "10",
                          "--seed", "3")
    assert code == 0, err
    result = json.loads(dst.read_text())
    assert set(result["assignments"]) | set(result["unassigned"]) == {c.id for c in problem.cases}
    assert result["bound"] <= result["person_days_at_risk"] + 1e-6
    summary = json.loads(out)
    assert summary["households_assigned"] == len(result["assignments"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"cases": [{"id": "H1", "size": 0, "destination": "DE", "risk": 1}],'
         ' "departures": [], "horizon_day": 10}', "cases[0].size: must be at least 1"),
        ('{"cases": [], "departures": [], "horizon_day": 10, "together": [["H1", "H2"]]}',
         "together[0][0]: unknown case id"),
        ('{"cases": [', "not valid JSON (line 1"),
    ],
)
def test_malformed_input_names_the_field(tmp_path: Path, content: str, expected: str) -> None:
    src = tmp_path / "p.json"
    src.write_text(content)
    code, _, err = _run("--problem", str(src), "--out", str(tmp_path / "r.json"))
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_missing_file_and_bad_time_limit(tmp_path: Path) -> None:
    code, _, err = _run("--problem", str(tmp_path / "nope.json"), "--out", str(tmp_path / "r"))
    assert code == 2 and "cannot read" in err
    src = tmp_path / "p.json"
    src.write_text('{"cases": [], "departures": [], "horizon_day": 10}')
    code, _, err = _run("--problem", str(src), "--out", str(tmp_path / "r"), "--time-limit", "0")
    assert code == 2 and err.startswith("--time-limit")


def test_from_db_without_the_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "resettle.departures.planning", None)
    code, _, err = _run("--from-db", "--out", str(tmp_path / "r.json"))
    assert code == 2
    assert "--from-db: not available yet" in err


@pytest.mark.django_db
def test_from_db_on_an_empty_database(tmp_path: Path) -> None:
    dst = tmp_path / "r.json"
    code, _, err = _run("--from-db", "--out", str(dst), "--time-limit", "5")
    assert code == 0, err
    result = json.loads(dst.read_text())
    assert result["assignments"] == {} and result["status"] == "optimal"
