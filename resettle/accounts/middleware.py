"""Session policy (idle and absolute timeouts) and the second-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

_LAST_SEEN = "resettle_last_seen"
_SIGNED_IN_AT = "resettle_signed_in_at"
#: where to go once the second factor is checked (a path: ids only, no personal data)
AFTER_2FA = "resettle_after_2fa"
#: refresh the last-seen stamp at most this often (saves a session write per request)
_TOUCH_EVERY = 30.0


class SessionPolicyMiddleware:
    """End sessions idle longer than SESSION_IDLE_TIMEOUT or older than the absolute limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            last_seen = session.get(_LAST_SEEN)
            signed_in_at = session.get(_SIGNED_IN_AT)
            absolute = getattr(settings, "SESSION_ABSOLUTE_TIMEOUT", settings.SESSION_COOKIE_AGE)
            idle = last_seen is not None and now - float(last_seen) > settings.SESSION_IDLE_TIMEOUT
            too_old = signed_in_at is not None and now - float(signed_in_at) > absolute
            if idle or too_old:
                logout(request)
            else:
                if signed_in_at is None:
                    session[_SIGNED_IN_AT] = now
                if last_seen is None or now - float(last_seen) > _TOUCH_EVERY:
                    session[_LAST_SEEN] = now
        return self.get_response(request)


#: URL names a signed-in user may reach before the second factor is checked
_OPEN_BEFORE_2FA = frozenset(
    {"accounts:verify", "accounts:enrol", "accounts:enrol_qr", "accounts:logout",
     "accounts:login"}
)


def second_factor_pending(request: HttpRequest) -> bool:
    """True when 2FA is required and this signed-in session has not passed it yet."""
    user = request.user
    if not getattr(settings, "RESETTLE_REQUIRE_2FA", True) or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


class SecondFactorMiddleware:
    """Until the second factor is checked, a session reaches only the 2FA pages.

    Fail closed: every signed-in session counts as unverified unless django-otp's
    middleware attached a verified device to it (only the verify and enrol views do).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if second_factor_pending(request) and not self._open(request):
            from resettle.accounts.models import SealedTOTPDevice

            if request.method == "GET" and not getattr(request, "htmx", False):
                request.session[AFTER_2FA] = request.path
            enrolled = SealedTOTPDevice.objects.filter(
                user=request.user, confirmed=True
            ).exists()
            target = reverse("accounts:verify" if enrolled else "accounts:enrol")
            response = HttpResponseRedirect(target)
            if getattr(request, "htmx", False):
                response["HX-Redirect"] = target
            return response
        return self.get_response(request)

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        if request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in _OPEN_BEFORE_2FA
