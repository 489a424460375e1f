"""Sites, persons, households and the links between households."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from resettle.core.stages import STAGE_LABELS, Stage
from resettle.encryption.fields import SensitiveTextField
from resettle.modelbase import DomainModel


class Site(DomainModel):
    """A camp or transit location where residents are present."""

    name = models.CharField(max_length=120, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    is_transit = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other / unspecified"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Education(models.TextChoices):
    NONE = "none", "None"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    VOCATIONAL = "vocational", "Vocational"
    UNIVERSITY = "university", "University"
    POSTGRADUATE = "postgraduate", "Postgraduate"
    UNKNOWN = "unknown", "Unknown"


class PersonStatus(models.TextChoices):
    PRESENT = "present", "Present in the camp"
    DEPARTED = "departed", "Departed"
    DECEASED = "deceased", "Deceased"
    DISAPPEARED = "disappeared", "Disappeared"
    WITHDRAWN = "withdrawn", "Withdrawn"
    RETURNED = "returned", "Returned"


class Person(DomainModel):
    """One resident. Names in original script and the phone are encrypted at rest."""

    registration_id = models.CharField(max_length=64, unique=True)
    given_name = models.CharField(max_length=120, help_text="Latin script")
    family_name = models.CharField(max_length=120, help_text="Latin script")
    given_name_original = SensitiveTextField(blank=True, default="")
    family_name_original = SensitiveTextField(blank=True, default="")
    #: normalised Latin transliteration used for fuzzy search (policy: less sensitive)
    search_name = models.CharField(max_length=255, blank=True, default="", db_index=True)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField()
    dob_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    dob_estimated = models.BooleanField(default=False)
    nationality = models.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639 codes")
    education = models.CharField(
        max_length=16, choices=Education.choices, default=Education.UNKNOWN
    )
    occupation = models.CharField(max_length=120, blank=True, default="")
    skills = models.CharField(max_length=255, blank=True, default="")
    specific_needs = models.JSONField(default=list, blank=True, help_text="UNHCR-style codes")
    ties = models.JSONField(
        default=list, blank=True, help_text="ISO 3166 codes of countries with close relatives"
    )
    phone = SensitiveTextField(blank=True, default="")
    #: 0 none, 1 known locally, 2 publicly known, 3 prominent (named by the hostile state)
    prominence = models.PositiveSmallIntegerField(default=0)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="persons")
    status = models.CharField(
        max_length=12, choices=PersonStatus.choices, default=PersonStatus.PRESENT
    )
    arrived_in_camp = models.DateField(null=True, blank=True)
    left_camp = models.DateField(null=True, blank=True)
    #: ids of records merged into this one (kept so re-imports still match)
    merged_registration_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["status", "site"])]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name_original(self) -> str:
        return f"{self.given_name_original} {self.family_name_original}".strip()


class Relationship(models.TextChoices):
    PRINCIPAL = "principal", "Principal applicant"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Sibling"
    GRANDCHILD = "grandchild", "Grandchild"
    GRANDPARENT = "grandparent", "Grandparent"
    OTHER_RELATIVE = "other_relative", "Other relative"
    UNRELATED = "unrelated", "Unrelated"


STAGE_CHOICES = [(s.value, STAGE_LABELS[s]) for s in Stage]


class Household(DomainModel):
    """The unit of relocation (a case). Families are split only by an explicit decision."""

    reference = models.CharField(max_length=32, unique=True, help_text="Case number")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="households")
    stage = models.CharField(max_length=16, choices=STAGE_CHOICES, default=Stage.REGISTERED)
    stage_changed_at = models.DateTimeField()
    destination = models.ForeignKey(
        "destinations.Destination",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
        help_text="Destination currently proposed or decided",
    )
    preferences = models.JSONField(
        default=list, blank=True, help_text="Ranked ISO 3166 codes the household prefers"
    )
    closure_reason = models.TextField(blank=True, default="")
    #: latest household risk score (0..1) from resettle.core.risk, refreshed by a service
    risk = models.FloatField(default=0.0)

    class Meta:
        ordering = ["reference"]
        indexes = [models.Index(fields=["stage", "site"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)


class Membership(DomainModel):
    """A person's place in a household; ``active`` False keeps history after a move."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    active = models.BooleanField(default=True)
    #: False when a split decision keeps this member behind
    travelling = models.BooleanField(default=True)
    left_reason = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["household", "-relationship"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(active=True), name="one_active_household_per_person"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(active=True, relationship="principal"),
                name="one_principal_per_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} ({self.relationship})"


class HouseholdLink(DomainModel):
    """Households that must be placed and travel together (extended family)."""

    first = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="links_out")
    second = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="links_in")
    reason = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_household_link"),
            models.CheckConstraint(condition=~Q(first=models.F("second")), name="link_not_self"),
        ]


class ChangeSource(models.TextChoices):
    CREATED = "created", "Registered"
    EDIT = "edit", "Edited"
    IMPORT = "import", "Imported"
    MERGE = "merge", "Merged"


#: person fields whose values are never copied into the history (encrypted at rest)
SENSITIVE_PERSON_FIELDS = frozenset(
    {"given_name_original", "family_name_original", "phone", "document_number"}
)


class PersonChange(DomainModel):
    """One change to a person: who, when, how, and which fields (the person's history).

    ``changes`` maps a field name to ``{"from": old, "to": new}``; for fields encrypted at rest
    only ``{"changed": true}`` is kept, so the history never holds them in clear text.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=8, choices=ChangeSource.choices)
    #: the person's version after this change (what an edit conflict is computed from)
    person_version = models.PositiveIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["person", "at", "person_version"]
        indexes = [models.Index(fields=["person", "person_version"])]


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "To review"
    MERGED = "merged", "Same person (merged)"
    DISTINCT = "distinct", "Not the same"


class DuplicateCandidate(DomainModel):
    """A pair proposed by the duplicate scan, and the reviewer's decision on it.

    ``first`` is the record whose registration id sorts first. A "not the same" decision
    stays, so the pair is never proposed again.
    """

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=8, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="unique_duplicate_pair"),
            models.CheckConstraint(
                condition=~Q(first=models.F("second")), name="duplicate_not_self"
            ),
        ]
        indexes = [models.Index(fields=["status", "score"])]
