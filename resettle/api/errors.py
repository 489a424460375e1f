"""One error envelope for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from resettle.jobs import log_failure

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def envelope(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request,
        {"error": {"code": code, "message": message, "details": details or {}}},
        status=status,
    )


def _clean_validation(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Where and what, never the rejected input itself (it may be personal data)."""
    return [
        {"loc": [str(x) for x in e.get("loc", [])], "msg": str(e.get("msg", "")),
         "type": str(e.get("type", ""))}
        for e in errors
    ]


def install_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return envelope(api, request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return envelope(api, request, 422, "invalid_input", "The request is not valid.",
                        {"errors": _clean_validation(list(exc.errors))})

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return envelope(api, request, 401, "unauthenticated",
                        "A valid, unexpired API token is required (Authorization: Bearer ...).")

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return envelope(api, request, 404, "not_found", "No such record.")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return envelope(api, request, 403, "forbidden", str(exc) or "Not allowed.")

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = "bad_request" if exc.status_code == 400 else "http_error"
        return envelope(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log_failure(logger, "API request", exc)
        return envelope(api, request, 500, "server_error", "Something went wrong; nothing was "
                        "changed. The error has been logged.")


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for the whole site: the API's envelope under /api/, the plain page
    elsewhere (a malformed id in an API URL never reaches a view)."""
    import json

    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        body = {"error": {"code": "not_found", "message": "No such record.", "details": {}}}
        return HttpResponse(json.dumps(body), status=404, content_type="application/json")
    return page_not_found(request, exception or Http404())
