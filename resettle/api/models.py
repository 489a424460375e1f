"""Personal API tokens (stored hashed) and idempotency records for POST requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.modelbase import DomainModel


class ApiToken(DomainModel):
    """A token acts with its user's roles and scopes; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    #: public part of the token, used to find the row without scanning hashes
    prefix = models.CharField(max_length=16, unique=True)
    #: SHA-256 of the whole token (tokens are 256-bit random: no slow hash needed)
    digest = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored answer to a POST made with an Idempotency-Key, replayed on retries."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_key")
        ]

    def __str__(self) -> str:
        return f"idempotency {self.key}"
