"""Exporting persons in the import's own columns, limited to what the user may see.

Each column belongs to a field group of the access policy; a column the user may not
see is left out entirely (not blanked), and the rows are the user's scoped persons. The
file re-imports unchanged: the import treats a missing optional column as "leave as is",
and cells guarded against formula injection are unguarded on the way back in.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import Scope
from resettle.registry.importing import COLUMN_NAMES, current_document_numbers
from resettle.registry.models import Membership, Person
from resettle.registry.tabular import write_csv, write_xlsx
from resettle.registry.values import format_birth, format_list

COLUMN_GROUPS: dict[str, FieldGroup] = {
    "registration_id": FieldGroup.IDENTITY,
    "household_id": FieldGroup.IDENTITY,
    "relationship": FieldGroup.IDENTITY,
    "given_name": FieldGroup.IDENTITY,
    "family_name": FieldGroup.IDENTITY,
    "given_name_original": FieldGroup.ORIGINAL_SCRIPT,
    "family_name_original": FieldGroup.ORIGINAL_SCRIPT,
    "sex": FieldGroup.IDENTITY,
    "date_of_birth": FieldGroup.IDENTITY,
    "nationality": FieldGroup.IDENTITY,
    "languages": FieldGroup.PROFILE,
    "specific_needs": FieldGroup.NEEDS,
    "phone": FieldGroup.CONTACT,
    "document_number": FieldGroup.DOCUMENTS,
    "ties": FieldGroup.PROFILE,
    "site": FieldGroup.IDENTITY,
}
assert tuple(COLUMN_GROUPS) == COLUMN_NAMES
_CHUNK = 2000


def visible_columns(scope: Scope) -> list[str]:
    return [name for name, group in COLUMN_GROUPS.items() if scope.sees(group)]


def _cell(person: Person, column: str, extra: dict[str, Any]) -> str:
    if column == "date_of_birth":
        return format_birth(person.date_of_birth, person.dob_precision)
    if column in ("languages", "specific_needs", "ties"):
        return format_list(list(getattr(person, column)))
    if column == "site":
        return person.site.name
    if column in extra:
        return str(extra[column])
    return str(getattr(person, column))


def rows(persons: QuerySet[Person], columns: list[str]) -> Iterator[list[str]]:
    """The table rows, read in chunks (never the whole registry at once)."""
    ids = list(persons.order_by("registration_id").values_list("pk", flat=True))
    need_docs = "document_number" in columns
    for start in range(0, len(ids), _CHUNK):
        chunk: list[uuid.UUID] = ids[start:start + _CHUNK]
        people = {p.pk: p for p in Person.objects.filter(pk__in=chunk).select_related("site")}
        memberships = {
            m.person_id: m
            for m in Membership.objects.filter(active=True, person_id__in=chunk).select_related(
                "household").only("person_id", "relationship", "household__reference")
        }
        documents = current_document_numbers(chunk) if need_docs else {}
        for pk in chunk:
            person = people[pk]
            m = memberships.get(pk)
            extra = {
                "household_id": m.household.reference if m else "",
                "relationship": m.relationship if m else "",
                "document_number": documents.get(pk, ""),
            }
            yield [_cell(person, c, extra) for c in columns]


def export(persons: QuerySet[Person], scope: Scope, fmt: str) -> tuple[bytes, int, list[str]]:
    """The file's bytes, its row count and its columns."""
    columns = visible_columns(scope)
    if fmt == "csv":
        text = io.StringIO()
        count = write_csv(text, columns, rows(persons, columns))
        return text.getvalue().encode("utf-8"), count, columns
    if fmt == "xlsx":
        data = io.BytesIO()
        count = write_xlsx(data, columns, rows(persons, columns))
        return data.getvalue(), count, columns
    raise ValueError(f"format '{fmt}' is neither csv nor xlsx")
