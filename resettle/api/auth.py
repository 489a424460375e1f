"""Bearer-token authentication: the token acts with its user's roles and scopes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from resettle.accounts.policy import Action
from resettle.accounts.selectors import Scope, scope_for
from resettle.api.errors import ApiError
from resettle.api.models import ApiToken
from resettle.api.tokens import authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate(token)
        if found is not None:
            request.user = found.user
            request.api_token = found  # type: ignore[attr-defined]
        return found


def token_of(request: HttpRequest) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return token


def user_of(request: HttpRequest) -> Any:
    return token_of(request).user


def require(request: HttpRequest, action: Action, *, write: bool = False) -> Scope:
    """The caller's scope if it allows ``action``; writes also need a read-write token."""
    scope = scope_for(user_of(request))
    if not scope.can(action):
        raise ApiError(403, "forbidden",
                       f"Your role does not allow: {action.value.replace('_', ' ')}.")
    if write and token_of(request).read_only:
        raise ApiError(403, "read_only_token", "This token is read-only.")
    return scope
