"""Role assignments: which roles a user holds, and over which site or destination."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from resettle.accounts.policy import ROLE_LABELS, Role

ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    #: narrows the scope to one site; empty = every site
    site = models.ForeignKey("registry.Site", null=True, blank=True, on_delete=models.CASCADE)
    #: the one destination a liaison serves (required for liaisons, empty otherwise)
    destination = models.ForeignKey(
        "destinations.Destination", null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="liaison") & Q(destination__isnull=False))
                | (~Q(role="liaison") & Q(destination__isnull=True)),
                name="liaison_has_exactly_one_destination",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "site", "destination"], name="unique_role_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"
