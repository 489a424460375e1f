"""Duplicates wired to the registry: scan, review queue, merge keeps history, "not the same"."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from resettle.audit.models import AuditEvent
from resettle.casework.models import Document, Hold
from resettle.registry import services
from resettle.registry.models import (
    DuplicateCandidate,
    DuplicateStatus,
    Membership,
    Person,
    PersonChange,
)
from resettle.testing.fixtures import SmallCamp, make_household, make_person


@pytest.fixture
def twin(camp: SmallCamp) -> Person:
    """R-0001 (Hossein Karimi, حسین کریمی, 1970-05-17) registered again under another spelling."""
    twin = make_person(camp.site, "R-0009", "Hussein", "Karimi", given_original="حسين",
                       family_original="كريمي", date_of_birth=date(1970, 1, 1),
                       dob_precision="year", dob_estimated=True, phone="+964 770 555 0101")
    make_household(camp.site, "H00009", [(twin, "principal")])
    return twin


def _scan(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("duplicates", "scan", "--json", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


def test_scan_json_lists_the_pair_with_reasons(camp: SmallCamp, twin: Person) -> None:
    result = _scan()
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    assert ("R-0001", "R-0009") in pairs
    pair = pairs[("R-0001", "R-0009")]
    assert 0.5 <= pair["score"] <= 1 and pair["reasons"]
    assert ("R-0001", "R-0002") not in pairs  # husband and wife
    assert DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count() == len(pairs)
    assert AuditEvent.objects.filter(action="duplicates.scan").count() == 1


def test_not_the_same_is_never_proposed_again(camp: SmallCamp, twin: Person,
                                              client: Client) -> None:
    _scan()
    candidate = DuplicateCandidate.objects.get(first__registration_id="R-0001",
                                               second__registration_id="R-0009")
    client.force_login(camp.users["registrar"])
    page = client.get(reverse("registry:duplicates")).content.decode()
    assert "R-0009" in page and candidate.reasons[0] in page
    answer = client.post(reverse("registry:duplicate_resolve"),
                         {"candidate": str(candidate.pk), "decision": "distinct"})
    assert answer.status_code == 302
    result = _scan()
    assert ("R-0001", "R-0009") not in {(p["a"], p["b"]) for p in result["pairs"]}
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISTINCT
    assert "R-0009" not in client.get(reverse("registry:duplicates")).content.decode()


def test_merge_keeps_both_histories_ids_and_repoints_records(camp: SmallCamp, twin: Person,
                                                            client: Client) -> None:
    original = Person.objects.get(registration_id="R-0001")
    services.update_person(actor=None, person_id=twin.pk, expected_version=1,
                           values={"occupation": "Baker"})
    services.update_person(actor=None, person_id=original.pk, expected_version=1,
                           values={"skills": "Welding"})
    hold = Hold.objects.create(person=twin, hold_type="legal", reason="arrest_warrant",
                               start_date=date(2026, 1, 1))
    document = Document.objects.create(person=twin, kind="travel_document", number="X999")
    _scan()
    candidate = DuplicateCandidate.objects.get(first__registration_id="R-0001",
                                               second__registration_id="R-0009")
    client.force_login(camp.users["caseworker"])
    answer = client.post(reverse("registry:duplicate_resolve"), {
        "candidate": str(candidate.pk), "decision": "same", "keep": str(original.pk),
        "first_version": 2, "second_version": 2})
    assert answer.status_code == 302
    assert not Person.objects.filter(pk=twin.pk).exists()
    original.refresh_from_db()
    assert original.merged_registration_ids == ["R-0009"]
    assert (original.occupation, original.skills, original.phone) == (
        "Baker", "Welding", "+964 770 555 0101")
    sources = sorted(c.source for c in PersonChange.objects.filter(person=original))
    assert sources == ["edit", "edit", "merge"]
    assert Hold.objects.get(pk=hold.pk).person_id == original.pk
    assert Document.objects.get(pk=document.pk).person_id == original.pk
    # the twin's membership stays in the history, closed, pointing at the survivor
    closed = Membership.objects.get(household__reference="H00009")
    assert (closed.person_id, closed.active) == (original.pk, False)
    assert Membership.objects.get(person=original, active=True).household == camp.household_de
    assert AuditEvent.objects.filter(action="person.merge").exists()
    assert not DuplicateCandidate.objects.filter(pk=candidate.pk).exists()
    assert services.registration_id_in_use("R-0009")


def test_merge_refuses_a_stale_page(camp: SmallCamp, twin: Person) -> None:
    original = Person.objects.get(registration_id="R-0001")
    services.update_person(actor=None, person_id=twin.pk, expected_version=1,
                           values={"occupation": "Baker"})
    with pytest.raises(services.EditConflict):
        services.merge_persons(actor=None, survivor_id=original.pk, merged_id=twin.pk,
                               survivor_version=1, merged_version=1)
    assert Person.objects.filter(pk=twin.pk).exists()


def test_merging_a_principal_of_another_family_is_refused(camp: SmallCamp) -> None:
    # R-0003 is principal of H00002; give that case another member
    other = make_person(camp.site, "R-0010", "Zahra", "Ahmadi", sex="F")
    Membership.objects.create(household=camp.household_no, person=other, relationship="spouse")
    survivor = Person.objects.get(registration_id="R-0001")
    merged = Person.objects.get(registration_id="R-0003")
    with pytest.raises(services.RegistryError, match="principal applicant of case H00002"):
        services.merge_persons(actor=None, survivor_id=survivor.pk, merged_id=merged.pk,
                               survivor_version=1, merged_version=1)


def test_scan_page_button_refreshes_the_queue(camp: SmallCamp, twin: Person,
                                              client: Client) -> None:
    client.force_login(camp.users["registrar"])
    assert client.post(reverse("registry:duplicates_scan")).status_code == 302
    assert DuplicateCandidate.objects.filter(first__registration_id="R-0001").exists()
    client.force_login(camp.users["manager"])
    assert client.get(reverse("registry:duplicates")).status_code == 403
