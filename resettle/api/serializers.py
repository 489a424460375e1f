"""Records to API dictionaries containing only the fields the caller's role may see."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import Scope
from resettle.api.errors import ApiError
from resettle.registry.models import Household, Person
from resettle.registry.selectors import active_members

MAX_PAGE_SIZE = 500

PERSON_API_FIELDS: tuple[tuple[str, FieldGroup], ...] = (
    ("registration_id", FieldGroup.IDENTITY),
    ("given_name", FieldGroup.IDENTITY),
    ("family_name", FieldGroup.IDENTITY),
    ("given_name_original", FieldGroup.ORIGINAL_SCRIPT),
    ("family_name_original", FieldGroup.ORIGINAL_SCRIPT),
    ("sex", FieldGroup.IDENTITY),
    ("date_of_birth", FieldGroup.IDENTITY),
    ("dob_precision", FieldGroup.IDENTITY),
    ("dob_estimated", FieldGroup.IDENTITY),
    ("nationality", FieldGroup.IDENTITY),
    ("languages", FieldGroup.PROFILE),
    ("education", FieldGroup.PROFILE),
    ("occupation", FieldGroup.PROFILE),
    ("skills", FieldGroup.PROFILE),
    ("ties", FieldGroup.PROFILE),
    ("specific_needs", FieldGroup.NEEDS),
    ("phone", FieldGroup.CONTACT),
    ("status", FieldGroup.CASE),
)


def person_dict(person: Person, scope: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(person.pk)}
    for name, group in PERSON_API_FIELDS:
        if scope.sees(group):
            out[name] = getattr(person, name)
    return out


def household_dict(household: Household, scope: Scope, *, members: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(household.pk),
        "reference": household.reference,
        "site": household.site.name,
        "version": household.version,
    }
    if scope.sees(FieldGroup.CASE):
        out["stage"] = household.stage
        out["stage_changed_at"] = household.stage_changed_at
        out["destination"] = household.destination.code if household.destination else None
    if scope.sees(FieldGroup.RISK):
        out["risk"] = household.risk
    if members:
        out["members"] = [
            {"relationship": m.relationship, "travelling": m.travelling,
             "person": person_dict(m.person, scope)}
            for m in active_members(household)
        ]
    return out


def page_params(page: int, page_size: int) -> tuple[int, int]:
    if page < 1:
        raise ApiError(422, "invalid_input", "page must be 1 or more.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(422, "invalid_input", f"page_size must be between 1 and {MAX_PAGE_SIZE}.")
    return page, page_size


def paginate(
    request: HttpRequest, qs: QuerySet[Any], page: int, page_size: int, *, with_next: bool = True
) -> tuple[list[Any], int, str | None]:
    """One page of ``qs`` plus the total and the next page's URL (same filters)."""
    page, page_size = page_params(page, page_size)
    paginator = Paginator(qs, page_size)
    count = paginator.count
    if (page - 1) * page_size >= count and page > 1:
        return [], count, None
    items = list(paginator.page(page).object_list) if count else []
    next_url = None
    if with_next and page * page_size < count:
        params = request.GET.copy()
        params["page"] = str(page + 1)
        params["page_size"] = str(page_size)
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    return items, count, next_url
