"""``allocate`` as a Django management command: the same core command as the console script."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from resettle.core.allocation.tests.test_model_json import ISSUE_EXAMPLE


def test_call_command_writes_the_result_and_a_summary(tmp_path: Path) -> None:
    problem_path = tmp_path / "p.json"
    problem_path.write_text(json.dumps(ISSUE_EXAMPLE))
    out = io.StringIO()
    call_command("allocate", problem=str(problem_path), out=str(tmp_path / "r.json"), stdout=out)
    assert json.loads(out.getvalue())["status"] == "optimal"
    assert set(json.loads((tmp_path / "r.json").read_text())["assignments"]) == {
        "H00001", "H00002"
    }


def test_call_command_refuses_a_malformed_problem_naming_the_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(ISSUE_EXAMPLE))
    bad["cases"][0]["size"] = 0
    problem_path = tmp_path / "p.json"
    problem_path.write_text(json.dumps(bad))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("allocate", problem=str(problem_path), out=str(tmp_path / "r.json"),
                     stderr=err)
    assert exit_info.value.code == 2
    assert "cases[0].size" in err.getvalue()
    assert not (tmp_path / "r.json").exists()
