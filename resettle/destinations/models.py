"""Host countries and what they pledge."""

from __future__ import annotations

from django.db import models

from resettle.modelbase import DomainModel


class Destination(DomainModel):
    code = models.CharField(max_length=2, unique=True, help_text="ISO 3166 alpha-2")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    #: official languages (ISO 639) spoken there, for language fit
    languages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Locality(DomainModel):
    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="localities"
    )
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["destination", "name"]
        constraints = [
            models.UniqueConstraint(fields=["destination", "name"], name="unique_locality")
        ]

    def __str__(self) -> str:
        return self.name


class Pledge(DomainModel):
    """A destination's offer of places (persons) over a period, with its criteria."""

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="pledges")
    locality = models.ForeignKey(Locality, null=True, blank=True, on_delete=models.PROTECT)
    places = models.PositiveIntegerField(help_text="Persons")
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    max_household_size = models.PositiveSmallIntegerField(null=True, blank=True)
    large_family_places = models.PositiveIntegerField(
        default=0, help_text="Households of 6 or more persons it can take"
    )
    medical_places = models.PositiveIntegerField(
        default=0, help_text="Persons with serious medical conditions it can treat"
    )
    single_parent_support = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639 codes served")
    nationalities = models.JSONField(
        default=list, blank=True, help_text="ISO 3166 codes accepted; empty = any"
    )
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["destination", "period_start"]

    def __str__(self) -> str:
        return f"{self.destination.code}: {self.places} places from {self.period_start}"
