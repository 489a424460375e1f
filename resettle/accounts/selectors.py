"""What a user may do and see: the one place that turns role assignments into a Scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from resettle.accounts.models import RoleAssignment
from resettle.accounts.policy import (
    OPERATION_WIDE,
    Action,
    FieldGroup,
    Role,
    allowed_actions,
    visible_fields,
)


@dataclass(frozen=True)
class Scope:
    """A user's roles, reach and field visibility, computed once per request."""

    roles: frozenset[Role]
    #: None = every site; otherwise the ids of the sites the operation-wide roles cover
    site_ids: frozenset[str] | None
    #: destinations served as liaison (households submitted there are visible)
    liaison_destination_ids: frozenset[str]
    actions: frozenset[Action]
    fields: frozenset[FieldGroup]

    @property
    def operation_wide(self) -> bool:
        return bool(self.roles & OPERATION_WIDE)

    def can(self, action: Action) -> bool:
        return action in self.actions

    def sees(self, group: FieldGroup) -> bool:
        return group in self.fields


EMPTY_SCOPE = Scope(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


def scope_for(user: Any) -> Scope:
    """The user's scope; cached on the user object for the length of the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_resettle_scope", None)
    if isinstance(cached, Scope):
        return cached
    roles: set[Role] = set()
    wide_sites: set[str] = set()
    all_sites = False
    liaison_destinations: set[str] = set()
    for assignment in RoleAssignment.objects.filter(user=user).only(
        "role", "site_id", "destination_id"
    ):
        role = Role(assignment.role)
        roles.add(role)
        if role == Role.LIAISON:
            liaison_destinations.add(str(assignment.destination_id))
        elif assignment.site_id is None:
            all_sites = True
        else:
            wide_sites.add(str(assignment.site_id))
    if user.is_superuser:
        roles.add(Role.ADMIN)
        all_sites = True
    frozen_roles = frozenset(roles)
    scope = Scope(
        roles=frozen_roles,
        site_ids=None if all_sites else frozenset(wide_sites),
        liaison_destination_ids=frozenset(liaison_destinations),
        actions=allowed_actions(frozen_roles),
        fields=visible_fields(frozen_roles),
    )
    user._resettle_scope = scope
    return scope


def role_names(user: Any) -> list[str]:
    return sorted(r.value for r in scope_for(user).roles)


def require(user: Any, action: Action) -> Scope:
    """The user's scope if it allows ``action``; PermissionDenied (403) otherwise."""
    scope = scope_for(user)
    if not scope.can(action):
        raise PermissionDenied(f"Your role does not allow: {action.value.replace('_', ' ')}.")
    return scope
