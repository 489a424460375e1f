"""Turning records into what a given user may see: hidden fields are absent, not blank."""

from __future__ import annotations

from typing import Any

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import Scope
from resettle.registry.models import Person

#: which field group each displayed person field belongs to (the policy's vocabulary)
PERSON_FIELDS: tuple[tuple[str, str, FieldGroup], ...] = (
    ("registration_id", "Registration id", FieldGroup.IDENTITY),
    ("given_name", "Given name", FieldGroup.IDENTITY),
    ("family_name", "Family name", FieldGroup.IDENTITY),
    ("full_name_original", "Name (original script)", FieldGroup.ORIGINAL_SCRIPT),
    ("sex", "Sex", FieldGroup.IDENTITY),
    ("date_of_birth_display", "Date of birth", FieldGroup.IDENTITY),
    ("nationality", "Nationality", FieldGroup.IDENTITY),
    ("languages_display", "Languages", FieldGroup.PROFILE),
    ("education", "Education", FieldGroup.PROFILE),
    ("occupation", "Occupation", FieldGroup.PROFILE),
    ("skills", "Skills", FieldGroup.PROFILE),
    ("ties_display", "Close relatives in", FieldGroup.PROFILE),
    ("specific_needs_display", "Specific needs", FieldGroup.NEEDS),
    ("phone", "Phone", FieldGroup.CONTACT),
    ("status", "Status", FieldGroup.CASE),
    ("site", "Site", FieldGroup.IDENTITY),
)


def date_of_birth_display(person: Person) -> str:
    dob = person.date_of_birth
    if person.dob_precision == "year":
        text = f"{dob.year}"
    elif person.dob_precision == "month":
        text = f"{dob.year}-{dob.month:02d}"
    else:
        text = dob.isoformat()
    return f"{text} (estimated)" if person.dob_estimated else text


def _value(person: Person, name: str) -> Any:
    if name == "date_of_birth_display":
        return date_of_birth_display(person)
    if name.endswith("_display"):
        values = getattr(person, name.removesuffix("_display"))
        return ", ".join(values)
    if name == "site":
        return person.site.name
    if name == "status":
        return person.get_status_display()
    if name == "sex":
        return person.get_sex_display()
    if name == "education":
        return person.get_education_display()
    return getattr(person, name)


def person_fields(person: Person, scope: Scope) -> list[tuple[str, str, Any]]:
    """(field name, label, value) for the fields the scope may see, in display order."""
    return [
        (name, label, _value(person, name))
        for name, label, group in PERSON_FIELDS
        if scope.sees(group)
    ]


def person_row(person: Person, scope: Scope) -> dict[str, Any]:
    """A dict of the visible fields only: keys the scope may not see do not exist."""
    return {name: value for name, _label, value in person_fields(person, scope)}
