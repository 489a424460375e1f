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
    ACCEPTING = "accepting", "Accepting"
    ACCEPTED = "accepted", "Accepted"
    DISCARDED = "discarded", "Discarded"


class AllocationRun(DomainModel):
    """One solve over the households waiting for allocation, and what came of it.

    ``problem`` is the solver's input (docs/allocation.md), ``result`` its output without the
    per-household explanations (those live on the placements), ``context`` what the review
    page needs to put names and pledges next to the solver's ids.
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent")
    time_limit = models.FloatField(default=30.0)
    seed = models.IntegerField(default=0)
    problem = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: False when the creator's scope was narrowed to sites: then only users reaching every
    #: household of the run may open it
    all_sites = models.BooleanField(default=True)
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def in_progress(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def gap_percent(self) -> float | None:
        """The result's relative gap to its proven bound, in percent (None before a result)."""
        gap = (self.result or {}).get("gap")
        return None if gap is None else 100.0 * float(gap)

    @property
    def has_results(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.ACCEPTING, RunStatus.ACCEPTED,
                               RunStatus.DISCARDED)


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
    #: the household's version when the problem was built: acceptance submits only if unchanged
    household_version = models.PositiveIntegerField(default=1)
    #: what acceptance did: the submission it created, or why it was refused
    submission = models.ForeignKey(
        "casework.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="one_placement_per_run")
        ]
