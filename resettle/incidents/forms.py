"""The incident form; casualties are entered one per line by registration id."""

from __future__ import annotations

from typing import Any

from django import forms

from resettle.incidents.models import IncidentType, Severity
from resettle.incidents.services import CasualtyInput
from resettle.registry.models import Site


class IncidentForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    incident_type = forms.ChoiceField(choices=IncidentType.choices)
    occurred_at = forms.DateTimeField(
        help_text="YYYY-MM-DD HH:MM, camp time (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int)
    place = forms.CharField(required=False, max_length=255, help_text="Where in the site")
    source = forms.CharField(required=False, max_length=255)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    damage = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    casualties = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One per line: registration id, then 'killed' or 'injured' and, for the injured, "
            "severity 1-4. Example: CMR-00042 injured 3"
        ),
    )

    def __init__(self, *args: Any, sites: Any, persons: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.persons = persons  # the user's scoped persons: ids outside it are "no person"
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()

    def clean_casualties(self) -> list[CasualtyInput]:
        raw = str(self.cleaned_data.get("casualties") or "")
        parsed: list[CasualtyInput] = []
        problems: list[str] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            parts = line.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) < 2 or parts[1].lower() not in ("killed", "injured"):
                problems.append(f"line {number}: expected 'ID killed' or 'ID injured SEVERITY'")
                continue
            person = self.persons.filter(registration_id=parts[0]).first()
            if person is None:
                problems.append(f"line {number}: no person with registration id {parts[0]}")
                continue
            outcome = parts[1].lower()
            severity: int | None = None
            if outcome == "injured":
                if len(parts) < 3 or parts[2] not in ("1", "2", "3", "4"):
                    problems.append(f"line {number}: give the injury severity 1-4")
                    continue
                severity = int(parts[2])
            parsed.append(CasualtyInput(person=person, outcome=outcome, injury_severity=severity))
        if problems:
            raise forms.ValidationError(problems)
        return parsed
