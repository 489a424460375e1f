"""Give every request an id and remember its client address for audit events."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from resettle.audit import context


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        token = context.set_current(
            context.RequestContext(
                request_id=request_id,
                client_address=str(request.META.get("REMOTE_ADDR", "")),
                channel="web",
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
