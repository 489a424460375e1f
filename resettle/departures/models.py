"""Departures (flights or convoys) and their manifests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.modelbase import DomainModel


class DepartureStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    CONFIRMED = "confirmed", "Confirmed"
    DEPARTED = "departed", "Departed"
    ARRIVED = "arrived", "Arrived"
    CANCELLED = "cancelled", "Cancelled"


class Departure(DomainModel):
    code = models.CharField(max_length=32, unique=True)
    date = models.DateField()
    origin = models.ForeignKey("registry.Site", on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(
        "destinations.Destination", on_delete=models.PROTECT, related_name="departures"
    )
    transit_points = models.JSONField(default=list, blank=True)
    carrier = models.CharField(max_length=120, blank=True, default="")
    flight_number = models.CharField(max_length=16, blank=True, default="")
    seats = models.PositiveIntegerField()
    #: special places, e.g. {"wheelchair": 2, "stretcher": 1}
    special_places = models.JSONField(default=dict, blank=True)
    escort_seats = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=DepartureStatus.choices, default=DepartureStatus.PLANNED
    )
    cancel_reason = models.CharField(max_length=500, blank=True, default="")
    #: when the departure left and when its arrival was confirmed (set by the services)
    departed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "code"]

    def __str__(self) -> str:
        return self.code


class ManifestStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BOARDED = "boarded", "Boarded"
    NO_SHOW = "no_show", "No-show"
    REMOVED = "removed", "Removed"
    ARRIVED = "arrived", "Arrived"


class ManifestEntry(DomainModel):
    """One passenger on one departure."""

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="manifest")
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="manifest_entries"
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="manifest_entries"
    )
    status = models.CharField(
        max_length=10, choices=ManifestStatus.choices, default=ManifestStatus.PLANNED
    )
    reason = models.CharField(max_length=500, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    #: special places this passenger occupies or needs, e.g. ["wheelchair"], ["escort"]
    #: (derived from the person's specific-needs codes when booked; see planning.py)
    special_needs = models.JSONField(default=list, blank=True)
    #: who took the household off the manifest, and when (``reason`` says why)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    #: not stored: the passenger's relationship in words, set by selectors.manifest_of
    relationship_label: str = ""

    class Meta:
        ordering = ["departure", "household", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["departure", "person"], name="one_manifest_line_per_person"
            )
        ]


class PlanPurpose(models.TextChoices):
    CLEAR = "clear", "Clear the camp (every remaining household)"
    BOOK = "book", "Bookings for ready households"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PlanningRun(DomainModel):
    """One call of the departure planner, run outside the request (a thread after commit).

    ``progress`` is a short line the page polls; ``result`` holds the plan keyed by
    household and departure ids (never names), as written by ``planning.run_plan``.
    """

    purpose = models.CharField(max_length=8, choices=PlanPurpose.choices)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    time_limit = models.FloatField()
    seed = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    #: set once the plan's bookings were made (a plan is applied at most once)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
