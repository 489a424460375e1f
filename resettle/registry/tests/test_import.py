"""Importing persons: formats, every validation message, all-or-nothing, idempotency."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from resettle.audit.models import AuditEvent
from resettle.casework.models import Document, Hold
from resettle.registry.models import Household, Membership, Person, PersonChange
from resettle.registry.services import import_persons
from resettle.registry.tabular import TableError, read_table
from resettle.registry.tests.helpers import csv_text, row, xlsx_bytes
from resettle.testing.fixtures import SmallCamp

TODAY = date(2026, 6, 1)


def run(text: str | bytes, name: str = "f.csv", *, dry_run: bool = False,
        actor: Any = None) -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_persons(actor=actor, table=read_table(data, name), dry_run=dry_run,
                          today=TODAY, via="test")


def messages(plan: Any) -> list[str]:
    return [str(i) for i in plan.issues]


FAMILY = [
    row(registration_id="N-1", household_id="HN1", relationship="principal",
        given_name="Hossein", family_name="Moradi", given_name_original="حسین", sex="M"),
    row(registration_id="N-2", household_id="HN1", relationship="spouse",
        given_name="Parisa", date_of_birth="1986-07"),
    row(registration_id="N-3", household_id="HN1", relationship="child", given_name="Sara",
        date_of_birth="2015", phone="'+964 770 123 4567"),
]


@pytest.mark.parametrize("variant", ["comma-lf", "semicolon-crlf", "bom", "blank-lines"])
def test_csv_dialects_import_the_same_family(camp: SmallCamp, variant: str) -> None:
    if variant == "comma-lf":
        text = csv_text(FAMILY)
    elif variant == "semicolon-crlf":
        text = csv_text(FAMILY, sep=";", newline="\r\n")
    elif variant == "bom":
        text = csv_text(FAMILY, bom=True, newline="\r\n")
    else:
        text = csv_text(FAMILY).replace("\n", "\n\n", 2) + "\n ,,\n"
    plan = run(text)
    assert messages(plan) == []
    assert plan.counts()["created"] == 3
    household = Household.objects.get(reference="HN1")
    members = {m.person.registration_id: m.relationship
               for m in Membership.objects.filter(household=household, active=True)}
    assert members == {"N-1": "principal", "N-2": "spouse", "N-3": "child"}
    sara = Person.objects.get(registration_id="N-3")
    assert (sara.date_of_birth, sara.dob_precision, sara.dob_estimated) == (
        date(2015, 1, 1), "year", True)
    assert sara.phone == "+964 770 123 4567"  # the formula guard is removed
    parisa = Person.objects.get(registration_id="N-2")
    assert (parisa.date_of_birth, parisa.dob_precision) == (date(1986, 7, 1), "month")
    hossein = Person.objects.get(registration_id="N-1")
    assert hossein.given_name_original == "حسین"
    assert " " in hossein.search_name and hossein.search_name.strip()


def test_quoted_fields_with_separators_and_newlines(camp: SmallCamp) -> None:
    text = csv_text([row(registration_id="Q-1", family_name="Moradi-Tehrani",
                         given_name="Ali Reza", languages="fa;en", ties="DE|NOR")], sep=";")
    assert '"fa;en"' in text
    plan = run(text)
    assert messages(plan) == []
    person = Person.objects.get(registration_id="Q-1")
    assert (person.given_name, person.languages, person.ties) == ("Ali Reza", ["fa", "en"],
                                                                  ["DE", "NO"])


def test_error_line_numbers_count_blank_and_multiline_rows(camp: SmallCamp) -> None:
    text = csv_text([row(registration_id="L-1", household_id="HL1")])  # lines 1-2
    text += "\n"  # line 3 is blank
    text += 'L-3,HL3,principal,"Ali\nReza",Karimi,,,M,1980,IR,,,,,,Camp A\n'  # lines 4-5
    text += "L-4,HL4,principal,Ali,Karimi,,,M,1980-02-30,IR,,,,,,Camp A\n"  # line 6
    plan = run(text)
    assert messages(plan) == [
        "line 6: date_of_birth '1980-02-30' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"]


def test_every_validation_message(camp: SmallCamp) -> None:
    bad = [
        row(registration_id="", household_id="H 1"),  # line 2
        row(registration_id="V-3", relationship="cousin", given_name="حسین",
            family_name="=HYPERLINK(\"x\")"),  # line 3
        row(registration_id="V-4", sex="male", date_of_birth="2001-02-30",
            nationality="XX"),  # line 4
        row(registration_id="V-5", date_of_birth="2030-01-01", languages="farsi",
            specific_needs="medical", ties="Germany", phone="call me"),  # line 5
        row(registration_id="V-6", site="Nowhere", given_name="", date_of_birth=""),  # line 6
        row(registration_id="V-3", household_id="HV7"),  # line 7: repeats line 3's id
        row(registration_id="V-8", household_id="HV8", relationship="child"),  # line 8
        row(registration_id="V-9", household_id="HV9"),  # line 9: two principals
        row(registration_id="V-10", household_id="HV9"),  # line 10
        row(registration_id="V-11", household_id="HV11", document_number="@SUM(1)"),
    ]
    plan = run(csv_text(bad))
    assert messages(plan) == [
        "line 2: registration_id is required",
        "line 2: household_id 'H 1' may only hold letters, digits and - _ . /",
        "line 3: relationship 'cousin' is not one of principal, spouse, child, parent, "
        "sibling, grandchild, grandparent, other_relative, unrelated",
        "line 3: given_name 'حسین' is not in Latin script",
        "line 3: family_name '=HYPERLINK(\"x\")' starts with '=' (looks like a formula)",
        "line 4: sex 'male' is not F, M or X",
        "line 4: date_of_birth '2001-02-30' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)",
        "line 4: nationality 'XX' is not an ISO 3166 country code",
        "line 5: date_of_birth '2030-01-01' is in the future",
        "line 5: languages 'farsi' is not an ISO 639 language code",
        "line 5: specific_needs 'medical' is not a specific-needs code (like SM or SM-MI)",
        "line 5: phone 'call me' is not a phone number",
        "line 5: ties 'Germany' is not an ISO 3166 country code",
        "line 6: given_name is required",
        "line 6: date_of_birth is required",
        "line 7: registration_id 'V-3' repeats line 3",
        "line 11: document_number '@SUM(1)' is not a document number (letters, digits, "
        "- / . and spaces, starting with a letter or digit)",
    ]
    # household rules are checked once every row is valid (else they report consequences)
    good = bad[6:9]
    plan = run(csv_text(good))
    assert messages(plan) == [
        "line 2: relationship household_id 'HV8' would have no principal applicant (lines 2)",
        "line 3: relationship household_id 'HV9' would have 2 principal applicants "
        "(lines 3, 4)",
    ]
    assert Person.objects.filter(registration_id__startswith="V-").count() == 0


def test_header_problems(camp: SmallCamp) -> None:
    text = "registration_id,household_id,given_name,surname\nA,B,C,D\n"
    assert messages(run(text)) == [
        "line 1: unknown column 'surname'",
        "line 1: missing required column 'relationship'",
        "line 1: missing required column 'family_name'",
        "line 1: missing required column 'sex'",
        "line 1: missing required column 'date_of_birth'",
        "line 1: missing required column 'nationality'",
    ]
    with pytest.raises(TableError, match="not UTF-8"):
        read_table("registration_id\nJosé\n".encode("latin-1"), "x.csv")
    with pytest.raises(TableError, match=r"neither \.csv nor \.xlsx"):
        read_table(b"x", "x.ods")


def test_site_may_be_empty_only_when_there_is_one_site(camp: SmallCamp) -> None:
    plan = run(csv_text([row(site=""), row(registration_id="S-2", site="Nowhere"),
                         row(registration_id="S-3", site="camp b")]))
    assert messages(plan) == ["line 2: site is empty but the registry has 2 sites; name one",
                              "line 3: site 'Nowhere' is not a site"]


def test_one_invalid_row_writes_nothing_and_cli_exits_1(camp: SmallCamp, tmp_path: Path
                                                        ) -> None:
    rows = [row(registration_id=f"A-{i}", household_id=f"HA{i}") for i in range(5)]
    rows[3]["date_of_birth"] = "2001-02-30"
    path = tmp_path / "persons.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "persons", str(path), stderr=err, stdout=StringIO())
    assert exit_info.value.code == 1
    assert "line 5: date_of_birth '2001-02-30' is not a date" in err.getvalue()
    assert not Person.objects.filter(registration_id__startswith="A-").exists()
    assert not AuditEvent.objects.filter(action="persons.import").exists()


def test_cli_dry_run_writes_nothing_then_import_is_idempotent(camp: SmallCamp,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "persons.csv"
    path.write_text(csv_text(FAMILY), encoding="utf-8")
    out = StringIO()
    call_command("import", "persons", str(path), "--dry-run", stdout=out)
    assert "3 persons would be created" in out.getvalue()
    assert not Person.objects.filter(registration_id__startswith="N-").exists()
    call_command("import", "persons", str(path), stdout=StringIO())
    assert Person.objects.filter(registration_id__startswith="N-").count() == 3
    snapshot = {p.registration_id: (p.version, p.updated_at)
                for p in Person.objects.filter(registration_id__startswith="N-")}
    counts = (Person.objects.count(), Household.objects.count(), Membership.objects.count(),
              PersonChange.objects.count())
    out = StringIO()
    call_command("import", "persons", str(path), stdout=out)
    assert "0 persons were created, 0 updated, 3 unchanged" in out.getvalue()
    assert counts == (Person.objects.count(), Household.objects.count(),
                      Membership.objects.count(), PersonChange.objects.count())
    assert snapshot == {p.registration_id: (p.version, p.updated_at)
                        for p in Person.objects.filter(registration_id__startswith="N-")}
    events = AuditEvent.objects.filter(action="persons.import").order_by("seq")
    assert [e.detail["created"] for e in events] == [3, 0]


def test_changed_row_updates_and_records_history(camp: SmallCamp) -> None:
    assert run(csv_text(FAMILY)).ok
    changed = [dict(r) for r in FAMILY]
    changed[1]["given_name"] = "Parissa"
    changed[1]["document_number"] = "P7654321"
    changed[2]["relationship"] = "grandchild"
    plan = run(csv_text(changed))
    assert messages(plan) == []
    assert plan.counts()["updated"] == 2 and plan.counts()["created"] == 0
    parisa = Person.objects.get(registration_id="N-2")
    assert parisa.given_name == "Parissa" and parisa.version == 2
    change = PersonChange.objects.get(person=parisa, source="import")
    assert change.changes["given_name"] == {"from": "Parisa", "to": "Parissa"}
    assert change.changes["document_number"] == {"changed": True}  # no value in history
    assert Document.objects.get(person=parisa).number == "P7654321"
    sara = Person.objects.get(registration_id="N-3")
    assert Membership.objects.get(person=sara, active=True).relationship == "grandchild"
    assert Membership.objects.filter(person=sara, active=False).count() == 1
    assert run(csv_text(changed)).counts()["updated"] == 0


def test_changing_principal_by_import(camp: SmallCamp) -> None:
    assert run(csv_text(FAMILY)).ok
    swapped = [dict(r) for r in FAMILY]
    swapped[0]["relationship"], swapped[1]["relationship"] = "spouse", "principal"
    plan = run(csv_text(swapped))
    assert messages(plan) == []
    household = Household.objects.get(reference="HN1")
    principal = Membership.objects.get(household=household, active=True,
                                       relationship="principal")
    assert principal.person.registration_id == "N-2"
    assert household.version == 2


def test_existing_household_keeps_one_principal(camp: SmallCamp) -> None:
    # H00001 already has R-0001 as principal: a second principal in the file is refused
    plan = run(csv_text([row(registration_id="P-1", household_id="H00001")]))
    assert messages(plan) == [
        "line 2: relationship household_id 'H00001' would have 2 principal applicants "
        "(lines 2)"]
    plan = run(csv_text([row(registration_id="P-1", household_id="H00001",
                             relationship="child")]))
    assert plan.ok
    assert Membership.objects.filter(household=camp.household_de, active=True).count() == 3


def test_rows_matching_a_merged_id_update_the_survivor(camp: SmallCamp) -> None:
    survivor = Person.objects.get(registration_id="R-0001")
    survivor.merged_registration_ids = ["OLD-7"]
    survivor.save()
    plan = run(csv_text([row(registration_id="OLD-7", household_id="H00001",
                             given_name="Hossein", family_name="Karimi", sex="M",
                             date_of_birth="1970-05-17", languages="fa;ar")]),
               "f.csv")
    assert messages(plan) == []
    assert plan.counts()["created"] == 0 and plan.counts()["updated"] == 1
    survivor.refresh_from_db()
    assert survivor.languages == ["fa", "ar"] and survivor.registration_id == "R-0001"


def test_xlsx_with_date_cells_and_formula_cells(camp: SmallCamp) -> None:
    rows = [dict(r) for r in FAMILY]
    rows[0]["date_of_birth"] = datetime(1979, 3, 4)
    rows[2]["document_number"] = 12345678  # a number cell
    plan = run(xlsx_bytes(rows), "f.xlsx")
    assert messages(plan) == []
    hossein = Person.objects.get(registration_id="N-1")
    assert (hossein.date_of_birth, hossein.dob_precision) == (date(1979, 3, 4), "day")
    assert Document.objects.get(person__registration_id="N-3").number == "12345678"
    rows[1]["phone"] = "=1+2"
    plan = run(xlsx_bytes(rows), "f.xlsx")
    assert messages(plan) == ["line 3: phone is a formula cell; save the values only"]


def test_partial_columns_leave_other_fields_alone(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0001")
    person.phone = "+964 700 000 0001"
    person.save()
    columns = ["registration_id", "household_id", "relationship", "given_name",
               "family_name", "sex", "date_of_birth", "nationality", "site"]
    text = csv_text([row(registration_id="R-0001", household_id="H00001",
                         given_name="Hossein", family_name="Karimi", sex="M",
                         date_of_birth="1970-05-17", nationality="IRN")], columns=columns)
    plan = run(text)
    assert plan.ok and plan.counts()["unchanged"] == 1
    person.refresh_from_db()
    assert person.phone == "+964 700 000 0001"


def test_import_needs_the_import_action_and_the_site_in_scope(camp: SmallCamp) -> None:
    from resettle.registry.services import RegistryError

    with pytest.raises(RegistryError):
        run(csv_text(FAMILY), actor=camp.users["caseworker"])
    plan = run(csv_text(FAMILY), actor=camp.users["registrar"])
    assert plan.ok


def test_likely_duplicates_are_listed_before_confirming(camp: SmallCamp) -> None:
    Document.objects.create(person=Person.objects.get(registration_id="R-0003"),
                            kind="travel_document", number="K1234567")
    text = csv_text([
        row(registration_id="D-1", household_id="HD1", given_name="Hussein",
            family_name="Karimi", given_name_original="حسين", sex="M",
            date_of_birth="1970"),
        row(registration_id="D-2", household_id="HD2", given_name="Reza", family_name="Ahmadi",
            sex="M", date_of_birth="1970-05-17", document_number="K1234567"),
        row(registration_id="D-3", household_id="HD3", given_name="Narges",
            family_name="Sadeghi", date_of_birth="2001-09-09"),
    ])
    plan = run(text, dry_run=True)
    assert plan.ok and plan.duplicates_checked
    found = {(d["registration_id"], d["other"]) for d in plan.duplicates}
    assert found == {("D-1", "R-0001"), ("D-2", "R-0003")}
    assert not Person.objects.filter(registration_id__startswith="D-").exists()


@pytest.mark.slow
def test_ten_thousand_rows(camp: SmallCamp) -> None:
    rows = []
    for i in range(10_000):
        rows.append(row(registration_id=f"T-{i:05d}", household_id=f"HT{i // 4:05d}",
                        relationship="principal" if i % 4 == 0 else "child",
                        given_name=["Ali", "Sara", "Reza", "Mina"][i % 4],
                        date_of_birth=f"{1950 + i % 60}-{1 + i % 12:02d}",
                        phone=f"'+964 7{i:09d}", site="Camp B"))
    plan = import_persons(actor=None, table=read_table(csv_text(rows).encode(), "t.csv"),
                          dry_run=False, check_duplicates=False, today=TODAY)
    assert messages(plan) == []
    assert Person.objects.filter(registration_id__startswith="T-").count() == 10_000
    assert Household.objects.filter(reference__startswith="HT").count() == 2_500
    assert Person.objects.get(registration_id="T-00007").phone == "+964 7000000007"
    assert AuditEvent.objects.filter(action="persons.import").count() == 1
    again = import_persons(actor=None, table=read_table(csv_text(rows).encode(), "t.csv"),
                           dry_run=False, check_duplicates=False, today=TODAY)
    assert again.counts()["unchanged"] == 10_000


def test_hold_is_untouched_by_import(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0003")
    Hold.objects.create(person=person, hold_type="legal", reason="arrest_warrant",
                        start_date=date(2026, 1, 1))
    plan = run(csv_text([row(registration_id="R-0003", household_id="H00002",
                             given_name="Reza", family_name="Ahmadi", sex="M",
                             date_of_birth="1970-05-17", nationality="IR")]))
    assert plan.ok
    assert Hold.objects.filter(person=person).count() == 1


@pytest.mark.parametrize("stored, exported", [
    ("+964 770 123 4567", "'+964 770 123 4567"),
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("\tx", "'\tx"),
    ("O'Neil", "O'Neil"),
    ("'quoted", "'quoted"),
])
def test_formula_guard_round_trips(stored: str, exported: str) -> None:
    from resettle.registry.values import neutralise, unguard

    assert neutralise(stored) == exported
    assert unguard(exported) == stored


def test_bulk_import_encrypts_sensitive_fields_for_their_row(camp: SmallCamp) -> None:
    pytest.importorskip("resettle.encryption.keys")
    from django.db import connection

    assert run(csv_text(FAMILY)).ok
    sara = Person.objects.get(registration_id="N-3")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM registry_person WHERE registration_id = %s",
                       ["N-3"])
        (raw,) = cursor.fetchone()
    assert raw and "964" not in raw  # ciphertext at rest
    assert sara.phone == "+964 770 123 4567"  # and it opens for this row
