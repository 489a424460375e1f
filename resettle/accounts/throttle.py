"""The client address that login throttling counts against."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind the TLS proxy the last X-Forwarded-For hop it appended.

    Only the last hop is trusted: earlier ones are whatever the client chose to send.
    """
    if getattr(settings, "RESETTLE_BEHIND_PROXY", False):
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    address = request.META.get("REMOTE_ADDR")
    # None (not a placeholder string): axes stores it in an IP address column
    return str(address) if address else None
