"""Registering and editing persons and households: validation and optimistic locking."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from resettle.audit.models import AuditEvent
from resettle.registry import services
from resettle.registry.models import Household, Membership, Person, PersonChange
from resettle.testing.fixtures import SmallCamp


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def person_post(person: Person, **changes: Any) -> dict[str, Any]:
    from resettle.registry.forms import PersonForm

    data = {k: ("" if v is None else v) for k, v in PersonForm.initial_for(person).items()}
    data["site"] = str(person.site_id)
    data["dob_estimated"] = "on" if data["dob_estimated"] else ""
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_edit_saves_records_history_and_audits(camp: SmallCamp, client: Client) -> None:
    person = Person.objects.get(registration_id="R-0002")
    login(client, camp.users["registrar"])
    url = reverse("registry:person_edit", args=[person.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, person_post(person, given_name="Maryam Sadat", phone="+98 912"))
    assert answer.status_code == 302
    person.refresh_from_db()
    assert (person.given_name, person.phone, person.version) == ("Maryam Sadat", "+98 912", 2)
    change = PersonChange.objects.get(person=person)
    assert change.changes == {"given_name": {"from": "Maryam", "to": "Maryam Sadat"},
                              "phone": {"changed": True}}
    assert "mrym" in person.search_name or person.search_name != ""
    assert AuditEvent.objects.filter(action="person.update", object_id=str(person.pk)).exists()


def test_saving_over_a_newer_edit_shows_what_changed_and_asks(camp: SmallCamp,
                                                              client: Client) -> None:
    person = Person.objects.get(registration_id="R-0002")
    opened = person_post(person)  # the form as Alice opened it (version 1)
    # Bob saves first
    services.update_person(actor=camp.users["caseworker"], person_id=person.pk,
                           expected_version=1, values={"family_name": "Karimii"})
    login(client, camp.users["registrar"])
    url = reverse("registry:person_edit", args=[person.pk])
    answer = client.post(url, {**opened, "occupation": "Nurse"})
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "Someone else saved this record" in body
    assert "Karimii" in body  # the saved value is shown next to hers
    person.refresh_from_db()
    assert (person.family_name, person.occupation, person.version) == ("Karimii", "", 2)
    # the form now carries version 2: saving again is a knowing overwrite
    resent = {**opened, "occupation": "Nurse", "version": "2"}
    assert client.post(url, resent).status_code == 302
    person.refresh_from_db()
    assert (person.family_name, person.occupation, person.version) == ("Karimi", "Nurse", 3)


def test_conflict_in_the_service_names_the_fields(camp: SmallCamp) -> None:
    person = Person.objects.get(registration_id="R-0003")
    services.update_person(actor=None, person_id=person.pk, expected_version=1,
                           values={"occupation": "Teacher"})
    with pytest.raises(services.EditConflict) as err:
        services.update_person(actor=None, person_id=person.pk, expected_version=1,
                               values={"skills": "Carpentry"})
    assert err.value.changed_fields == ["occupation"]
    assert Person.objects.get(pk=person.pk).skills == ""


@pytest.mark.parametrize("dob, message", [
    ("2999-01-01", "is in the future"),
    ("1980-13", "is not a date"),
    ("80", "is not a date"),
])
def test_date_of_birth_rules_in_the_form(camp: SmallCamp, client: Client, dob: str,
                                         message: str) -> None:
    person = Person.objects.get(registration_id="R-0002")
    login(client, camp.users["registrar"])
    answer = client.post(reverse("registry:person_edit", args=[person.pk]),
                         person_post(person, date_of_birth=dob))
    assert answer.status_code == 200
    assert message in answer.content.decode()


def test_estimated_dates_as_year_or_month(camp: SmallCamp, client: Client) -> None:
    person = Person.objects.get(registration_id="R-0002")
    login(client, camp.users["registrar"])
    client.post(reverse("registry:person_edit", args=[person.pk]),
                person_post(person, date_of_birth="1981-06"))
    person.refresh_from_db()
    assert (person.dob_precision, person.dob_estimated, person.date_of_birth.isoformat()) == (
        "month", True, "1981-06-01")


def test_register_a_principal_opens_a_case_and_a_member_joins(camp: SmallCamp,
                                                              client: Client) -> None:
    login(client, camp.users["registrar"])
    url = reverse("registry:person_create")
    base = {"given_name": "Omid", "family_name": "Jafari", "sex": "M",
            "date_of_birth": "1990", "nationality": "IRN", "site": str(camp.site.pk),
            "education": "unknown"}
    answer = client.post(url, {**base, "registration_id": "W-1", "household_reference": "HW1",
                               "relationship": "principal"})
    assert answer.status_code == 302, answer.content.decode()
    household = Household.objects.get(reference="HW1")
    answer = client.post(url, {**base, "given_name": "Nasrin", "sex": "F",
                               "registration_id": "W-2", "household_reference": "HW1",
                               "relationship": "principal"})
    assert "already has a principal applicant" in answer.content.decode()
    client.post(url, {**base, "given_name": "Nasrin", "sex": "F", "registration_id": "W-2",
                      "household_reference": "HW1", "relationship": "spouse"})
    members = {m.person.registration_id: m.relationship
               for m in Membership.objects.filter(household=household, active=True)}
    assert members == {"W-1": "principal", "W-2": "spouse"}
    answer = client.post(url, {**base, "registration_id": "W-1", "household_reference": "HW9",
                               "relationship": "principal"})
    assert "already in use" in answer.content.decode()


def test_household_operations_keep_one_principal_and_one_household(
    camp: SmallCamp, client: Client
) -> None:
    household = camp.household_de
    url = reverse("registry:household_edit", args=[household.pk])
    login(client, camp.users["caseworker"])
    assert client.get(url).status_code == 200
    hossein = Person.objects.get(registration_id="R-0001")
    maryam = Person.objects.get(registration_id="R-0002")
    # a person already in another case cannot be added
    client.post(url, {"op": "add", "version": household.version, "registration_id": "R-0003",
                      "relationship": "sibling"})
    assert Membership.objects.filter(household=household, active=True).count() == 2
    # removing the principal is refused while others remain
    client.post(url, {"op": "remove", "version": household.version,
                      "person": str(hossein.pk), "reason": "moved"})
    assert Membership.objects.filter(household=household, active=True).count() == 2
    # change the principal
    answer = client.post(url, {"op": "principal", "version": household.version,
                               "person": str(maryam.pk), "former_relationship": "spouse"})
    assert answer.status_code == 302
    roles = {m.person_id: m.relationship
             for m in Membership.objects.filter(household=household, active=True)}
    assert roles == {maryam.pk: "principal", hossein.pk: "spouse"}
    household.refresh_from_db()
    assert household.version == 2
    # a stale form (version 1) changes nothing
    client.post(url, {"op": "relationship", "version": 1, "person": str(hossein.pk),
                      "relationship": "sibling"})
    assert Membership.objects.get(household=household, person=hossein,
                                  active=True).relationship == "spouse"
    client.post(url, {"op": "relationship", "version": 2, "person": str(hossein.pk),
                      "relationship": "sibling"})
    assert Membership.objects.get(household=household, person=hossein,
                                  active=True).relationship == "sibling"
    client.post(url, {"op": "remove", "version": 3, "person": str(hossein.pk),
                      "reason": "moved to his brother's case"})
    assert not Membership.objects.filter(person=hossein, active=True).exists()
    assert Membership.objects.get(person=hossein, active=False).left_reason.startswith("moved")


def test_person_page_links_to_edit_only_for_editors(camp: SmallCamp, client: Client) -> None:
    person = Person.objects.get(registration_id="R-0001")
    url = reverse("web:person", args=[person.pk])
    edit = reverse("registry:person_edit", args=[person.pk])
    assert edit in login(client, camp.users["registrar"]).get(url).content.decode()
    assert edit not in login(Client(), camp.users["manager"]).get(url).content.decode()


def test_form_omits_field_groups_the_user_may_not_see(camp: SmallCamp) -> None:
    from resettle.accounts.selectors import scope_for
    from resettle.registry.forms import PersonForm

    registrar = PersonForm(scope=scope_for(camp.users["registrar"]))
    assert "phone" in registrar.fields and "given_name_original" in registrar.fields
    manager = PersonForm(scope=scope_for(camp.users["manager"]))
    assert "phone" not in manager.fields


def test_a_member_must_live_at_the_households_site(camp: SmallCamp) -> None:
    from resettle.testing.fixtures import make_person

    elsewhere = make_person(camp.other_site, "R-0050", "Leila", "Karimi", sex="F")
    with pytest.raises(services.RegistryError, match="another site"):
        services.add_member(actor=None, household_id=camp.household_de.pk,
                            expected_version=camp.household_de.version, person=elsewhere,
                            relationship="sibling")
    assert not Membership.objects.filter(person=elsewhere).exists()
