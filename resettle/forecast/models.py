"""Forecast runs: one Monte Carlo forecast of the live operation, with its what-if levers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.modelbase import DomainModel


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


#: the scope key of a run calibrated over every site
ALL_SITES = "all"


class ForecastRun(DomainModel):
    """A forecast computed outside the request (a thread started after commit).

    ``scenario`` is the calibrated scenario as JSON *text* (the TOML layout of
    docs/simulation.md): the order of its tables matters to the simulator's tie-breaks
    and PostgreSQL's jsonb would reorder keys. ``levers`` are the what-if changes as
    entered (dates, not days); ``result`` holds the baseline report and the comparison
    rows: aggregate numbers only, nothing about a person.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    #: "all", or the sorted ids of the sites the run was calibrated over (who may see it)
    scope_key = models.CharField(max_length=400, default=ALL_SITES, db_index=True)
    today = models.DateField(help_text="Day 0 of the forecast")
    replications = models.PositiveIntegerField()
    seed = models.PositiveIntegerField(default=1)
    clear_by = models.DateField(null=True, blank=True)
    levers = models.JSONField(default=list, blank=True)
    scenario = models.TextField(blank=True, default="")
    calibration = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    progress = models.CharField(max_length=200, blank=True, default="")
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["scope_key", "status", "created_at"])]

    def __str__(self) -> str:
        return f"forecast {self.today} ({self.get_status_display()})"

    @property
    def busy(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)
