"""Personal API tokens in the web UI: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from resettle.api.models import ApiToken
from resettle.api.tokens import TokenError, create_token, revoke_token


def _owner(request: HttpRequest) -> Any:
    """The signed-in user (the login-required middleware guarantees one)."""
    return request.user


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    issued_secret = None
    if request.method == "POST":
        try:
            days = int(request.POST.get("expires_days", "90"))
            issued = create_token(
                actor=request.user, user=request.user, name=request.POST.get("name", ""),
                read_only=request.POST.get("read_only") == "1", expires_days=days,
            )
        except (TokenError, ValueError) as exc:
            messages.error(request, str(exc) if isinstance(exc, TokenError)
                           else "Give the expiry as a number of days.")
        else:
            issued_secret = issued.secret
    tokens = ApiToken.objects.filter(user=_owner(request))
    return render(request, "api/tokens.html", {"tokens": tokens, "issued": issued_secret})


@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    # only the user's own tokens: someone else's answers 404 like a missing one
    token = get_object_or_404(ApiToken, pk=token_id, user=_owner(request))
    revoke_token(actor=request.user, token=token)
    messages.success(request, f"Token {token.prefix} revoked.")
    return redirect("tokens:list")
