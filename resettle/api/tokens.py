"""Creating, checking and revoking API tokens. The secret is shown once, then only hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from resettle.api.models import ApiToken
from resettle.audit.services import record

TOKEN_PREFIX = "rst"  # noqa: S105 (a public label, not a secret)


class TokenError(Exception):
    """A token request is invalid; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token, shown to the user exactly once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


@transaction.atomic
def create_token(
    *, actor: Any, user: Any, name: str, read_only: bool = False, expires_days: int | None = 90
) -> IssuedToken:
    """Issue a token acting as ``user``; ``actor`` is who asked (the user or an admin)."""
    name = name.strip() or "API token"
    if expires_days is not None and not 1 <= expires_days <= 366:
        raise TokenError("A token must expire within 1 to 366 days.")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=_digest(secret),
        read_only=read_only,
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
    )
    record(actor=actor, action="api_token.create", obj=token,
           detail={"read_only": read_only, "expires_days": expires_days})
    return IssuedToken(token, secret)


@transaction.atomic
def revoke_token(*, actor: Any, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record(actor=actor, action="api_token.revoke", obj=token)


def authenticate(secret: str) -> ApiToken | None:
    """The live token matching ``secret``, or None (same answer for every failure)."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
