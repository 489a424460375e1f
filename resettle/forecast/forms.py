"""The what-if form: a few optional levers, each complete or left empty."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from resettle.core.stages import STAGE_LABELS, Stage
from resettle.destinations.models import Destination

REPLICATIONS = (100, 200, 500, 1000)
DEFAULT_REPLICATIONS = 200
#: stages whose capacity the calibration sets (the camp's own teams)
CAPACITY_STAGES = (Stage.ASSESSED, Stage.SUBMITTED, Stage.PRE_DEPARTURE, Stage.READY)
DURATION_STAGES = (
    Stage.ASSESSED, Stage.ALLOCATED, Stage.SUBMITTED, Stage.DECIDED, Stage.PRE_DEPARTURE,
    Stage.READY,
)
STAGE_WORDS = {
    Stage.ASSESSED: "assessment interviews",
    Stage.ALLOCATED: "allocation",
    Stage.SUBMITTED: "file submissions",
    Stage.DECIDED: "destination decisions",
    Stage.PRE_DEPARTURE: "pre-departure (medical, orientation)",
    Stage.READY: "exit permits and travel documents",
}


def _stage_choices(stages: tuple[Stage, ...]) -> list[tuple[str, str]]:
    return [("", "—")] + [
        (s.value, f"{STAGE_LABELS[s]}: {STAGE_WORDS[s]}") for s in stages
    ]


class WhatIfForm(forms.Form):
    replications = forms.TypedChoiceField(
        choices=[(n, f"{n}") for n in REPLICATIONS], coerce=int, initial=DEFAULT_REPLICATIONS,
        help_text="More replications: steadier numbers, slower answer.",
    )
    seed = forms.IntegerField(min_value=0, initial=1)
    clear_by = forms.DateField(
        required=False, label="Probability the camp is empty by",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    pledge_destination = forms.ChoiceField(required=False, label="Destination")
    pledge_places = forms.IntegerField(required=False, min_value=1, max_value=100000,
                                       label="More places (persons)")
    pledge_date = forms.DateField(required=False, label="Opening",
                                  widget=forms.DateInput(attrs={"type": "date"}))

    capacity_stage = forms.ChoiceField(required=False, label="Stage",
                                       choices=_stage_choices(CAPACITY_STAGES))
    capacity_add = forms.IntegerField(required=False, min_value=-1000, max_value=1000,
                                      label="More per 30 days")

    duration_stage = forms.ChoiceField(required=False, label="Stage",
                                       choices=_stage_choices(DURATION_STAGES))
    duration_percent = forms.IntegerField(
        required=False, min_value=0, max_value=500, label="Takes (% of today's time)",
        help_text="70 = 30 % faster; 150 = half again as long.",
    )

    charter_seats = forms.IntegerField(required=False, min_value=1, max_value=2000,
                                       label="Seats")
    charter_first = forms.DateField(required=False, label="First flight",
                                    widget=forms.DateInput(attrs={"type": "date"}))
    charter_every_days = forms.IntegerField(required=False, min_value=0, max_value=365,
                                            initial=30, label="Every (days; 0 = once)")
    charter_destination = forms.ChoiceField(required=False, label="To")

    risk_first = forms.BooleanField(
        required=False, label="Compare boarding the highest-risk households first",
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        destinations = [
            (d.code, f"{d.name} ({d.code})")
            for d in Destination.objects.filter(active=True).order_by("name")
        ]
        self.destination_names = dict(destinations)
        pledge_field = self.fields["pledge_destination"]
        charter_field = self.fields["charter_destination"]
        assert isinstance(pledge_field, forms.ChoiceField)
        assert isinstance(charter_field, forms.ChoiceField)
        pledge_field.choices = [("", "—"), *destinations]
        charter_field.choices = [("", "any destination"), *destinations]
        self.fields["clear_by"].initial = self.today + timedelta(days=365)
        self.fields["pledge_date"].initial = self.today + timedelta(days=30)
        self.fields["charter_first"].initial = self.today + timedelta(days=30)

    def _section(self, names: tuple[str, ...], required: tuple[str, ...]) -> bool:
        """True when the section is filled in; errors on the missing fields if partly.

        ``names`` are the fields that say "this lever is wanted": not the dates, which
        come pre-filled (next month) and are sent by every browser."""
        data = self.cleaned_data
        filled = [n for n in names if data.get(n) not in (None, "", False)]
        if not filled:
            return False
        for name in required:
            if data.get(name) in (None, ""):
                self.add_error(name, "Needed for this lever (or leave the whole lever empty).")
        return all(data.get(n) not in (None, "") for n in required)

    def _future(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if isinstance(value, date) and value < self.today:
            self.add_error(name, "Pick today or a later date.")
            return None
        return value if isinstance(value, date) else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        levers: list[dict[str, Any]] = []
        clear_by = data.get("clear_by")
        if isinstance(clear_by, date) and clear_by <= self.today:
            self.add_error("clear_by", "Pick a date after today.")
        if self._section(("pledge_destination", "pledge_places"),
                         ("pledge_destination", "pledge_places", "pledge_date")):
            when = self._future("pledge_date")
            if when is not None:
                code = data["pledge_destination"]
                levers.append({
                    "kind": "pledge", "destination": code, "places": data["pledge_places"],
                    "date": when.isoformat(),
                    "label": f"{self.destination_names.get(code, code)} takes "
                             f"{data['pledge_places']} more from {when.isoformat()}",
                })
        if self._section(("capacity_stage", "capacity_add"), ("capacity_stage", "capacity_add")):
            add = int(data["capacity_add"])
            if add == 0:
                self.add_error("capacity_add", "Add or remove at least one.")
            else:
                stage = Stage(data["capacity_stage"])
                levers.append({
                    "kind": "capacity", "stage": stage.value, "add": add,
                    "label": f"{STAGE_WORDS[stage]}: {add:+d} per 30 days",
                })
        if self._section(("duration_stage", "duration_percent"),
                         ("duration_stage", "duration_percent")):
            stage = Stage(data["duration_stage"])
            percent = int(data["duration_percent"])
            levers.append({
                "kind": "duration", "stage": stage.value, "factor": percent / 100,
                "label": f"{STAGE_WORDS[stage]} take {percent} % of today's time",
            })
        if self._section(("charter_seats", "charter_destination"),
                         ("charter_seats", "charter_first")):
            when = self._future("charter_first")
            if when is not None:
                every = int(data.get("charter_every_days") or 0)
                code = data.get("charter_destination") or ""
                where = self.destination_names.get(code, code) if code else "any destination"
                often = f"every {every} days" if every else "once"
                levers.append({
                    "kind": "departure", "seats": data["charter_seats"],
                    "date": when.isoformat(), "every_days": every, "destination": code,
                    "label": f"charter of {data['charter_seats']} seats to {where}, "
                             f"{often} from {when.isoformat()}",
                })
        if data.get("risk_first"):
            levers.append({"kind": "policy", "policy": "risk-first",
                           "label": "highest-risk households board first"})
        data["levers"] = levers
        return data
