"""Per-request context (request id, client address, user) for audit events."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str = ""
    channel: str = "cli"


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "resettle_request_context", default=RequestContext()  # noqa: B039 (frozen, immutable)
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
