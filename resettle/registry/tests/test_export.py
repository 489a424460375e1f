"""Exports: only what the user may see, formula cells neutralised, re-import round-trips."""

from __future__ import annotations

import csv
import io
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from resettle.audit.models import AuditEvent
from resettle.casework.models import Document
from resettle.registry.models import Person
from resettle.registry.services import import_persons
from resettle.registry.tabular import read_table
from resettle.testing.fixtures import SmallCamp


def _prepare(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0001")
    person.phone = "+964 770 123 4567"
    person.languages = ["fa", "ar"]
    person.specific_needs = ["SM-MI"]
    person.save()
    Document.objects.create(person=person, kind="travel_document", number="A123456/7",
                            valid_until=date(2030, 1, 1))


def _read_csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_cli_export_is_scoped_guarded_and_audited(camp: SmallCamp, tmp_path: Path) -> None:
    _prepare(camp)
    out = tmp_path / "persons.csv"
    call_command("export", "persons", "--format", "csv", "--out", str(out), "--user",
                 "registrar", stdout=StringIO())
    rows = {r["registration_id"]: r for r in _read_csv(out.read_bytes())}
    assert set(rows) == {"R-0001", "R-0002", "R-0003", "R-0004"}
    hossein = rows["R-0001"]
    assert hossein["phone"] == "'+964 770 123 4567"
    assert hossein["document_number"] == "A123456/7"
    assert hossein["given_name_original"] == "حسین"
    assert (hossein["household_id"], hossein["relationship"]) == ("H00001", "principal")
    assert hossein["languages"] == "fa;ar" and hossein["date_of_birth"] == "1970-05-17"
    assert out.stat().st_mode & 0o077 == 0
    event = AuditEvent.objects.get(action="persons.export")
    assert event.detail["rows"] == 4 and event.detail["via"] == "cli"
    assert "Hossein" not in str(event.detail)


@pytest.mark.parametrize("username, hidden", [
    ("manager", {"phone", "document_number"}),
    ("movement", {"given_name_original", "family_name_original", "languages", "ties"}),
])
def test_export_leaves_out_field_groups(camp: SmallCamp, tmp_path: Path, username: str,
                                        hidden: set[str]) -> None:
    out = tmp_path / "p.csv"
    call_command("export", "persons", "--format", "csv", "--out", str(out), "--user",
                 username, stdout=StringIO())
    header = set(_read_csv(out.read_bytes())[0])
    assert header & hidden == set()
    assert {"registration_id", "given_name", "date_of_birth"} <= header


def test_users_without_export_are_refused(camp: SmallCamp, tmp_path: Path) -> None:
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("export", "persons", "--format", "csv", "--out",
                     str(tmp_path / "x.csv"), "--user", "caseworker", stderr=err)
    assert exit_info.value.code == 2
    assert "may not export" in err.getvalue()
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_web_export_round_trips_through_import(camp: SmallCamp, client: Client,
                                               fmt: str) -> None:
    _prepare(camp)
    client.force_login(camp.users["registrar"])
    answer = client.post(reverse("registry:export"), {"format": fmt})
    assert answer.status_code == 200
    assert answer["Content-Disposition"].endswith(f'persons.{fmt}"')
    data = answer.content
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        header = [c.value for c in sheet[1]]
        phone = sheet.cell(row=2, column=header.index("phone") + 1)
        assert phone.data_type == "s" and phone.value == "'+964 770 123 4567"
    before = {p.registration_id: p.version for p in Person.objects.all()}
    plan = import_persons(actor=camp.users["registrar"],
                          table=read_table(data, f"persons.{fmt}"), dry_run=False,
                          check_duplicates=False)
    assert [str(i) for i in plan.issues] == []
    assert plan.counts()["unchanged"] == 4 and plan.counts()["updated"] == 0
    assert before == {p.registration_id: p.version for p in Person.objects.all()}
    assert Document.objects.get(person__registration_id="R-0001").number == "A123456/7"
    assert AuditEvent.objects.filter(action="persons.export").count() == 1


def test_site_narrowed_export_sees_its_site_only(camp: SmallCamp) -> None:
    from resettle.accounts.models import RoleAssignment
    from resettle.accounts.policy import Role
    from resettle.accounts.selectors import scope_for
    from resettle.registry import exporting
    from resettle.registry.selectors import persons_for
    from resettle.testing.fixtures import make_user

    user = make_user("registrar-b", None)
    RoleAssignment.objects.create(user=user, role=Role.REGISTRAR, site=camp.other_site)
    data, count, _columns = exporting.export(persons_for(user), scope_for(user), "csv")
    assert count == 1
    assert [r["registration_id"] for r in _read_csv(data)] == ["R-0004"]
