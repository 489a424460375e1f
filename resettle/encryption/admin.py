"""Data keys are listed (id, state, dates) but never their wrapped bytes; nothing editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from resettle.audit.admin import ReadOnlyAdmin
from resettle.encryption.models import DataKey, Rotation


@admin.register(DataKey)
class DataKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "state", "created_at", "retired_at")

    def get_fields(self, request: HttpRequest, obj: object = None) -> Any:
        return ["key_id", "state", "created_at", "retired_at"]


@admin.register(Rotation)
class RotationAdmin(ReadOnlyAdmin):
    list_display = ("target_key_id", "started_at", "finished_at", "rows_done")
