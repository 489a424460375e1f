"""List filters, defined once for the list pages, exports and the API.

Every value is validated against a closed set, so a filter can never widen a query;
scoping is applied before filtering by the selectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, QuerySet

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import scope_for
from resettle.core.stages import HoldType, Stage
from resettle.registry.models import Household, Person, PersonStatus, Sex


def _choice(value: str | None, allowed: set[str]) -> str:
    value = (value or "").strip()
    return value if value in allowed else ""


def _country(value: str | None) -> str:
    value = (value or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else ""


@dataclass(frozen=True)
class HouseholdFilter:
    stage: str = ""
    destination: str = ""
    hold_type: str = ""
    registration_id: str = ""
    need: str = ""
    risk: str = ""

    #: risk bands (value, label, lowest score included, highest score excluded)
    RISK_LEVELS: ClassVar[tuple[tuple[str, str, float, float], ...]] = (
        ("high", "High (0.7 and above)", 0.7, 2.0),
        ("medium", "Medium (0.4 to 0.7)", 0.4, 0.7),
        ("low", "Low (below 0.4)", -1.0, 0.4),
    )

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> HouseholdFilter:
        return cls(
            stage=_choice(query.get("stage"), {s.value for s in Stage}),
            destination=_country(query.get("destination")),
            hold_type=_choice(query.get("hold_type"), {h.value for h in HoldType}),
            registration_id=str(query.get("registration_id") or "").strip()[:64],
            need=str(query.get("need") or "").strip().upper()[:16],
            risk=_choice(query.get("risk"), {level[0] for level in cls.RISK_LEVELS}),
        )

    def apply(self, qs: QuerySet[Household], user: Any) -> QuerySet[Household]:
        from resettle.casework.models import Hold, HoldStatus

        scope = scope_for(user)
        if self.stage:
            qs = qs.filter(stage=self.stage)
        if self.destination:
            qs = qs.filter(destination__code=self.destination)
        if self.hold_type and scope.sees(FieldGroup.HOLDS):
            holds = Hold.objects.filter(
                person__memberships__household=OuterRef("pk"),
                person__memberships__active=True,
                status=HoldStatus.ACTIVE,
                hold_type=self.hold_type,
            )
            qs = qs.filter(Exists(holds))
        if self.registration_id:
            qs = qs.filter(
                memberships__active=True,
                memberships__person__registration_id=self.registration_id,
            )
        if self.need and scope.sees(FieldGroup.NEEDS):
            people = Person.objects.filter(
                memberships__household=OuterRef("pk"), memberships__active=True
            ).filter(specific_needs__icontains=self.need)
            qs = qs.filter(Exists(people))
        if self.risk and scope.sees(FieldGroup.RISK):
            _value, _label, low, high = next(r for r in self.RISK_LEVELS if r[0] == self.risk)
            qs = qs.filter(risk__gte=low, risk__lt=high)
        return qs.distinct()

    def as_query(self) -> str:
        return urlencode({f.name: getattr(self, f.name) for f in fields(self) if getattr(
            self, f.name)})


@dataclass(frozen=True)
class PersonFilter:
    status: str = ""
    sex: str = ""
    nationality: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> PersonFilter:
        return cls(
            status=_choice(query.get("status"), set(PersonStatus.values)),
            sex=_choice(query.get("sex"), set(Sex.values)),
            nationality=_country(query.get("nationality")),
        )

    def apply(self, qs: QuerySet[Person]) -> QuerySet[Person]:
        if self.status:
            qs = qs.filter(status=self.status)
        if self.sex:
            qs = qs.filter(sex=self.sex)
        if self.nationality:
            qs = qs.filter(nationality=self.nationality)
        return qs

    def as_query(self) -> str:
        return urlencode({f.name: getattr(self, f.name) for f in fields(self) if getattr(
            self, f.name)})
