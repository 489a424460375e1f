"""Forms for departures: the departure itself and the small POST actions."""

from __future__ import annotations

from typing import Any

from django import forms

from resettle.departures.models import Departure
from resettle.departures.services import DepartureInput
from resettle.destinations.models import Destination
from resettle.registry.models import Site


class DepartureForm(forms.Form):
    code = forms.CharField(max_length=32, help_text="e.g. RS120-DE")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    origin = forms.ModelChoiceField(queryset=Site.objects.all())
    destination = forms.ModelChoiceField(queryset=Destination.objects.filter(active=True))
    transit_points = forms.CharField(
        max_length=255, required=False, help_text="Comma-separated, e.g. Erbil, Istanbul")
    carrier = forms.CharField(max_length=120, required=False)
    flight_number = forms.CharField(max_length=16, required=False)
    seats = forms.IntegerField(min_value=1, max_value=2000)
    wheelchair = forms.IntegerField(min_value=0, max_value=100, initial=0,
                                    label="Wheelchair places")
    stretcher = forms.IntegerField(min_value=0, max_value=20, initial=0,
                                   label="Stretcher places")
    escort_seats = forms.IntegerField(min_value=0, max_value=200, initial=0)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_departure(cls, departure: Departure) -> DepartureForm:
        special = departure.special_places or {}
        return cls(initial={
            "code": departure.code, "date": departure.date, "origin": departure.origin_id,
            "destination": departure.destination_id,
            "transit_points": ", ".join(departure.transit_points or []),
            "carrier": departure.carrier, "flight_number": departure.flight_number,
            "seats": departure.seats, "wheelchair": special.get("wheelchair", 0),
            "stretcher": special.get("stretcher", 0), "escort_seats": departure.escort_seats,
            "version": departure.version,
        })

    def to_input(self) -> DepartureInput:
        data: dict[str, Any] = self.cleaned_data
        return DepartureInput(
            code=data["code"], date=data["date"], origin=data["origin"],
            destination=data["destination"], seats=data["seats"],
            carrier=data["carrier"], flight_number=data["flight_number"],
            transit_points=[t for t in data["transit_points"].split(",")],
            special_places={"wheelchair": data["wheelchair"], "stretcher": data["stretcher"]},
            escort_seats=data["escort_seats"],
        )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class CancelForm(VersionForm):
    reason = forms.CharField(max_length=500)


class AddHouseholdForm(forms.Form):
    reference = forms.CharField(max_length=32, label="Case number")
    reason = forms.CharField(max_length=500)


class RemoveHouseholdForm(VersionForm):
    household = forms.UUIDField()
    reason = forms.CharField(max_length=500)


class CheckInForm(forms.Form):
    person = forms.UUIDField()
    outcome = forms.ChoiceField(choices=[("boarded", "Boarded"), ("no_show", "No-show"),
                                         ("undo_no_show", "Undo no-show")])
    reason = forms.CharField(max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "no_show" and not (data.get("reason") or "").strip():
            raise forms.ValidationError("A no-show needs a reason.")
        return data


class PlanForm(forms.Form):
    purpose = forms.ChoiceField(choices=[("clear", "clear"), ("book", "book")])
