"""The history and state of each household's case: stages, submissions, holds, documents."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from resettle.core.stages import Decision, DocumentKind, HoldType
from resettle.encryption.fields import SensitiveTextField
from resettle.modelbase import DomainModel
from resettle.registry.models import STAGE_CHOICES


class StageChange(DomainModel):
    """One move of a household through the pipeline: the timeline's backbone."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=16, choices=STAGE_CHOICES, blank=True, default="")
    to_stage = models.CharField(max_length=16, choices=STAGE_CHOICES)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["household", "at"]
        indexes = [models.Index(fields=["to_stage", "at"])]


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Pending decision"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


DECISION_CHOICES = [(d.value, d.value.capitalize()) for d in Decision]


class Submission(DomainModel):
    """A household's file put to one destination, and that destination's decision."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="submissions"
    )
    destination = models.ForeignKey(
        "destinations.Destination", on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING
    )
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decision_notes = models.TextField(blank=True, default="")
    #: a split decision lets the accepted members go on only once someone confirms who stays
    split_confirmed_at = models.DateTimeField(null=True, blank=True)
    split_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["household", "submitted_at"]
        indexes = [models.Index(fields=["destination", "status"])]


class MemberDecision(DomainModel):
    """The destination's decision for one member (needed when a decision splits a family)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="member_decisions"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    accepted = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "person"], name="one_decision_per_member")
        ]


HOLD_TYPE_CHOICES = [(h.value, h.value.capitalize()) for h in HoldType]


class HoldReason(models.TextChoices):
    ARREST_WARRANT = "arrest_warrant", "Arrest warrant"
    TRAVEL_BAN = "travel_ban", "Travel ban"
    COURT_SUMMONS = "court_summons", "Court summons"
    NOT_FIT_TO_TRAVEL = "not_fit_to_travel", "Not fit to travel"
    HOSPITALISED = "hospitalised", "Hospitalised"
    QUARANTINE = "quarantine", "Quarantine"
    VETTING_PENDING = "vetting_pending", "Vetting pending"
    SPECIFIC_THREAT = "specific_threat", "Specific threat"
    DOCUMENTS_MISSING = "documents_missing", "Documents missing"
    OTHER = "other", "Other"


class HoldStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (not yet blocking)"
    ACTIVE = "active", "Active"
    LIFTED = "lifted", "Lifted"


class Hold(DomainModel):
    """A typed, dated flag on a person that blocks named transitions until lifted."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="holds")
    hold_type = models.CharField(max_length=16, choices=HOLD_TYPE_CHOICES)
    reason = models.CharField(max_length=24, choices=HoldReason.choices)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.ACTIVE)
    authority = models.CharField(max_length=255, blank=True, default="")
    reference = SensitiveTextField(blank=True, default="")
    notes = SensitiveTextField(blank=True, default="")
    start_date = models.DateField()
    review_date = models.DateField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    lift_reason = models.CharField(max_length=500, blank=True, default="")
    #: a proposed hold (e.g. after an incident) blocks only once someone confirms it
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["status", "hold_type"])]


DOCUMENT_KIND_CHOICES = [(k.value, k.value.replace("_", " ").capitalize()) for k in DocumentKind]


class Document(DomainModel):
    """A travel document, exit permit, entry visa or fit-to-travel certificate."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=16, choices=DOCUMENT_KIND_CHOICES)
    number = SensitiveTextField(blank=True, default="")
    #: keyed blind index (HMAC) of the number, for exact search without decryption
    number_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    issuing_country = models.CharField(max_length=2, blank=True, default="")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["person", "kind", "-valid_until"]
