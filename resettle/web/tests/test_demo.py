"""The demo camp: realistic, deterministic, and loading twice changes nothing."""

from __future__ import annotations

import stat
from datetime import date

import pytest

from resettle.core import demo_camp
from resettle.demo.loader import CREDENTIALS_FILE, load_demo
from resettle.web.stats import operation_stats


def test_generator_is_deterministic_and_realistic() -> None:
    a = demo_camp.generate(7, today=date(2026, 6, 1))
    b = demo_camp.generate(7, today=date(2026, 6, 1))
    assert [p.registration_id for p in a.persons] == [p.registration_id for p in b.persons]
    assert [h.stage for h in a.households] == [h.stage for h in b.households]
    persons = a.persons
    assert 2250 <= len(persons) <= 2400
    assert 700 <= len(a.households) <= 1100
    singles = sum(1 for h in a.households if h.size == 1)
    assert singles / len(a.households) > 0.35
    ages = [2026 - p.date_of_birth.year for p in persons if 2026 - p.date_of_birth.year >= 18]
    assert sum(30 <= x <= 70 for x in ages) / len(ages) > 0.7
    assert all(p.given_name_original and p.family_name_original for p in persons)
    pledged = {code: places for code, _n, places, _l in demo_camp.DESTINATIONS}
    assert sum(v for k, v in pledged.items() if k != "AL") == 2000
    killed = [c for i in a.incidents for c in i.casualties if c.outcome == "killed"]
    attacks = [i for i in a.incidents if i.incident_type == "missile_attack"]
    assert len(attacks) == 5 and max(
        sum(c.outcome == "killed" for c in i.casualties) for i in attacks) == 24
    assert len(killed) == sum(k for _d, k, _i in demo_camp.ATTACKS)


@pytest.mark.django_db(transaction=True)
def test_loading_twice_changes_nothing(settings, tmp_path) -> None:
    first = load_demo(seed=3, data_dir=tmp_path)
    stats = operation_stats()
    second = load_demo(seed=3, data_dir=tmp_path)
    assert first.loaded and not second.loaded
    assert operation_stats() == stats
    assert first.credentials == second.credentials
    assert stats["persons_total"] > 2000
    assert 0 < stats["departed"] < stats["persons_total"]
    assert stats["residents_present"] > 1000
    assert stats["holds_active"]["legal"] > 0
    assert stats["incidents"] >= 5
    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    names = {u for u, _p, _r in first.credentials}
    assert {"admin", "registrar", "caseworker", "resettlement", "movement", "security",
            "manager", "auditor", "liaison-de", "liaison-al"} <= names


def test_nobody_in_the_demo_is_born_in_the_future() -> None:
    today = date(2026, 12, 30)
    camp = demo_camp.generate(2, today=today)
    assert all(p.date_of_birth <= today for p in camp.persons)
