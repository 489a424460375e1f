"""Audit events: an append-only hash chain of who did or saw what, never field values."""

from __future__ import annotations

from typing import Any

from django.db import models


class AuditImmutableError(Exception):
    """Audit events are append-only: the application never updates or deletes them."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutableError("audit events are append-only: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("audit events are append-only: delete refused")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditImmutableError("audit events are append-only: update refused")


class AuditEvent(models.Model):
    #: contiguous sequence number assigned under the chain lock (gaps reveal deletions)
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True, default="")
    roles = models.CharField(max_length=255, blank=True, default="")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    client_address = models.CharField(max_length=64, blank=True, default="")
    #: non-personal detail only (counts, codes, stage names), never field values
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError(f"audit event #{self.seq} is append-only: save refused")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError(f"audit event #{self.seq} is append-only: delete refused")
