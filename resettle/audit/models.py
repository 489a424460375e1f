"""Audit events: an append-only hash chain of who did or saw what, never field values."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from resettle.modelbase import DomainModel


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


class ExportKind(models.TextChoices):
    DATASET = "dataset", "Persons dataset (to a destination or partner)"
    SUBJECT = "subject", "Subject access (everything about one person, for that person)"


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PRODUCED = "produced", "Produced"


class ExportRequest(DomainModel):
    """A governed export: purpose, recipient, fields and reason, approved by a second person."""

    kind = models.CharField(max_length=8, choices=ExportKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=255)
    recipient = models.CharField(max_length=255)
    reason = models.TextField()
    #: export column names (resettle.registry.exporting.COLUMN_GROUPS) for a dataset
    fields = models.JSONField(default=list, blank=True)
    #: dataset limited to households proposed to or decided by this destination
    destination = models.ForeignKey(
        "destinations.Destination", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")
    subject = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True, default="")
    produced_at = models.DateTimeField(null=True, blank=True)
    #: SHA-256 of the encrypted file handed out (also in the audit event)
    file_sha256 = models.CharField(max_length=64, blank=True, default="")
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}, {self.status})"
