"""The import preview in a real browser: upload, see counts and duplicates, confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from resettle.registry.models import Person
from resettle.registry.tests.helpers import csv_text, row
from resettle.testing.browser import sign_in
from resettle.testing.fixtures import PASSWORD, SmallCamp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_registrar_previews_then_confirms_an_import(
    live_server: Any, page: Any, camp: SmallCamp, tmp_path: Path
) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_text(csv_text([
        row(registration_id="B-1", household_id="HB1", given_name="Hussein",
            family_name="Karimi", given_name_original="حسين", sex="M", date_of_birth="1970"),
        row(registration_id="B-2", household_id="HB1", relationship="spouse"),
    ], sep=";", newline="\r\n", bom=True), encoding="utf-8")
    sign_in(page, live_server.url, "registrar", PASSWORD)
    page.click("nav >> text=Import")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Preview')")
    page.wait_for_selector("h1:has-text('Import preview')")
    assert "arrivals" not in page.url  # the file stays on the server, not in the URL
    assert page.inner_text("#count-created") == "2"
    assert page.inner_text("#count-duplicates") == "1"
    assert "R-0001" in page.inner_text("#duplicates")
    assert not Person.objects.filter(registration_id__startswith="B-").exists()
    page.click("#confirm")
    page.wait_for_selector(".messages li:has-text('2 persons created')")
    assert Person.objects.filter(registration_id__startswith="B-").count() == 2


def test_preview_lists_every_problem_and_offers_no_confirm(
    live_server: Any, page: Any, camp: SmallCamp, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv_text([row(registration_id="B-1", date_of_birth="2001-02-30"),
                              row(registration_id="B-2", sex="male")]), encoding="utf-8")
    sign_in(page, live_server.url, "registrar", PASSWORD)
    page.goto(f"{live_server.url}/registry/import/")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Preview')")
    problems = page.inner_text("#problems")
    assert "line 2: date_of_birth '2001-02-30' is not a date" in problems
    assert "line 3: sex 'male' is not F, M or X" in problems
    assert page.locator("#confirm").count() == 0
