"""The TOML scenario format, its errors, the demo camp and the levers."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from resettle.core.simulation import (
    DEMO_SCENARIO,
    Distribution,
    ScenarioError,
    apply_lever,
    compare_levers,
    compare_policies,
    load_scenario,
    parse_distribution,
    parse_lever,
    render_table,
    scenario_from_dict,
)
from resettle.core.stages import Stage


def demo_dict() -> dict[str, Any]:
    return tomllib.loads(DEMO_SCENARIO.read_text(encoding="utf-8"))


def test_demo_camp_reproduces_the_reference_shape() -> None:
    sc = load_scenario(DEMO_SCENARIO)
    assert 850 <= sc.household_count <= 950
    assert 2200 <= sc.resident_count <= 2400
    codes = [d.code for d in sc.destinations]
    assert codes == ["DE", "NO", "GB", "NL", "FI", "DK", "BE", "IT", "ES", "AL"]
    europe = sum(p.places for p in sc.pledges if p.destination != "AL")
    assert europe == 2000
    assert sc.levers


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("stages", "assessed", "servers"), 0, "stages.assessed"),
        (("stages", "decided", "servers"), 2, "stages.decided"),
        (("stages", "ready", "duration"), {"dist": "gamma", "mean": 3}, "stages.ready.duration.cv"),
        (("stages", "ready", "duration"), {"dist": "weibull"}, "stages.ready.duration.dist"),
        (("stages", "booked"), {"duration": 1}, "stages.booked"),
        (("destinations", "DE", "accept_rate"), 1.5, "destinations.DE"),
        (("destinations", "DE", "colour"), "red", "destinations.DE.colour"),
        (("scenario", "start_date"), "2012-13-01", "scenario.start_date"),
        (("departures", "booking_lead_days"), "ten", "departures.booking_lead_days"),
        (("incidents", "fatality_per_person"), 2.0, "incidents"),
    ],
)
def test_malformed_scenario_names_the_field(path: tuple[str, ...], value: Any, field: str) -> None:
    data = demo_dict()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert err.value.field == field


def test_unknown_destination_in_pledge_is_refused() -> None:
    data = demo_dict()
    data["pledges"].append({"destination": "ZZ", "places": 5})
    with pytest.raises(ScenarioError, match="unknown destination 'ZZ'"):
        scenario_from_dict(data)


def test_distributions_have_the_configured_mean() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    for dist in (
        Distribution.exponential(10),
        Distribution.gamma(10, 0.5),
        Distribution.lognormal(10, 0.8),
        Distribution.fixed(10),
        Distribution.empirical([5, 15]),
    ):
        x = dist.sample(rng, 200_000)
        assert abs(x.mean() - 10) < 0.1, dist
        assert (x >= 0).all()
    assert parse_distribution(3, "f") == Distribution.fixed(3)
    with pytest.raises(ScenarioError):
        parse_distribution({"dist": "gamma", "mean": -1, "cv": 1}, "f")


def test_parse_lever_forms() -> None:
    sc = load_scenario(DEMO_SCENARIO)
    lever = parse_lever("pledge:AL:280:2016-03-01", sc.start_date)
    assert lever.destination == "AL" and lever.places == 280
    assert sc.start_date is not None
    assert lever.day == (__import__("datetime").date(2016, 3, 1) - sc.start_date).days
    assert parse_lever("capacity:assessed:+1").add == 1
    assert parse_lever("capacity:decided:DE:5").destination == "DE"
    assert parse_lever("duration:ready:0.7").factor == 0.7
    dep = parse_lever("departure:150:100:30:900:AL,DE")
    assert dep.destinations == ("AL", "DE") and dep.every_days == 30
    with pytest.raises(ScenarioError):
        parse_lever("capacity:nowhere:+1")
    with pytest.raises(ScenarioError):
        parse_lever("pledge:AL:many:10")


def test_apply_lever_changes_only_its_target() -> None:
    sc = load_scenario(DEMO_SCENARIO)
    more = apply_lever(sc, parse_lever("capacity:assessed:+1"))
    assert more.stage(Stage.ASSESSED).servers == (sc.stage(Stage.ASSESSED).servers or 0) + 1
    assert more.stage(Stage.READY) == sc.stage(Stage.READY)
    faster = apply_lever(sc, parse_lever("duration:ready:0.5"))
    assert faster.stage(Stage.READY).duration.expected == pytest.approx(
        sc.stage(Stage.READY).duration.expected / 2
    )
    with pytest.raises(ValueError, match="no servers or quota"):
        apply_lever(sc, parse_lever("capacity:ready:+1"))


def test_lever_and_policy_tables() -> None:
    sc = load_scenario(DEMO_SCENARIO)
    lever = parse_lever("pledge:AL:280:2012-03-01", sc.start_date)
    rows = compare_levers(sc, [lever], replications=30, seed=1)
    assert rows[0].label == "baseline"
    assert rows[0].delta_p50_days == 0
    # more room in Albania from the start cannot make the camp empty later
    assert rows[1].delta_p50_days is not None and rows[1].delta_p50_days <= 0
    text = render_table(rows, title="levers")
    assert "baseline" in text and lever.label in text
    prow = compare_policies(sc, replications=10, seed=1)
    assert [r.label for r in prow] == ["fcfs", "risk-first"]


def test_core_simulation_does_not_import_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys, resettle.core.simulation, resettle.core.simulation.levers; "
        "print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
