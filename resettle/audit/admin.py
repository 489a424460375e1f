"""Admin for the audit app, and the read-only base every resettle admin class uses.

The admin site is a maintenance tool, not a way around the application's rules: no bulk
actions at all (no "delete selected", no export), nothing added, changed or deleted,
administrators (superusers) only, and no encrypted field shown (it would bypass the
audited, role-aware pages).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from resettle.audit.models import AuditEvent, ExportRequest
from resettle.encryption.fields import SensitiveTextField


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    actions = None

    def _admin(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_active and user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            f.name for f in self.model._meta.concrete_fields
            if not isinstance(f, SensitiveTextField) and not f.name.endswith("_index")
        ]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_username", "action", "object_type", "object_id")
    list_filter = ("action",)


@admin.register(ExportRequest)
class ExportRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "requested_by", "recipient", "status")
