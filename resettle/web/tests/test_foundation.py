"""Foundation behaviours: configuration errors, stats, scoped pages, search without PII in URLs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from resettle import config
from resettle.testing.fixtures import SmallCamp
from resettle.web.stats import operation_stats


def login(client: Client, username: str) -> Client:
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize(
    "url", ["mysql://a@b/c", "oracle://x", "sqlite://", "postgresql://host:5432/"]
)
def test_bad_database_url_is_a_clear_config_error(url: str, tmp_path) -> None:
    with pytest.raises(config.ConfigError) as err:
        config.load({"RESETTLE_DATABASE_URL": url, "RESETTLE_DATA_DIR": str(tmp_path)})
    assert "RESETTLE_DATABASE_URL" in str(err.value)


def test_cli_exits_2_with_one_line_on_bad_config(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resettle", "stats", "--json"],
        env={"RESETTLE_DATABASE_URL": "mysql://a@b/c", "RESETTLE_DATA_DIR": str(tmp_path),
             "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_serving_outside_demo_requires_a_secret_key(tmp_path) -> None:
    env = {"RESETTLE_DATA_DIR": str(tmp_path), "RESETTLE_CLI_COMMAND": "serve"}
    with pytest.raises(config.ConfigError, match="RESETTLE_SECRET_KEY"):
        config.load(env)
    assert config.load({**env, "RESETTLE_DEMO": "1"}).secret_key


def test_postgres_url_is_parsed(tmp_path) -> None:
    db = config.parse_database_url("postgresql://u:p%40ss@db.example:5433/res", tmp_path)
    assert (db.engine, db.user, db.password, db.host, db.port, db.name) == (
        "postgresql", "u", "p@ss", "db.example", "5433", "res")


@pytest.mark.django_db
def test_stats_of_an_unmigrated_database_match_an_empty_one() -> None:
    from resettle.web.stats import empty_stats

    assert empty_stats() == operation_stats()


def test_stats_command_on_a_fresh_data_dir_prints_zeros(tmp_path) -> None:
    import json

    result = subprocess.run(
        [sys.executable, "-m", "resettle", "stats", "--json"],
        env={"RESETTLE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["persons_total"] == 0
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_stats_on_empty_database_are_zeros() -> None:
    stats = operation_stats()
    assert stats["persons_total"] == 0
    assert stats["residents_present"] == 0
    assert set(stats["by_stage"].values()) == {0}
    assert stats["departed_by_destination"] == {}
    assert set(stats["holds_active"].values()) == {0}
    assert stats["incidents"] == 0


def test_pages_need_login(client: Client, camp: SmallCamp) -> None:
    response = client.get(reverse("web:households"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_caseworker_sees_households_and_details(client: Client, camp: SmallCamp) -> None:
    login(client, "caseworker")
    page = client.get(reverse("web:households"))
    assert page.status_code == 200
    assert b"H00001" in page.content and b"H00003" in page.content
    detail = client.get(reverse("web:household", args=[camp.household_de.id]))
    assert detail.status_code == 200
    assert "حسین".encode() in detail.content
    assert b'dir="rtl"' in detail.content


def test_head_is_answered_like_get_and_scoped_the_same(client: Client, camp: SmallCamp) -> None:
    # link checkers and uptime monitors send HEAD; it must not be a 405, nor a way around scope
    detail = reverse("web:household", args=[camp.household_de.id])
    login(client, "caseworker")
    assert client.head(detail).status_code == 200
    assert client.post(detail).status_code == 405
    login(client, "caseworker-b")  # another site
    assert client.head(detail).status_code == 404


def test_liaison_sees_only_households_submitted_to_its_destination(
    client: Client, camp: SmallCamp
) -> None:
    login(client, "liaison-de")
    page = client.get(reverse("web:households"))
    assert b"H00001" in page.content
    assert b"H00002" not in page.content and b"H00003" not in page.content
    outside = client.get(reverse("web:household", args=[camp.household_no.id]))
    missing = client.get(reverse("web:household", args=["00000000-0000-4000-8000-000000000000"]))
    assert outside.status_code == missing.status_code == 404
    assert outside.content == missing.content


def test_liaison_never_sees_original_script_or_phone(client: Client, camp: SmallCamp) -> None:
    login(client, "liaison-de")
    detail = client.get(reverse("web:household", args=[camp.household_de.id]))
    assert detail.status_code == 200
    assert "حسین".encode() not in detail.content


def test_site_narrowed_caseworker_sees_only_its_site(client: Client, camp: SmallCamp) -> None:
    login(client, "caseworker-b")
    page = client.get(reverse("web:households"))
    assert b"H00003" in page.content and b"H00001" not in page.content
    assert client.get(reverse("web:household", args=[camp.household_de.id])).status_code == 404


def test_user_without_role_sees_nothing(client: Client, camp: SmallCamp) -> None:
    login(client, "nobody")
    assert client.get(reverse("web:households")).status_code == 403
    assert client.get(reverse("web:household", args=[camp.household_de.id])).status_code == 403


def test_search_by_either_script_keeps_terms_out_of_urls(client: Client, camp: SmallCamp) -> None:
    login(client, "caseworker")
    for term in ("Husein Karimi", "حسين", "R-0003"):
        response = client.post(reverse("web:households"), {"q": term})
        assert response.status_code == 302
        assert term not in response["Location"]
        page = client.get(response["Location"])
        expected = b"H00002" if term == "R-0003" else b"H00001"
        assert expected in page.content, term
        assert b"H00003" not in page.content


def test_household_view_is_audited(client: Client, camp: SmallCamp) -> None:
    from resettle.audit.models import AuditEvent

    login(client, "caseworker")
    client.get(reverse("web:household", args=[camp.household_de.id]))
    event = AuditEvent.objects.get(action="household.view")
    assert event.object_id == str(camp.household_de.id)
    assert event.actor_username == "caseworker"
    assert event.request_id


def test_security_headers(client: Client, camp: SmallCamp) -> None:
    login(client, "caseworker")
    response = client.get(reverse("web:households"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"


def test_household_page_explains_the_risk_score(client: Client, camp: SmallCamp) -> None:
    from datetime import date as _date

    from resettle.casework.models import Hold, HoldStatus
    from resettle.incidents.risk import refresh_household_risk
    from resettle.registry.models import Household, Person

    Hold.objects.create(person=Person.objects.get(registration_id="R-0001"), hold_type="legal",
                        reason="arrest_warrant", status=HoldStatus.ACTIVE,
                        start_date=_date(2026, 1, 1))
    refresh_household_risk(Household.objects.all())
    login(client, "caseworker")
    page = client.get(reverse("web:household", args=[camp.household_de.id])).content.decode()
    assert "Why this risk score" in page and "legal_hold" in page
    login(client, "liaison-de")
    page = client.get(reverse("web:household", args=[camp.household_de.id])).content.decode()
    assert "Why this risk score" not in page and "legal_hold" not in page
