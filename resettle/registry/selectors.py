"""Every read of persons and households, always scoped to the user.

Out-of-scope records are filtered out of querysets, so a detail lookup answers exactly
like a missing record (404) and a list never reveals that they exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from resettle.accounts.policy import Action
from resettle.accounts.selectors import Scope, scope_for
from resettle.registry.models import Household, Membership, Person


def _submitted_to(destination_ids: frozenset[str]) -> Q:
    from resettle.casework.models import Submission, SubmissionStatus

    submitted = Submission.objects.filter(
        household=OuterRef("pk"), destination_id__in=list(destination_ids)
    ).exclude(status=SubmissionStatus.WITHDRAWN)
    return Q(Exists(submitted))


def household_scope_q(scope: Scope) -> Q:
    """The households a scope reaches, as a filter usable by lists, exports and the API."""
    if not scope.can(Action.VIEW_REGISTRY):
        return Q(pk__in=[])
    reach = Q(pk__in=[])
    if scope.operation_wide:
        reach = Q() if scope.site_ids is None else Q(site_id__in=list(scope.site_ids))
    if scope.liaison_destination_ids:
        reach = reach | _submitted_to(scope.liaison_destination_ids)
    return reach


def households_for(user: Any) -> QuerySet[Household]:
    scope = scope_for(user)
    return Household.objects.filter(household_scope_q(scope)).select_related(
        "site", "destination"
    )


def persons_for(user: Any) -> QuerySet[Person]:
    scope = scope_for(user)
    if not scope.can(Action.VIEW_REGISTRY):
        return Person.objects.none()
    if scope.operation_wide and not scope.liaison_destination_ids:
        if scope.site_ids is None:
            return Person.objects.select_related("site")
        return Person.objects.filter(site_id__in=list(scope.site_ids)).select_related("site")
    visible_households = Household.objects.filter(household_scope_q(scope))
    in_visible = Membership.objects.filter(
        person=OuterRef("pk"), active=True, household__in=visible_households
    )
    q = Q(Exists(in_visible))
    if scope.operation_wide:
        q = q | (Q() if scope.site_ids is None else Q(site_id__in=list(scope.site_ids)))
    return Person.objects.filter(q).select_related("site")


def _parse_id(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise Http404("No such record.") from exc


def get_household(user: Any, household_id: object) -> Household:
    try:
        return households_for(user).get(pk=_parse_id(household_id))
    except Household.DoesNotExist as exc:
        raise Http404("No such record.") from exc


def get_person(user: Any, person_id: object) -> Person:
    try:
        return persons_for(user).get(pk=_parse_id(person_id))
    except Person.DoesNotExist as exc:
        raise Http404("No such record.") from exc


#: display order of relationships: the principal applicant first, then the closest kin
RELATIONSHIP_ORDER = (
    "principal", "spouse", "child", "parent", "sibling", "grandchild", "grandparent",
    "other_relative", "unrelated",
)


def active_members(household: Household) -> QuerySet[Membership]:
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(
        *[When(relationship=r, then=Value(i)) for i, r in enumerate(RELATIONSHIP_ORDER)],
        default=Value(len(RELATIONSHIP_ORDER)), output_field=IntegerField(),
    )
    return (
        household.memberships.filter(active=True)
        .select_related("person")
        .annotate(rank=rank)
        .order_by("rank", "person__date_of_birth")
    )


def search_households(user: Any, text: str) -> QuerySet[Household]:
    """Households whose members match ``text`` by name (either script) or registration id."""
    text = text.strip()
    base = households_for(user)
    if not text:
        return base
    matching_people = Person.objects.filter(_person_match(text))
    members = Membership.objects.filter(
        household=OuterRef("pk"), active=True, person__in=matching_people
    )
    return base.filter(Q(reference__iexact=text) | Q(Exists(members)))


def search_persons(user: Any, text: str) -> QuerySet[Person]:
    """Persons matching ``text`` by name (either script, via the transliteration) or id."""
    text = text.strip()
    base = persons_for(user)
    if not text:
        return base
    return base.filter(_person_match(text))


def _person_match(text: str) -> Q:
    """Registration id, or every word of the text matching a name (either script)."""
    from resettle.registry.naming import name_tokens

    tokens = name_tokens(text)
    by_name = Q(pk__in=[])
    if tokens:
        by_name = Q()
        for token in tokens:
            by_name &= Q(search_name__contains=f" {token} ")
    return Q(registration_id__iexact=text) | by_name


def with_list_columns(qs: QuerySet[Household]) -> QuerySet[Household]:
    """Add the principal applicant's Latin name and the member count for list pages."""
    from django.db.models import Count, F, Subquery, Value
    from django.db.models.functions import Concat

    principal = Membership.objects.filter(
        household=OuterRef("pk"), active=True, relationship="principal"
    ).annotate(
        name=Concat(F("person__given_name"), Value(" "), F("person__family_name"))
    ).values("name")[:1]
    return qs.annotate(
        principal_name=Subquery(principal),
        member_count=Count("memberships", filter=Q(memberships__active=True), distinct=True),
    )
