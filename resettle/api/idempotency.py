"""Idempotency-Key for POST: a retried request gets the first answer, not a second effect."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from resettle.api.models import IdempotencyRecord
from resettle.api.tokens import authenticate

MAX_KEY_LENGTH = 128


def _request_digest(request: HttpRequest) -> str:
    return hashlib.sha256(request.path.encode() + b"\n" + request.body).hexdigest()


def _conflict(message: str, status: int = 422) -> HttpResponse:
    import json

    body = {"error": {"code": "idempotency_key_reused", "message": message, "details": {}}}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "POST" or not key:
            return view(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _conflict(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
        auth = request.headers.get("Authorization", "")
        token = authenticate(auth.removeprefix("Bearer ").strip()) if auth else None
        if token is None:
            return view(request, *args, **kwargs)
        digest = _request_digest(request)
        stored = IdempotencyRecord.objects.filter(token=token, key=key).first()
        if stored is not None:
            if stored.request_digest != digest:
                return _conflict("This Idempotency-Key was used for a different request.")
            response = HttpResponse(bytes(stored.body), status=stored.status_code,
                                    content_type="application/json")
            response["Idempotent-Replayed"] = "true"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code < 500:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        token=token, key=key, request_digest=digest,
                        status_code=response.status_code, body=response.content,
                    )
            except IntegrityError:
                pass  # a concurrent retry stored its answer first; both were the same request
        return response

    return wrapper
