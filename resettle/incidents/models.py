"""Security incidents at a site, their casualties and who was exposed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.encryption.fields import SensitiveTextField
from resettle.modelbase import DomainModel


class IncidentType(models.TextChoices):
    MISSILE_ATTACK = "missile_attack", "Missile or rocket attack"
    SHELLING = "shelling", "Shelling"
    ARMED_INCURSION = "armed_incursion", "Armed incursion"
    SIEGE_MEASURE = "siege_measure", "Siege measure (fuel, food, medical supplies)"
    HARASSMENT = "harassment", "Harassment (e.g. loudspeakers)"
    ARREST = "arrest", "Arrest or detention"
    THREAT = "threat", "Threat"
    OTHER = "other", "Other"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MODERATE = 2, "Moderate"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class Incident(DomainModel):
    site = models.ForeignKey("registry.Site", on_delete=models.PROTECT, related_name="incidents")
    incident_type = models.CharField(max_length=20, choices=IncidentType.choices)
    occurred_at = models.DateTimeField()
    place = models.CharField(max_length=255, blank=True, default="", help_text="Within the site")
    description = SensitiveTextField(blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.LOW)
    damage = models.TextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["-occurred_at"]


class CasualtyOutcome(models.TextChoices):
    KILLED = "killed", "Killed"
    INJURED = "injured", "Injured"


class Casualty(DomainModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="casualties")
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="casualties"
    )
    outcome = models.CharField(max_length=8, choices=CasualtyOutcome.choices)
    injury_severity = models.PositiveSmallIntegerField(
        choices=Severity.choices, null=True, blank=True
    )
    details = SensitiveTextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="one_casualty_per_person")
        ]


class Exposure(models.Model):
    """A resident present at the site when the incident happened (feeds the risk score)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exposures")
    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="exposures"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="one_exposure_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} exposed to {self.incident_id}"


class PrincipalReview(DomainModel):
    """A household whose principal applicant died: a proposed successor to confirm."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="principal_reviews"
    )
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT)
    deceased_principal = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+"
    )
    proposed_principal = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+"
    )
    chosen_principal = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"principal review for {self.household_id}"
