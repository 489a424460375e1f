"""Forms of the allocation pages (validation only; the services decide)."""

from __future__ import annotations

from django import forms

from resettle.allocation.services import MAX_TIME_LIMIT, MIN_TIME_LIMIT


class RunForm(forms.Form):
    time_limit = forms.FloatField(
        min_value=MIN_TIME_LIMIT, max_value=MAX_TIME_LIMIT, initial=10.0,
        label="Time limit (seconds)",
        help_text="The solver stops at this limit and reports how far from optimal it is.",
    )
    seed = forms.IntegerField(min_value=0, initial=0, help_text="Same seed, same answer.")


class VersionForm(forms.Form):
    """Accept and re-run act on the run the user saw (optimistic locking)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class PlacementForm(forms.Form):
    ACTIONS = (("lock", "Lock"), ("unlock", "Unlock"), ("change", "Change"))

    placement = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=ACTIONS)
    destination = forms.CharField(max_length=2, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "change" and not data.get("destination"):
            raise forms.ValidationError("Choose the destination to move the household to.")
        return data
