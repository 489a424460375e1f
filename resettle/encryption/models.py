"""Wrapped data keys and the progress marker of a key rotation.

Only *wrapped* keys live here: each is encrypted under a key derived from the master key,
which never enters the database (see resettle.encryption.keys). A copy of the database
alone therefore decrypts nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class KeyState(models.TextChoices):
    ACTIVE = "active", "Active (encrypts new values)"
    RETIRED = "retired", "Retired (decrypts old values only)"


class DataKey(models.Model):
    """One AES-256 data key, wrapped (AES-GCM) under the master key's key-encryption key."""

    #: short random id written into every ciphertext, so a value names its key
    key_id = models.CharField(max_length=16, primary_key=True)
    wrapped = models.TextField(help_text="base64(nonce + AES-GCM(KEK, data key))")
    state = models.CharField(max_length=8, choices=KeyState.choices, default=KeyState.ACTIVE)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="active"), name="one_active_data_key"
            )
        ]

    def __str__(self) -> str:
        return f"data key {self.key_id} ({self.state})"


class Rotation(models.Model):
    """Progress marker of ``resettle keys rotate``: where to resume after an interruption."""

    target_key_id = models.CharField(max_length=16)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    #: "app_label.model.column" -> last primary key re-encrypted (as text), "" = not started
    progress = models.JSONField(default=dict, blank=True)
    rows_done = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        state = "finished" if self.finished_at else "in progress"
        return f"rotation to {self.target_key_id} ({state})"
