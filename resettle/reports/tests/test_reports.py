"""Dashboard, sitrep and partner aggregates reflect incidents and never expose individuals."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import hxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from resettle.incidents import services
from resettle.registry.models import Person
from resettle.reports.hxl import render_hxl, suppress
from resettle.testing.fixtures import SmallCamp


def _arrived(camp: SmallCamp) -> None:
    Person.objects.update(arrived_in_camp=date(2025, 6, 1))


def test_suppression_blanks_counts_from_one_to_four() -> None:
    row = suppress({"in_camp": 3, "departed": 0, "killed": 24, "injured": 4})
    assert row["in_camp"] == "" and row["injured"] == ""
    assert row["departed"] == 0 and row["killed"] == 24
    assert row["suppressed"] == "yes"


def test_hxl_is_valid_and_has_no_individual_rows(client, camp: SmallCamp, tmp_path) -> None:
    _arrived(camp)
    client.force_login(camp.users["manager"])
    body = client.get(reverse("reports:aggregates")).content.decode()
    parsed = hxl.data(_write_temp(body, tmp_path), hxl.InputOptions(allow_local=True))
    tags = [str(c.get_display_tag()) for c in parsed.columns]
    assert "#date" in tags and "#affected+incamp" in tags and "#country+code" in tags
    for name in ("Hossein", "Karimi", "R-0001"):
        assert name not in body
    rows = list(csv.reader(io.StringIO(body)))[2:]
    counts = [c for r in rows for c in r[4:6] if c]
    assert all(int(c) == 0 or int(c) >= 5 for c in counts)


def _write_temp(body: str, tmp_path) -> str:
    path = tmp_path / "aggregates.csv"
    path.write_text(body, encoding="utf-8")
    return str(path)


def test_suppression_in_render() -> None:
    body = render_hxl([{"date": "2026-01-01", "site": "=cmd", "in_camp": 2, "departed": 7}])
    row = list(csv.reader(io.StringIO(body)))[2]
    assert row[1] == "'=cmd" and row[4] == "" and row[5] == "7" and row[-1] == "yes"


@pytest.mark.django_db
def test_sitrep_reflects_an_attack(camp: SmallCamp, tmp_path) -> None:
    _arrived(camp)
    services.record_incident(
        actor=camp.users["security"], site=camp.site, incident_type="missile_attack",
        occurred_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC), severity=4,
        casualties=[services.CasualtyInput(Person.objects.get(registration_id="R-0003"),
                                           "killed")],
    )
    out = tmp_path / "sitrep.pdf"
    call_command("report", "sitrep", "--date", "2026-03-01", "--out", str(out))
    text = "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert "Situation report, 2026-03-01" in text
    assert "Missile or rocket attack" in text
    assert re.search(r"Killed in incidents \(total\)\s+1\s+\+1", text), text
    assert "Hossein" not in text and "R-0003" not in text
    assert 1 <= len(PdfReader(str(out)).pages) <= 3


def test_dashboard_renders_charts_for_managers_only(client, camp: SmallCamp) -> None:
    _arrived(camp)
    client.force_login(camp.users["manager"])
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    assert page.content.count(b"<svg") >= 6
    assert b"<script" not in page.content.split(b"</head>")[1]
    client.force_login(camp.users["registrar"])
    assert client.get(reverse("reports:dashboard")).status_code == 403


def test_export_aggregates_command_writes_valid_hxl(camp: SmallCamp, tmp_path) -> None:
    _arrived(camp)
    out = tmp_path / "agg.csv"
    call_command("export", "aggregates", "--format", "hxl", "--out", str(out))
    parsed = hxl.data(str(out), hxl.InputOptions(allow_local=True))
    assert "#affected+incamp" in [str(c.get_display_tag()) for c in parsed.columns]
    assert "Karimi" not in out.read_text(encoding="utf-8")
