"""Allocation runs and the placements they propose."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.modelbase import DomainModel


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    ACCEPTED = "accepted", "Accepted"
    DISCARDED = "discarded", "Discarded"


class AllocationRun(DomainModel):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent")
    time_limit = models.FloatField(default=30.0)
    seed = models.IntegerField(default=0)
    problem = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Placement(DomainModel):
    """One household's proposed destination in a run, with its explanation."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="placements")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="placements"
    )
    destination = models.ForeignKey(
        "destinations.Destination", null=True, blank=True, on_delete=models.PROTECT
    )
    score = models.FloatField(default=0.0)
    locked = models.BooleanField(default=False)
    explanation = models.JSONField(default=dict, blank=True)
    unassigned_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="one_placement_per_run")
        ]
